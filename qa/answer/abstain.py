"""Calibrated abstention: a small logistic model over answer signals, fitted on the curated questions (eval/calibrate.py)."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).with_name("abstain_model.json")
# Every signal the assistant computes; a fitted model names the ones it uses.
FEATURES = (
    "sentence_cosine",  # best sentence's cosine with the question
    "passage_cosine",  # best passage's cosine with the question
    "coverage",  # idf-weighted share of the question's key terms found in the quote
    "context_coverage",  # the same over the quote and its neighbouring sentences
    "unknown_terms",  # idf-weighted share of key terms the corpus never uses
    "type_match",  # the quote holds the kind of answer asked for (a number, a date, ...)
    "missing_specifics",  # numbers, years or names in the question that the quote's context lacks
    "key_coverage",  # share of the question's two rarest known terms found around the quote
    "answer_support",  # idf-weighted share of the key terms within 120 characters of the short answer
    "rarest_in_quote",  # the question's rarest known term is in the quote itself
    "passage_rank",  # fused retrieval rank (0-based) of the passage the quote comes from
    "reader_logit",  # the answer model's log-odds that the quote's sentence answers the question
    "reader_margin",  # how far that sentence's log-odds lead the next best candidate's
    "heuristic_rank",  # where the hand-set score ranked the sentence the model chose (0 = its first choice)
)


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_FILE) -> dict:
    model = json.loads(path.read_text(encoding="utf-8"))
    unknown = set(model["features"]) - set(FEATURES)
    if unknown or len(model["weights"]) != len(model["features"]):
        raise ValueError(f"{path}: features {sorted(unknown)} unknown or weights mismatched")
    return model


def confidence(signals: dict[str, float], model: dict | None = None) -> float:
    """Probability that the corpus answers the question, given the answer's signals."""
    model = model or load_model()
    z = model["bias"] + sum(w * signals.get(name, 0.0) for w, name in zip(model["weights"], model["features"]))
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def threshold(model: dict | None = None) -> float:
    """The confidence below which the assistant abstains, chosen at calibration."""
    return float((model or load_model())["threshold"])


def fit(rows: np.ndarray, labels: np.ndarray, l2: float = 0.001, steps: int = 20000, rate: float = 1.0,
        balanced: bool = True) -> tuple[np.ndarray, float]:
    """Logistic regression by full-batch gradient descent: deterministic, no extra dependency. `balanced` weighs
    the two classes equally; unbalanced keeps the data's base rate, so the output is a calibrated probability."""
    weights = np.zeros(rows.shape[1])
    bias = 0.0
    balance = (np.where(labels > 0, 0.5 / max(labels.mean(), 1e-9), 0.5 / max(1 - labels.mean(), 1e-9))
               if balanced else np.ones_like(labels))
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(rows @ weights + bias)))
        grad = (p - labels) * balance
        weights -= rate * (rows.T @ grad / len(labels) + l2 * weights)
        bias -= rate * grad.mean()
    return weights, float(bias)


def save_model(features: list[str], weights: np.ndarray, bias: float, cut: float, note: str,
               path: Path = MODEL_FILE) -> None:
    model = {"features": list(features), "weights": [round(float(w), 6) for w in weights],
             "bias": round(bias, 6), "threshold": round(cut, 6), "fitted_on": note}
    path.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    load_model.cache_clear()
