"""Hybrid retrieval over an index: dense (FAISS) and BM25 scores, fused by a z-score mix (or reciprocal rank)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import QAError
from ..index.encoder import OnnxEncoder, for_index
from ..index.store import Index, load_index, rebuild_hint
from ..records import Hit
from ..text.lexical import raw_tokens, terms
from .fusion import FUSION, RetrieveSettings, top_k

if TYPE_CHECKING:
    from ..index.embed import Embedder
    from ..index.milvus_search import MilvusStore
    from ..ingest.split import SplitSettings

MODES = ("hybrid", "dense", "bm25")
MAX_QUERY_CHARS = 20_000

# Words that only make a question a question (interrogatives, do-support): left out of the BM25 query, not out of
# the index. bm25s's stopword list keeps them, so "what" (in 57% of XQuAD questions) or "did" favoured the rare
# passages that contain them. Dropping them took BM25 alone from 0.919 to 0.932 doc R@1 on XQuAD and from 0.909
# to 0.919 R@1 on the speech set. lexical.QUESTION_WORDS, which also holds "name", "type", "speech" and the
# like, gained nothing more on XQuAD and cost the speech set 1 point of R@1.
QUERY_FORM_WORDS = frozenset("what which who whom whose when where why how do does did were".split())


@dataclass
class Scored:
    """A query's raw signals over the index: its vector, dense scores and BM25 scores of every passage considered."""

    vector: np.ndarray
    dense: dict[int, float]
    bm25: np.ndarray
    fused: dict[int, float] | None = None  # a Milvus server ranker's hybrid scores, when it fuses (`?ranker=`)


def check_query(query: str) -> str:
    if not isinstance(query, str) or not query.strip():
        raise QAError("the question is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise QAError(f"the question is {len(query):,} characters; the limit is {MAX_QUERY_CHARS:,}")
    return query.strip()


class Retriever:
    """Searches an index; other tools can use it on its own: `Retriever.load("index/").search(q, k=5)`."""

    def __init__(self, index: Index, embedder: Embedder | OnnxEncoder | None = None, fusion: str = FUSION,
                 settings: RetrieveSettings | None = None, store: MilvusStore | None = None):
        """`fusion` names how mode "hybrid" fuses (see qa.retrieve.fusion); `settings`, when given, says it all.
        `store` (qa.index.milvus_search.open_store) serves the dense and BM25 scores from Milvus instead of the
        index's own FAISS and BM25 arrays."""
        self.settings = settings or RetrieveSettings(fusion=fusion)
        self.index = index
        self.store = store
        # Questions are encoded by the index's own ONNX export (no torch); a caller may pass the
        # sentence-transformers Embedder instead, as tests and the eval harness's stand-ins do.
        self.embedder = embedder or for_index(index)
        self.fusion = self.settings.fusion  # how mode "hybrid" combines dense and BM25: see FUSION

    @classmethod
    def load(cls, index_dir: str | os.PathLike = "index", corpus_dir: str | os.PathLike | None = None,
             model: str | None = None, settings: SplitSettings | None = None, fusion: str = FUSION) -> "Retriever":
        """Open an index folder; it never builds one (qa.index.build.open_index does). Given `corpus_dir` (and the
        `model` or split `settings` expected), an index that no longer matches them is a QAError naming the rebuild."""
        index = load_index(index_dir)
        if corpus_dir is not None:
            from ..index.build import stale_reason

            reason = stale_reason(index.manifest, corpus_dir, model, settings)
            if reason:
                raise QAError(f"index at {index_dir} is out of date ({reason}); {rebuild_hint(index_dir, corpus_dir)}")
        return cls(index, fusion=fusion)

    def depth(self, k: int) -> int:
        return self.settings.depth(k, len(self.index.passages))

    def score(self, query: str, k: int = 5) -> Scored:
        query = check_query(query)
        vector = self.embedder.encode([query])[0]
        if self.store is not None:
            return self._score_stored(query, vector, k)
        sims, rows = self.index.dense.search(vector[None, :], self.depth(k))
        dense = {int(r): float(s) for r, s in zip(rows[0], sims[0]) if r >= 0}
        q_terms = [t for t in terms(query, QUERY_FORM_WORDS) if t in self.index.bm25.vocab_dict]
        bm25 = (np.asarray(self.index.bm25.get_scores(q_terms), dtype=np.float32) if q_terms
                else np.zeros(len(self.index.passages), dtype=np.float32))
        return Scored(vector, dense, bm25)

    def _score_stored(self, query: str, vector: np.ndarray, k: int) -> Scored:
        """The same signals from the Milvus store: the dense top-N, and the BM25 scores of the BM25 top-N and the
        dense top-N (the only ones rank reads; every other passage's stays 0)."""
        depth = self.depth(k)
        q_terms = [t for t in terms(query, QUERY_FORM_WORDS) if t in self.index.bm25.vocab_dict]
        text = " ".join(w for w in raw_tokens(query) if w not in QUERY_FORM_WORDS)  # for the server's analyser
        dense, lexical = self.store.score(vector, q_terms, text, depth)
        bm25 = np.zeros(len(self.index.passages), dtype=np.float32)
        bm25[list(lexical)] = list(lexical.values())
        fused = self.store.fused(vector, q_terms, text, depth) if self.store.uri.ranker != "zscore" else None
        return Scored(vector, dense, bm25, fused)

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
        elif scored.fused is not None:
            fused = scored.fused
        else:
            pool = sorted(set(lexical_rank) | set(scored.dense))
            fused = self.settings.fuse(scored.dense, {r: float(scored.bm25[r]) for r in pool}, dense_rank, lexical_rank)
        order = sorted(fused, key=lambda r: (-fused[r], r))[:k]
        return [Hit(self.index.passages[r], fused[r], n) for n, r in enumerate(order)]

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> list[Hit]:
        """The k passages that best match `query`, best first, with fused scores and exact offsets.

        Scores are on each mode's own scale: cosine (dense), BM25 (bm25), or for hybrid the z-score mix (in
        standard deviations above the query's candidate pool average, so only comparable within one query) or,
        with fusion="rrf", the RRF score (at most 2 / 61)."""
        return self.rank(self.score(query, k), k, mode)
