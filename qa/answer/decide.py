"""Deciding: the evidence signals of a candidate quote, and the calibrated confidence that answers or abstains."""
from __future__ import annotations

from typing import NamedTuple

from ..records import Citation, Hit
from ..text.lexical import terms
from . import abstain
from .facts import SentenceFacts, coverage

SUPPORT_WINDOW = 120  # characters either side of the short answer that `answer_support` reads


class Decision(NamedTuple):
    """What the assistant found before deciding whether to answer."""

    signals: dict
    quote: Citation | None
    span: tuple[int, int]  # the short answer's offsets inside the quote
    shown: tuple[Hit, ...]


def evidence(facts: SentenceFacts, question: str, weights: dict[str, float], rows: tuple[int, ...], text: str,
             span: tuple[int, int]) -> dict[str, float]:
    """The signals beyond the choice's own: how much of the question the quote and its surroundings speak to."""
    signals = {"unknown_terms": (sum(w for t, w in weights.items() if t not in facts.idf) / sum(weights.values())),
               "missing_specifics": facts.missing_specifics(question, rows)}
    # the question's two rarest known terms: a near-miss borrows the topic but not these
    known = sorted((t for t in weights if t in facts.idf), key=lambda t: (-weights[t], t))[:2]
    context = facts.context_terms(rows)
    signals["key_coverage"] = (sum(1 for t in known if t in context) / len(known)) if known else 0.0
    # how much of the question the answer's own surroundings speak to
    window = text[max(0, span[0] - SUPPORT_WINDOW):span[1] + SUPPORT_WINDOW]
    signals["answer_support"] = coverage(weights, set(terms(window)))
    signals["rarest_in_quote"] = float(bool(known) and known[0] in set(terms(text)))
    return signals


def confidence(decision: Decision, model: dict) -> float:
    """The probability that the corpus answers the question; 0 when there is no quote."""
    return abstain.confidence(decision.signals, model) if decision.quote else 0.0


def answers(decision: Decision, confidence_: float, model: dict) -> bool:
    """Whether to answer: a quote, and a confidence at or above the model's threshold."""
    return decision.quote is not None and confidence_ >= abstain.threshold(model)
