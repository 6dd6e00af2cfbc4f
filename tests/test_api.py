"""The HTTP API in process (FastAPI TestClient over the full app, chat routes included): ask, search and health, the
same JSON as the CLI, 422 for invalid bodies and over-long questions, 413 for oversized bodies, no 500s,
and the routes documented in /openapi.json."""
from __future__ import annotations

import json
import threading

import pytest

from conftest import REPO, SPEECH_CORPUS, SPEECH_DOC, check_answer

COPPER = "Which copper mine in Tibet is mentioned?"
OFF_TOPIC = "Who won the 2022 FIFA World Cup final?"


def source(doc: str) -> str:
    return (SPEECH_CORPUS / doc).read_bytes().decode("utf-8")


# ---------------------------------------------------------------- ask, search, health

def test_ask_answers_with_the_answer_contract(client):
    r = client.post("/api/ask", json={"question": COPPER})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    answer = r.json()
    check_answer(answer, SPEECH_CORPUS)
    assert answer["answerable"] and "Yulong Copper Mine" in answer["quote"]
    span = answer["answer_span"]
    assert source(span["doc"])[span["start"]:span["end"]] == answer["answer"]
    assert len(answer["passages"]) == 5


def test_ask_abstains_when_the_speech_does_not_say(client):
    answer = client.post("/api/ask", json={"question": OFF_TOPIC, "k": 3}).json()
    check_answer(answer, SPEECH_CORPUS)
    assert not answer["answerable"] and len(answer["passages"]) == 3


def test_ask_says_which_question_it_read(client):
    plain = client.post("/api/ask", json={"question": COPPER}).json()
    assert plain["read_as"] == plain["question"] == COPPER
    asked = "I run a mining blog and write about Tibet. " + COPPER
    answer = client.post("/api/ask", json={"question": asked}).json()
    assert answer["question"] == asked and answer["read_as"] == COPPER  # the preamble read past
    assert answer["citations"] == plain["citations"]


def test_ask_returns_the_same_json_as_the_cli(client, capsys, speech_index_dir):
    from qa.cli import main

    assert main(["ask", "--json", COPPER, "--index", str(speech_index_dir), "--corpus", str(SPEECH_CORPUS)]) == 0
    printed = capsys.readouterr().out
    served = client.post("/api/ask", json={"question": COPPER}).content.decode("ascii")
    assert served == printed  # byte for byte, newline included


def test_search_returns_ranked_passages_with_exact_offsets(client, service):
    r = client.post("/api/search", json={"query": "cobalt export suspension", "k": 4})
    assert r.status_code == 200
    hits = r.json()
    assert len(hits) == 4 and hits == [h.to_dict() for h in service.search("cobalt export suspension", k=4)]
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    for h in hits:
        assert source(h["doc"])[h["start"]:h["end"]] == h["text"] and h["id"].startswith(SPEECH_DOC + "#")


def test_search_modes(client):
    for mode in ("hybrid", "dense", "bm25"):
        assert client.post("/api/search", json={"query": "lithium", "k": 2, "mode": mode}).status_code == 200


def test_health_reports_status_model_manifest_and_passages(client, service):
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["model"] == "all-MiniLM-L6-v2"
    assert health["passages"] == len(service.index.passages) > 0
    assert health["documents"] == 1 and health["corpus"].startswith("Shaping a New Development Pattern")
    assert health["manifest"]["format"] == 1 and health["manifest"]["passages"] == health["passages"]


def test_concurrent_requests_share_one_assistant(client):
    results, errors = [], []

    def ask():
        try:
            results.append(client.post("/api/ask", json={"question": COPPER, "k": 2}).content)
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(results) == 4 and len(set(results)) == 1


# ---------------------------------------------------------------- refusals

@pytest.mark.parametrize("body", [
    {},
    {"question": 7},
    {"question": ""},
    {"question": None},
    {"question": ["a list"]},
    {"question": COPPER, "k": 0},
    {"question": COPPER, "k": -1},
    {"question": COPPER, "k": 101},
    {"question": COPPER, "k": "5"},
    {"question": COPPER, "k": True},
    {"question": COPPER, "k": 2.5},
    {"question": COPPER, "mode": "fuzzy"},
    {"question": COPPER, "questoin": "typo"},
    {"query": COPPER},
    [COPPER],
])
def test_invalid_ask_bodies_get_422_with_a_reason(client, body):
    r = client.post("/api/ask", json=body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail and all({"loc", "msg", "type"} <= set(d) for d in detail)


@pytest.mark.parametrize("content", [b"", b"{", b"not json", b"\xff\xfe", b'{"question": "a"'])
def test_malformed_json_gets_422(client, content):
    r = client.post("/api/ask", content=content, headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_a_blank_question_is_refused_with_the_cli_reason(client):
    r = client.post("/api/ask", json={"question": "   \n\t "})
    assert r.status_code == 422 and r.json() == {"detail": "the question is empty"}
    assert client.post("/api/search", json={"query": " "}).status_code == 422


def test_the_error_bodies_in_the_docs_are_the_real_ones(client):
    """docs/http-api.md shows a schema error (detail: a list) and a refusal (detail: one line) as they come back."""
    page = " ".join((REPO / "docs" / "http-api.md").read_text(encoding="utf-8").split())
    for body in ({"question": COPPER, "k": "many"}, {"question": " "}):
        r = client.post("/api/ask", json=body)
        assert r.status_code == 422 and f"`{r.text.strip()}`" in page, r.text


def test_an_overlong_question_gets_422_without_being_echoed(client):
    r = client.post("/api/ask", json={"question": "copper " * 3000})  # 21,000 characters: over 20,000
    assert r.status_code == 422
    assert "20000" in r.text and len(r.content) < 1000
    assert client.post("/api/search", json={"query": "x" * 20_001}).status_code == 422
    assert client.post("/api/ask", json={"question": "x" * 20_000}).status_code == 200  # at the limit: fine


def test_an_oversized_body_gets_413(client):
    big = json.dumps({"question": COPPER, "padding": "x" * 300_000}).encode()
    r = client.post("/api/ask", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["detail"]

    def chunks():  # no Content-Length: the size is counted as the body streams in
        for _ in range(40):
            yield b"x" * 10_000

    r = client.post("/api/search", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = client.post("/api/ask", content=b"{}", headers={"content-type": "application/json", "content-length": "abc"})
    assert r.status_code in (400, 422)


def test_no_request_gets_a_500_or_a_stack_trace(client):
    odd = [
        ("post", "/api/ask", {"json": {"question": "\x00\x01\ud7ff?"}}),
        ("post", "/api/ask", {"json": {"question": "💥" * 50}}),
        ("post", "/api/ask", {"json": {"question": "?", "k": 100}}),
        ("post", "/api/ask", {"json": {"question": "<script>alert(1)</script>"}}),
        ("post", "/api/search", {"json": {"query": "the of and", "k": 1}}),
        ("post", "/api/search", {"json": {"query": "ＵＮＩＣＯＤＥ ｑｕｅｒｙ"}}),
        ("post", "/api/ask", {"content": b'{"question": "a"}', "headers": {"content-type": "text/plain"}}),
        ("get", "/api/ask", {}),
        ("put", "/api/search", {}),
        ("post", "/api/health", {}),
        ("get", "/api/nothing-here", {}),
    ]
    for method, path, kwargs in odd:
        r = getattr(client, method)(path, **kwargs)
        assert r.status_code < 500, (path, kwargs, r.status_code, r.text[:200])
        assert "Traceback" not in r.text and 'File "' not in r.text


# ---------------------------------------------------------------- schema

def test_openapi_documents_the_routes(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert set(paths["/api/ask"]) == {"post"} and set(paths["/api/search"]) == {"post"}
    assert set(paths["/api/health"]) == {"get"}
    components = schema["components"]["schemas"]
    ask = components["AskRequest"]["properties"]
    assert ask["question"]["maxLength"] == 20_000 and ask["k"]["maximum"] == 100
    assert set(components["AnswerOut"]["properties"]) >= {"question", "answerable", "answer", "quote", "citations",
                                                          "passages", "answer_span", "confidence"}
    assert {"413", "422"} <= set(paths["/api/ask"]["post"]["responses"])
    assert "/api/search" in json.dumps(paths) and "SearchRequest" in components


def test_a_chat_client_that_sends_each_turn_back_whole_gets_follow_ups_as_the_chat_page_does(client):
    previous = None
    for message in ("What is the externally purchased ratio for tin?", "And for platinum group metals?", "And zinc?"):
        r = client.post("/api/chat", json={"message": message, "previous": previous}).json()
        previous = r["turn"]
    assert r["question"] == "What is the externally purchased ratio for zinc?"
    assert set(previous) == {"question", "answer", "phrase", "topic", "source"} and previous["phrase"] == "zinc"
    first = client.post("/api/chat", json={"message": "Which country suspended its cobalt exports?"}).json()["turn"]
    topic = client.post("/api/chat", json={"message": "How long did it suspend exports for?", "previous": first}).json()
    assert topic["turn"]["topic"] and topic["question"].endswith(f"({topic['turn']['topic']})?")
    # the page is shown the question the topic came from, and the next turn, sent back whole, still names it
    assert topic["display"]["answering"] == \
        "How long did it suspend exports for? (after: Which country suspended its cobalt exports?)"
    then = client.post("/api/chat", json={"message": "Why was that?", "previous": topic["turn"]}).json()
    assert then["display"]["answering"].endswith("(after: Which country suspended its cobalt exports?)")
