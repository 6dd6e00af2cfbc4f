"""The chat's Gradio events in process, without a browser: a turn sends the conversation that turn alone, documents
added become a corpus of their own and Gradio's copies of them are removed, a citation's source is escaped HTML, and
what the page sends back is checked like any request."""
from __future__ import annotations

import gradio as gr
import pytest

from conftest import SPEECH_DOC
from qa.serve.ui.html import source_html, status_html

COPPER = "Which copper mine in Tibet is mentioned?"
CONVERSATION, PREVIOUS, BOX, EXAMPLES, STATUS, PICKER, HEADER, SIDEBAR = range(8)  # qa.serve.ui.page's outputs


@pytest.fixture
def events(service, tmp_path, fast_embedder):
    from qa.serve.corpora import Corpora
    from qa.serve.ui.events import Events

    corpora = Corpora(service, tmp_path / "uploads")
    corpora._embedder = fast_embedder  # the session's export, not a second load
    return Events(corpora)


def uploaded(name: str, data: bytes):
    """A file as Gradio's upload route leaves it: in a folder of its own in Gradio's upload folder."""
    import secrets
    from pathlib import Path

    folder = Path(gr.utils.get_upload_folder()) / secrets.token_hex(8)
    folder.mkdir(parents=True)
    (folder / name).write_bytes(data)
    return folder / name


def test_a_turn_sends_the_conversation_that_turn_alone_and_keeps_the_follow_up_context(events):
    first = events.turn({"text": f"  {COPPER} ", "files": []}, "default", None, 5)
    turn = first[CONVERSATION]
    assert turn["kind"] == "reply" and turn["message"] == COPPER and turn["display"]["answered"]
    assert set(turn) == {"kind", "message", "question", "display", "seq"}  # no earlier turn rides along
    assert first[PREVIOUS]["question"] == COPPER and first[PREVIOUS]["answer"] == turn["display"]["short"]
    assert first[EXAMPLES].visible is False
    again = events.turn({"text": COPPER, "files": []}, "default", None, 5)
    assert again[CONVERSATION]["seq"] != turn["seq"]  # the same question twice is two turns on the page
    follow, _ = events.answer("And for nickel?", "default", {"question": "How dependent is China on imported cobalt?",
                                                              "answer": "x"}, 5)
    assert follow["question"] == "How dependent is China on imported nickel?" and follow["display"]["rewritten"]


def test_the_chat_keeps_the_whole_follow_up_context_so_a_second_fragment_swaps_the_phrase_the_first_put_in(events):
    previous = None
    for typed in ("What is the externally purchased ratio for tin?", "And for platinum group metals?", "And zinc?"):
        turn, previous = events.answer(typed, "default", previous, 5)
    # before, the session kept only question and answer, and this read "... ratio for platinum group zinc?"
    assert turn["question"] == "What is the externally purchased ratio for zinc?", turn["question"]


def test_an_empty_box_sends_nothing_and_a_refused_question_is_a_line(events):
    for nothing in (events.turn({"text": "  ", "files": []}, "default", None, 5),
                    events.turn({"text": COPPER, "files": ["/tmp/x.md"]}, "default", None, 5),  # documents: not here
                    *events.submit_documents({"text": COPPER, "files": []}, None, 5)):
        assert all(output == gr.skip() for output in nothing)
    error, previous = events.answer("x" * 20_001, "default", {"question": "q", "answer": "a"}, 5)
    assert error["kind"] == "error" and "20,000" in error["error"] and previous == {"question": "q", "answer": "a"}
    error, _ = events.answer(COPPER, "no-such-corpus", None, 5)
    assert error["kind"] == "error" and "no corpus named" in error["error"]


def test_documents_added_become_a_corpus_of_their_own_and_gradio_keeps_no_copy(events):
    from test_formats import TWO_PAGES, pdf_bytes

    files = [uploaded("mill.pdf", pdf_bytes(TWO_PAGES)), uploaded("notes.md", b"The pond holds 4,000 litres.\n")]
    message = {"text": "When did the mill close?", "files": [str(f) for f in files]}
    steps = list(events.submit_documents(message, None, 5))
    statuses = [s[STATUS] for s in steps if isinstance(s[STATUS], str)]
    assert "Uploading mill.pdf" in statuses[0] and "Indexed 2 file(s) into “mill”" in statuses[-1]
    done = next(s for s in steps if isinstance(s[STATUS], str) and "Indexed" in s[STATUS])
    assert done[PICKER].value == "mill" and ("mill (2 files)", "mill") in done[PICKER].choices
    assert "Ask the documents" in done[HEADER] and done[CONVERSATION]["kind"] == "clear"
    last = steps[-1][CONVERSATION]  # the text typed with the files is asked of them
    assert last["kind"] == "reply" and "mill.pdf" in last["display"]["citations"][0]["where"]
    assert not any(f.exists() or f.parent.exists() for f in files)
    assert events.corpora.describe("mill")["status"] == "ready"


def test_a_file_qa_does_not_read_is_not_added_and_not_kept(events):
    bad = uploaded("tool.exe", b"MZ\x90\x00")
    steps = list(events.add([str(bad)], "", None, 5))
    assert "Not added: tool.exe: not a document qa reads" in steps[-1][STATUS]
    assert not bad.exists() and "tool" not in {c["name"] for c in events.corpora.list() if c["status"] == "ready"}


def test_a_file_that_was_not_uploaded_to_the_chat_is_neither_read_nor_removed(events, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("The vault code is 9302.\n")
    steps = list(events.submit_documents({"text": "What is the vault code?", "files": [str(secret)]}, None, 5))
    assert "Not added: secret.md: not uploaded to this chat" in steps[-1][STATUS] and "9302" not in repr(steps)
    assert [c["name"] for c in events.corpora.list()] == ["default"] and secret.read_text() == "The vault code is 9302.\n"


def test_only_gradio_s_own_uploads_are_removed(events, tmp_path):
    from qa.serve.ui.events import _remove

    outside = tmp_path / "mine.md"
    outside.write_text("mine")
    _remove([str(outside)])
    assert outside.exists()


def test_a_citation_opens_its_range_as_escaped_html_and_bad_ranges_are_a_line(events, service):
    class Event:  # what trigger('select', {...}) gives the handler
        def __init__(self, data):
            self._data = data

    start = service.index.documents[SPEECH_DOC].text.index("Julong Copper Mine")
    html, sidebar = events.source("default", Event({"doc": SPEECH_DOC, "start": start, "end": start + 18}))
    assert '<mark class="qa-cited">Julong Copper Mine</mark>' in html and sidebar.open is True
    for data in ({"doc": "/etc/passwd", "start": 0, "end": 10}, {"doc": SPEECH_DOC, "start": "x", "end": 3},
                 {"doc": SPEECH_DOC, "start": 10, "end": 5}, {}, None):
        html, _ = events.source("default", Event(data))
        assert 'role="alert"' in html and "root:x" not in html


def test_the_server_s_html_escapes_every_character_of_a_document():
    view = {"doc": "a<b>.md", "title": "<script>alert(1)</script>", "start": 3, "end": 9, "heading": "H & <i>",
            "context_start": 0, "context_end": 12, "length": 12,
            "blocks": [{"heading": False, "parts": [{"start": 0, "text": "<b>", "mark": None},
                                                    {"start": 3, "text": "<img src=x>", "mark": "cited"}]}]}
    html = source_html(view)
    assert "<script>" not in html and "<img" not in html and "<i>" not in html
    assert "&lt;img src=x&gt;" in html and "H &amp; &lt;i&gt;" in html
    assert "<script>" not in status_html(0.5, "Uploading <script>.md") and "value=\"0.500\"" in status_html(0.5, "x")


def test_gradio_s_per_session_stores_are_bounded(service):
    import os

    from qa.serve.corpora import Corpora
    from qa.serve.ui.page import SESSIONS, build

    blocks = build(Corpora(service))
    assert blocks.state_session_capacity == SESSIONS < 10_000  # Gradio's own: 10,000
    assert blocks._queue.pending_messages_per_session.max_size == SESSIONS < 2_000
    assert os.environ["GRADIO_ANALYTICS_MAX_EVENTS"] == "200"  # set before gradio was imported (qa.serve.ui)
    api = {d["api_name"] for d in blocks.get_config_file()["dependencies"] if d.get("api_visibility") == "public"}
    assert api == {"ask", "search"}
