"""The answer path, pool -> read -> decide -> cite, as its parts promise whatever the reader's weights."""
from __future__ import annotations

import pytest

from qa.answer import assistant as assistant_module
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


def _spy_on_reader(assistant, monkeypatch) -> list[tuple[list, list]]:
    """Every call of the reader, with what it said."""
    calls = []
    real = assistant.reader.read

    def spy(question, windows):
        found = real(question, windows)
        calls.append((windows, found))
        return found

    monkeypatch.setattr(assistant.reader, "read", spy)
    return calls


def test_passages_are_read_best_first_each_window_once_until_a_span_is_sure(assistant, monkeypatch):
    calls = _spy_on_reader(assistant, monkeypatch)
    assistant.ask("How much did copper prices rise in May?")
    windows = [w for batch, _ in calls for w in batch]
    assert windows and len(set(windows)) == len(windows) <= assistant_module.MAX_WINDOWS
    assert len(calls) <= assistant.read
    margins = [r.margin for _, found in calls for r in found]
    read_before_last = sum(len(found) for _, found in calls[:-1])
    assert all(m < assistant_module.SURE for m in margins[:read_before_last])  # no read after a sure span
    tokenizer = assistant.reader.tokenizer
    for text, w in windows:
        assert len(tokenizer.encode(text[w.start:w.end], add_special_tokens=False).ids) <= assistant.reader.budget


def test_a_sure_span_ends_the_reading_and_the_window_budget_caps_it(assistant, monkeypatch):
    question = "Who said the flood was the worst in ten years?"
    monkeypatch.setattr(assistant_module, "SURE", float("-inf"))
    calls = _spy_on_reader(assistant, monkeypatch)
    assistant.ask(question)
    assert len(calls) == 1  # the first passage only
    monkeypatch.setattr(assistant_module, "SURE", float("inf"))
    monkeypatch.setattr(assistant_module, "MAX_WINDOWS", 1)
    calls.clear()
    assistant.ask(question)
    assert sum(len(batch) for batch, _ in calls) == 1
