"""Pairing the items of a "..., respectively" sentence with its figures, and the assistant answering with them."""
from __future__ import annotations

import pytest

from qa.answer.respectively import figure_for, holds_figure, nearest, pairs

SPEECH = ("Among them, the external dependency ratios for strategic mineral resources such as copper, aluminum, "
          "nickel, cobalt, lithium, tantalum, niobium, and platinum group metals reach 80%, 67%, 86%, 98%, 70%, 90%, "
          "95%, and 80%, respectively.")


def _pairs(text: str) -> list[tuple[str, str]]:
    return [(text[p.key[0]:p.key[1]], text[p.value[0]:p.value[1]]) for p in pairs(text, 0, len(text))]


def test_items_line_up_with_their_figures():
    assert _pairs(SPEECH) == [("copper", "80%"), ("aluminum", "67%"), ("nickel", "86%"), ("cobalt", "98%"),
                              ("lithium", "70%"), ("tantalum", "90%"), ("niobium", "95%"), ("platinum", "80%")]
    assert _pairs("The populations of Paris, Lyon, and Nice were 2.1 million, 0.5 million and 340,000, "
                  "respectively.") == [("Paris", "2.1 million"), ("Lyon", "0.5 million"), ("Nice", "340,000")]
    assert _pairs("In 2020 and 2021, sales were 5 and 6, respectively.") == [("2020", "5"), ("2021", "6")]
    assert _pairs("Mary and John were born in 1990 and 1995 respectively.") == [("Mary", "1990"), ("John", "1995")]


    assert _pairs("At the end of the 16th century, the English East India Company and the Dutch East India Company, "
                  "chartered in 1600 and 1602 respectively.") == [("Company", "1600"), ("Dutch", "1602")]


@pytest.mark.parametrize("text", [
    "Copper and aluminum are both mined there.",  # no "respectively"
    "The scores were high and low, respectively.",  # no figures to pair
    "It rose 5%, respectively.",  # one figure is no list
    "Revenue rose 5% and 7% in Q1 and Q2 respectively.",  # the figures come first: not lined up, so left alone
    # two lists of figures: which one holds the items is not clear, so neither is paired
    "Renewables contributed 19 percent to energy consumption and 22 percent to electricity in 2012 and 2013, "
    "respectively.",
    # the last item would be a clause
    "It is a second language for at least 10 million people worldwide, compared to over 23 million and 5 million "
    "respectively, for Dutch.",
    "The party holds 223 seats in the House and 76 in the Senate (61.9% and 69.7% respectively).",
])
def test_sentences_without_two_lists_to_line_up_pair_nothing(text):
    assert _pairs(text) == []


@pytest.mark.parametrize("question, figure", [
    ("How dependent is China on imported copper?", "80%"),
    ("What is the external dependency ratio for aluminum?", "67%"),
    ("And for platinum group metals?", "80%"),
    ("How reliant is China on foreign lithium?", "70%"),
])
def test_the_item_a_question_names_gives_its_figure(question, figure):
    found = figure_for(question, SPEECH, 0, len(SPEECH))
    assert found is not None and SPEECH[found[0]:found[1]] == figure


@pytest.mark.parametrize("question", [
    "Which strategic minerals rely on imports?",  # names no one item
    "Is copper more import-dependent than nickel?",  # names two
    "Which metal has a ratio of 98%?",  # already holds a figure of the list
])
def test_no_figure_when_the_question_names_no_single_item(question):
    assert figure_for(question, SPEECH, 0, len(SPEECH)) is None


@pytest.mark.parametrize("question, figure", [
    ("What is the external dependency ratio for aluminum?", "67%"),
    ("How dependent is China on imported nickel?", "86%"),
])
def test_the_assistant_answers_with_the_paired_figure_by_offsets(speech_assistant, question, figure):
    answer = speech_assistant.ask(question)
    assert answer.answer == figure
    source = speech_assistant.index.documents[answer.answer_doc].text
    assert source[answer.answer_start:answer.answer_start + len(figure)] == figure
    assert figure in answer.quote and "respectively" in answer.quote


def test_with_pairing_off_no_sentence_is_paired(speech_assistant, monkeypatch):
    from qa.answer import assistant as assistant_module

    def never(*args):
        raise AssertionError("paired with pairing off")

    monkeypatch.setattr(assistant_module, "figure_for", never)
    monkeypatch.setattr(speech_assistant, "pairing", "off")
    assert speech_assistant.ask("What is the external dependency ratio for aluminum?").answerable
    monkeypatch.setattr(speech_assistant, "pairing", "window")
    with pytest.raises(AssertionError, match="paired"):
        speech_assistant.ask("What is the external dependency ratio for aluminum?")


@pytest.mark.parametrize("span, figure", [("80%", True), ("$100", True), ("1600 and 1602", True),
                                          ("severe acute respiratory syndrome coronavirus", False), ("cobalt", False)])
def test_only_a_span_stating_a_figure_is_moved(span, figure):
    assert holds_figure(span) is figure


def test_a_span_naming_no_figure_is_never_paired(speech_assistant, monkeypatch):
    from qa.answer import assistant as assistant_module

    def never(*args):
        raise AssertionError("paired a span without a figure")

    monkeypatch.setattr(assistant_module, "holds_figure", lambda span: False)
    monkeypatch.setattr(assistant_module, "figure_for", never)
    assert speech_assistant.ask("What is the external dependency ratio for aluminum?").answer != "67%"


@pytest.mark.parametrize("candidates, figure", [
    ([], None),
    ([(True, (1, 2))], (1, 2)),
    ([(True, (1, 2)), (True, (5, 6)), (False, (9, 10))], (9, 10)),  # the span's own sentence wins, wherever listed
    ([(True, (1, 2)), (True, (5, 6))], None),  # two other sentences of the window: no telling which
    ([(False, (1, 2)), (False, (5, 6))], None),
])
def test_the_pair_nearest_the_span_is_taken_only_when_it_is_the_only_one(candidates, figure):
    assert nearest(candidates) == figure
