"""Why one confidence cannot be calibrated for every corpus: the shipped reader's calibration refitted on data that
no reported figure uses, and each fit's ECE where the share of answerable questions differs.

Two held-out sources: the 3 `squad2-dev-half` articles the shipped confidence is fitted on (half unanswerable) and
SelQA's dev questions (github.com/emorynlp/selqa, Wikipedia sections, every question answerable; converted by
eval/selqa_to_squad.py). For each set of signals, a logistic is fitted on one source, the other, and both, and
its ECE, AUC and abstention F1 measured on each source. Writes eval/results/calibration_shift.json (about 8 minutes).

    python eval/calibration_shift.py [--datasets ../shared/datasets]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "eval"))

from selqa_to_squad import convert  # noqa: E402

from qa.answer.decide import FEATURES, confidence  # noqa: E402
from qa.answer.reader import MODEL_DIR, Reader  # noqa: E402
from qa.evaluation.confidence import confidence_auc, expected_calibration_error  # noqa: E402
from qa.train.calibration import as_rows, fit_calibration, held_out_file, indexed, rows_for  # noqa: E402

SIGNAL_SETS = {"all signals (shipped)": FEATURES,
               "reader's own": ("margin", "probability", "runner_up", "agreement")}


def held_out_sources(data: Path, tmp: Path) -> dict[str, Path]:
    """The two sources no reported figure uses, as SQuAD files in `tmp`: the shipped confidence's held-out
    `squad2-dev-half` articles, and SelQA dev."""
    titles = set(json.loads((MODEL_DIR / "reader.json").read_text())["trained"]["held_out_articles"])
    squad = held_out_file([str(data / "squad2-dev-half" / "squad2-dev-half.json")], titles, tmp / "squad2.json")
    selqa = tmp / "selqa.json"
    selqa.write_text(json.dumps(convert(json.loads((data / "selqa" / "selqa-ass-dev.json").read_text()))))
    return {"squad2 held-out articles": squad, "selqa dev": selqa}


def each_held_out_source(datasets: str, ask) -> dict:
    """`ask(squad_file, work_folder)` for each held-out source, by its name."""
    with tempfile.TemporaryDirectory() as tmp:
        files = held_out_sources(Path(datasets), Path(tmp))
        return {name: ask(path, Path(tmp) / f"corpus-{i}") for i, (name, path) in enumerate(files.items())}


def source_rows(squad_file: Path, work: Path) -> list[dict]:
    """Every question of a SQuAD file asked through the whole pipeline over its own corpus, never abstaining."""
    from qa.answer.assistant import Assistant

    retriever, questions = indexed(squad_file, work)
    return rows_for(Assistant(retriever, reader=Reader(MODEL_DIR)), questions)


def measured(calibration: dict, rows: list[dict]) -> dict:
    p = np.array([confidence(r["signals"], calibration) for r in rows])
    y = np.array([float(r["right"]) for r in rows])
    scored = as_rows(p, y, np.array([r["answerable"] for r in rows]))
    return {"right": round(float(y.mean()), 3), "mean_confidence": round(float(p.mean()), 3),
            "ece": round(expected_calibration_error(scored), 3), "auc": round(confidence_auc(scored) or 0.0, 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    ap.add_argument("--json", default=str(ROOT / "eval" / "results" / "calibration_shift.json"))
    args = ap.parse_args()
    sources = each_held_out_source(args.datasets, source_rows)
    report = {}
    for name, signals in SIGNAL_SETS.items():
        for fitted_on in (*sources, "both"):
            rows = sum(sources.values(), []) if fitted_on == "both" else sources[fitted_on]
            calibration, figures = fit_calibration(rows, signals)
            report[f"{name}, fitted on {fitted_on}"] = {
                "abstention_f1_on_fit": figures.get("abstention_f1"),
                **{f"on {s}": measured(calibration, r) for s, r in sources.items()}}
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for key, value in report.items():
        print(key, json.dumps(value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
