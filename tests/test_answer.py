"""The answer path, pool -> read -> decide -> cite, as its parts promise whatever the reader's weights."""
from __future__ import annotations

import pytest

from qa.answer.assistant import Assistant
from qa.answer.decide import FEATURES, answers, confidence
from qa.retrieve.retriever import Retriever

QUESTIONS = ("How much did copper prices rise in May?", "Who said the flood was the worst in ten years?",
             "Which cobalt exports were suspended?", "What did battery makers look for?")


@pytest.fixture(scope="module")
def assistant(tiny_index):
    return Assistant(Retriever(tiny_index))


def _sentences_of(index, doc):
    return {(s.start, s.end) for s in index.sentences if s.doc == doc}


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_quote_is_whole_sentences_holding_the_short_answer(assistant, question):
    signals, answer = assistant.signals(question)
    index = assistant.index
    c = answer.citations[0]
    source = index.documents[c.doc].text
    assert source[c.start:c.end] == c.text == answer.quote
    assert c.start <= answer.answer_start < answer.answer_start + len(answer.answer) <= c.end
    assert source[answer.answer_start:answer.answer_start + len(answer.answer)] == answer.answer
    starts, ends = zip(*_sentences_of(index, c.doc))
    assert c.start in starts and c.end in ends
    assert set(signals) == set(FEATURES)


def test_without_a_reader_the_quote_is_the_nearest_sentence_whole(tiny_index):
    plain = Assistant(Retriever(tiny_index), reader=None)
    signals, answer = plain.signals("How much did copper prices rise in May?")
    assert answer.answer == answer.quote == "Copper prices rose 12% in May."
    assert set(signals) == {"sentence_cosine", "passage_cosine", "passage_rank"}
    assert plain.calibration["features"] == ["sentence_cosine", "passage_cosine", "passage_rank"]


def test_the_confidence_is_the_fitted_logistic_and_the_threshold_decides():
    calibration = {"features": ["margin"], "weights": [1.0], "bias": -2.0, "threshold": 0.5}
    assert confidence({"margin": 2.0}, calibration) == pytest.approx(0.5)
    assert confidence({"margin": 6.0}, calibration) > 0.98 and confidence({}, calibration) == 0.0
    assert answers(0.5, calibration) and not answers(0.49, calibration)


def test_a_question_is_read_in_one_batch_of_windows_within_the_budget(assistant, monkeypatch):
    seen = []
    real = assistant.reader.read

    def spy(question, windows):
        seen.append(windows)
        return real(question, windows)

    monkeypatch.setattr(assistant.reader, "read", spy)
    assistant.ask("How much did copper prices rise in May?")
    (windows,) = seen
    assert windows and len(set((text, w) for text, w in windows)) == len(windows)  # each window once
    tokenizer = assistant.reader.tokenizer
    for text, w in windows:
        assert len(tokenizer.encode(text[w.start:w.end], add_special_tokens=False).ids) <= assistant.reader.budget
