"""`qa serve` without a browser: the chat turn (follow-ups resolved and said), the examples, the listening socket
and the one-line error for a port in use."""
from __future__ import annotations

import html
import os
import socket
import subprocess
import sys

import pytest

from conftest import REPO
from qa.errors import QAError
from qa.followup import Turn


@pytest.fixture(scope="module")
def service(speech_assistant):
    from qa.serve import Service

    return Service(speech_assistant)


def test_the_speech_is_called_a_speech_with_its_front_matter_title(service):
    assert service.noun == "speech"
    assert service.title.startswith("Shaping a New Development Pattern for the Non-Ferrous Mining Industry")
    assert "Which copper mine in Tibet is mentioned?" in service.examples()


def test_a_follow_up_is_answered_from_the_conversation_and_says_what_it_answered(service):
    first = service.chat("How dependent is China on imported cobalt?", None)
    assert first.turn.question == "How dependent is China on imported cobalt?"
    assert "Answering" not in first.html
    second = service.chat("And for nickel?", first.turn)
    assert second.resolved.question == "How dependent is China on imported nickel?"
    assert second.answer.question == "How dependent is China on imported nickel?"
    assert "Answering: How dependent is China on imported nickel?" in html.unescape(second.html)


def test_an_abstention_in_the_chat_says_the_speech_does_not_say(service):
    reply = service.chat("Who won the 2022 FIFA World Cup final?", None)
    text = html.unescape(reply.html)
    assert not reply.answer.answerable and reply.turn == Turn("Who won the 2022 FIFA World Cup final?", "")
    assert "The speech does not say." in text and "none of them answers the question" in text


def test_a_refused_question_is_an_error_line_not_a_crash(service):
    reply = service.chat("x" * 20_001, Turn("What is copper?", ""))
    assert "qa-error" in reply.html and "limit is 20,000" in html.unescape(reply.html)


def test_examples_of_another_corpus_come_from_its_headings(tiny_index, embedder):
    from qa.assistant import Assistant
    from qa.retrieve import Retriever
    from qa.serve import Service

    service = Service(Assistant(Retriever(tiny_index, embedder)))
    assert service.noun == "documents"
    assert service.examples() == ["What do the documents say about Copper?",
                                  "What do the documents say about Smelting?"]


def test_listen_binds_loopback_and_a_port_in_use_is_one_line():
    from qa.serve import listen, url_of

    sock = listen("127.0.0.1", 0)
    try:
        port = sock.getsockname()[1]
        assert url_of(sock) == f"http://127.0.0.1:{port}/"
        with pytest.raises(QAError, match=f"port {port} on 127.0.0.1 is in use; choose another with --port"):
            listen("127.0.0.1", port)
    finally:
        sock.close()
    with pytest.raises(QAError, match="cannot listen on"):
        listen("no-such-host.invalid", 0)


def test_qa_serve_on_a_port_in_use_exits_2_with_one_line_before_loading_anything(capsys, monkeypatch):
    from qa.cli import main

    loaded = []
    monkeypatch.setattr("qa.cli._load", lambda *a: loaded.append(a))
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    finally:
        busy.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"qa: error: port {port} on 127.0.0.1 is in use; choose another with --port"]
    assert not loaded


def test_serve_rejects_a_bad_port(capsys):
    from qa.cli import main

    assert main(["serve", "--port", "70000"]) == 2
    assert "must be at most 65535" in capsys.readouterr().err


def test_serve_help_imports_nothing_heavy():
    env = dict(os.environ, PYTHONPATH=str(REPO))
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "qa", "serve", "--help"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "--port" in run.stdout
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in run.stderr.splitlines()
                if line.startswith("import time:")}
    assert not imported & {"gradio", "fastapi", "uvicorn", "torch", "numpy"}
