"""Questions as people ask them: an opening situation, an acronym spelt out, a demonym, a yes/no question."""
from __future__ import annotations

import pytest

from qa.answer.aliases import Aliases, acronyms
from qa.text.lexical import question_terms
from qa.answer.spans import best_span, expected_type

DEFINED = ("Exports from the Democratic Republic of the Congo (DRC) stopped. The DRC supplies 70% of cobalt. "
           "The Inflation Reduction Act (IRA) pays tax credits. The IRA excludes foreign materials.")


def test_acronyms_are_read_off_the_text_when_the_initials_spell_them():
    found = acronyms(DEFINED + " Prices (USD) rose. A plan (2021-2025) was issued.")
    assert found == {"DRC": "Democratic Republic of the Congo", "IRA": "Inflation Reduction Act"}


def test_a_question_gets_the_form_the_corpus_uses_more():
    aliases = Aliases([DEFINED], {"drc": 2, "congo": 1, "cobalt": 1})
    assert aliases.expand("How much cobalt does the Democratic Republic of the Congo supply?").endswith("(DRC)")
    assert aliases.expand("How much cobalt does the DRC supply?") == "How much cobalt does the DRC supply?"


def test_a_demonym_finds_the_name_the_corpus_uses():
    aliases = Aliases([DEFINED], {"drc": 2, "congo": 1, "cobalt": 1, "control": 3})
    assert aliases.expand("What do Congolese mines supply?") == "What do Congolese mines supply? (congo)"
    assert aliases.equivalents("congolese") >= {"congo"}
    assert "drc" in aliases.equivalents("Democratic") and "congo" in aliases.equivalents("DRC")
    assert aliases.expand("What do the mines supply?") == "What do the mines supply?"


@pytest.mark.parametrize("question, text", [
    ("What share of the world's cobalt resources does the Democratic Republic of the Congo supply?",
     "the DRC supplies 70% of the world's cobalt resources"),
    ("How much of the world's cobalt resources do Congolese mines supply?",
     "the DRC supplies 70% of the world's cobalt resources"),
    ("Which Tibetan copper mine is cited as a major domestic project?", "Yulong Copper Mine in Tibet"),
])
def test_the_speech_answers_a_name_spelt_otherwise(speech_assistant, question, text):
    answer = speech_assistant.ask(question)
    assert answer.answerable and text in answer.quote


def test_a_long_question_is_weighed_by_what_it_asks_last(speech_assistant):
    situation = ("I run a small battery recycling firm and we buy a lot of cobalt. My supplier warned me that "
                 "prices may jump again. ")
    weights = speech_assistant.facts.weights(situation + "On what date did the DRC announce the suspension?")
    asked = [t for t in question_terms("On what date did the DRC announce the suspension?") if t in weights]
    opening = [t for t in weights if t not in asked]
    assert opening and all(weights[t] < max(weights[a] for a in asked) for t in opening)
    answer = speech_assistant.ask(situation + "On what date did the DRC announce the cobalt export suspension?")
    assert answer.answerable and "February 22" in answer.answer


@pytest.mark.parametrize("question", ["Did the DRC suspend its cobalt ore exports?", "Is copper scarce?",
                                      "Can overseas production meet domestic demand?"])
def test_yes_no_questions_are_recognised(question):
    assert expected_type(question) == "yesno"


@pytest.mark.parametrize("question", ["Is it copper or nickel?", "Can you tell me the copper price?",
                                      "What did the DRC suspend?"])
def test_other_questions_are_not_yes_no(question):
    assert expected_type(question) != "yesno"


def test_the_answer_to_a_yes_no_question_is_the_clause_that_settles_it():
    quote = "In February, the DRC suspended cobalt exports for four months, and prices rose by half."
    question = "Did the DRC suspend cobalt exports?"
    s, e = best_span(question, quote, {t: 1.0 for t in question_terms(question)})
    assert quote[s:e] == "the DRC suspended cobalt exports for four months"


def test_the_speech_answers_a_yes_no_question_with_its_evidence(speech_assistant):
    answer = speech_assistant.ask("Can overseas equity nickel and cobalt production meet China's domestic demand?")
    assert answer.answerable and "fully met domestic demand" in answer.answer
