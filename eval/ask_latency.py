"""Warm `Assistant.ask` latency over the curated questions: p50 and p95 end to end, the model already loaded.

    python eval/ask_latency.py --index index [--rounds 5] [--profile]

Each round asks every question once; the figures are over all rounds. Wall time is what a user waits; CPU
time (the process's, all threads) is what the code costs, and moves much less when other jobs share the
machine. Take the median of several runs; --profile prints where the time goes (cProfile, cumulative).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.answer.assistant import Assistant  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", default=str(ROOT / "index"))
    ap.add_argument("--questions", default=str(ROOT / "eval" / "questions.jsonl"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    questions = [json.loads(line)["question"] for line in Path(args.questions).read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    started = time.perf_counter()
    assistant = Assistant.load(args.index)
    assistant.ask(questions[0])  # the first call pays for lazy set-up; warm means after it
    load = time.perf_counter() - started
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    times, cpu = [], []
    for _ in range(args.rounds):
        for q in questions:
            t, c = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            assistant.ask(q)
            if profiler:
                profiler.disable()
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    times.sort()
    cpu.sort()
    print(f"{len(questions)} questions x {args.rounds} rounds: p50 {statistics.median(times):.1f} ms, "
          f"p95 {times[int(0.95 * (len(times) - 1))]:.1f} ms, mean {statistics.fmean(times):.1f} ms "
          f"(load and first answer {load:.2f} s); CPU p50 {statistics.median(cpu):.1f} ms, "
          f"p95 {cpu[int(0.95 * (len(cpu) - 1))]:.1f} ms")
    if profiler:
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
