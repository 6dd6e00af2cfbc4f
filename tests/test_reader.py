"""The answer model at query time: its input layout, offsets back into the sentence, and the shipped model."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.errors import QAError
from qa.answer.reader import CONFIG_FILE, MAX_ANSWER_TOKENS, MODEL_DIR, Reader, _best_span, encode, sha256, shipped


@pytest.fixture(scope="module")
def tokenizer():
    from tokenizers import Tokenizer

    from qa.index.embed import resolve_model

    tok = Tokenizer.from_file(str(resolve_model(None)[1] / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def test_layout_is_question_sentence_then_the_neighbours(tokenizer):
    e = encode(tokenizer, "Who runs the mine?", "Zijin runs the Kamoa mine.", "It opened in 2021.",
               "Output rose.", 96, 32)
    words = tokenizer.decode(e.ids, skip_special_tokens=False).split()
    assert words[0] == "[CLS]" and words.count("[SEP]") == 4 and words[-1] == "[SEP]"
    first_sep = e.ids.index(tokenizer.token_to_id("[SEP]"))
    assert e.first == first_sep + 1
    assert e.types[:e.first] == [0] * e.first and set(e.types[e.first:]) == {1}
    assert "opened" in words and "output" in words


def test_sentence_offsets_map_back_to_its_exact_characters(tokenizer):
    sentence = "Cobalt exports from the DRC — 73% of supply — were suspended in February 2025."
    e = encode(tokenizer, "When were exports suspended?", sentence, "", "", 96, 32)
    pieces = [sentence[a:b] for a, b in e.offsets]
    assert "".join(pieces).replace("##", "") == "".join(sentence.split())
    assert all(sentence[a:b].strip() == sentence[a:b] and b > a for a, b in e.offsets)


def test_a_long_question_keeps_its_end_and_the_sentence_is_never_pushed_out(tokenizer):
    situation = "I am 67 and my husband died last year after a long illness that we had cared for at home. " * 3
    e = encode(tokenizer, situation + "Can I claim the widow's allowance?", "Widows can claim it.",
               "x " * 200, "y " * 200, 96, 32)
    assert len(e.ids) <= 96
    text = tokenizer.decode(e.ids[:e.first])
    assert "claim" in text and "allowance" in text  # the ask survives, the opening situation is cut
    assert len(e.offsets) == len(tokenizer.encode("Widows can claim it.", add_special_tokens=False).ids)


@given(st.lists(st.floats(-5, 5), min_size=1, max_size=60), st.integers(0, 1000))
def test_best_span_is_ordered_and_short(starts, seed):
    start = np.array(starts)
    end = np.random.RandomState(seed).uniform(-5, 5, len(starts))
    i, j, score = _best_span(start, end, len(starts))
    assert 0 <= i <= j < len(starts) and j - i < MAX_ANSWER_TOKENS
    assert score == pytest.approx(start[i] + end[j])


def test_the_package_ships_an_answer_model_that_matches_its_checksum():
    config = json.loads((MODEL_DIR / CONFIG_FILE).read_text(encoding="utf-8"))
    assert sha256(MODEL_DIR / config["file"]) == config["sha256"]
    assert (MODEL_DIR / config["file"]).stat().st_size <= 25 * 1024 * 1024
    assert (MODEL_DIR / "MODEL_CARD.md").is_file()
    assert set(config["calibration"]["features"]) and config["calibration"]["threshold"] > 0


def test_the_shipped_model_reads_a_right_sentence_above_a_wrong_one():
    reader = shipped()
    right, wrong = reader.read("When were cobalt exports from the DRC suspended?", [
        ("The DRC suspended cobalt exports in February 2025.", "", ""),
        ("Copper prices rose 12% in May.", "", ""),
    ])
    assert right.logit > wrong.logit
    s, e = right.span
    assert "February" in "The DRC suspended cobalt exports in February 2025."[s:e]


def test_a_damaged_model_file_is_one_clear_error(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(MODEL_DIR, folder, ignore=shutil.ignore_patterns("*.md", "__pycache__"))
    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    with open(folder / config["file"], "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02\x03")
    with pytest.raises(QAError, match="sha256"):
        Reader(folder)


def test_the_assistant_reads_as_many_sentences_as_its_model_was_fitted_to(tmp_path, tiny_index):
    from qa.answer.assistant import Assistant
    from qa.answer.choose import READ
    from qa.retrieve.retriever import Retriever

    folder = tmp_path / "model"
    shutil.copytree(MODEL_DIR, folder, ignore=shutil.ignore_patterns("*.md", "__pycache__"))
    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    (folder / CONFIG_FILE).write_text(json.dumps(dict(config, read=3)), encoding="utf-8")
    retriever = Retriever(tiny_index)
    assert Assistant(retriever, reader=Reader(folder)).chooser.settings.read == 3
    del config["read"]
    (folder / CONFIG_FILE).write_text(json.dumps(config), encoding="utf-8")
    assert Assistant(retriever, reader=Reader(folder)).settings.read == READ
    assert Assistant(retriever, reader=None).settings.read == READ
