"""One chat turn's answer: the rewritten follow-up and the question as typed are both answered; the better
supported (higher calibrated confidence) is kept, so a follow-up is never answered worse than asked raw."""
from __future__ import annotations

from .followup import Resolved


def keep_better(resolved: Resolved, rewritten, raw):
    """(answer, the resolution it answers): the rewrite's, or the typed question's when that is better supported."""
    if raw is not None and raw.confidence > rewritten.confidence:
        return raw, Resolved(resolved.asked, resolved.asked)
    return rewritten, resolved


def answer_turn(assistant, resolved: Resolved, k: int = 5):
    """The turn's answer and resolution (see keep_better); the typed question is asked only when it was rewritten."""
    # a rewrite can be wrong ("How big is it?" about another "it"): the raw question is answered too
    raw = assistant.ask(resolved.asked, k=k) if resolved.rewritten else None
    return keep_better(resolved, assistant.ask(resolved.question, k=k), raw)
