"""Example questions: made by rule from a corpus's sentences (a passive with a date or span of time, a present-tense
verb with a figure) and offered only when the corpus answers them; a corpus's own (corpus.toml) come as written."""
from __future__ import annotations

import pytest

from qa.chat.examples import answered, candidates, example_questions
from qa.chat.questions import questions_from
from qa.records import Answer, Citation, Sentence


@pytest.mark.parametrize("sentence, questions", [
    ("The mill was built in 1820 by the river.", ["When was the mill built?"]),
    ("Its wheel was restored by volunteers in 1998.", ["When was its wheel restored?"]),
    ("The apple trees were planted in 2018.", ["When were the apple trees planted?"]),
    ("The bridge was opened on 5 May 2001 by the mayor.", ["When was the bridge opened?"]),
    ("Cobalt exports from the DRC were suspended for four months.",
     ["How long were cobalt exports from the DRC suspended?"]),
    ("The pond holds about 4,000 litres and is cleaned every spring.", ["How much does the pond hold?"]),
    ("The crossing takes 40 minutes in calm weather.", ["How long does the crossing take?"]),
    ("The company employs 300 people.", ["How many people does the company employ?"]),
    ("The station houses three keepers.", ["How many keepers does the station house?"]),
    ("The boiler carries a two-year warranty.", []),  # its object is no figure
    ("Copper prices rose 12% in May.", []),  # a past tense: no base form to ask with
    ("It was built in 1820.", []),  # a pronoun names nothing
    ("The report, written in 2020, was revised.", []),
    ("When was the mill built?", []),
])
def test_questions_are_made_from_two_shapes_of_sentence(sentence, questions):
    assert questions_from(sentence, sentence) == questions


def test_a_name_keeps_its_capital_and_a_common_word_loses_it():
    text = "Hart Heating was founded in 1990. The boiler came from Hart Heating. Tickets were sold in 2001."
    assert questions_from("Hart Heating was founded in 1990.", text) == ["When was Hart Heating founded?"]
    assert questions_from("Tickets were sold in 2001.", text) == ["When were tickets sold?"]


def _answer(question: str, answerable: bool, short: str, confidence: float, start: int = 0, end: int = 40) -> Answer:
    citations = (Citation("mill.pdf", start, end, "x" * (end - start), 0.5, ""),) if answerable else ()
    return Answer(question, answerable, short, "", citations, (), confidence)


def test_an_example_must_be_answered_confidently_from_its_sentence_and_not_by_its_own_words():
    sentence = Sentence("mill.pdf", 0, 40, "The mill was built in 1820 by the river.", "")
    question = "When was the mill built?"
    assert answered(_answer(question, True, "1820", 0.6), question, sentence)
    assert not answered(_answer(question, False, "", 0.6), question, sentence)
    assert not answered(_answer(question, True, "1820", 0.2), question, sentence)  # "unsure"
    assert not answered(_answer(question, True, "1820", 0.6, 41, 80), question, sentence)  # another sentence
    assert not answered(_answer(question, True, "The mill", 0.6), question, sentence)  # the question's words


def test_a_corpus_s_own_examples_come_as_written_without_asking(speech_assistant):
    def ask(question):
        raise AssertionError("corpus.toml's examples are not asked")

    own = speech_assistant.index.manifest["corpus_meta"]["examples"]
    assert own and example_questions(speech_assistant.index, ask) == own


def test_a_pdf_without_headings_gets_examples_that_it_answers(tmp_path, embedder):
    from qa.answer.assistant import Assistant
    from qa.index.build import build_index
    from qa.retrieve.retriever import Retriever
    from test_formats import TWO_PAGES, pdf_bytes

    (tmp_path / "mill.pdf").write_bytes(pdf_bytes(TWO_PAGES))
    assistant = Assistant(Retriever(build_index(tmp_path, embedder=embedder), embedder))
    made = dict(candidates(assistant.index))
    examples = example_questions(assistant.index, assistant.ask)
    assert examples and set(examples) <= set(made)  # made from its sentences
    for question in examples:
        assert answered(assistant.ask(question), question, made[question])


def test_a_corpus_that_answers_none_of_its_candidates_offers_none(tiny_index):
    asked = []

    def ask(question):
        asked.append(question)
        return _answer(question, False, "", 0.05)

    assert candidates(tiny_index) and example_questions(tiny_index, ask) == []
    assert asked == [q for q, _ in candidates(tiny_index)][:len(asked)] and asked
