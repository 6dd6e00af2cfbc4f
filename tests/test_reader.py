"""The reader at query time: its input layout, windows, offsets back into the document, and the shipped model."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.answer.reader import (CONFIG_FILE, MAX_ANSWER_TOKENS, MODEL_DIR, Reader, best_span, encode, sha256,
                              shipped, window_budget)
from qa.answer.windows import Window, pack
from qa.errors import QAError
from qa.ingest.split import sentence_spans


@pytest.fixture(scope="module")
def tokenizer():
    from tokenizers import Tokenizer

    from qa.index.embed import resolve_model

    tok = Tokenizer.from_file(str(resolve_model(None)[1] / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


TEXT = ("Intro line.\n\nThe DRC suspended cobalt exports on February 22, 2025. It supplies about 70% of the world's "
        "cobalt. Copper prices rose 12% in May.")


def test_layout_is_question_then_window(tokenizer):
    w = Window(TEXT.index("The DRC"), len(TEXT))
    e = encode(tokenizer, "When were exports suspended?", TEXT, w, 128, 24)
    words = tokenizer.decode(e.ids, skip_special_tokens=False).split()
    assert words[0] == "[CLS]" and words.count("[SEP]") == 2 and words[-1] == "[SEP]"
    assert e.first == e.ids.index(tokenizer.token_to_id("[SEP]")) + 1
    assert e.types[:e.first] == [0] * e.first and set(e.types[e.first:]) == {1}
    assert "intro" not in words


def test_window_offsets_are_exact_characters_of_the_document(tokenizer):
    w = Window(TEXT.index("The DRC"), len(TEXT))
    e = encode(tokenizer, "When?", TEXT, w, 128, 24)
    assert all(w.start <= a < b <= w.end and TEXT[a:b].strip() == TEXT[a:b] for a, b in e.offsets)
    assert "".join(TEXT[a:b] for a, b in e.offsets) == "".join(TEXT[w.start:w.end].split())


def test_a_long_question_keeps_its_end_and_fits(tokenizer):
    situation = "I am 67 and my husband died last year after a long illness that we had cared for at home. " * 3
    e = encode(tokenizer, situation + "Can I claim the widow's allowance?", TEXT, Window(0, len(TEXT)), 128, 24)
    assert len(e.ids) <= 128
    asked = tokenizer.decode(e.ids[:e.first])
    assert "claim" in asked and "allowance" in asked and "husband" not in asked


def test_windows_hold_whole_sentences_within_the_budget_and_overlap_by_one(tokenizer):
    text = " ".join(f"Sentence number {n} says that the figure for year {2000 + n} was {n * 7} tonnes." for n in range(40))
    spans = sentence_spans(text, 0, len(text))
    windows = pack(tokenizer, text, spans, 60)
    starts, ends = {s for s, _ in spans}, {e for _, e in spans}
    assert len(windows) > 3 and windows[0].start == 0 and windows[-1].end == len(text)
    for a, b in zip(windows, windows[1:]):
        assert b.start < a.end  # the last sentence of one opens the next
    for w in windows:
        assert w.start in starts and w.end in ends
        assert len(tokenizer.encode(text[w.start:w.end], add_special_tokens=False).ids) <= 60


def test_a_sentence_longer_than_the_budget_is_cut_in_overlapping_pieces(tokenizer):
    text = "The list: " + ", ".join(f"item{n}" for n in range(200)) + "."
    windows = pack(tokenizer, text, [(0, len(text))], 50)
    assert len(windows) > 4 and windows[0].start == 0 and windows[-1].end == len(text)
    assert all(b.start < a.end for a, b in zip(windows, windows[1:]))


@given(st.lists(st.floats(-5, 5), min_size=1, max_size=60), st.integers(0, 1000))
def test_best_span_is_ordered_and_short(starts, seed):
    start = np.array(starts)
    end = np.random.RandomState(seed).uniform(-5, 5, len(starts))
    i, j, score = best_span(start, end)
    assert 0 <= i <= j < len(starts) and j - i < MAX_ANSWER_TOKENS
    assert score == pytest.approx(start[i] + end[j])


def test_the_package_ships_a_reader_that_matches_its_checksum_and_budget():
    config = json.loads((MODEL_DIR / CONFIG_FILE).read_text(encoding="utf-8"))
    assert sha256(MODEL_DIR / config["file"]) == config["sha256"]
    assert (MODEL_DIR / config["file"]).stat().st_size <= 25 * 1024 * 1024
    assert (MODEL_DIR / "MODEL_CARD.md").is_file()
    for key in ("calibration", "calibration_off"):
        assert config[key]["features"] and 0 < config[key]["threshold"] < 1
    assert window_budget(config["max_tokens"], config["max_question_tokens"]) > 64


def test_the_shipped_reader_finds_the_date_and_says_no_answer_to_an_unrelated_window():
    reader = shipped()
    w = Window(TEXT.index("The DRC"), TEXT.index(" It supplies"))
    right, unrelated = reader.read("When did the DRC suspend cobalt exports?", [
        (TEXT, w), ("Copper prices rose 12% in May.", Window(0, 30))])
    assert "February 22" in TEXT[right.start:right.end] and w.start <= right.start < right.end <= w.end
    assert right.margin > unrelated.margin
    assert 0 < right.probability <= 1


def test_a_damaged_model_file_is_one_clear_error(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(MODEL_DIR, folder, ignore=shutil.ignore_patterns("*.md", "__pycache__"))
    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    with open(folder / config["file"], "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02\x03")
    with pytest.raises(QAError, match="sha256"):
        Reader(folder)


def test_a_missing_reader_folder_asked_for_is_one_clear_error(tmp_path, monkeypatch):
    from qa.answer import reader

    monkeypatch.setenv("QA_READER", str(tmp_path / "nowhere"))
    reader._load.cache_clear()
    with pytest.raises(QAError, match="no reader model"):
        reader.shipped()
    monkeypatch.setenv("QA_READER", "off")
    assert reader.shipped() is None
