"""The on-disk index: passages and sentences, their vectors, BM25, the question encoder and the manifest."""
