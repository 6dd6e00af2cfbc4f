"""Documents brought to the chat: uploads are bounded in size and count, names sanitised (nothing leaves the upload
root), and an uploaded PDF and HTML page are indexed in the background into a corpus the chat can ask and cite."""
from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from test_formats import FERRY_PAGE, TWO_PAGES, pdf_bytes


@pytest.fixture
def uploads(tmp_path, service, embedder):
    from qa.serve.app import create_app

    app = create_app(service, tmp_path / "uploads")
    app.state.corpora._embedder = embedder  # the session's model, not a second load
    return TestClient(app, raise_server_exceptions=False), tmp_path / "uploads"


@pytest.mark.parametrize("filename, status, words", [
    ("..%2F..%2Fescape.md", 404, ""),  # a slash, even encoded, is no file name: no route matches
    ("...", 400, "invalid file name"), ("%2E%2E", 400, "invalid file name"), (".hidden.md", 200, ""), ("notes.exe", 415, "not a document qa reads"),
    ("a%5C..%5C..%5Cwin.md", 200, ""), ("%E2%80%AEevil.md", 200, ""),
])
def test_file_names_are_sanitised_to_a_base_name_inside_the_corpus(uploads, filename, status, words):
    client, root = uploads
    r = client.put(f"/api/corpora/mine/files/{filename}", content=b"The mill was built in 1820.\n")
    assert r.status_code == status, r.text
    assert words in r.text
    inside = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert all(p.startswith("mine/files/") and "/" not in p[len("mine/files/"):] for p in inside), inside
    assert all(not p.split("/")[-1].startswith(".") for p in inside)
    if status == 200:
        assert r.json()["file"] in {p.split("/")[-1] for p in inside}


@pytest.mark.parametrize("name", ["default", "Mine", "a/b", "-x", "x" * 41, "..", "a.b"])
def test_corpus_names_are_a_safe_charset(uploads, name):
    client, _ = uploads
    r = client.put(f"/api/corpora/{name}/files/a.md", content=b"x\n")
    assert r.status_code in (400, 404), (name, r.status_code)


def test_the_count_of_files_and_of_corpora_is_bounded(uploads, monkeypatch):
    client, _ = uploads
    monkeypatch.setattr("qa.serve.corpora.MAX_FILES", 2)
    monkeypatch.setattr("qa.serve.corpora.MAX_CORPORA", 2)
    for n in range(2):
        assert client.put(f"/api/corpora/one/files/{n}.md", content=b"x\n").status_code == 200
    assert client.put("/api/corpora/one/files/0.md", content=b"y\n").status_code == 200  # a file replaced
    r = client.put("/api/corpora/one/files/2.md", content=b"x\n")
    assert r.status_code == 413 and "holds 2 files, its limit" in r.json()["detail"]
    assert client.put("/api/corpora/two/files/a.md", content=b"x\n").status_code == 200
    r = client.put("/api/corpora/three/files/a.md", content=b"x\n")
    assert r.status_code == 409 and "2 uploaded corpora" in r.json()["detail"]
    assert client.post("/api/corpora/nine/build").status_code == 404


def test_a_server_without_an_upload_folder_takes_no_uploads(client):
    r = client.put("/api/corpora/mine/files/a.md", content=b"x\n")
    assert r.status_code == 403 and "--uploads" in r.json()["detail"]


def test_an_uploaded_pdf_and_html_page_are_indexed_asked_and_cited_with_the_page(uploads):
    client, root = uploads
    assert client.put("/api/corpora/mill/files/mill.pdf", content=pdf_bytes(TWO_PAGES)).status_code == 200
    assert client.put("/api/corpora/mill/files/ferry.html", content=FERRY_PAGE).status_code == 200
    assert client.put("/api/corpora/mill/files/scan.pdf", content=pdf_bytes([[]])).status_code == 200
    assert client.post("/api/corpora/mill/build").status_code == 202
    deadline = time.monotonic() + 300
    while (state := client.get("/api/corpora/mill").json())["status"] == "building":
        assert 0 <= state["fraction"] < 1 and state["stage"]
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert state["status"] == "ready" and state["fraction"] == 1.0, state
    assert len(state["warnings"]) == 1 and "scan.pdf" in state["warnings"][0]  # no text layer: a warning
    assert [c["name"] for c in client.get("/api/corpora").json()] == ["default", "mill"]

    r = client.post("/api/chat", json={"message": "When did the mill close?", "corpus": "mill"}).json()
    citation = r["answer"]["citations"][0]
    assert r["answer"]["answerable"] and citation["doc"] == "mill.pdf" and citation["page"] == 2
    s = client.get("/api/source", params={"corpus": "mill", "doc": "mill.pdf", "start": citation["start"],
                                          "end": citation["end"]}).json()
    assert s["text"] == citation["text"] and s["page"] == 2 and s["pages"] == 2
    assert "1961" in s["text"] and "1820" not in s["before"] + s["after"]  # the cited page, whole, and only it
    assert client.post("/api/chat", json={"message": "Who runs the ferry?", "corpus": "mill"}).status_code == 200
    assert client.post("/api/chat", json={"message": "x?", "corpus": "nope"}).status_code == 404


@pytest.mark.parametrize("stem, taken, name", [
    ("Mill Report", set(), "mill-report"), ("mill", {"mill"}, "mill-2"), ("mill", {"mill", "mill-2"}, "mill-3"),
    ("default", set(), "default-1"), ("Ærø", set(), "r"), ("..", set(), "upload"), ("x" * 60, set(), "x" * 30),
])
def test_a_new_corpus_is_named_after_its_first_file_and_never_twice(stem, taken, name):
    from qa.serve.corpora import corpus_name, free_name

    assert free_name(stem, taken) == name and corpus_name(name) == name
