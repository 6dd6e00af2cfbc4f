"""`qa serve` without a browser: the chat turn (follow-ups resolved and said), the examples, the listening socket
and the one-line error for a port in use."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from conftest import REPO
from qa.errors import QAError
from qa.chat.followup import Turn


@pytest.fixture(scope="module")
def service(speech_assistant):
    from qa.serve.service import Service

    return Service(speech_assistant)


def test_the_speech_is_called_a_speech_with_its_front_matter_title(service):
    assert service.noun == "speech"
    assert service.title.startswith("Shaping a New Development Pattern for the Non-Ferrous Mining Industry")
    assert "When did the DRC announce the suspension of cobalt exports?" in service.examples()


def test_a_follow_up_is_answered_from_the_conversation_and_says_what_it_answered(service):
    first = service.chat("How dependent is China on imported cobalt?", None)
    assert first.turn.question == "How dependent is China on imported cobalt?"
    assert not first.data["rewritten"]
    second = service.chat("And for nickel?", first.turn)
    assert second.resolved.question == "How dependent is China on imported nickel?"
    assert second.answer.question == "How dependent is China on imported nickel?"
    assert second.data["rewritten"]


def test_a_follow_up_is_never_less_supported_than_the_question_as_typed(service):
    first = service.chat("What is the external dependence of copper concentrate?", None)
    for typed in ("And for platinum group metals?", "What about tin?", "Where is it?"):
        reply = service.chat(typed, first.turn)
        raw = service.assistant.ask(typed)
        assert reply.answer.confidence >= raw.confidence
        first = reply


def test_an_abstention_in_the_chat_says_the_speech_does_not_say(service):
    reply = service.chat("Who won the 2022 FIFA World Cup final?", None)
    assert not reply.answer.answerable and reply.turn == Turn("Who won the 2022 FIFA World Cup final?", "")
    assert reply.data["verdict"] == "The speech does not say." and not reply.data["answered"]
    assert reply.data["copy"].startswith("The speech does not say: nothing in the speech answers")


def test_a_refused_question_is_an_error_line_not_a_crash(service):
    reply = service.chat("x" * 20_001, Turn("What is copper?", ""))
    assert "limit is 20,000" in reply.data["error"] and reply.answer is None


def test_examples_of_another_corpus_are_questions_it_answers_asked_once(tiny_index, embedder, monkeypatch):
    from qa.answer.assistant import Assistant
    from qa.chat.examples import candidates
    from qa.retrieve.retriever import Retriever
    from qa.serve.service import Service

    service = Service(Assistant(Retriever(tiny_index, embedder)))
    assert service.noun == "documents"
    made = dict(candidates(tiny_index))
    examples = service.examples()
    assert set(examples) <= set(made)  # made from its sentences, never "What do the documents say about Copper?"
    for question in examples:
        answer = service.ask(question)
        assert answer.answerable and answer.answer.lower() not in question.lower()
    monkeypatch.setattr(service, "ask", lambda *a, **k: pytest.fail("examples are checked once per index"))
    assert service.examples() == examples


def test_listen_binds_loopback_and_a_port_in_use_is_one_line():
    from qa.serve.app import listen, url_of

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
    assert not imported & {"fastapi", "uvicorn", "torch", "numpy", "gradio", "gradio_client", "mcp"}


# ---------------------------------------------------------------- picking up a rebuilt index

def test_a_rebuilt_index_is_picked_up_whole_and_a_broken_one_is_refused(tmp_path, embedder, capsys):
    from qa.answer.assistant import Assistant
    from qa.index.build import build_index
    from qa.index.store import load_index, save_index
    from qa.retrieve.retriever import Retriever
    from qa.serve.service import Service
    from conftest import TINY, write_corpus

    old_corpus = write_corpus(tmp_path / "old")
    new_corpus = write_corpus(tmp_path / "new", dict(TINY, **{"weather.txt": "Snow fell on Porto on Friday.\n"}))
    index_dir = tmp_path / "index"
    save_index(build_index(old_corpus, embedder=embedder), index_dir)
    service = Service(Assistant(Retriever(load_index(index_dir), embedder)), reload_every=3600)
    question = "What fell on Porto on Friday?"
    before = service.ask(question).to_dict()
    assert not service.reload_if_changed(wait=True)  # nothing changed: nothing loaded

    new = build_index(new_corpus, embedder=embedder)
    save_index(new, index_dir)
    assert service.ask(question).to_dict() == before  # not yet checked (reload_every): still the old index
    assert service.reload_if_changed(wait=True)
    assert service.index.manifest["corpus_hash"] == new.manifest["corpus_hash"]
    assert service.health()["manifest"]["corpus_hash"] == new.manifest["corpus_hash"]
    after = service.ask(question).to_dict()
    assert after != before and any("Snow fell" in p["text"] for p in after["passages"])
    assert "now answering from the rebuilt index" in capsys.readouterr().err

    # a version that does not load is reported and refused; the one in service goes on answering
    save_index(build_index(old_corpus, embedder=embedder), index_dir)
    broken = index_dir / (index_dir / "CURRENT").read_text().strip() / "passages.jsonl"
    broken.write_text(broken.read_text()[:-20])
    assert service.reload_if_changed(wait=True)
    assert service.ask(question).to_dict() == after
    err = capsys.readouterr().err
    assert "not switching to the rebuilt index" in err and "corrupt" in err and "qa index" in err
    assert not service.reload_if_changed(wait=True)  # not tried again until CURRENT changes


def test_a_service_over_an_index_in_memory_never_reloads(tiny_index, embedder):
    from qa.answer.assistant import Assistant
    from qa.retrieve.retriever import Retriever
    from qa.serve.service import Service

    import dataclasses

    service = Service(Assistant(Retriever(dataclasses.replace(tiny_index, path=None), embedder)))
    assert service.index_dir is None and not service.reload_if_changed(wait=True)
