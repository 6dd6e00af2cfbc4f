"""Query-time BM25 from the saved arrays: bit for bit the scores bm25s gives, without importing bm25s."""
from __future__ import annotations

import json

import bm25s
import numpy as np
import pytest

from conftest import REPO

from qa.index.bm25 import SavedBM25
from qa.errors import QAError
from qa.text.lexical import terms


def test_saved_scores_are_bm25s_scores_bit_for_bit(speech_index_dir):
    folder = speech_index_dir / (speech_index_dir / "CURRENT").read_text().strip() / "bm25"
    ours, theirs = SavedBM25(folder), bm25s.BM25.load(str(folder), load_corpus=False)
    assert ours.vocab_dict == theirs.vocab_dict
    questions = [json.loads(line)["question"] for line in
                 (REPO / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    for question in questions + ["copper copper price price price"]:
        known = [t for t in terms(question) if t in theirs.vocab_dict]
        if known:
            expected = theirs.get_scores(known)
            assert ours.get_scores(known).dtype == expected.dtype
            assert np.array_equal(ours.get_scores(known), expected), question
    assert not ours.get_scores(["no-such-term"]).any() and not ours.get_scores([]).any()


def test_a_variant_with_non_occurrence_scores_is_refused(tmp_path):
    model = bm25s.BM25(method="bm25l")
    model.index([["copper", "mine"], ["cobalt", "price"]], show_progress=False)
    model.save(str(tmp_path / "bm25"), show_progress=False)
    with pytest.raises(QAError, match="bm25l"):
        SavedBM25(tmp_path / "bm25")
