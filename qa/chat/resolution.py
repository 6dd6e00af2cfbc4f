"""A follow-up's two records: the turn it leans on, and the question as asked and as it will be answered."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Turn:
    """One answered turn: the question as it was resolved, and its short answer ("" when it abstained)."""

    question: str
    answer: str = ""
    phrase: str = ""  # the phrase a fragment put into the question ("platinum group metals"): the next swaps it
    topic: str = ""  # the topic a rewrite put in brackets ("DRC suspended its cobalt exports"): the next keeps it
    source: str = ""  # the question that topic was taken from, as people read it


@dataclass(frozen=True)
class Resolved:
    """A question as asked and as it will be answered; `rule` says how it was rewritten ("" when it was not)."""

    asked: str
    question: str
    rule: str = ""
    phrase: str = ""  # what a fragment put in, whole, for the next follow-up to swap
    topic: str = ""  # what a "context" rewrite put in brackets, for the next follow-up to keep
    source: str = ""  # the question the topic was taken from ("When did the DRC announce ...?")

    @property
    def rewritten(self) -> bool:
        return self.question != self.asked

    @property
    def shown(self) -> str:
        """The question as read, in words for people: a topic in brackets is a statement cut from the question it
        came from ("How long was it (the DRC announce the suspension)?"), so that question is named instead."""
        bracket = f" ({self.topic})"
        if self.topic and self.source and bracket in self.question:
            return f"{self.question.replace(bracket, '', 1)} (after: {self.source})"
        return self.question
