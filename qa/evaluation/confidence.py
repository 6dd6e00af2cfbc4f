"""How far the confidence can be trusted: reliability bins, expected calibration error, bootstrap intervals."""
from __future__ import annotations

from typing import Mapping, Sequence

RELIABILITY_BINS = 10
BOOTSTRAP_RESAMPLES = 1000


def answered_right(row: Mapping) -> bool:
    """What the confidence claims to predict: the question is answerable and the shown quote holds a gold answer
    (for a refusal, the quote the assistant would have shown is not in the row: a refusal counts as not right)."""
    return bool(row.get("answerable")) and bool(row.get("quote_hit"))


def reliability(rows: Sequence[Mapping], bins: int = RELIABILITY_BINS) -> list[dict]:
    """Per equal-width confidence bin: questions, mean confidence, share answered right."""
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [r for r in rows if lo <= r.get("confidence", 0.0) < hi or (hi == 1.0 and r.get("confidence") == 1.0)]
        if inside:
            out.append({"bin": [lo, hi], "questions": len(inside),
                        "confidence": sum(r.get("confidence", 0.0) for r in inside) / len(inside),
                        "right": sum(answered_right(r) for r in inside) / len(inside)})
    return out


def expected_calibration_error(rows: Sequence[Mapping], bins: int = RELIABILITY_BINS) -> float | None:
    """Sum over bins of (share of questions) x |mean confidence - share answered right|."""
    if not rows:
        return None
    return sum(b["questions"] / len(rows) * abs(b["confidence"] - b["right"]) for b in reliability(rows, bins))


def confidence_auc(rows: Sequence[Mapping]) -> float | None:
    """How well the confidence ranks questions answered right above the rest: the probability that a random right
    one scores above a random other one (ties count half); None when either kind is missing."""
    right = [float(r.get("confidence", 0.0)) for r in rows if answered_right(r)]
    other = [float(r.get("confidence", 0.0)) for r in rows if not answered_right(r)]
    if not right or not other:
        return None
    wins = sum((a > b) + 0.5 * (a == b) for a in right for b in other)
    return wins / (len(right) * len(other))


def abstention_f1(abstained, answerable) -> float | None:
    """F1 of refusing the unanswerable questions (boolean arrays); None when every question is answerable."""
    import numpy as np

    right = (abstained & ~answerable).sum()
    if (~answerable).sum() == 0:
        return None
    precision = right / abstained.sum() if abstained.sum() else 0.0
    recall = right / (~answerable).sum()
    return float(2 * precision * recall / (precision + recall)) if precision and recall else 0.0


def bootstrap(rows: Sequence[Mapping], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> dict:
    """95% percentile intervals of the headline figures, resampling questions with a fixed seed (deterministic)."""
    import numpy as np

    if not rows:
        return {}
    rng = np.random.RandomState(seed)
    answerable = np.array([bool(r.get("answerable")) for r in rows])
    abstained = np.array([bool(r.get("abstained")) for r in rows])
    columns = {key: np.array([np.nan if r.get(key) is None else float(r[key]) for r in rows])
               for key in ("quote_hit", "quote_overlap", "f1", "contains")}
    draws: dict[str, list[float]] = {k: [] for k in (*columns, "abstain_f1", "false_abstain_rate")}
    for _ in range(resamples):
        pick = rng.randint(0, len(rows), len(rows))
        ans = answerable[pick]
        for key, values in columns.items():
            v = values[pick][ans]
            v = v[~np.isnan(v)]
            if len(v):
                draws[key].append(float(v.mean()))
        f1 = abstention_f1(abstained[pick], ans)
        if f1 is not None:
            draws["abstain_f1"].append(f1)
        if ans.any():
            draws["false_abstain_rate"].append(float((abstained[pick] & ans).sum() / ans.sum()))
    return {k: [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]
            for k, v in draws.items() if v}
