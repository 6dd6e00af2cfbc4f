"""What the chat page is sent: text pieces cut by exact offsets (never HTML), the answer marked inside its quote,
headings without their # marks, overlapping sources merged, confidence in words and a plain-text copy line."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from qa.chat.followup import Resolved
from qa.chat.render import confidence_words, corpus_noun, corpus_title, pieces, reply
from qa.records import Answer, Citation, Document, Hit, Passage

TEXT = "# Notes\n\n## Prices\n\nPrices rose 12% in May. Output <fell>.\n\nThen **nothing** moved.\n"


def _answer(answerable: bool) -> tuple[Answer, dict]:
    doc = Document("notes.md", TEXT)
    first = Passage("notes.md#0", "notes.md", 0, TEXT.index("Output") + 14, TEXT[:TEXT.index("Output") + 14], "Notes › Prices")
    start = TEXT.index("Output")  # overlaps the first passage: the two are one source
    second = Passage("notes.md#1", "notes.md", start, len(TEXT) - 1, TEXT[start:-1], "Notes › Prices")
    hits = (Hit(first, 0.9, 0), Hit(second, 0.4, 1))
    if not answerable:
        return Answer("What is the capital of France?", False, "", "", (), hits, 0.1), {"notes.md": doc}
    c_start, c_end = TEXT.index("Prices rose"), TEXT.index("May.") + 4
    citation = Citation("notes.md", c_start, c_end, TEXT[c_start:c_end], 0.8, "Notes › Prices")
    return (Answer("How much did prices rise?", True, "12%", citation.text, (citation,), hits, 0.8,
                   TEXT.index("12%"), "notes.md"), {"notes.md": doc})


def _texts(blocks) -> list[tuple[bool, str]]:
    return [(b["heading"], "".join(p["text"] for p in b["parts"])) for b in blocks]


@given(st.text(alphabet="ab #\n*<>", max_size=60), st.data())
def test_every_piece_is_its_own_slice_of_the_source(source, data):
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, len(source)))
    for block in pieces(source, start, end, [(start, end, "cited")]):
        for p in block["parts"]:
            assert source[p["start"]:p["start"] + len(p["text"])] == p["text"] and start <= p["start"] < end


def test_headings_lose_their_marks_and_the_answer_is_marked_by_offsets():
    answer, docs = _answer(True)
    out = reply(answer, docs, "document", Resolved("And prices?", "How much did prices rise?", "append"))
    assert out["answered"] and out["rewritten"] and out["short"] == "12%"
    assert [(p["text"], p["mark"]) for p in out["quote"][0]] == [
        ("Prices rose ", None), ("12%", "answer"), (" in May.", None)]
    [source] = out["sources"]  # the two passages overlap: merged into one range, the best score kept
    assert (source["start"], source["end"], source["passages"], source["score"]) == (0, len(TEXT) - 1, 2, 0.9)
    assert _texts(source["blocks"]) == [(True, "Notes"), (True, "Prices"),
                                        (False, "Prices rose 12% in May. Output <fell>.\n\nThen **nothing** moved.")]
    assert source["cited"] and any(p["mark"] == "cited" for b in source["blocks"] for p in b["parts"])


def test_the_copy_text_is_plain_answer_quote_and_citation():
    answer, docs = _answer(True)
    out = reply(answer, docs, "document")
    assert out["copy"] == "12%\n“Prices rose 12% in May.”\n— notes.md, §Prices, characters 20–43"
    assert out["citations"][0]["where"] == "notes.md, §Prices, characters 20–43"


def test_a_passage_that_bridges_two_sources_joins_them_into_one():
    answer, docs = _answer(True)
    a, b = TEXT.index("Prices rose"), TEXT.index("Then")
    left = Passage("notes.md#a", "notes.md", 0, a + 5, TEXT[:a + 5], "Notes")
    right = Passage("notes.md#b", "notes.md", b, len(TEXT) - 1, TEXT[b:-1], "Notes › Prices")
    bridge = Passage("notes.md#c", "notes.md", a, b + 4, TEXT[a:b + 4], "Notes › Prices")
    hits = (Hit(left, 0.9, 0), Hit(right, 0.5, 1), Hit(bridge, 0.4, 2))
    out = reply(replace(answer, passages=hits), docs, "document")
    [source] = out["sources"]  # left and right were apart until the bridge overlapped both
    assert (source["start"], source["end"], source["passages"], source["score"]) == (0, len(TEXT) - 1, 3, 0.9)


def test_a_refusal_says_so_first_and_keeps_the_passages_unmarked():
    answer, docs = _answer(False)
    for noun, wording in (("speech", "The speech does not say."), ("documents", "The documents do not say.")):
        out = reply(answer, docs, noun)
        assert out["verdict"] == wording and not out["answered"] and "short" not in out
        assert not any(s["cited"] for s in out["sources"])
        assert out["confidence_words"] == "not found" and "about 10 in 100" in out["confidence_note"]


def test_confidence_in_words_by_band():
    assert [confidence_words(p) for p in (0.95, 0.7, 0.69, 0.4, 0.39, 0.0)] == [
        "likely answer", "likely answer", "possible answer", "possible answer", "unsure", "unsure"]
    # a refusal's words are about the refusal: only a borderline one is "unsure"
    assert [confidence_words(p, answered=False) for p in (0.5, 0.2, 0.19, 0.01)] == [
        "unsure", "unsure", "not found", "not found"]


def test_the_corpus_noun_and_title_come_from_the_front_matter():
    speech = Document("talk.md", "x", meta={"title": '"A Talk"', "speaker": "Someone"})
    assert corpus_noun({"talk.md": speech}) == "speech" and corpus_title({"talk.md": speech}) == "A Talk"
    report = Document("report.md", "x", meta={"title": "Annual report"})
    assert corpus_noun({"report.md": report}) == "document" and corpus_title({"report.md": report}) == "Annual report"
    assert corpus_noun({"a": report, "b": speech}) == "documents" and corpus_title({"a": report, "b": speech}) == \
        "2 documents"


def test_a_question_read_past_its_preamble_says_what_was_answered():
    answer, docs = _answer(False)
    answer = replace(answer, question="We sell solder. How much tin does China buy abroad?",
                     read_as="How much tin does China buy abroad?")  # what the assistant says it read
    out = reply(answer, docs, "document")
    assert out["answering"] == "How much tin does China buy abroad?" and not out["rewritten"]
    assert out["copy"].endswith("answers “How much tin does China buy abroad?”.")
    answered, docs = _answer(True)
    assert reply(answered, docs, "document")["answering"] == ""  # one sentence: read as typed
    follow = reply(answered, docs, "document", Resolved("And prices?", "How much did prices rise?", "append"))
    assert follow["answering"] == "How much did prices rise?"
