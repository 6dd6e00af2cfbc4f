"""Stage 4 of `qa train`: the confidence, fitted on whole articles held out from training.

The held-out articles are indexed and asked through the whole pipeline (retrieval, reader, citation), exactly as
`qa ask` runs; a row's label is whether the quote it would show holds a gold answer. A logistic model over the
signals (qa.answer.decide.FEATURES) is fitted unweighted, so it keeps the base rate and is a probability; the
threshold is the one with the best abstention F1 among those that refuse at most MAX_FALSE_ABSTAIN of the
answerable questions. The same is done for the reader switched off (the nearest sentence), for `--reader off`.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from ..evaluation.confidence import abstention_f1, confidence_auc, expected_calibration_error

MAX_FALSE_ABSTAIN = 0.05
OFF_FEATURES = ("sentence_cosine", "passage_cosine", "passage_rank")


def held_out_file(paths: list[str], titles: set[str], target: Path) -> Path:
    """The held-out articles of the training files as one SQuAD file."""
    data = []
    for path in paths:
        data += [a for a in json.loads(Path(path).read_text(encoding="utf-8"))["data"] if a.get("title") in titles]
    target.write_text(json.dumps({"version": "held-out", "data": data}), encoding="utf-8")
    return target


def indexed(path: Path, scratch: Path) -> tuple:
    """A SQuAD file's contexts indexed as one corpus (written under `scratch`), and its questions: (retriever,
    questions), for asking them through the whole pipeline."""
    from ..evaluation.datasets import load_eval_set
    from ..index.build import build_index
    from ..index.embed import Embedder
    from ..index.encoder import for_index
    from ..retrieve.retriever import Retriever

    evalset = load_eval_set(path, None, scratch)
    index = build_index(evalset.corpus_dir, embedder=Embedder(), progress=False)
    return Retriever(index, embedder=for_index(index)), evalset.questions


def rows_for(assistant, questions) -> list[dict]:
    """Signals and outcome of each question (and its article), never abstaining."""
    from ..evaluation.metrics import quote_hit, token_f1

    rows = []
    for q in questions:
        signals, answer = assistant.signals(q.question)
        right = bool(q.answerable and answer.quote and quote_hit(answer.quote, q.answers))
        rows.append({"signals": signals, "answerable": q.answerable, "right": right, "article": q.doc,
                     "f1": token_f1(answer.answer, q.answers) if q.answerable and right else None})
    return rows


def as_rows(p: np.ndarray, right: np.ndarray, answerable: np.ndarray) -> list[dict]:
    """Confidences and outcomes as qa eval's rows, so the held-out figures are computed as every set's are."""
    return [{"confidence": float(c), "answerable": bool(a), "quote_hit": bool(r)}
            for c, r, a in zip(p, right, answerable)]


def _abstention(p: np.ndarray, cut: float, answerable: np.ndarray) -> tuple[float, float]:
    """(abstention F1, false-abstain rate) when refusing below `cut`."""
    refused = p < cut
    return abstention_f1(refused, answerable) or 0.0, float((refused & answerable).sum() / max(answerable.sum(), 1))


def fit_calibration(rows: list[dict], features: tuple[str, ...]) -> tuple[dict, dict]:
    """The fitted calibration (features, weights, bias, threshold) and its figures on these rows."""
    from ..answer.decide import fit

    x = np.array([[r["signals"].get(f, 0.0) for f in features] for r in rows], dtype=float)
    y = np.array([float(r["right"]) for r in rows])
    answerable = np.array([r["answerable"] for r in rows])
    weights, bias = fit(x, y)
    p = 1.0 / (1.0 + np.exp(-(x @ weights + bias)))
    cuts = sorted(set(np.round(p, 4).tolist()) | {0.0})
    allowed = [(c, *_abstention(p, c, answerable)) for c in cuts]
    allowed = [a for a in allowed if a[2] <= MAX_FALSE_ABSTAIN] or [(0.0, 0.0, 0.0)]
    cut, f1, false = max(allowed, key=lambda a: (a[1], -a[0]))
    calibration = {"features": list(features), "weights": [round(float(w), 6) for w in weights],
                   "bias": round(bias, 6), "threshold": round(float(cut), 4)}
    scored = as_rows(p, y, answerable)
    auc = confidence_auc(scored)
    shown = answerable & (p >= cut)
    f1s = [r["f1"] for r, s in zip(rows, shown) if s and r["f1"] is not None]
    figures = {"questions": len(rows), "answerable": int(answerable.sum()),
               "quote_hit_answerable": round(float(y[answerable].mean()), 4) if answerable.any() else None,
               "short_answer_f1_right_quotes": round(float(np.mean(f1s)), 4) if f1s else None,
               "abstention_f1": round(f1, 4), "false_abstain": round(false, 4),
               "auc": None if auc is None else round(auc, 4), "ece": round(expected_calibration_error(scored), 4)}
    return calibration, figures


def calibrate(model_dir: Path, paths: list[str], titles: set[str], out: Path) -> tuple[dict, dict, dict]:
    """(calibration with the reader, calibration without it, held-out figures of both)."""
    from ..answer.assistant import Assistant
    from ..answer.decide import FEATURES
    from ..answer.reader import Reader

    if not titles:
        raise SystemExit("qa train: no held-out articles to calibrate on (give --calibrate-on FILE)")
    retriever, questions = indexed(held_out_file(paths, titles, out / "held-out.json"), out / "held-out")
    print(f"qa train: calibrating on {len(questions)} held-out questions", file=sys.stderr, flush=True)
    on, on_figures = fit_calibration(rows_for(Assistant(retriever, reader=Reader(model_dir)), questions), FEATURES)
    off, off_figures = fit_calibration(rows_for(Assistant(retriever, reader=None), questions), OFF_FEATURES)
    print(f"qa train: held out, reader on: {on_figures}\nqa train: held out, reader off: {off_figures}",
          file=sys.stderr, flush=True)
    return on, off, {"reader": on_figures, "no_reader": off_figures}
