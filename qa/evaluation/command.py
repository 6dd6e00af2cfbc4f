"""`qa eval`: the command line of the evaluation harness (qa.evaluation.run does the work)."""
from __future__ import annotations

import argparse
import sys

from ..errors import QAError
from ..retrieve.retriever import MODES
from .report import summary_table
from .run import DEFAULT_QUESTIONS, run_eval


def cli_eval(argv: list[str] | None = None) -> int:
    """`qa eval [QUESTIONS] [--corpus DIR] [--mode M|all] [--k K] [--json OUT] [--report OUT.md] [--per-doc]`."""
    ap = argparse.ArgumentParser(prog="qa eval", description="Score the assistant on a gold question set: "
                                 "retrieval, answers, abstention, citation faithfulness and latency.")
    ap.add_argument("questions", nargs="?", default=DEFAULT_QUESTIONS,
                    help=f"curated/generic .jsonl or SQuAD .json (default {DEFAULT_QUESTIONS})")
    ap.add_argument("--corpus", default=None, help="corpus folder for a .jsonl question file (default corpus/)")
    ap.add_argument("--mode", default="all", choices=[*MODES, "all"], help="retrieval mode to run (default all)")
    ap.add_argument("--k", type=int, default=10, help="passages ranked per question for recall/MRR/nDCG (default 10)")
    ap.add_argument("--answer-k", type=int, default=None, help="passages the assistant reads (default: its own)")
    ap.add_argument("--json", dest="json_out", metavar="OUT", help="write the summary JSON here, rows to OUT.rows.jsonl")
    ap.add_argument("--report", dest="report_out", metavar="OUT.md", help="write a markdown report and plots here")
    ap.add_argument("--per-doc", action="store_true", help="ask each question against its own document only")
    ap.add_argument("--no-baseline", action="store_true", help="skip the naive fixed-chunk baseline")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    ap.add_argument("--max-docs", type=int, default=None, metavar="N",
                    help="only the questions of the first N documents by name (a quicker, deterministic subset)")
    ap.add_argument("--no-ablation", action="store_true",
                    help="skip the ablation row (hybrid with the reader off)")
    ap.add_argument("--skip-titles-of", action="append", default=[], metavar="FILE",
                    help="leave out the articles of this SQuAD file (e.g. the reader's training data)")
    ap.add_argument("--store", default=None, metavar="URI",
                    help="ask through a Milvus store (milvus://host:port/collection or a Milvus Lite .db file), "
                         "written from each index the run builds; see docs/milvus.md")
    args = ap.parse_args(argv)
    try:
        summary = run_eval(args.questions, args.corpus, MODES if args.mode == "all" else (args.mode,), args.k,
                           args.json_out, args.report_out, not args.quiet, per_doc=args.per_doc,
                           baseline=not args.no_baseline, answer_k=args.answer_k, max_docs=args.max_docs,
                           ablation=False if args.no_ablation else None, skip_titles_of=args.skip_titles_of,
                           store=args.store)
    except QAError as err:
        print(f"qa: {err}", file=sys.stderr)
        return 1
    print(summary_table(summary))
    return 0
