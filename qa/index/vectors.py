"""The passage vector index: exact FAISS inner product up to a size limit, an IVF (approximate) index above it."""
from __future__ import annotations

import math

import numpy as np

# Where exact search stops being fast enough. One query against IndexFlatIP is one pass over every vector. Measured
# single-query p50 (k=100, one thread) on the shared 2-core machine, eval/scale_vectors.py: 0.9 ms at 10k vectors,
# 6 ms at 20k, 15 ms at 100k, 45 ms at 300k, 395 ms at 1M. Past ~20k the scan alone takes half of the 10 ms warm
# answer budget, so above EXACT_LIMIT passages the index is approximate; below it exact search is cheap and exact.
EXACT_LIMIT = 20_000

# IVF: the vectors are split into nlist Voronoi cells by k-means (spherical, since the vectors are unit length and
# scored by inner product) and a query scans the NPROBE cells nearest to it. nlist = 4 sqrt(n) is FAISS's usual rule
# (4,000 lists at 1M), capped so that k-means has TRAIN_PER_LIST points per list (FAISS warns under 39), drawn with a
# fixed seed so that a build is deterministic. Recall follows the share of cells scanned, and real embeddings need
# more of it than clustered synthetic ones: on 16,488 real MiniLM sentence vectors (412 lists) with 300 real
# questions, recall@10 against exact search was 0.934 at nprobe 16, 0.958 at 32, 0.982 at 64, 0.990 at 96; on 1M
# clustered synthetic vectors it was 0.997 already at 8. NPROBE 64 keeps real recall above 0.95 with margin and
# costs 2.5 ms p50 a query at 1M with one thread (eval/scale_vectors.py; README "Performance").
# HNSW (M=32, efConstruction 80) was measured too: recall@10 0.996 at efSearch 64 and 0.4 ms, but it built 710
# vectors/s (140 s for 100k) where IVF built 2,400/s at 1M, and a qa index is rebuilt whole.
LISTS_PER_SQRT = 4
TRAIN_PER_LIST = 40
NPROBE = 64
SEED = 0


def kind_for(n: int, exact_limit: int | None = None) -> str:
    """'flat' (exact) for up to `exact_limit` vectors (default EXACT_LIMIT), 'ivf' (approximate) above."""
    return "flat" if n <= (EXACT_LIMIT if exact_limit is None else exact_limit) else "ivf"


def ivf_lists(n: int) -> int:
    return max(1, min(n // TRAIN_PER_LIST, round(LISTS_PER_SQRT * math.sqrt(n))))


def build_vector_index(vectors: np.ndarray, exact_limit: int | None = None, nprobe: int | None = None):
    """A FAISS inner-product index holding `vectors` (L2-normalised float32 rows), row i = id i.

    Args:
        vectors: (n, d) float32, normalised, so inner product is cosine similarity.
        exact_limit: up to this many rows the index is exact (IndexFlatIP), above it IVF; default EXACT_LIMIT.
        nprobe: cells an IVF index scans per query, default NPROBE (saved with the index by faiss.write_index).
    """
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, d = vectors.shape
    if kind_for(n, exact_limit) == "flat":
        index = faiss.IndexFlatIP(d)
        index.add(vectors)
        return index
    lists = ivf_lists(n)
    quantizer = faiss.IndexFlatIP(d)
    index = faiss.IndexIVFFlat(quantizer, d, lists, faiss.METRIC_INNER_PRODUCT)
    index.cp.spherical = True  # centroids renormalised each step: cells of the unit sphere, as the vectors are
    index.cp.seed = SEED
    sample = min(n, lists * TRAIN_PER_LIST)
    rows = np.sort(np.random.default_rng(SEED).choice(n, size=sample, replace=False)) if sample < n else slice(None)
    index.train(vectors[rows])
    index.add(vectors)
    index.nprobe = min(NPROBE if nprobe is None else nprobe, lists)
    return index


def describe(index) -> dict:
    """What kind of vector index this is, for the manifest: {'type': 'flat'} or IVF's lists and probes."""
    import faiss

    ivf = faiss.try_extract_index_ivf(index) if not isinstance(index, faiss.IndexFlat) else None
    if ivf is None:
        return {"type": "flat", "vectors": int(index.ntotal)}
    return {"type": "ivf", "vectors": int(index.ntotal), "lists": int(ivf.nlist), "nprobe": int(ivf.nprobe)}


def stored_vectors(index) -> np.ndarray:
    """Every vector a FAISS index built here holds, row i = id i, as (ntotal, d) float32: what an incremental
    build reuses. Flat indexes hold them as given; an IVF index is given a direct map to read them back."""
    import faiss

    if not isinstance(index, faiss.IndexFlat):
        faiss.extract_index_ivf(index).make_direct_map()
    return index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d), dtype=np.float32)
