"""Hybrid retrieval over an index: dense and BM25 scores and their fusion."""
