"""Hybrid retrieval over an index: dense (FAISS) and BM25 scores, fused by a z-score mix (or reciprocal rank)."""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..index.embed import Embedder
from ..index.encoder import OnnxEncoder, for_index
from ..errors import QAError
from ..index.store import Index, SplitSettings, open_index
from ..text.lexical import terms
from ..records import Hit

MODES = ("hybrid", "dense", "bm25")
RRF_K = 60  # the constant of Cormack et al. (2009); damps the weight of the very top ranks
MAX_QUERY_CHARS = 20_000

# Words that only make a question a question (interrogatives, do-support): left out of the BM25 query, not out of
# the index. bm25s's stopword list keeps them, so "what" (in 57% of XQuAD questions) or "did" favoured the rare
# passages that contain them. Dropping them took BM25 alone from 0.919 to 0.932 doc R@1 on XQuAD and from 0.909
# to 0.919 R@1 on the speech set. lexical.QUESTION_WORDS, which also holds "name", "type", "speech" and the
# like, gained nothing more on XQuAD and cost the speech set 1 point of R@1.
QUERY_FORM_WORDS = frozenset("what which who whom whose when where why how do does did were".split())

# How mode "hybrid" fuses the two signals.
#   "zscore": each signal is z-normalised over the candidate pool (the dense top-N plus the BM25 top-N that
#             the retriever considered), then mixed as DENSE_WEIGHT * z(cosine) + (1 - DENSE_WEIGHT) * z(BM25).
#   "rrf":    reciprocal rank fusion of the two rankings (k = RRF_K), which ignores how far apart scores are.
# Measured with k = 10 (XQuAD-en doc Recall@1 over its 240 contexts | speech-set passage Recall@1, MRR):
#   dense 0.898 | 0.818, 0.873     bm25 0.932 | 0.919, 0.939     rrf 0.935 | 0.889, 0.922
#   zscore 0.955 | 0.929, 0.945    (DENSE_WEIGHT 0.4: 0.953 | 0.919; 0.45: 0.955 | 0.929; 0.55: 0.955 | 0.929;
#                                   0.6: 0.951 | 0.919: the equal mix sits in the middle of a flat top)
# RRF loses because a passage far ahead on one signal and close behind on the other ranks the same as one
# narrowly ahead on both. RRF with k from 1 to 30 or a BM25 weight of 0.5 to 2 stayed between 0.920 and 0.940.
# Min-max instead of z normalisation: 0.954 at 0.4-0.5, but it hangs on the single best and worst candidates.
# Not taken either: other BM25 settings (k1 0.9-2, b 0.4-1; bm25s robertson, atire, bm25l, bm25+) moved the
# z-score mix by under 0.004 on XQuAD; index terms without stemming or with stopwords cost the speech set 1 to 3
# points of R@1; adding a share of the best sibling passage's score (a document prior) lowered XQuAD (0.947 at 0.1).
FUSIONS = ("zscore", "rrf")
FUSION = "zscore"
DENSE_WEIGHT = 0.5


def rrf(rankings: list[list[int]], k: int = RRF_K, weights: list[float] | None = None) -> dict[int, float]:
    """Reciprocal rank fusion: sum over rankings of weight / (k + rank), rank counted from 1."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def zscores(values: list[float]) -> list[float]:
    """(v - mean) / standard deviation (population); all zeros when the values do not vary."""
    n = len(values)
    if n == 0:
        return []
    mu = sum(values) / n
    sd = (sum((v - mu) ** 2 for v in values) / n) ** 0.5
    return [(v - mu) / sd if sd > 0 else 0.0 for v in values]


def zscore_mix(dense: dict[int, float], lexical: dict[int, float], dense_weight: float = DENSE_WEIGHT
               ) -> dict[int, float]:
    """Fuse two score maps over the union of their keys: dense_weight * z(dense) + (1 - dense_weight) * z(lexical).

    A candidate missing from `lexical` scores 0 there (BM25 found none of the query's terms in it); one missing
    from `dense` (outside the dense top-N) takes the lowest dense score seen, a bound on its true cosine.
    The z-scores are over the pool, so the fused scores are relative to it and not comparable across queries.
    """
    pool = sorted(set(dense) | set(lexical))
    if not pool:
        return {}
    floor = min(dense.values()) if dense else 0.0
    zd = zscores([dense.get(r, floor) for r in pool])
    zl = zscores([lexical.get(r, 0.0) for r in pool])
    return {r: dense_weight * a + (1.0 - dense_weight) * b for r, a, b in zip(pool, zd, zl)}


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

    def __init__(self, index: Index, embedder: Embedder | OnnxEncoder | None = None, fusion: str = FUSION):
        if fusion not in FUSIONS:
            raise QAError(f"unknown fusion {fusion!r}; choose one of {', '.join(FUSIONS)}")
        self.index = index
        # Questions are encoded by the index's own ONNX export (no torch); a caller may pass the
        # sentence-transformers Embedder instead, as tests and the eval harness's stand-ins do.
        self.embedder = embedder or for_index(index)
        self.fusion = fusion  # how mode "hybrid" combines dense and BM25: see FUSION

    @classmethod
    def load(cls, index_dir: str | os.PathLike = "index", corpus_dir: str | os.PathLike | None = None,
             model: str | None = None, settings: SplitSettings | None = None, fusion: str = FUSION) -> "Retriever":
        """Open an index folder (building or refreshing it from `corpus_dir` when given and needed)."""
        return cls(open_index(index_dir, corpus_dir, model=model, settings=settings), fusion=fusion)

    def depth(self, k: int) -> int:
        return min(len(self.index.passages), max(100, 10 * k))

    def score(self, query: str, k: int = 5) -> Scored:
        query = check_query(query)
        vector = self.embedder.encode([query])[0]
        sims, rows = self.index.dense.search(vector[None, :], self.depth(k))
        dense = {int(r): float(s) for r, s in zip(rows[0], sims[0]) if r >= 0}
        q_terms = [t for t in terms(query, QUERY_FORM_WORDS) if t in self.index.bm25.vocab_dict]
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
        elif self.fusion == "rrf":
            fused = rrf([dense_rank, lexical_rank])
        else:
            pool = sorted(set(lexical_rank) | set(scored.dense))
            fused = zscore_mix(scored.dense, {r: float(scored.bm25[r]) for r in pool})
        order = sorted(fused, key=lambda r: (-fused[r], r))[:k]
        return [Hit(self.index.passages[r], fused[r], n) for n, r in enumerate(order)]

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> list[Hit]:
        """The k passages that best match `query`, best first, with fused scores and exact offsets.

        Scores are on each mode's own scale: cosine (dense), BM25 (bm25), or for hybrid the z-score mix (in
        standard deviations above the query's candidate pool average, so only comparable within one query) or,
        with fusion="rrf", the RRF score (at most 2 / 61)."""
        return self.rank(self.score(query, k), k, mode)
