"""`qa show DOC:START-END` and GET /api/source: the cited range in its document, with its page and heading path,
from one lookup (qa.chat.source); unknown documents and ranges are one line."""
from __future__ import annotations

import json

import pytest

from conftest import SPEECH_DOC

COPPER = (13264, 13495)  # the sentence cited for "Which copper mine in Tibet is mentioned?"


def test_qa_show_prints_where_and_the_range_marked(capsys, speech_index_dir, speech_assistant):
    from qa.cli import main

    assert main(["show", f"{SPEECH_DOC}:{COPPER[0]}-{COPPER[1]}", "--index", str(speech_index_dir)]) == 0
    out = capsys.readouterr().out
    source = speech_assistant.index.documents[SPEECH_DOC].text
    head, body = out.split("\n\n", 1)
    assert head.startswith(f"{SPEECH_DOC}:{COPPER[0]}-{COPPER[1]}") and "New Challenges in High-Quality" in head
    marked = " ".join(body.split("»", 1)[1].split("«", 1)[0].split())
    assert marked == " ".join(source[COPPER[0]:COPPER[1]].split())
    assert "Since the" in body  # with its context


def test_qa_show_json_is_the_api_route(capsys, speech_index_dir, client):
    from qa.cli import main

    assert main(["show", f"{SPEECH_DOC}:{COPPER[0]}-{COPPER[1]}", "--index", str(speech_index_dir), "--json",
                 "--context", "50"]) == 0
    shown = json.loads(capsys.readouterr().out)
    r = client.get("/api/source", params={"doc": SPEECH_DOC, "start": COPPER[0], "end": COPPER[1], "context": 50})
    assert r.status_code == 200 and r.json() == shown
    source = client.app.state.corpora.default.index.documents[SPEECH_DOC].text
    assert shown["before"] + shown["text"] + shown["after"] == source[shown["context_start"]:shown["context_end"]]
    assert len(shown["before"]) <= 50 and shown["text"].startswith("A number of major projects")


@pytest.mark.parametrize("spec, words", [
    ("nope.md:1-2", "no document 'nope.md' in the index"),
    (f"{SPEECH_DOC}:10-999999", "not a range of"), (f"{SPEECH_DOC}:20-10", "not a range of"),
    ("copper", "not a citation: 'copper'; write DOC:START-END"),
])
def test_qa_show_bad_input_is_one_line_and_exit_2(capsys, speech_index_dir, client, spec, words):
    from qa.chat.source import parse_range
    from qa.cli import main
    from qa.errors import QAError

    assert main(["show", spec, "--index", str(speech_index_dir)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]
    try:
        doc, start, end = parse_range(spec)
    except QAError:
        return
    r = client.get("/api/source", params={"doc": doc, "start": start, "end": end})
    assert r.status_code == 422 and words in r.json()["detail"]
