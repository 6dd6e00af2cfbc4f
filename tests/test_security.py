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


# ---------------------------------------------------------------- Gradio's own routes

@pytest.fixture(scope="module")
def chat(service, tmp_path_factory):
    """The app `qa serve --uploads DIR` runs, with an uploaded corpus "other" holding one file."""
    from fastapi.testclient import TestClient

    from qa.serve.app import create_app

    root = tmp_path_factory.mktemp("uploads")
    app = create_app(service, root)
    app.state.corpora.put("other", "vault.md", b"The vault code is 4711.\n")
    return TestClient(app, raise_server_exceptions=False), root


def test_gradio_s_file_route_serves_nothing_the_app_did_not_put_there(chat, speech_index_dir):
    from conftest import REPO

    client, root = chat
    version = speech_index_dir / (speech_index_dir / "CURRENT").read_text().strip()
    assert (root / "other" / "files" / "vault.md").is_file()
    for path in ("/etc/passwd", version / "manifest.json", version / "passages.jsonl", speech_index_dir / "CURRENT",
                 root / "other" / "files" / "vault.md", SPEECH_CORPUS / SPEECH_DOC, REPO / "pyproject.toml"):
        for route in ("/gradio_api/file=", "/gradio_api/file/", "/file="):
            r = client.get(f"{route}{path}")
            assert r.status_code in (403, 404), (route, path, r.status_code)
            leaked = ("root:x:0:0", "4711", "model_fingerprint", "[build-system]", "Non-Ferrous")
            assert not any(s in r.text for s in leaked), (route, path)


@pytest.mark.parametrize("target", ["https://example.com/a.png", "http://169.254.169.254/latest/meta-data",
                                    "HTTP://example.com/", "//example.com/a.png", "%68ttps://example.com/"])
def test_gradio_s_routes_fetch_no_url_for_a_client(chat, monkeypatch, target):
    client, _ = chat
    fetched = []

    async def fetch(url, request):  # Gradio's own fetcher, which would stream the URL from the server
        fetched.append(url)

    monkeypatch.setattr("gradio.route_utils.secure_url_stream_response", fetch)
    monkeypatch.setattr("gradio.routes.secure_url_stream_response", fetch)
    for route in ("/gradio_api/file=", "/gradio_api/file/", "/gradio_api/proxy="):
        r = client.get(route + target)
        assert r.status_code == 403 and "fetches no URL" in r.json()["detail"], (route, r.status_code)
    assert fetched == []


def test_gradio_s_uploads_and_bodies_are_bounded(chat):
    from qa.serve.app import GRADIO_BODY_BYTES
    from qa.serve.corpora import MAX_FILE_BYTES

    client, _ = chat
    r = client.post("/gradio_api/upload", files={"files": ("big.md", b"x" * (MAX_FILE_BYTES + 1))})
    assert r.status_code == 413  # Gradio's max_file_size, set to the uploads' own limit
    r = client.post("/gradio_api/upload", files={"files": ("notes.md", b"The mill closed in 1961.\n")})
    assert r.status_code == 200 and r.json()[0].endswith("notes.md")
    r = client.post("/gradio_api/queue/join", content=b"{" + b" " * GRADIO_BODY_BYTES + b"}",
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["detail"]


def test_an_upload_request_larger_than_a_corpus_is_refused_before_it_is_read():
    import asyncio

    from qa.serve.gradio_guard import GradioGuard

    reached = []

    async def app(scope, receive, send):
        reached.append(scope["path"])

    async def run(headers: list[tuple[bytes, bytes]]) -> int:
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        guard = GradioGuard(app, upload="/gradio_api/upload", upload_limit=1000)
        await guard({"type": "http", "path": "/gradio_api/upload", "headers": headers}, receive, send)
        return sent[0]["status"] if sent else 0

    assert asyncio.run(run([(b"content-length", b"1001")])) == 413
    assert asyncio.run(run([])) == 411  # a streamed upload of unknown length
    assert reached == []
    assert asyncio.run(run([(b"content-length", b"1000")])) == 0 and reached == ["/gradio_api/upload"]


def test_the_mcp_tools_are_off_unless_asked_for(client):
    r = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                    headers={"accept": "application/json, text/event-stream"})
    assert r.status_code in (404, 405) and "jsonrpc" not in r.text


@pytest.fixture
def running_chat(service, tmp_path):
    """The app with uploads, its lifespan running (Gradio's queue answers only then)."""
    from fastapi.testclient import TestClient

    from qa.serve.app import create_app

    app = create_app(service, tmp_path / "uploads")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, app.state.corpora


def test_a_crafted_message_cannot_make_the_chat_read_a_file_of_the_server(running_chat, tmp_path):
    """Gradio refuses a file path a client names that it did not upload only in an app it launched itself, not in one
    mounted on FastAPI (so it once indexed this file and answered 9302): the server marks its app launched, and the
    chat's events check again (test_ui.py), so a message naming a file of the server indexes nothing."""
    import json

    client, corpora = running_chat
    secret = tmp_path / "secret.md"
    secret.write_text("The vault code is 9302.\n")
    config = client.get("/config").json()
    fn = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "submit_documents")
    message = {"text": "What is the vault code?", "files": [
        {"path": str(secret), "orig_name": "secret.md", "meta": {"_type": "gradio.FileData"}}]}
    body = {"data": [message, None, 5], "fn_index": fn, "session_hash": "crafted", "event_data": None,
            "trigger_id": None}
    assert client.post("/gradio_api/queue/join", json=body).status_code == 200
    seen = []
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": "crafted"}) as events:
        for line in events.iter_lines():
            if line.startswith("data:"):
                seen.append(json.loads(line[5:]))
                if seen[-1].get("msg") == "process_completed":
                    break
    said = json.dumps(seen)
    assert seen[-1]["msg"] == "process_completed" and "9302" not in said and "Indexed" not in said
    assert [c["name"] for c in corpora.list()] == ["default"] and secret.read_text() == "The vault code is 9302.\n"
