"""A reader judged on the 3 SQuAD 2.0 articles held out from its training (reader.json's `held_out_articles`): the
questions go through the whole pipeline (retrieval, reader, citation, never abstaining); quote hit as it is, and
abstention by folds that each fit the confidence and threshold on two articles, as `qa train` fits them, and score
the third. Also writes the calibration fitted on all three into a copy of the reader's config (`--write-config`),
for judging that reader elsewhere. `--also FILE`: every question of another SQuAD file (asked over its own
contexts) joins every fit and is never scored by the folds. Usage: python eval/calibration_folds.py [READER_DIR]
[--also FILE] [--out FILE.json] [--write-config FILE]"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.answer.decide import FEATURES, confidence  # noqa: E402
from qa.evaluation.confidence import abstention_f1, confidence_auc, expected_calibration_error  # noqa: E402
from qa.train.calibration import as_rows, fit_calibration  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets"
HELD_OUT_FROM = DATA / "squad2-dev-half" / "squad2-dev-half.json"


def rows_of(reader, path: Path) -> list[dict]:
    """Every question of a SQuAD file asked with `reader` over the file's own contexts, never abstaining."""
    from qa.answer.assistant import Assistant
    from qa.train.calibration import indexed, rows_for

    with tempfile.TemporaryDirectory(prefix="qa-folds-") as scratch:  # the index is not needed once asked
        retriever, questions = indexed(path, Path(scratch) / "corpus")
        return rows_for(Assistant(retriever, reader=reader), questions)


def held_out_rows(reader) -> list[dict]:
    """Every held-out question asked with `reader`, never abstaining, with its article."""
    from qa.train.calibration import held_out_file

    titles = set(reader.config["trained"]["held_out_articles"])
    with tempfile.TemporaryDirectory(prefix="qa-folds-") as scratch:
        return rows_of(reader, held_out_file([str(HELD_OUT_FROM)], titles, Path(scratch) / "held-out.json"))


def folds(rows: list[dict], features: tuple[str, ...] = FEATURES, also: list[dict] = ()) -> dict:
    """Pooled figures of fitting on every article but one (and all of `also`) and scoring that one, for each."""
    p, refused = np.zeros(len(rows)), np.zeros(len(rows), dtype=bool)
    for article in sorted({r["article"] for r in rows}):
        inside = np.array([r["article"] == article for r in rows])
        calibration, _ = fit_calibration([r for r, i in zip(rows, inside) if not i] + list(also), features)
        p[inside] = [confidence(r["signals"], calibration) for r, i in zip(rows, inside) if i]
        refused[inside] = p[inside] < calibration["threshold"]
    answerable = np.array([r["answerable"] for r in rows])
    right = np.array([r["right"] for r in rows])
    pooled = as_rows(p, right, answerable)
    return {"quote_hit_answerable": round(float(right[answerable].mean()), 4),
            "abstention_f1": round(abstention_f1(refused, answerable) or 0.0, 4),
            "false_abstain": round(float((refused & answerable).sum() / answerable.sum()), 4),
            "auc": round(confidence_auc(pooled), 4), "ece": round(expected_calibration_error(pooled), 4)}


def main() -> None:
    from qa.answer.reader import MODEL_DIR, Reader

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reader", nargs="?", type=Path, default=MODEL_DIR,
                    help="a reader folder (default: the shipped one)")
    ap.add_argument("--also", type=Path, help="a SQuAD file whose every question joins every fit, never scored")
    ap.add_argument("--out", type=Path, help="write the figures here (JSON)")
    ap.add_argument("--write-config", type=Path, help="the reader's config with the calibration fitted on all three")
    args = ap.parse_args()
    reader = Reader(args.reader)
    rows = held_out_rows(reader)
    also = rows_of(reader, args.also) if args.also else []
    calibration, figures = fit_calibration(rows + also, FEATURES)
    result = {"reader": str(args.reader), "max_tokens": reader.max_tokens, "questions": len(rows),
              "articles": sorted({r["article"] for r in rows}), "also": str(args.also or ""),
              "also_questions": len(also), "folds": folds(rows, also=also),
              "fitted_on_all": {"calibration": calibration, "figures": figures}}
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.write_config:
        args.write_config.write_text(json.dumps(dict(reader.config, calibration=calibration), indent=1) + "\n",
                                     encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("reader", "max_tokens", "also_questions", "folds")}, indent=1))


if __name__ == "__main__":
    main()
