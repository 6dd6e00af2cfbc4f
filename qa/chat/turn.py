"""One chat turn's answer: the rewritten follow-up and the question as typed are both answered; the better
supported is kept, so a follow-up is never answered worse than asked raw."""
from __future__ import annotations

from .followup import Resolved, Turn


def keep_better(resolved: Resolved, rewritten, raw, previous_answer: str = ""):
    """(answer, the resolution it answers): the rewrite's, or the typed question's when that is better supported
    (higher calibrated confidence) or when the rewrite only gave the previous turn's answer back."""
    if raw is not None and (raw.confidence > rewritten.confidence
                            or (raw.answerable and echoes(rewritten, previous_answer))):
        return raw, Resolved(resolved.asked, resolved.asked)
    return rewritten, resolved


def echoes(answer, previous_answer: str) -> bool:
    """Whether an answer's short answer is the previous turn's: a rewrite that carries the previous question's words
    ("When did Genghis Mongke Khan become Great Khan?") can be answered as that question again ("1206"). On the
    held-out follow-ups (eval/followups-dev.jsonl) this keeps one raw turn the confidence alone lost, and loses none."""
    def words(text: str) -> str:
        return " ".join(text.lower().split()).strip(" .,;:")

    return bool(previous_answer.strip()) and answer.answerable and words(answer.answer) == words(previous_answer)


def answer_turn(assistant, resolved: Resolved, k: int = 5, previous_answer: str = ""):
    """The turn's answer and resolution (see keep_better); the typed question is asked only when it was rewritten."""
    # a rewrite can be wrong ("How big is it?" about another "it"): the raw question is answered too
    raw = assistant.ask(resolved.asked, k=k) if resolved.rewritten else None
    return keep_better(resolved, assistant.ask(resolved.question, k=k), raw, previous_answer)


def next_turn(resolved: Resolved, answer) -> Turn:
    """What the next follow-up leans on: the resolution answered, with its phrase and topic, and its short answer."""
    return Turn(resolved.question, answer.answer if answer.answerable else "", resolved.phrase, resolved.topic,
                resolved.source)
