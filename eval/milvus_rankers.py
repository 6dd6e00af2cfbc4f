"""Hybrid fusion on the Milvus store, compared on one question set: qa's z-score mix against the server's rankers.

Usage: python eval/milvus_rankers.py QUESTIONS [--skip-titles-of FILE] [--json eval/results/milvus_rankers.json]

For XQuAD's 32 articles the answer model never saw (as docs/evaluation.md runs it):
    python eval/milvus_rankers.py DATASETS/xquad-en/xquad.en.json \
        --skip-titles-of DATASETS/squad2-dev-half/squad2-dev-half.json

The corpus is indexed once and written once to a Milvus Lite file; each system then asks every question through the
same collection: the local index (FAISS + bm25s), the store with qa's z-score mix over the server's two score lists
(qa's BM25 weights, or Milvus's own BM25 function), and the server's hybrid_search with RRFRanker(60) or an
equal-weight WeightedRanker. Recall is of the passage holding the gold answer (10 ranked), quote hit is the
assistant's answer with the shipped answer model, as `qa eval` scores them.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # measure the checked-out qa, not an installed one

SYSTEMS = {  # name -> the --store options (None: the local index)
    "local (FAISS + bm25s, z-score)": None,
    "Milvus, z-score mix, qa BM25": "",
    "Milvus, z-score mix, Milvus BM25": "?bm25=milvus",
    "Milvus, RRF ranker, Milvus BM25": "?ranker=rrf&bm25=milvus",
    "Milvus, weighted ranker, Milvus BM25": "?ranker=weighted&bm25=milvus",
    "Milvus, RRF ranker, qa BM25": "?ranker=rrf",
    "Milvus, weighted ranker, qa BM25": "?ranker=weighted",
}


def main(argv: list[str] | None = None) -> int:
    """Long because it is one measured sequence: load, index and store once, then every system over every question."""
    from qa.answer.assistant import Assistant
    from qa.evaluation.datasets import load_eval_set, squad_titles
    from qa.evaluation.metrics import aggregate, score_answer, score_retrieval
    from qa.evaluation.run import _relevant_count, _spans, _units
    from qa.index.build import build_index
    from qa.index.milvus_search import open_store
    from qa.index.milvus_store import write_store
    from qa.retrieve.retriever import Retriever

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions")
    parser.add_argument("--skip-titles-of", action="append", default=[])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--json", default=str(REPO / "eval" / "results" / "milvus_rankers.json"))
    args = parser.parse_args(argv)
    out: dict = {"questions_file": Path(args.questions).name, "k": args.k, "systems": {}}
    with tempfile.TemporaryDirectory(prefix="qa-rankers-") as tmp:
        skip = frozenset().union(*(squad_titles(f) for f in args.skip_titles_of))
        evalset = load_eval_set(args.questions, None, Path(tmp), skip)
        started = time.perf_counter()
        index = build_index(evalset.corpus_dir)
        out["index"] = {"passages": len(index.passages), "sentences": len(index.sentences),
                        "build_seconds": round(time.perf_counter() - started, 1)}
        db = Path(tmp) / "store.db"
        out["index"]["store_write_seconds"] = round(write_store(index, str(db)), 1)
        local_vectors, units, local = index.sentence_vectors, _units(index.passages), []
        for name, options in SYSTEMS.items():
            index.sentence_vectors = local_vectors
            store = open_store(f"{db}{options}", index) if options is not None else None
            retriever = Retriever(index, store=store)
            assistant = Assistant(retriever)
            rows, seen, started = [], [], time.perf_counter()
            for q in evalset.questions:
                passages = [h.to_dict() for h in retriever.search(q.question, k=args.k)]
                answer = assistant.ask(q.question).to_dict()
                seen.append(([p["id"] for p in passages], answer["quote"], answer["answer"]))
                rows.append({"answerable": q.answerable,
                             **score_retrieval(q, _spans(passages), _relevant_count(q, units)),
                             **score_answer(q, answer, evalset.sources)})
            summary = aggregate(rows)
            out["systems"][name] = {key: summary.get(key) for key in
                                    ("questions", "recall@1", "recall@5", "recall@10", "doc_recall@1", "mrr", "doc_mrr",
                                     "quote_hit", "exact_match", "f1")}
            out["systems"][name]["seconds"] = round(time.perf_counter() - started, 1)
            local = local if options is not None else seen  # the local index runs first
            out["systems"][name]["same_passages_as_local"] = round(
                sum(a[0] == b[0] for a, b in zip(seen, local)) / len(seen), 4)
            out["systems"][name]["same_answer_as_local"] = round(
                sum(a[1:] == b[1:] for a, b in zip(seen, local)) / len(seen), 4)
            print(f"{name}: {out['systems'][name]}", file=sys.stderr, flush=True)
            if store is not None:
                store.close()
            Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
