"""Hybrid retrieval over an index: dense (FAISS) and BM25 rankings, fused by reciprocal rank."""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .embed import Embedder
from .errors import QAError
from .index import Index, SplitSettings, open_index
from .lexical import terms
from .records import Hit

MODES = ("hybrid", "dense", "bm25")
RRF_K = 60  # the constant of Cormack et al. (2009); damps the weight of the very top ranks
MAX_QUERY_CHARS = 20_000


def rrf(rankings: list[list[int]], k: int = RRF_K, weights: list[float] | None = None) -> dict[int, float]:
    """Reciprocal rank fusion: sum over rankings of weight / (k + rank), rank counted from 1."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def top_k(scores: np.ndarray, n: int) -> list[int]:
    """Indices of the n highest scores, best first; ties broken by lower index so results are deterministic."""
    n = min(n, len(scores))
    if n <= 0:
        return []
    part = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
    return sorted(part.tolist(), key=lambda i: (-float(scores[i]), i))


@dataclass
class Scored:
    """A query's raw signals over the index: its vector, dense scores and BM25 scores of every passage considered."""

    vector: np.ndarray
    dense: dict[int, float]
    bm25: np.ndarray


def check_query(query: str) -> str:
    if not isinstance(query, str) or not query.strip():
        raise QAError("the question is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise QAError(f"the question is {len(query):,} characters; the limit is {MAX_QUERY_CHARS:,}")
    return query.strip()


class Retriever:
    """Searches an index; other tools can use it on its own: `Retriever.load("index/").search(q, k=5)`."""

    def __init__(self, index: Index, embedder: Embedder | None = None):
        self.index = index
        self.embedder = embedder or Embedder(index.manifest.get("model"))

    @classmethod
    def load(cls, index_dir: str | os.PathLike = "index", corpus_dir: str | os.PathLike | None = None,
             model: str | None = None, settings: SplitSettings | None = None) -> "Retriever":
        """Open an index folder (building or refreshing it from `corpus_dir` when given and needed)."""
        return cls(open_index(index_dir, corpus_dir, model=model, settings=settings))

    def depth(self, k: int) -> int:
        return min(len(self.index.passages), max(100, 10 * k))

    def score(self, query: str, k: int = 5) -> Scored:
        query = check_query(query)
        vector = self.embedder.encode([query])[0]
        sims, rows = self.index.dense.search(vector[None, :], self.depth(k))
        dense = {int(r): float(s) for r, s in zip(rows[0], sims[0]) if r >= 0}
        q_terms = [t for t in terms(query) if t in self.index.bm25.vocab_dict]
        bm25 = (np.asarray(self.index.bm25.get_scores(q_terms), dtype=np.float32) if q_terms
                else np.zeros(len(self.index.passages), dtype=np.float32))
        return Scored(vector, dense, bm25)

    def rank(self, scored: Scored, k: int = 5, mode: str = "hybrid") -> list[Hit]:
        """The top k passages for precomputed signals, under one retrieval mode."""
        if mode not in MODES:
            raise QAError(f"unknown retrieval mode {mode!r}; choose one of {', '.join(MODES)}")
        if k < 1:
            raise QAError("k must be at least 1")
        dense_rank = sorted(scored.dense, key=lambda r: (-scored.dense[r], r))
        lexical_rank = [r for r in top_k(scored.bm25, self.depth(k)) if scored.bm25[r] > 0]
        if mode == "dense":
            fused = {r: scored.dense[r] for r in dense_rank}
        elif mode == "bm25":
            fused = {r: float(scored.bm25[r]) for r in lexical_rank}
        else:
            fused = rrf([dense_rank, lexical_rank])
        order = sorted(fused, key=lambda r: (-fused[r], r))[:k]
        return [Hit(self.index.passages[r], fused[r], n) for n, r in enumerate(order)]

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> list[Hit]:
        """The k passages that best match `query`, best first, with fused scores and exact offsets."""
        return self.rank(self.score(query, k), k, mode)
