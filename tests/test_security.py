"""Security defaults of `qa serve`: loopback unless told otherwise, bounded bodies and questions on every route,
no route that reads a path the client names, and internal errors that tell the client nothing about the code."""
from __future__ import annotations

import json

import pytest

from conftest import SPEECH_CORPUS, SPEECH_DOC
from qa.errors import QAError

SECRET = "secret-detail-/home/someone/.ssh/id_rsa"


@pytest.fixture(scope="module")
def live(service):
    """The app on a real loopback socket (uvicorn in a thread), for the chat: Gradio's queue runs only in a server."""
    import threading

    import httpx
    import uvicorn

    from qa.serve.app import create_app, listen, url_of

    sock = listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(service), log_level="error", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(0.05)
    with httpx.Client(base_url=url_of(sock).rstrip("/"), timeout=120) as http:
        yield http
    server.should_exit = True
    thread.join(30)
    sock.close()


def chat_endpoint(client) -> str:
    for name, endpoint in client.get("/gradio_api/info").json()["named_endpoints"].items():
        if [p["parameter_name"] for p in endpoint["parameters"]][:1] == ["message"]:
            return name.strip("/")
    raise AssertionError("no chat endpoint")


def chat_call(client, endpoint: str, payload: dict) -> tuple[str, str]:
    """(event kind, data) of one chat call through Gradio's HTTP API."""
    r = client.post(f"/gradio_api/call/{endpoint}", json=payload)
    assert r.status_code == 200, r.text[:200]
    stream = client.get(f"/gradio_api/call/{endpoint}/{r.json()['event_id']}").text
    kind = ""
    for line in stream.splitlines():
        if line.startswith("event:"):
            kind = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and kind in ("complete", "error"):
            return kind, line.split(":", 1)[1].strip()
    return kind, ""


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

def test_question_length_is_limited_on_every_route(client, live, service):
    long = "copper " * 3000  # 21,000 characters
    assert client.post("/api/ask", json={"question": long}).status_code == 422
    assert client.post("/api/search", json={"query": long}).status_code == 422
    reply = service.chat(long, None)  # the chat box's max_length is only the browser's; the server checks too
    assert "qa-error" in reply.html and reply.answer is None
    kind, data = chat_call(live, chat_endpoint(live), {"data": [long, [], 5]})
    assert kind == "complete" and "the limit is 20,000" in json.loads(data)[1][-1]["content"][0]["text"]


def test_bodies_are_limited_on_the_api_and_on_the_chat(client, live):
    from qa.serve.api import MAX_BODY_BYTES
    from qa.serve.app import MAX_CHAT_BODY_BYTES

    big = json.dumps({"data": ["copper?", [], 5], "pad": "x" * (MAX_CHAT_BODY_BYTES + 1)}).encode()
    r = live.post(f"/gradio_api/call/{chat_endpoint(live)}", content=big,
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["detail"]
    r = live.post("/gradio_api/queue/join", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    kind, _ = chat_call(live, chat_endpoint(live), {"data": ["Which copper mine in Tibet is mentioned?", [], 5]})
    assert kind == "complete"  # an ordinary chat turn passes the limit
    r = client.post("/api/ask", content=b"{" + b" " * MAX_BODY_BYTES + b"}", headers={"content-type": "application/json"})
    assert r.status_code == 413
    # a long conversation stays well inside the chat's limit: a turn's reply is a few kilobytes
    assert MAX_CHAT_BODY_BYTES >= 16 * MAX_BODY_BYTES


# ---------------------------------------------------------------- paths

def test_no_api_route_takes_a_path_or_an_unknown_field(client):
    schema = client.get("/openapi.json").json()
    bodies = {name: set(schema["components"]["schemas"][name]["properties"]) for name in ("AskRequest", "SearchRequest")}
    assert bodies == {"AskRequest": {"question", "k", "mode"}, "SearchRequest": {"query", "k", "mode"}}
    for path, methods in schema["paths"].items():
        for operation in methods.values():
            assert not operation.get("parameters"), (path, operation.get("parameters"))  # no query or path parameters
    for field in ("index", "corpus", "path", "file", "model"):
        r = client.post("/api/ask", json={"question": "copper?", field: "/etc/passwd"})
        assert r.status_code == 422 and "extra_forbidden" in r.text
    assert client.get("/api/ask?index=/etc").status_code in (404, 405)


@pytest.mark.parametrize("url", [
    "/gradio_api/file=/etc/passwd", "/file=/etc/passwd", "/gradio_api/file=../../../../etc/passwd",
    f"/gradio_api/file={SPEECH_CORPUS / SPEECH_DOC}", "/gradio_api/file=pyproject.toml",
    "/api/../../etc/passwd", "/static/../../../etc/passwd", "/gradio_api/upload",
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


def test_an_internal_error_tells_the_chat_client_nothing_about_the_code(live, service, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(service.assistant, "ask", broken)
    kind, data = chat_call(live, chat_endpoint(live), {"data": ["copper?", [], 5]})
    assert kind == "error"
    assert SECRET not in data and "Traceback" not in data and ".py" not in data
