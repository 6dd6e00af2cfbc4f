"""Fusing dense and BM25 scores: a z-score mix (the default) or reciprocal rank fusion, and a deterministic top-k."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import QAError

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
RRF_K = 60  # the constant of Cormack et al. (2009); damps the weight of the very top ranks


MIN_DEPTH = 100  # candidates each signal contributes to the pool, at least ...
DEPTH_PER_K = 10  # ... or this many per passage asked for


@dataclass(frozen=True)
class RetrieveSettings:
    """How deep each signal's pool goes and how mode "hybrid" fuses them: passed frozen, never patched."""

    fusion: str = FUSION  # one of FUSIONS
    dense_weight: float = DENSE_WEIGHT  # the z-score mix's share of the dense signal
    rrf_k: int = RRF_K
    min_depth: int = MIN_DEPTH
    depth_per_k: int = DEPTH_PER_K

    def __post_init__(self):
        if self.fusion not in FUSIONS:
            raise QAError(f"unknown fusion {self.fusion!r}; choose one of {', '.join(FUSIONS)}")

    def depth(self, k: int, passages: int) -> int:
        """Candidates each signal contributes for a top-k search over `passages` passages."""
        return min(passages, max(self.min_depth, self.depth_per_k * k))

    def fuse(self, dense: dict[int, float], lexical: dict[int, float], dense_rank: list[int],
             lexical_rank: list[int]) -> dict[int, float]:
        """The fused score of each candidate: `dense` and `lexical` map the pool's rows to their two scores."""
        if self.fusion == "rrf":
            return rrf([dense_rank, lexical_rank], k=self.rrf_k)
        return zscore_mix(dense, lexical, self.dense_weight)


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
