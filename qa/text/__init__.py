"""Shared text utilities: the terms BM25 and the answer scores count, and token counts."""
