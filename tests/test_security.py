"""Security defaults of `qa serve`: loopback unless told otherwise, bounded bodies and questions on every route,
no route that reads a path the client names, and internal errors that tell the client nothing about the code.
The uploads' own limits and names are in test_upload.py."""
from __future__ import annotations

import pytest

from conftest import SPEECH_CORPUS, SPEECH_DOC
from qa.errors import QAError

SECRET = "secret-detail-/home/someone/.ssh/id_rsa"


# ---------------------------------------------------------------- where it listens

def test_serve_listens_on_loopback_unless_told_otherwise(monkeypatch, capsys):
    from qa.cli import build_parser, main

    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"
    asked = []

    def listen(host, port):
        asked.append((host, port))
        raise QAError("stop here")

    monkeypatch.setattr("qa.serve.app.listen", listen)
    assert main(["serve"]) == 2 and main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert asked == [("127.0.0.1", 7860), ("0.0.0.0", 0)]
    capsys.readouterr()


# ---------------------------------------------------------------- limits

def test_question_length_is_limited_on_every_route(client, service):
    long = "copper " * 3000  # 21,000 characters
    assert client.post("/api/ask", json={"question": long}).status_code == 422
    assert client.post("/api/search", json={"query": long}).status_code == 422
    assert client.post("/api/chat", json={"message": long}).status_code == 422
    previous = {"question": long, "answer": ""}
    assert client.post("/api/chat", json={"message": "And nickel?", "previous": previous}).status_code == 422
    reply = service.chat(long, None)  # the chat box's maxlength is only the browser's; the server checks too
    assert "the limit is 20,000" in reply.data["error"] and reply.answer is None


def test_bodies_are_limited_on_the_api_the_chat_and_the_uploads(client):
    from qa.serve.api import MAX_BODY_BYTES
    from qa.serve.corpora import MAX_FILE_BYTES

    for path in ("/api/ask", "/api/chat"):
        r = client.post(path, content=b"{" + b" " * MAX_BODY_BYTES + b"}", headers={"content-type": "application/json"})
        assert r.status_code == 413 and "too large" in r.json()["detail"], path
    r = client.put("/api/corpora/big/files/a.txt", content=b"x" * (MAX_FILE_BYTES + 1))
    assert r.status_code == 413 and f"{MAX_FILE_BYTES:,} bytes" in r.json()["detail"]
    r = client.post("/api/chat", json={"message": "Which copper mine in Tibet is mentioned?"})
    assert r.status_code == 200  # an ordinary chat turn passes the limit


# ---------------------------------------------------------------- paths

def test_no_route_takes_a_path_and_the_api_bodies_no_unknown_field(client):
    schema = client.get("/openapi.json").json()
    bodies = {name: set(schema["components"]["schemas"][name]["properties"])
              for name in ("AskRequest", "SearchRequest", "ChatRequest")}
    assert bodies == {"AskRequest": {"question", "k", "mode"}, "SearchRequest": {"query", "k", "mode"},
                      "ChatRequest": {"message", "previous", "k", "corpus"}}
    named = {p["name"] for methods in schema["paths"].values() for op in methods.values() for p in op.get("parameters", [])}
    # doc names a document of the loaded index, corpus and name a corpus the server holds: looked up, never opened
    assert named == {"doc", "start", "end", "context", "corpus", "name", "filename"}
    for field in ("index", "corpus_dir", "path", "file", "model"):
        r = client.post("/api/ask", json={"question": "copper?", field: "/etc/passwd"})
        assert r.status_code == 422 and "extra_forbidden" in r.text
    assert client.get("/api/ask?index=/etc").status_code in (404, 405)
    for doc in ("/etc/passwd", "../corpus.toml", "corpus.toml", "../../pyproject.toml"):
        r = client.get("/api/source", params={"doc": doc, "start": 0, "end": 10})
        assert r.status_code == 422 and "no document" in r.json()["detail"] and "root:x" not in r.text


@pytest.mark.parametrize("url", [
    "/gradio_api/file=/etc/passwd", "/file=/etc/passwd", f"/file={SPEECH_CORPUS / SPEECH_DOC}",
    "/api/../../etc/passwd", "/static/../../../etc/passwd", "/static/app.py", "/static/corpora.py",
    "/static/..%2f..%2fpyproject.toml", "/api/corpora/..%2f..%2fetc", "/api/corpora/default/files/x.md",
])
def test_no_route_serves_a_file_the_client_names(client, url):
    r = client.get(url)
    assert r.status_code in (400, 403, 404, 405, 422), (url, r.status_code)
    assert "root:x:0:0" not in r.text and "[build-system]" not in r.text and "Non-Ferrous" not in r.text


# ---------------------------------------------------------------- internal errors

def test_an_internal_error_tells_the_api_client_nothing_about_the_code(client, service, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(service.assistant, "ask", broken)
    monkeypatch.setattr(service.assistant.retriever, "search", broken)
    for path, body in (("/api/ask", {"question": "copper?"}), ("/api/search", {"query": "copper"})):
        r = client.post(path, json=body)
        assert r.status_code == 500 and r.json() == {"detail": "internal error (RuntimeError)"}
        assert SECRET not in r.text and "Traceback" not in r.text and ".py" not in r.text


def test_an_internal_error_tells_the_chat_client_nothing_about_the_code(client, service, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(service.assistant, "ask", broken)
    r = client.post("/api/chat", json={"message": "copper?"})
    assert r.status_code == 500 and r.json() == {"detail": "internal error (RuntimeError)"}
    assert SECRET not in r.text and "Traceback" not in r.text
