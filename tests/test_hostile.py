"""Hostile and odd input: questions of every awkward kind through the HTTP API, the chat and the command line
(an answer, an abstention or a clear refusal, never a 500 or a traceback), and corpus files that are too big,
unpunctuated or one enormous line."""
from __future__ import annotations

import json

import pytest

from conftest import SPEECH_CORPUS, check_answer, write_corpus
from qa.errors import QAError

QUESTIONS = {
    "empty": "",
    "whitespace": " \t\n\r\u00a0\u2003 ",
    "100,000 characters": "copper " * 14_285 + "cobal",
    "only stopwords": "the of and to a in is it that",
    "only punctuation": "?!.,;:—…()[]{}«»“”",
    "Chinese": "西藏提到了哪座铜矿？",
    "emoji": "🪨⛏️💰📈 cobalt? 🤔",
    "control characters": "\x00\x01\x07\x1b[31mcopper\x1b[0m\x7f\x9b\u200b\u202e mine?",
    "a JSON payload": json.dumps({"question": "x", "k": 1000, "__proto__": {"admin": True}}),
    "an HTML payload": "<script>alert(1)</script><img src=x onerror=alert(2)> Which copper mine?",
    "a lone surrogate escape": "copper \\ud800 mine",
    "a Markdown payload": "**bold** [link](javascript:alert(1)) $x^2$ `code` # heading",
}
REFUSED = {"empty": "the question is empty", "whitespace": "the question is empty",
           "100,000 characters": "the limit is 20,000"}
HTTP_REFUSED = {"empty": "at least 1 character", "whitespace": "the question is empty",
                "100,000 characters": "at most 20000 characters"}  # the schema's reasons come first


@pytest.mark.parametrize("name", QUESTIONS)
def test_an_odd_question_over_http_is_answered_abstained_or_refused_with_a_4xx(client, name):
    question = QUESTIONS[name]
    r = client.post("/api/ask", json={"question": question})
    assert r.status_code in (200, 422), (r.status_code, r.text[:300])
    assert "Traceback" not in r.text and 'File "' not in r.text
    if name in REFUSED:
        assert r.status_code == 422 and HTTP_REFUSED[name] in r.text
        assert len(r.content) < 2000  # the question is not echoed back
    else:
        assert r.status_code == 200, r.text[:300]
        answer = r.json()
        check_answer(answer, SPEECH_CORPUS)
        assert answer["question"] == question.strip()
    s = client.post("/api/search", json={"query": question, "k": 3})
    assert s.status_code == (422 if name in REFUSED else 200), s.text[:300]


@pytest.mark.parametrize("name", QUESTIONS)
def test_an_odd_question_in_the_chat_is_an_answer_an_abstention_or_an_error_line(service, name):
    reply = service.chat(QUESTIONS[name], None)
    if name in REFUSED:
        assert REFUSED[name] in reply.data["error"] and reply.answer is None
    else:
        assert reply.answer is not None and "error" not in reply.data
        # the page is sent text pieces to set as textContent, never markup: each is its document's own slice
        source = service.index.documents
        for s in reply.data["sources"]:
            for block in s["blocks"]:
                for piece in block["parts"]:
                    assert source[s["doc"]].text[piece["start"]:piece["start"] + len(piece["text"])] == piece["text"]


@pytest.mark.parametrize("name", QUESTIONS)
def test_an_odd_question_on_the_command_line_is_an_answer_or_one_error_line(capsys, speech_index_dir, name):
    from qa.cli import main

    status = main(["ask", "--json", QUESTIONS[name], "--index", str(speech_index_dir), "--corpus", str(SPEECH_CORPUS)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if name in REFUSED:
        assert status == 2 and out == "" and err.count("\n") == 1 and REFUSED[name] in err
    else:
        assert status == 0 and err == ""
        check_answer(json.loads(out), SPEECH_CORPUS)


def test_odd_questions_on_stdin_keep_their_lines(capsys, monkeypatch, speech_index_dir):
    import io

    from qa.cli import main

    lines = [q.replace("\n", " ").replace("\r", " ") for q in QUESTIONS.values()]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    status = main(["ask", "--json", "-", "--index", str(speech_index_dir), "--corpus", str(SPEECH_CORPUS)])
    out, err = capsys.readouterr()
    answers = [json.loads(line) for line in out.splitlines()]
    assert len(answers) == len([q for q in lines if q.strip()])  # one output line per non-blank input line
    assert status == 2 and sum("error" in a for a in answers) == 1  # the 100,000-character line
    for a in answers:
        if "error" not in a:
            check_answer(a, SPEECH_CORPUS)


# ---------------------------------------------------------------- corpus files

def test_a_50_mb_file_is_left_out_with_one_line_before_anything_is_read(tmp_path, capsys):
    from qa.cli import main
    from qa.ingest.corpus import MAX_FILE_BYTES

    corpus = write_corpus(tmp_path / "corpus", {"small.txt": "A small document."})
    big = corpus / "nested" / "big.txt"
    big.parent.mkdir()
    with open(big, "wb") as f:  # real text, not a sparse file: the size check must come before the read
        line = b"The copper price rose again in the second quarter of the year. " * 16 + b"\n"
        for _ in range(50 * 2**20 // len(line) + 1):
            f.write(line)
    assert big.stat().st_size > 50 * 2**20 > MAX_FILE_BYTES
    assert main(["index", str(corpus), "--index", str(tmp_path / "index")]) == 0
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "nested/big.txt: left out" in err and "limit" in err and "split it" in err
    assert out.startswith("indexed 1 document from") and out.endswith("; 1 file skipped (above)\n")


@pytest.mark.parametrize("name, text", [
    ("no punctuation", " ".join(["copper output grew in the north while cobalt prices fell"] * 50)),
    ("one enormous line", " ".join(f"Sentence {i} says copper rose {i}% in Tibet." for i in range(60))),
    ("no white space", "copper" * 1500),
])
def test_unpunctuated_and_single_line_documents_are_indexed_with_exact_offsets(tmp_path, embedder, name, text):
    from qa.answer.assistant import Assistant
    from qa.index.build import build_index
    from qa.retrieve.retriever import Retriever

    corpus = write_corpus(tmp_path / "corpus", {"odd.txt": text, "normal.md": "# Title\n\nCobalt rose by half.\n"})
    index = build_index(corpus, embedder=embedder)
    assert "\n" not in text
    for p in index.passages:
        assert index.documents[p.doc].text[p.start:p.end] == p.text and p.tokens <= 128
    for s in index.sentences:
        assert index.documents[s.doc].text[s.start:s.end] == s.text
    answer = Assistant(Retriever(index, embedder)).ask("How much did copper rise?")
    check_answer(json.loads(json.dumps(answer.to_dict())), corpus)


def test_a_megabyte_on_one_line_splits_in_linear_time():
    """The splitter once looked back to the start of the paragraph for every period: quadratic in a paragraph's
    length (150 s for a 900 KB line). Counted in regex work, not timed: the look-back window is bounded."""
    import qa.ingest.split as split
    from qa.records import Document

    text = " ".join("Copper mine price rose in Tibet, Dr. Li said." for _ in range(6_000))
    seen = []
    real = split._WORD_BEFORE

    class Counting:
        def search(self, s, lo, hi):
            seen.append(hi - lo)
            return real.search(s, lo, hi)

    split._WORD_BEFORE = Counting()
    try:
        sentences, passages = split.Splitter().split(Document("one-line.txt", text, 0, {}))
    finally:
        split._WORD_BEFORE = real
    assert seen and max(seen) <= 32
    assert sentences and passages and all(text[p.start:p.end] == p.text for p in passages)


def test_script_and_markdown_in_a_document_reach_the_chat_as_text(tmp_path, embedder):
    from qa.answer.assistant import Assistant
    from qa.index.build import build_index
    from qa.retrieve.retriever import Retriever
    from qa.serve.service import Service

    text = ("# Notes\n\nThe guard said <script>fetch('/api/health')</script> was the password. "
            "The *second* guard said **never** and [clicked](javascript:alert(1)).\n")
    corpus = write_corpus(tmp_path / "corpus", {"notes.md": text})
    service = Service(Assistant(Retriever(build_index(corpus, embedder=embedder), embedder)))
    reply = service.chat("What did the guard say was the password?", None)
    assert reply.answer.answerable
    quote = "".join(piece["text"] for piece in reply.data["quote"][0])
    assert "<script>fetch('/api/health')</script>" in quote  # sent as text, character for character
    assert quote == text[reply.data["citations"][0]["start"]:reply.data["citations"][0]["end"]]
    # the page sets it as textContent; tests/test_browser.py checks no element comes of it


def test_a_corpus_of_only_bad_files_is_one_line(tmp_path):
    from qa.ingest.corpus import load_corpus

    write_corpus(tmp_path, {"a.md": ""})
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00\x00binary")
    with pytest.raises(QAError) as err:
        load_corpus(tmp_path)
    assert "\n" not in str(err.value) and "a.md" in str(err.value)
