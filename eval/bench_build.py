"""Index build times (issue 14, point 3): first-ever build, warm-cache speech build, 400 documents full and incremental.

Usage: python eval/bench_build.py [--datasets ../shared/datasets] [--runs 3] [--large-runs 3]

Every build is a fresh `qa index` process, timed from spawn to exit with its own peak memory (eval/measure.py):
(a) the speech with an empty export cache (includes importing torch and exporting the model to ONNX); (b) the
speech from scratch with the cache warm; (c) a 400-document corpus from scratch (the 240 XQuAD-en contexts and the
first 160 of SQuAD 2.0 dev-half, one .txt each, written to a temporary folder); (d) that index rebuilt after one of
its files changed (`qa index` over the existing index reuses the 399 others). Medians of the runs; writes
eval/results/build.json and eval/results/build.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "eval"))

from measure import median, run_checked, write_result  # noqa: E402

ENV = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", HF_HUB_DISABLE_PROGRESS_BARS="1",
           PYTHONPATH=str(REPO))
SOURCES = (("xquad-en/xquad.en.json", 240), ("squad2-dev-half/squad2-dev-half.json", 160))
TARGETS = {"speech_warm": "≤ 5 s", "incremental_400": "≤ 10% of the full build"}


def write_large_corpus(datasets: Path, folder: Path) -> int:
    """One .txt document per context of SOURCES, in file order; returns how many."""
    folder.mkdir(parents=True)
    n = 0
    for rel, count in SOURCES:
        data = json.loads((datasets / rel).read_text(encoding="utf-8"))
        contexts = [p["context"] for a in data["data"] for p in a["paragraphs"]][:count]
        for text in contexts:
            (folder / f"doc-{n:03d}.txt").write_text(text + "\n", encoding="utf-8")
            n += 1
    return n


def qa_index(corpus: Path, index: Path, cache: Path, what: str):
    return run_checked([sys.executable, "-m", "qa", "index", str(corpus), "--index", str(index)], what,
                       cwd=str(REPO), env=dict(ENV, QA_CACHE_DIR=str(cache)))


def summary(runs) -> dict:
    return {"seconds": [round(r.seconds, 2) for r in runs], "median_s": round(median([r.seconds for r in runs]), 2),
            "peak_mib": round(max(r.peak_mib for r in runs), 1), "stderr": runs[-1].stderr.strip()[-200:]}


def measure(args, work: Path) -> dict:
    """Long because the four figures are four short loops over fresh processes, kept together in run order."""
    speech, warm = REPO / "corpus", work / "cache-warm"
    out: dict = {}
    print("(a) first-ever build, empty cache", file=sys.stderr)
    out["first_ever"] = summary([qa_index(speech, work / f"a{i}", work / f"cache-empty-{i}", "first-ever build")
                                 for i in range(args.runs)])
    qa_index(speech, work / "warmup", warm, "warm-up build")  # fills the warm cache
    print("(b) speech from scratch, warm cache", file=sys.stderr)
    out["speech_warm"] = summary([qa_index(speech, work / f"b{i}", warm, "warm speech build")
                                  for i in range(args.runs)])
    large = work / "large"
    docs = write_large_corpus(Path(args.datasets), large)
    print(f"(c) {docs} documents from scratch", file=sys.stderr)
    full = [qa_index(large, work / f"c{i}", warm, "large full build") for i in range(args.large_runs)]
    out["full_400"] = summary(full)
    print("(d) one file changed, rebuilt incrementally", file=sys.stderr)
    incremental = []
    changed = large / "doc-123.txt"
    original = changed.read_text(encoding="utf-8")
    for i in range(args.runs):
        index = work / f"d{i}"
        shutil.copytree(work / "c0", index)
        changed.write_text(original + f"An added sentence, edit number {i}.\n", encoding="utf-8")
        incremental.append(qa_index(large, index, warm, "incremental build"))
    changed.write_text(original, encoding="utf-8")
    out["incremental_400"] = summary(incremental)
    out["incremental_400"]["share_of_full"] = round(out["incremental_400"]["median_s"] / out["full_400"]["median_s"], 3)
    manifest = json.loads(next((work / "c0").glob("v-*/manifest.json")).read_text(encoding="utf-8"))
    out["large_corpus"] = {"documents": docs, "passages": manifest["passages"], "sentences": manifest["sentences"],
                           "bytes": sum(p.stat().st_size for p in large.iterdir())}
    return out


def markdown(result: dict) -> str:
    rows = [("first-ever build of the speech (empty cache: torch, export, embed)", "first_ever"),
            ("the speech from scratch, warm cache", "speech_warm"),
            (f"{result['large_corpus']['documents']} documents from scratch, warm cache", "full_400"),
            ("the same, one file changed, rebuilt incrementally", "incremental_400")]
    lines = [f"Measured {result['date']} on {result['machine']} (load average before {result['load_before']}, "
             f"after {result['load_after']}); commit {result['commit']}.", "",
             "| build (fresh `qa index` process) | median (s) | runs (s) | peak memory (MiB) | target |",
             "| --- | ---: | --- | ---: | --- |"]
    for label, key in rows:
        r = result[key]
        target = TARGETS.get(key, "")
        if key == "incremental_400":
            target += f" (measured {r['share_of_full']:.1%})"
        lines.append(f"| {label} | {r['median_s']:.2f} | {', '.join(f'{s:.2f}' for s in r['seconds'])} | "
                     f"{r['peak_mib']:.0f} | {target} |")
    c = result["large_corpus"]
    lines += ["", f"The {c['documents']} documents: {c['bytes']:,} bytes, {c['passages']:,} passages, "
              f"{c['sentences']:,} sentences."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import time

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=str(REPO.parent / "shared" / "datasets"))
    parser.add_argument("--runs", type=int, default=3, help="runs of the speech and incremental figures")
    parser.add_argument("--large-runs", type=int, default=3, help="runs of the 400-document full build")
    parser.add_argument("--out", default=str(REPO / "eval" / "results" / "build.json"))
    args = parser.parse_args(argv)
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="qa-bench-build-") as tmp:
        result = measure(args, Path(tmp))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    result.update(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit=commit.stdout.strip(),
                  machine=f"{os.cpu_count()} CPUs", load_before=load_before,
                  load_after=" ".join(f"{x:.2f}" for x in os.getloadavg()))
    write_result(result, args.out)
    Path(args.out).with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
