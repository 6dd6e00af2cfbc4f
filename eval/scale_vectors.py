"""The index layer alone at scale: exact vs qa.index.vectors' approximate FAISS index on synthetic clustered vectors.

Usage: python eval/scale_vectors.py [--n 1000000] [--json eval/results/scale_vectors.json]

Synthetic data: a two-level Gaussian mixture on the unit sphere (TOPICS random topics, SUBTOPICS subtopic centres
scattered around them, points scattered around the subtopics), so neighbourhoods overlap and nest as text
embeddings do rather than sitting in clean separate balls; queries are fresh draws from the same mixture.
Uniform random vectors would have no neighbourhoods at all, which makes recall meaningless. Measures: exact single-query latency at growing sizes (where exact search stops being fast enough),
the approximate index's build time and memory, its single-query p50 and recall@10 against exact search for a
sweep of nprobe, and the nprobe qa uses.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # measure the checked-out qa, not an installed one
sys.path.insert(0, str(REPO / "eval"))

from measure import median, percentile, rss_mib, write_result  # noqa: E402
from qa.index import vectors  # noqa: E402

DIM = 384  # all-MiniLM-L6-v2
TOPICS = 100
SUBTOPICS = 10_000
SPREAD = 0.8  # sd of a subtopic around its topic, per dimension, times 1/sqrt(DIM)
NOISE = 1.0  # sd of a point around its subtopic, likewise
SEED = 7


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def centres_of(rng: np.random.Generator) -> np.ndarray:
    """SUBTOPICS unit centres, each scattered around one of TOPICS random unit topics."""
    topics = unit(rng.standard_normal((TOPICS, DIM), dtype=np.float32))
    around = topics[rng.integers(0, TOPICS, SUBTOPICS)]
    return unit(around + (SPREAD / np.sqrt(DIM)) * rng.standard_normal((SUBTOPICS, DIM), dtype=np.float32))


def clustered(n: int, centres: np.ndarray, rng: np.random.Generator, chunk: int = 100_000) -> np.ndarray:
    """n unit vectors around randomly picked centres, generated in chunks to keep the peak memory at one copy."""
    out = np.empty((n, centres.shape[1]), dtype=np.float32)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        x = centres[rng.integers(0, len(centres), m)]
        x += (NOISE / np.sqrt(DIM)) * rng.standard_normal((m, DIM), dtype=np.float32)
        out[start:start + m] = unit(x)
    return out


def single_query_ms(index, queries: np.ndarray, k: int) -> list[float]:
    """Milliseconds per query, one query at a time, as the product searches."""
    times = []
    for q in queries:
        started = time.perf_counter()
        index.search(q[None, :], k)
        times.append((time.perf_counter() - started) * 1000)
    return times


def recall_at(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    return float(np.mean([len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth)]))


def main(argv: list[str] | None = None) -> int:
    import faiss

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="vectors in the large index (default 1,000,000)")
    parser.add_argument("--queries", type=int, default=1000, help="queries for recall (default 1000)")
    parser.add_argument("--timed", type=int, default=200, help="queries timed one at a time (default 200)")
    parser.add_argument("--nprobe", type=int, nargs="+", default=[8, 16, 32, 64, 128])
    parser.add_argument("--exact-sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000, 300_000, 1_000_000])
    parser.add_argument("--hnsw-at", type=int, default=0,
                        help="also build an HNSW (M=32) index over this many vectors, for comparison (slow)")
    parser.add_argument("--json", default=str(REPO / "eval" / "results" / "scale_vectors.json"))
    args = parser.parse_args(argv)

    rng = np.random.default_rng(SEED)
    centres = centres_of(rng)
    t0 = time.perf_counter()
    data = clustered(args.n, centres, rng)
    queries = clustered(args.queries, centres, rng)
    print(f"generated {args.n:,} vectors in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    result: dict = {"n": args.n, "dim": DIM, "data": f"two-level Gaussian mixture on the unit sphere: {TOPICS} topics, "
                                                      f"{SUBTOPICS} subtopics (sd {SPREAD}/sqrt(d)), points (sd "
                                                      f"{NOISE}/sqrt(d)), seed {SEED}",
                    "faiss": faiss.__version__, "omp_threads": faiss.omp_get_max_threads(),
                    "qa_exact_limit": vectors.EXACT_LIMIT, "qa_nprobe": vectors.NPROBE}

    # Exact search cost against size: what justifies vectors.EXACT_LIMIT.
    exact = []
    for size in sorted(s for s in args.exact_sizes if s <= args.n):
        flat = faiss.IndexFlatIP(DIM)
        flat.add(data[:size])
        row = {"vectors": size}
        timed = queries[:max(20, args.timed // (1 + size // 100_000))]
        threads = faiss.omp_get_max_threads()
        for k in (10, 100):
            row[f"p50_ms_k{k}"] = round(median(single_query_ms(flat, timed, k)), 3)
        # faiss spreads one query's scan over its OpenMP threads; on a busy shared machine their barriers cost
        # more than they save, so the single-thread figure is reported too
        faiss.omp_set_num_threads(1)
        row["p50_ms_k100_1thread"] = round(median(single_query_ms(flat, timed, 100)), 3)
        faiss.omp_set_num_threads(threads)
        exact.append(row)
        print(f"exact {size:,}: {row}", file=sys.stderr)
    result["exact"] = exact

    flat = faiss.IndexFlatIP(DIM)
    flat.add(data)
    t0 = time.perf_counter()
    _, truth = flat.search(queries, 10)
    result["ground_truth_seconds"] = round(time.perf_counter() - t0, 2)
    del flat

    before = rss_mib()
    t0 = time.perf_counter()
    approx = vectors.build_vector_index(data, exact_limit=0)  # force the approximate kind at any size
    build = time.perf_counter() - t0
    result["approx"] = dict(vectors.describe(approx), build_seconds=round(build, 2),
                            build_vectors_per_second=round(args.n / build),
                            memory_mib=round(rss_mib() - before, 1),
                            bytes_per_vector=round(faiss.serialize_index(approx).nbytes / args.n, 1)
                            if args.n <= 2_000_000 else None)
    print(f"approx build: {result['approx']}", file=sys.stderr)
    ivf = faiss.extract_index_ivf(approx)
    sweep = []
    for nprobe in sorted(set(args.nprobe) | {vectors.NPROBE}):
        ivf.nprobe = nprobe
        _, found = approx.search(queries, 10)
        times10 = single_query_ms(approx, queries[:args.timed], 10)
        times100 = single_query_ms(approx, queries[:args.timed], 100)
        row = {"nprobe": nprobe, "recall_at_10": round(recall_at(found, truth, 10), 4),
               "p50_ms_k10": round(median(times10), 3), "p95_ms_k10": round(percentile(times10, 95), 3),
               "p50_ms_k100": round(median(times100), 3)}
        sweep.append(row)
        print(f"nprobe {nprobe}: {row}", file=sys.stderr)
    result["sweep"] = sweep

    if args.hnsw_at:
        size = min(args.hnsw_at, args.n)
        sub = faiss.IndexFlatIP(DIM)
        sub.add(data[:size])
        _, sub_truth = sub.search(queries, 10)
        t0 = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        hnsw.add(data[:size])
        row = {"vectors": size, "M": 32, "efConstruction": 80, "build_seconds": round(time.perf_counter() - t0, 2)}
        for ef in (32, 64, 128):
            hnsw.hnsw.efSearch = ef
            _, found = hnsw.search(queries, 10)
            row[f"ef{ef}"] = {"recall_at_10": round(recall_at(found, sub_truth, 10), 4),
                              "p50_ms_k10": round(median(single_query_ms(hnsw, queries[:args.timed], 10)), 3)}
        result["hnsw"] = row
        print(f"hnsw: {row}", file=sys.stderr)

    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
