"""Property-based tests over random text: the splitter's invariants on single-line and unpunctuated documents,
the bounded abbreviation look-back agreeing with an unbounded one, and every Answer's citation contract."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import qa.ingest.split as split_module
from conftest import check_answer, write_corpus
from qa.ingest.split import SplitSettings, sentence_spans
from test_evaluation import HashEmbedder
from test_split import WORDS, budgets, check_invariants, documents, make_doc, split

# ---------------------------------------------------------------- splitter

line_words = st.lists(st.sampled_from(WORDS + ["copper", "a" * 40, "x" * 70, "Inc.", "p.", "S.A."]), min_size=1,
                      max_size=400)


@given(line_words, st.sampled_from([" ", ". ", "; ", " — "]), budgets, st.sampled_from(["doc.md", "doc.txt"]))
def test_a_single_line_document_keeps_every_invariant(words, joiner, settings, name):
    split(joiner.join(words), name, settings)


_WORD_BEFORE = re.compile(r"(\S+)$")


def _unbounded_is_abbreviation(text: str, dot: int) -> bool:
    """The look-back as it was: from the start of the text (right, but quadratic in a paragraph's length)."""
    if text[dot] != ".":
        return False
    word = _WORD_BEFORE.search(text, 0, dot)
    if not word:
        return False
    token = word.group(1).lstrip("(\"'“[").lower()
    return token in split_module.ABBREVIATIONS or (len(token) == 1 and token.isalpha())


tokens = st.sampled_from(WORDS + ["(e.g.", "“Dr.", "[No.", "a" * 31, "b" * 32, "c" * 33, "(" * 35 + "etc", "q"])


@given(st.lists(st.tuples(tokens, st.sampled_from([" ", "  ", "\n", ". ", "! ", ".\n"])), max_size=80))
def test_the_bounded_look_back_splits_exactly_like_the_unbounded_one(pieces):
    text = "".join(t + sep for t, sep in pieces)
    bounded = sentence_spans(text, 0, len(text))
    real = split_module._is_abbreviation
    split_module._is_abbreviation = _unbounded_is_abbreviation
    try:
        unbounded = sentence_spans(text, 0, len(text))
    finally:
        split_module._is_abbreviation = real
    assert bounded == unbounded


@given(documents(), budgets)
def test_every_sentence_lies_in_a_passage_and_passages_cover_the_sentences(text, settings):
    doc = make_doc(text, "doc.md")
    sentences, passages = split_module.Splitter(settings).split(doc)
    check_invariants(doc, sentences, passages, settings)
    held = set()
    for p in passages:
        held.update(range(p.first_sentence, p.last_sentence + 1))
    assert held == set(range(len(sentences)))  # every sentence is in at least one passage
    for a, b in zip(passages, passages[1:]):  # passages go forward through the text, overlapping by whole sentences
        assert a.first_sentence < b.first_sentence and b.first_sentence <= a.last_sentence + 1


# ---------------------------------------------------------------- answers

question_words = st.lists(st.sampled_from(["what", "how", "much", "who", "when", "copper", "price", "rose", "Tibet",
                                           "mine", "12%", "1,000", "中文", "😀", "the", "of", "?"]),
                          min_size=1, max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(documents(), min_size=1, max_size=3), st.lists(question_words, min_size=1, max_size=4),
       st.sampled_from(["hybrid", "dense", "bm25"]))
# found by a CI run: the reader's span began on a heading's "#### ", outside the sentences quoted, and the short
# answer's offsets fell before its quote
@example(texts=["# copper\n\n", "- copper.\n\n# copper 1,000\n\n#### copper\ncopper. \n\n"],
         questions=[["much", "copper", "1,000"]], mode="hybrid")
def test_every_answer_cites_exact_offsets_and_its_short_answer_lies_in_the_quote(texts, questions, mode):
    from qa.answer.assistant import Assistant
    from qa.index.build import build_index
    from qa.retrieve.retriever import Retriever

    with tempfile.TemporaryDirectory(prefix="rel_prop_") as tmp:
        files = {f"d{i}.{'md' if i % 2 else 'txt'}": t for i, t in enumerate(texts)}
        if not any(t[make_doc(t).body_start:].strip() for t in texts):
            files["fallback.txt"] = "Copper rose 12% in Tibet."
        corpus = write_corpus(Path(tmp) / "corpus", {n: t for n, t in files.items()
                                                      if t[make_doc(t).body_start:].strip()})
        embedder = HashEmbedder(Path(tmp))  # the invariants are about offsets, not meaning: a fast stand-in model
        index = build_index(corpus, embedder=embedder, settings=SplitSettings(max_tokens=48, overlap=1))
        assistant = Assistant(Retriever(index, embedder))
        for words in questions:
            answer = assistant.ask(" ".join(words), k=3, mode=mode)
            check_answer(answer.to_dict(), corpus)
            if answer.answerable:
                source = index.documents[answer.answer_doc].text
                assert source[answer.answer_start:answer.answer_start + len(answer.answer)] == answer.answer
                c = answer.citations[0]
                assert c.start <= answer.answer_start and answer.answer_start + len(answer.answer) <= c.end
            for hit in answer.passages:
                assert index.documents[hit.passage.doc].text[hit.passage.start:hit.passage.end] == hit.passage.text
            # the abstention's reasons say the same as if it never abstained: the quote it would give is exact too
            _, unabstained = assistant.signals(" ".join(words), k=3, mode=mode)
            check_answer(unabstained.to_dict(), corpus)
