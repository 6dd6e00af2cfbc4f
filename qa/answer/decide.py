"""Deciding: the calibrated probability that the shown quote answers the question, and whether to answer at all.

One logistic model over the reader's own scores and the retrieval's, fitted by `qa train` on whole articles held
out from training (unweighted, so the output keeps the base rate and is a probability)."""
from __future__ import annotations

import math

import numpy as np

# Every signal the assistant computes for its best span; a fitted calibration names the ones it uses.
FEATURES = (
    "margin",  # best span's start+end logit minus its window's no-answer logit
    "probability",  # the span's probability in its window (softmax over spans and no answer)
    "runner_up",  # margin of the best span from any other window (a second opinion, or a rival)
    "agreement",  # share of the windows read whose best span says the same words
    "passage_rank",  # fused retrieval rank (0-based) of the passage the span comes from
    "passage_cosine",  # cosine of the question with the best passage
    "sentence_cosine",  # cosine of the question with the quote's first sentence
)


def confidence(signals: dict[str, float], calibration: dict) -> float:
    """Probability that the quote answers the question, from a fitted calibration; 0 without a quote."""
    if not signals or not calibration:
        return 0.0
    z = calibration["bias"] + sum(w * signals.get(name, 0.0)
                                  for w, name in zip(calibration["weights"], calibration["features"]))
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def answers(confidence_: float, calibration: dict) -> bool:
    """Whether to answer: the confidence at or above the threshold fitted with it."""
    return confidence_ >= float(calibration.get("threshold", 0.5))


def fit(rows: np.ndarray, labels: np.ndarray, l2: float = 1e-3, steps: int = 20000, rate: float = 0.5
        ) -> tuple[np.ndarray, float]:
    """Logistic regression by full-batch gradient descent on standardised features: deterministic, no extra
    dependency; weights are returned on the features' own scale."""
    mean, scale = rows.mean(0), rows.std(0) + 1e-9
    x = (rows - mean) / scale
    weights, bias = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ weights + bias)))
        grad = p - labels
        weights -= rate * (x.T @ grad / len(labels) + l2 * weights)
        bias -= rate * grad.mean()
    return weights / scale, float(bias - (weights * mean / scale).sum())
