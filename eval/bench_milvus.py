"""Milvus Lite beside qa's FAISS IVF on synthetic clustered vectors: build, single-query latency, recall@10, memory.

Usage: OMP_NUM_THREADS=1 python eval/bench_milvus.py [--sizes 100000 1000000] [--json eval/results/milvus_bench.json]

The vectors are eval/scale_vectors.py's two-level Gaussian mixture on the unit sphere (same seed), so the FAISS
figures line up with docs/performance.md. Each stage (one store at one size) runs in a fresh child process, so its
peak memory is its own, and its result is written to the JSON file as soon as it completes: a run that is cut off
resumes where it stopped (completed stages are skipped; `--redo` runs them again). Recall@10 is against exact
search (faiss IndexFlatIP) over the same vectors, for the same 1,000 queries; latency is one query at a time, k=10.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # measure the checked-out qa, not an installed one
sys.path.insert(0, str(REPO / "eval"))

from measure import median, percentile, rss_mib, write_result  # noqa: E402
from scale_vectors import DIM, SEED, centres_of, clustered, recall_at  # noqa: E402

STORES = ("faiss-ivf", "milvus-lite")
MILVUS_NLIST = 1024  # per segment: Milvus Lite builds one FAISS index per immutable segment (~80k vectors here)
MILVUS_NPROBE = 32
BATCH = 5_000


def data_for(n: int, queries: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The n vectors, the queries, and their exact top-10 (IndexFlatIP)."""
    import faiss

    rng = np.random.default_rng(SEED)
    centres = centres_of(rng)
    data = clustered(n, centres, rng)
    qs = clustered(queries, centres, rng)
    flat = faiss.IndexFlatIP(DIM)
    flat.add(data)
    _, truth = flat.search(qs, 10)
    return data, qs, truth


def timed(search, queries: np.ndarray) -> list[float]:
    out = []
    for q in queries:
        started = time.perf_counter()
        search(q)
        out.append((time.perf_counter() - started) * 1000)
    return out


def faiss_stage(data, queries, truth) -> dict:
    from qa.index import vectors

    before = rss_mib()
    t0 = time.perf_counter()
    index = vectors.build_vector_index(data, exact_limit=0)  # qa's IVF, as a qa index past EXACT_LIMIT builds it
    build = time.perf_counter() - t0
    memory = rss_mib() - before
    _, found = index.search(queries, 10)
    ms = timed(lambda q: index.search(q[None, :], 10), queries)
    return dict(vectors.describe(index), build_seconds=round(build, 1), memory_mib=round(memory, 1),
                recall_at_10=round(recall_at(found, truth, 10), 4), p50_ms=round(median(ms), 3),
                p95_ms=round(percentile(ms, 95), 3))


def milvus_stage(data, queries, truth, folder: Path) -> dict:
    """Long because it is one measured sequence: start, insert, index, load, then recall and latency."""
    from pymilvus import DataType, MilvusClient

    shutil.rmtree(folder, ignore_errors=True)
    before = rss_mib()
    t0 = time.perf_counter()
    client = MilvusClient(str(folder))
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
    client.create_collection("bench", schema=schema)
    for start in range(0, len(data), BATCH):
        rows = data[start:start + BATCH]
        client.insert("bench", [{"id": start + i, "vector": v} for i, v in enumerate(rows)])
    inserted = time.perf_counter() - t0
    client.flush("bench")
    params = client.prepare_index_params()
    params.add_index(field_name="vector", index_type="IVF_FLAT", metric_type="IP", params={"nlist": MILVUS_NLIST})
    client.create_index("bench", params)
    client.load_collection("bench")
    build = time.perf_counter() - t0
    memory = rss_mib() - before
    search = {"metric_type": "IP", "params": {"nprobe": MILVUS_NPROBE}}

    def one(q):
        return client.search("bench", data=[q.tolist()], anns_field="vector", limit=10, search_params=search,
                             output_fields=["id"])

    found = np.array([[hit["id"] for hit in one(q)[0]] + [-1] * 10 for q in queries])[:, :10]
    ms = timed(one, queries)
    client.close()
    disk = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {"index": "IVF_FLAT", "nlist_per_segment": MILVUS_NLIST, "nprobe": MILVUS_NPROBE,
            "insert_seconds": round(inserted, 1), "build_seconds": round(build, 1), "memory_mib": round(memory, 1),
            "disk_mib": round(disk / 2**20, 1), "recall_at_10": round(recall_at(found, truth, 10), 4),
            "p50_ms": round(median(ms), 3), "p95_ms": round(percentile(ms, 95), 3)}


def run_stage(store: str, n: int, queries: int, work: Path) -> dict:
    started = time.perf_counter()
    data, qs, truth = data_for(n, queries)
    base = rss_mib()
    row = faiss_stage(data, qs, truth) if store == "faiss-ivf" else milvus_stage(data, qs, truth, work / f"m{n}.db")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(row, store=store, vectors=n, rss_after_data_mib=round(base, 1), peak_rss_mib=round(peak, 1),
                stage_seconds=round(time.perf_counter() - started, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--stores", nargs="+", choices=STORES, default=list(STORES))
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--json", default=str(REPO / "eval" / "results" / "milvus_bench.json"))
    parser.add_argument("--work", default=str(REPO / "eval" / "out" / "milvus_bench"))
    parser.add_argument("--redo", action="store_true", help="run completed stages again")
    parser.add_argument("--stage", nargs=2, metavar=("STORE", "N"), help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.stage:
        print(json.dumps(run_stage(args.stage[0], int(args.stage[1]), args.queries, work)))
        return 0
    path = Path(args.json)
    result = json.loads(path.read_text()) if path.is_file() else {}
    result.setdefault("stages", {})
    result["setup"] = {"dim": DIM, "seed": SEED, "queries": args.queries, "k": 10,
                       "omp_threads": os.environ.get("OMP_NUM_THREADS", "default"),
                       "data": "eval/scale_vectors.py's two-level Gaussian mixture on the unit sphere"}
    for n in args.sizes:
        for store in args.stores:
            key = f"{store}@{n}"
            if key in result["stages"] and not args.redo:
                print(f"{key}: done already, skipped", file=sys.stderr)
                continue
            proc = subprocess.run([sys.executable, __file__, "--stage", store, str(n), "--queries",
                                   str(args.queries), "--work", str(work)], capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"{key} failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}", file=sys.stderr)
                continue
            result["stages"][key] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{key}: {result['stages'][key]}", file=sys.stderr)
            write_result(result, str(path))  # after every stage, so a cut-off run resumes here
    return 0


if __name__ == "__main__":
    sys.exit(main())
