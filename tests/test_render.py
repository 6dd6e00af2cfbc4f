"""The chat's HTML: corpus text is inert (no HTML, Markdown, LaTeX or links come out of it), the answer is marked
inside its quote by offsets, citations and sources are shown, and abstentions are plainly worded."""
from __future__ import annotations

import html
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from conftest import write_corpus
from qa.chat.followup import Resolved
from qa.records import Answer, Citation, Document, Hit, Passage
from qa.chat.render import answer_html, corpus_noun, corpus_title, escape, excerpt, question_html

OUR_TAGS = {"div", "span", "mark", "blockquote", "details", "summary", "ol", "li", "strong"}
ACTIVE = set("<>&*_[]`$|~\\{}")  # without "[" no "(" makes a link; our own words use "(" and "#"

EVIL = ("---\ntitle: <b>Evil</b> *notes*\n---\n\n# Payloads\n\n"
        "The vault opens with <script>alert('x')</script> at night. "
        "Guards wear **bold** hats and [click](javascript:alert(1)) badges.\n\n"
        "The safe code is $x^2$ and `rm -rf` and <img src=x onerror=alert(2)> too.\n\n"
        "| a | b |\n|---|---|\n\n    indented code\n\n> quoted &amp; https://example.com/x_y\n")


class _Parts(HTMLParser):
    """The tags of a fragment and its raw text between tags (character references left as they are)."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.tags, self.data, self.attrs = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.data.append(data)


def parts(fragment: str) -> _Parts:
    p = _Parts()
    p.feed(fragment)
    p.close()
    return p


def assert_inert(fragment: str) -> None:
    p = parts(fragment)
    assert set(p.tags) <= OUR_TAGS, set(p.tags) - OUR_TAGS
    assert {name for name, _ in p.attrs} <= {"class", "title", "open"}
    raw = "".join(p.data)
    assert not ACTIVE & set(raw), ACTIVE & set(raw)


@given(st.text())
def test_escape_is_inert_and_reversible(text):
    out = escape(text)
    assert_inert(out)
    assert "\n" not in out and "\r" not in out  # no blank line can end the HTML block it sits in
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert html.unescape(out) == expected


def test_excerpt_marks_by_offsets_not_by_search():
    source = "copper, copper and copper"
    out = excerpt(source, 0, len(source), [(8, 14, "qa-answer")])  # the second "copper", not the first
    assert html.unescape(out) == 'copper, <mark class="qa-answer">copper</mark> and copper'
    # marks are clipped to the excerpt and never cross it
    assert html.unescape(excerpt(source, 8, 14, [(0, 25, "qa-cited")])) == '<mark class="qa-cited">copper</mark>'
    assert html.unescape(excerpt(source, 0, 6, [(8, 14, "x")])) == "copper"


def _speechless_answer(answerable: bool) -> tuple[Answer, dict]:
    text = "# Notes\n\nPrices rose 12% in May. Output <fell>.\n"
    doc = Document("notes.md", text)
    passage = Passage("notes.md#0", "notes.md", 9, len(text) - 1, text[9:len(text) - 1], "Notes")
    start = text.index("Prices")
    end = text.index("May.") + 4
    hit = Hit(passage, 0.0325, 0)
    if not answerable:
        return Answer("What is the capital of France?", False, "", "", (), (hit,), 0.01), {"notes.md": doc}
    citation = Citation("notes.md", start, end, text[start:end], 0.8, "Notes")
    a_start = text.index("12%")
    return (Answer("How much did prices rise?", True, "12%", citation.text, (citation,), (hit,), 0.8, a_start,
                   "notes.md"), {"notes.md": doc})


def test_an_answer_shows_the_short_answer_the_marked_quote_the_citation_and_sources():
    answer, docs = _speechless_answer(True)
    out = answer_html(answer, docs, "document", Resolved("And prices?", "How much did prices rise?", "append"))
    assert_inert(out)
    text = html.unescape(out)
    assert 'Answering: How much did prices rise?' in text
    assert '<div class="qa-short">12%</div>' in text
    assert 'Prices rose <mark class="qa-answer">12%</mark> in May.</blockquote>' in text
    assert "notes.md</span> · characters 9–32 · <span class=\"qa-heading\">Notes</span>" in text
    assert "<details class=\"qa-sources\"><summary>Sources: 1 passage retrieved" in text
    assert '<mark class="qa-cited">Prices rose 12% in May.</mark> Output <fell>.' in text  # the text, not a tag
    assert "score 0.0325" in text


def test_an_unrewritten_question_says_nothing_about_resolving():
    answer, docs = _speechless_answer(True)
    assert "Answering" not in answer_html(answer, docs, "document", Resolved("q", "q"))


def test_an_abstention_is_plainly_worded_and_marks_the_closest_passages():
    answer, docs = _speechless_answer(False)
    for noun, wording in (("speech", "The speech does not say."), ("document", "The document does not say."),
                          ("documents", "The documents do not say.")):
        text = html.unescape(answer_html(answer, docs, noun))
        assert wording in text and "What is the capital of France?" in text
        assert "<details class=\"qa-sources\" open>" in text and "does not answer" in text
        assert "<mark" not in text and "qa-short" not in text


def test_the_corpus_noun_and_title_come_from_the_front_matter():
    speech = Document("talk.md", "x", meta={"title": '"A Talk"', "speaker": "Someone"})
    assert corpus_noun({"talk.md": speech}) == "speech" and corpus_title({"talk.md": speech}) == "A Talk"
    report = Document("report.md", "x", meta={"title": "Annual report"})
    assert corpus_noun({"report.md": report}) == "document" and corpus_title({"report.md": report}) == "Annual report"
    assert corpus_noun({"a": report, "b": speech}) == "documents" and corpus_title({"a": report, "b": speech}) == \
        "2 documents"


def test_a_user_question_is_shown_as_text():
    assert_inert(question_html("<img src=x onerror=alert(1)> **hi** [a](b) $x$"))


def test_a_hostile_document_cannot_inject_anything_into_the_chat(tmp_path, embedder):
    from qa.answer.assistant import Assistant
    from qa.index.build import build_index
    from qa.retrieve.retriever import Retriever
    from qa.serve.service import Service

    corpus = write_corpus(tmp_path / "corpus", {"evil.md": EVIL})
    service = Service(Assistant(Retriever(build_index(corpus, embedder=embedder), embedder)))
    assert service.noun == "document" and service.title == "<b>Evil</b> *notes*"
    for question in ("What do the guards wear?", "How does the vault open?", "What is the safe code?",
                     "Who won the 2022 FIFA World Cup final?"):
        reply = service.chat(question, None, k=5)
        assert_inert(reply.html)
        shown = html.unescape(reply.html)
        assert "<script>alert('x')</script>" in shown or "$x^2$" in shown or "**bold**" in shown
