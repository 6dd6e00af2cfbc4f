"""qa on a corpus far larger than the speech: the contexts of the three public sets, indexed and queried.

Usage: python eval/scale_corpus.py ../shared/datasets [--questions 300] [--rounds 3]

Writes every context of xquad-en, covidqa and squad2-dev-small as one .txt document into a temporary corpus
(nothing is copied into the repository), builds the index with `qa index` in a fresh process (build time,
passages per second, peak memory, size on disk), then times warm ask and search on questions drawn evenly from
the three sets (eval/bench_warm.py), and reports the memory the loaded index takes per passage.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # measure the checked-out qa, not an installed one
sys.path.insert(0, str(REPO / "eval"))

from bench import ENV, latency  # noqa: E402
from measure import last_json, percentile, run_checked, write_result  # noqa: E402

SETS = {"xquad": "xquad-en/xquad.en.json", "covidqa": "covidqa/covidqa-2020-04-23.json",
        "squad2": "squad2-dev-small/squad2-dev-small.json"}


def build_corpus(datasets: Path, corpus: Path) -> dict[str, list[str]]:
    """Write each set's contexts under corpus/<set>/ and return each set's questions, in file order."""
    from qa.evaluation.datasets import load_squad

    questions = {}
    for name, rel in SETS.items():
        path = datasets / rel
        if not path.is_file():
            raise SystemExit(f"scale: error: {path} not found (give the folder that holds {', '.join(SETS.values())})")
        _, qs = load_squad(path, corpus / name)
        questions[name] = [q.question for q in qs]
    return questions


def spread(questions: dict[str, list[str]], n: int) -> list[str]:
    """n questions, a third from each set, taken at even steps through each file: deterministic and varied."""
    per = -(-n // len(questions))
    picked = []
    for qs in questions.values():
        step = max(1, len(qs) // per)
        picked += qs[::step][:per]
    return picked[:n]


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def real_vector_recall(vectors: np.ndarray, questions: list[str]) -> dict:
    """qa.index.vectors' IVF index over real MiniLM vectors, queried with real questions: recall@10 against exact search.

    The 1M-vector figures (eval/scale_vectors.py) are on synthetic vectors; this checks the same index type on
    the embeddings the product makes, forced to IVF whatever their number.
    """
    from qa.index.embed import Embedder
    from qa.index.vectors import build_vector_index, describe

    import faiss

    queries = Embedder().encode(questions)
    exact = build_vector_index(vectors, exact_limit=len(vectors))
    started = time.perf_counter()
    approx = build_vector_index(vectors, exact_limit=0)
    build = time.perf_counter() - started
    _, truth = exact.search(queries, 10)
    result = dict(describe(approx), build_seconds=round(build, 2), queries=len(questions), sweep=[])
    ivf = faiss.extract_index_ivf(approx)
    default = ivf.nprobe
    for nprobe in sorted({8, 16, 32, 64, 96, default}):
        ivf.nprobe = min(nprobe, ivf.nlist)
        _, found = approx.search(queries, 10)
        times = []
        for q in queries:
            t0 = time.perf_counter()
            approx.search(q[None, :], 10)
            times.append((time.perf_counter() - t0) * 1000)
        row = {"nprobe": nprobe, "recall_at_10": round(float(np.mean([len(set(f) & set(t)) / 10
                                                                     for f, t in zip(found, truth)])), 4),
               "p50_ms": round(percentile(times, 50), 3)}
        result["sweep"].append(row)
        if nprobe == default:
            result.update(recall_at_10=row["recall_at_10"], p50_ms=row["p50_ms"])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", help="the folder holding the public sets (../shared/datasets)")
    parser.add_argument("--questions", type=int, default=300, help="questions timed (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="warm rounds (default 3)")
    parser.add_argument("--json", default=str(REPO / "eval" / "results" / "scale_corpus.json"))
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        work = Path(tmp)
        questions = build_corpus(Path(args.datasets), work / "corpus")
        picked = spread(questions, args.questions)
        with open(work / "questions.jsonl", "w", encoding="utf-8") as f:
            for q in picked:
                f.write(json.dumps({"question": q}) + "\n")
        corpus_bytes = folder_bytes(work / "corpus")
        print(f"corpus: {sum(1 for _ in (work / 'corpus').rglob('*.txt'))} documents, {corpus_bytes:,} bytes; "
              f"building the index", file=sys.stderr)
        build = run_checked([sys.executable, "-m", "qa", "index", str(work / "corpus"), "--index", str(work / "index")],
                            "qa index", cwd=str(REPO), env=ENV)
        version = work / "index" / (work / "index" / "CURRENT").read_text(encoding="utf-8").strip()
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        disk = folder_bytes(version)
        # the sentence vectors: the largest set of real embeddings the build made
        real = real_vector_recall(np.load(version / "sentences.npy", allow_pickle=False), picked)
        print(f"IVF on {real['vectors']:,} real sentence vectors: {real}", file=sys.stderr)
        print(f"built in {build.seconds:.1f} s; timing {len(picked)} questions x {args.rounds} rounds",
              file=sys.stderr)
        rounds = []
        for r in range(args.rounds):
            done = run_checked([sys.executable, str(REPO / "eval" / "bench_warm.py"), "--index", str(work / "index"),
                                "--questions", str(work / "questions.jsonl")], "qa's warm run", cwd=str(REPO), env=ENV)
            rounds.append(last_json(done.stdout))
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    passages = manifest["passages"]
    index_mib = sorted(w["rss_index_mib"] - w["rss_model_mib"] for w in rounds)[len(rounds) // 2]
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
        "load_after": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "command": "python eval/scale_corpus.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "sets": {name: len(qs) for name, qs in questions.items()},
        "documents": manifest["documents"], "passages": passages, "sentences": manifest["sentences"],
        "corpus_bytes": corpus_bytes, "vectors": manifest.get("vectors"),
        "build_seconds": round(build.seconds, 1), "build_passages_per_s": round(passages / build.seconds, 1),
        "build_peak_mib": round(build.peak_mib, 1),
        "index_disk_mib": round(disk / 2**20, 1), "index_disk_bytes_per_passage": round(disk / passages),
        "index_memory_mib": round(index_mib, 1), "index_memory_kib_per_passage": round(index_mib * 1024 / passages, 2),
        "warm_peak_mib": sorted(w["peak_mib"] for w in rounds)[len(rounds) // 2],
        "questions": len(picked), "ask": latency([w["ask_ms"][0] for w in rounds]),
        "search": latency([w["search_ms"][0] for w in rounds]),
        "ivf_on_real_sentence_vectors": real,
    }
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
