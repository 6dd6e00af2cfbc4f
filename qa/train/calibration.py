"""Stage 4 of `qa train`: on the held-out articles only, the choice weight, the calibrated confidence and its figures."""
from __future__ import annotations

import numpy as np

# The signals the calibrated confidence is fitted on when the model is on; each is computed by qa.assistant.
CAL_FEATURES = ("reader_logit", "reader_margin", "coverage", "type_match", "passage_rank", "sentence_cosine",
                "missing_specifics")
# Without the model (the ablation): the hand-set signals alone, refitted on the same held-out articles.
HEURISTIC_FEATURES = ("sentence_cosine", "passage_cosine", "coverage", "context_coverage", "unknown_terms",
                      "type_match", "missing_specifics", "key_coverage", "answer_support", "rarest_in_quote")


def held_out_signals(assistant, questions) -> list[dict]:
    """For each held-out question: the signals, the shown quote, the typed and the model span, the label."""
    from ..evaluation.metrics import quote_hit, token_f1
    from ..answer.spans import best_span, expected_type

    rows = []
    for q in questions:
        signals, answer = assistant.signals(q.question)
        hit = bool(q.answers) and bool(answer.quote) and quote_hit(answer.quote, q.answers)
        typed = ""
        if answer.quote:
            s, e = best_span(q.question, answer.quote, assistant.facts.weights(q.question))
            typed = answer.quote[s:e]
        rows.append({"signals": signals, "label": int(hit), "answerable": bool(q.answers),
                     "kind": expected_type(q.question),
                     "model_f1": token_f1(answer.answer, q.answers) if hit else None,
                     "typed_f1": token_f1(typed, q.answers) if hit else None})
    return rows


CHOICE_WEIGHTS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 1000.0)


def candidate_readings(assistant, reader, questions) -> list[dict]:
    """Per held-out answerable question, as the assistant sees it: each candidate's hand-set score, the model's
    log-odds and whether its sentence holds a gold answer."""
    from ..evaluation.metrics import quote_hit

    out = []
    for q in questions:
        if not q.answers:
            continue
        question, scored, pool, weights = assistant.pool(q.question)
        if not weights:
            continue
        ranked = assistant.chooser.rank_rows(question, scored.vector, pool, weights)[:assistant.settings.read]
        readings = reader.read(question, assistant.chooser.reading_items([c.rows[0] for c in ranked]))
        out.append({"score": [c.score for c in ranked], "logit": [r.logit for r in readings],
                    "right": [quote_hit(assistant.index.sentences[c.rows[0]].text, q.answers) for c in ranked]})
    return out


def choose_weight(readings: list[dict]) -> tuple[float, dict]:
    """The weight of the model's log-odds beside the hand-set score that picks a right sentence most often."""
    def hits(w):
        return sum(r["right"][max(range(len(r["score"])), key=lambda i: (r["score"][i] + w * r["logit"][i], -i))]
                   for r in readings if r["score"])
    table = {w: hits(w) / max(len(readings), 1) for w in CHOICE_WEIGHTS}
    best = max(CHOICE_WEIGHTS, key=lambda w: (table[w], -w))
    return best, {str(w): round(v, 4) for w, v in table.items()}


MIN_KIND_ROWS = 20  # right quotes of one answer type needed before that type gets a span source of its own


def choose_span_sources(rows: list[dict]) -> dict[str, str]:
    """The short answer's source, "model" or "typed", for each expected answer type with enough held-out right
    quotes, and a default for the rest: whichever gives the higher mean token F1 against the gold answers."""
    def better(hits):
        return "model" if np.mean([r["model_f1"] for r in hits]) > np.mean([r["typed_f1"] for r in hits]) else "typed"

    hits = [r for r in rows if r["model_f1"] is not None]
    sources = {"default": better(hits) if hits else "typed"}
    for kind in sorted({r["kind"] for r in hits}):
        of_kind = [r for r in hits if r["kind"] == kind]
        if len(of_kind) >= MIN_KIND_ROWS and better(of_kind) != sources["default"]:
            sources[kind] = better(of_kind)
    return sources


def fit_calibration(rows: list[dict], features: tuple[str, ...], max_false_abstain: float) -> dict:
    """A logistic model of P(the shown quote answers), fitted unweighted so that it keeps the held-out base rate,
    and the threshold that maximises abstention F1 with false abstains (answerable questions refused) capped."""
    from ..answer import abstain

    x = np.array([[r["signals"].get(f, 0.0) for f in features] for r in rows], dtype=float)
    y = np.array([r["label"] for r in rows], dtype=float)
    mu, sd = x.mean(0), x.std(0) + 1e-9
    w, b = abstain.fit((x - mu) / sd, y, balanced=False)
    weights = w / sd
    bias = b - float((w * mu / sd).sum())
    p = 1 / (1 + np.exp(-(x @ weights + bias)))
    answerable = np.array([r["answerable"] for r in rows])
    best = (-1.0, 0.5)
    for cut in np.unique(np.round(p, 4)):
        abstained = p < cut
        false = (abstained & answerable).sum() / max(answerable.sum(), 1)
        if false > max_false_abstain:
            continue
        tp = (abstained & ~answerable).sum()
        prec, rec = tp / max(abstained.sum(), 1), tp / max((~answerable).sum(), 1)
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        if f1 > best[0]:
            best = (f1, float(cut))
    return {"features": list(features), "weights": [round(float(v), 6) for v in weights],
            "bias": round(float(bias), 6), "threshold": round(best[1], 6)}


def summarize_held_out(rows: list[dict], model: dict) -> dict:
    """Figures of a calibration on the held-out rows: out of sample for the model, in sample for the calibration
    fitted on these same rows (the model card says so; qa eval's sets are the real test)."""
    from ..answer import abstain
    from ..evaluation.confidence import expected_calibration_error

    p = np.array([abstain.confidence(r["signals"], model) for r in rows])
    y = np.array([r["label"] for r in rows])
    answerable = np.array([r["answerable"] for r in rows])
    abstained = p < model["threshold"]
    tp = (abstained & ~answerable).sum()
    prec, rec = tp / max(abstained.sum(), 1), tp / max((~answerable).sum(), 1)
    order = np.argsort(-p)
    ranks = np.empty(len(p))
    ranks[order] = np.arange(len(p))
    pos, neg = y == 1, y == 0
    auc = (float((ranks[neg][None, :] > ranks[pos][:, None]).mean()) if pos.any() and neg.any() else None)
    return {"questions": len(rows), "answerable": int(answerable.sum()),
            "quote_hit_answerable": round(float(y[answerable].mean()), 4) if answerable.any() else None,
            "abstention_f1": round(float(2 * prec * rec / (prec + rec)) if prec + rec else 0.0, 4),
            "false_abstain": round(float((abstained & answerable).sum() / max(answerable.sum(), 1)), 4),
            "auc": None if auc is None else round(auc, 4),
            "ece": round(expected_calibration_error([{"confidence": float(c), "answerable": bool(t), "quote_hit": t}
                                                     for c, t in zip(p, y)]), 4)}
