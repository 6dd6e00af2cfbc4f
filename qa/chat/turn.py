"""One chat turn's answer: the rewritten follow-up and the question as typed are both answered; the better
supported (higher calibrated confidence) is kept, so a follow-up is never answered worse than asked raw."""
from __future__ import annotations

from .followup import Resolved


def answer_turn(assistant, resolved: Resolved, k: int = 5):
    """(answer, the resolution it answers): the rewrite's, or the typed question's when that is better supported."""
    answer = assistant.ask(resolved.question, k=k)
    if resolved.rewritten:
        # a rewrite can be wrong ("How big is it?" about another "it"): the raw question is answered too
        raw = assistant.ask(resolved.asked, k=k)
        if raw.confidence > answer.confidence:
            return raw, Resolved(resolved.asked, resolved.asked)
    return answer, resolved
