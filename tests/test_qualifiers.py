"""A figure's qualifier kept in the short answer ("over 4,000", "end of 2028"), by offsets of the source."""
from __future__ import annotations

import pytest

from qa.answer.qualifiers import with_qualifier


def _widened(text: str, span: str) -> str:
    start = text.index(span)
    return text[with_qualifier(text, start, start + len(span)):start + len(span)]


@pytest.mark.parametrize("text, span, shown", [
    ("currently, there are over 4,000 green mines nationwide", "4,000", "over 4,000"),
    ("overseas equity output covered nearly 30% of demand", "30%", "nearly 30%"),
    ("a loss of more than $48.6 million", "$48.6 million", "more than $48.6 million"),
    ("lasting for around 2 minutes", "2 minutes", "around 2 minutes"),
    ("at least 5 million people", "5 million", "at least 5 million"),
    ("requiring that by the end of 2028, 90% of mines", "2028", "end of 2028"),
    ("prices fell in early 2025", "2025", "early 2025"),
    ("a peak in mid-2024", "2024", "mid-2024"),
])
def test_the_qualifier_right_before_a_figure_joins_the_answer(text, span, shown):
    assert _widened(text, span) == shown


@pytest.mark.parametrize("text, span", [
    ("in 2028 all mines comply", "2028"),  # nothing before it
    ("about the Ganzhou plan", "Ganzhou plan"),  # no figure
    ("prices fell early, 90 days later", "90 days"),  # a comma between: not a qualifier of the figure
    ("early 90 people came", "90 people"),  # "early" places a year, not a count
    ("over a period of 5 years", "5 years"),  # not right before the figure
])
def test_nothing_else_joins_it(text, span):
    assert _widened(text, span) == span


def test_the_assistant_shows_the_qualifier_and_cites_it_exactly(speech_assistant, monkeypatch):
    question = "How many green mines does China have nationwide?"
    answer = speech_assistant.ask(question)
    assert answer.answer == "over 4,000"
    source = speech_assistant.index.documents[answer.answer_doc].text
    assert source[answer.answer_start:answer.answer_start + len(answer.answer)] == answer.answer
    monkeypatch.setattr(speech_assistant, "qualifiers", False)
    off = speech_assistant.ask(question)
    assert off.answer == "4,000" and off.confidence == answer.confidence and off.quote == answer.quote


def test_a_qualifier_on_the_line_before_stays_there():
    assert _widened("Results at about\n2024 levels", "2024 levels") == "2024 levels"
