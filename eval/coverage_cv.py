"""Does a confidence signal earn its place? Article folds on the 3 SQuAD 2.0 articles held out from the reader's
training (eval/preregistered.md, 2026-12-07T17:20Z): each fold fits the logistic and its threshold on two articles,
as `qa train` does, and scores the third; the pooled figures of the shipped signals and of those plus the two
coverage signals are compared. Usage: python eval/coverage_cv.py [--rows CACHE] [--out eval/results/coverage_cv.json]"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.answer.decide import FEATURES  # noqa: E402
from qa.evaluation.confidence import abstention_f1, confidence_auc, expected_calibration_error  # noqa: E402
from qa.train.calibration import as_rows, fit_calibration  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets"
SHIPPED = FEATURES[:7]  # the signals the shipped calibration uses (qa/answer/models/reader.json)
CANDIDATE = SHIPPED + ("passage_coverage", "quote_coverage")


def held_out_rows() -> list[dict]:
    """Every held-out question asked through the whole pipeline with the shipped reader, never abstaining."""
    from qa.answer.assistant import Assistant
    from qa.answer.reader import shipped, shipped_config
    from qa.evaluation.datasets import load_eval_set
    from qa.index.build import build_index
    from qa.index.embed import Embedder
    from qa.index.encoder import for_index
    from qa.retrieve.retriever import Retriever
    from qa.train.calibration import held_out_file, rows_for

    titles = set(shipped_config()["trained"]["held_out_articles"])
    scratch = Path(tempfile.mkdtemp(prefix="qa-coverage-"))
    evalset = load_eval_set(held_out_file([str(DATA / "squad2-dev-half" / "squad2-dev-half.json")], titles,
                                          scratch / "held-out.json"), None, scratch / "held-out")
    index = build_index(evalset.corpus_dir, embedder=Embedder(), progress=False)
    assistant = Assistant(Retriever(index, embedder=for_index(index)), reader=shipped())
    rows = rows_for(assistant, evalset.questions)
    for row, q in zip(rows, evalset.questions):
        row["article"] = q.doc
    return rows


def scored(rows: list[dict], features: tuple[str, ...], calibration: dict) -> np.ndarray:
    x = np.array([[r["signals"].get(f, 0.0) for f in features] for r in rows], dtype=float)
    z = x @ np.array(calibration["weights"]) + calibration["bias"]
    return 1.0 / (1.0 + np.exp(-z))


def folds(rows: list[dict], features: tuple[str, ...]) -> dict:
    """Pooled figures of fitting on all articles but one and scoring that one, for each article."""
    p, refused = np.zeros(len(rows)), np.zeros(len(rows), dtype=bool)
    for article in sorted({r["article"] for r in rows}):
        inside = np.array([r["article"] == article for r in rows])
        calibration, _ = fit_calibration([r for r, i in zip(rows, inside) if not i], features)
        p[inside] = scored([r for r, i in zip(rows, inside) if i], features, calibration)
        refused[inside] = p[inside] < calibration["threshold"]
    answerable = np.array([r["answerable"] for r in rows])
    right = np.array([r["right"] for r in rows])
    pooled = as_rows(p, right, answerable)
    return {"abstention_f1": round(abstention_f1(refused, answerable) or 0.0, 4),
            "false_abstain": round(float((refused & answerable).sum() / answerable.sum()), 4),
            "auc": round(confidence_auc(pooled), 4), "ece": round(expected_calibration_error(pooled), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=Path, help="cache of the held-out rows (JSON): read if there, else written")
    ap.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "coverage_cv.json")
    args = ap.parse_args()
    if args.rows and args.rows.is_file():
        rows = json.loads(args.rows.read_text(encoding="utf-8"))
    else:
        rows = held_out_rows()
        if args.rows:
            args.rows.write_text(json.dumps(rows), encoding="utf-8")
    result = {"questions": len(rows), "articles": sorted({r["article"] for r in rows}),
              "shipped_signals": folds(rows, SHIPPED), "with_coverage": folds(rows, CANDIDATE),
              "fitted_on_all_3": dict(zip(("calibration", "figures"), fit_calibration(rows, CANDIDATE)))}
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("shipped_signals", "with_coverage")}, indent=1))


if __name__ == "__main__":
    main()
