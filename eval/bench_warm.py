"""qa's warm latency, run in a subprocess: load an index once, then time ask and search per question.

Usage: python eval/bench_warm.py --index DIR --questions FILE.jsonl [--rounds 1] [--warmup 5]

Prints one JSON object: per-question milliseconds for `Assistant.ask` (question in, Answer with its citation out)
and for `Retriever.search` (k=5, retrieval alone, what the peers do), through the index's ONNX question encoder as
`qa ask` uses it; the load times, and the resident memory before the index is loaded, after it, and at the end
(peak).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # measure the checked-out qa, not an installed one
sys.path.insert(0, str(REPO / "eval"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from measure import peak_rss_mib, rss_mib  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--questions", required=True, help="JSONL with a 'question' field per line")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--no-ask", action="store_true", help="time search only")
    args = parser.parse_args(argv)

    from qa.answer.assistant import Assistant
    from qa.index.encoder import for_index
    from qa.index.store import load_index
    from qa.retrieve.retriever import Retriever

    with open(args.questions, encoding="utf-8") as f:
        questions = [json.loads(line)["question"] for line in f if line.strip()]
    before = rss_mib()  # the interpreter and qa's modules: what the index adds is measured from here
    t0 = time.perf_counter()
    index = load_index(args.index)
    index_seconds = time.perf_counter() - t0
    after = rss_mib()
    # the product's own query path: the index's ONNX export of the model, as Assistant.load uses (no torch)
    t0 = time.perf_counter()
    embedder = for_index(index)
    model_seconds = time.perf_counter() - t0
    assistant = Assistant(Retriever(index, embedder))
    for q in questions[:args.warmup]:
        assistant.ask(q) if not args.no_ask else assistant.retriever.search(q, k=5)

    ask_ms, search_ms = [], []
    for _ in range(args.rounds):
        if not args.no_ask:
            row = []
            for q in questions:
                started = time.perf_counter()
                assistant.ask(q)
                row.append((time.perf_counter() - started) * 1000)
            ask_ms.append(row)
        row = []
        for q in questions:
            started = time.perf_counter()
            assistant.retriever.search(q, k=5)
            row.append((time.perf_counter() - started) * 1000)
        search_ms.append(row)
    print(json.dumps({"questions": len(questions), "passages": len(index.passages), "sentences": len(index.sentences),
                      "vectors": index.manifest.get("vectors"), "model_load_seconds": round(model_seconds, 3),
                      "index_load_seconds": round(index_seconds, 3), "rss_model_mib": round(before, 1),
                      "rss_index_mib": round(after, 1), "peak_mib": round(peak_rss_mib(), 1),
                      "ask_ms": ask_ms, "search_ms": search_ms}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
