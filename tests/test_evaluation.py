"""The evaluation harness: loaders on tiny fixtures, the curated set's gold offsets, and a run with stand-in models."""
from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest

from qa.errors import QAError
from qa.evaluation import cli_eval, run_eval
from qa.evaluation.baseline import Baseline, chunk_spans
from qa.evaluation.datasets import Span, load_eval_set, load_squad, locate
from qa.text.lexical import terms
from qa.records import Answer, Citation

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SQUAD = FIXTURES / "squad_v2_tiny.json"
GENERIC = FIXTURES / "generic.jsonl"
MINI = FIXTURES / "mini_corpus"


# ---------------------------------------------------------------- stand-ins: no model, instant

class HashEmbedder:
    """Bag of stemmed terms hashed into 64 dimensions: similar words, similar vectors; enough to exercise the harness."""

    name = "hash-64"
    max_tokens = 256

    def __init__(self, folder: Path):
        self.folder = folder

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2

    def encode(self, texts, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for t in terms(text):
                out[i, zlib.crc32(t.encode()) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.ascontiguousarray(out / np.where(norms == 0, 1, norms))


class StandInAssistant:
    """Answers with the retrieved sentence sharing most terms with the question; abstains when none shares any."""

    def __init__(self, retriever):
        self.retriever = retriever

    def ask(self, question: str, k: int = 5, mode: str = "hybrid") -> Answer:
        hits = self.retriever.search(question, k, mode)
        index, wanted = self.retriever.index, set(terms(question))
        best, best_shared = None, 0
        for h in hits:
            for s in index.sentences[h.passage.first_sentence:h.passage.last_sentence + 1]:
                shared = len(wanted & set(terms(s.text)))
                if shared > best_shared:
                    best, best_shared = s, shared
        if best is None or best_shared < 2:
            return Answer(question, False, "", "", (), tuple(hits), 0.1)
        cite = Citation(best.doc, best.start, best.end, best.text, 0.9, best.heading)
        return Answer(question, True, best.text, best.text, (cite,), tuple(hits), 0.9, best.start, best.doc)


@pytest.fixture
def stand_ins(tmp_path):
    return {"embedder": HashEmbedder(tmp_path), "assistant_factory": StandInAssistant}


# ---------------------------------------------------------------- the curated set

def test_curated_gold_spans_match_the_corpus_exactly():
    rows = [json.loads(line) for line in (REPO / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    assert rows and len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        source = (REPO / "corpus" / r["doc"]).read_bytes().decode("utf-8")
        if not r["answers"]:
            assert r["evidence"] is None and r["answer_start"] is None, r["id"]
            continue
        assert source[r["evidence_start"]:r["evidence_end"]] == r["evidence"], r["id"]
        a0 = r["answers"][0]
        assert source[r["answer_start"]:r["answer_start"] + len(a0)] == a0, r["id"]
        assert r["evidence_start"] <= r["answer_start"] and r["answer_start"] + len(a0) <= r["evidence_end"], r["id"]
        assert all(a in r["evidence"] for a in r["answers"]), r["id"]


def test_curated_loader_keeps_offsets_and_types():
    s = load_eval_set(REPO / "eval" / "questions.jsonl", REPO / "corpus")
    assert s.format == "curated" and len(s.questions) == 130
    for q in s.questions:
        assert q.doc in s.sources and q.type
        for span in q.evidence + q.answer_spans:
            assert span.end > span.start
        for span in q.answer_spans:
            assert s.sources[span.doc][span.start:span.end] in q.answers
    assert sum(q.answerable for q in s.questions) == 99


def test_curated_loader_rejects_wrong_offsets(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Copper rose 12% in May.", encoding="utf-8")
    row = {"id": "x", "question": "How much did copper rise?", "answers": ["12%"], "evidence": "Copper rose 12% in May.",
           "doc": "a.txt", "evidence_start": 0, "evidence_end": 23, "answer_start": 12, "type": "number"}
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert load_eval_set(path, corpus).questions[0].answer_spans == (Span("a.txt", 12, 15),)
    path.write_text(json.dumps(dict(row, answer_start=11)) + "\n", encoding="utf-8")
    with pytest.raises(QAError, match="answer_start"):
        load_eval_set(path, corpus)
    path.write_text(json.dumps(dict(row, doc="b.txt")) + "\n", encoding="utf-8")
    with pytest.raises(QAError, match="not in the corpus"):
        load_eval_set(path, corpus)


# ---------------------------------------------------------------- generic JSONL

def test_generic_jsonl_locates_evidence_by_search():
    s = load_eval_set(GENERIC, MINI)
    assert s.format == "jsonl" and s.docs == ["harbour.md", "mill.txt"]
    q = {q.id: q for q in s.questions}
    assert q["g1"].doc == "harbour.md" and q["g1"].answers == ("1958", "in 1958")
    ev = q["g1"].evidence[0]
    assert s.sources["harbour.md"][ev.start:ev.end].startswith("The harbour wall")
    assert [s.sources[a.doc][a.start:a.end] for a in q["g1"].answer_spans] == ["1958", "in 1958"]
    # g4's evidence crosses a line break that the question file wrote as a space
    ev4 = q["g4"].evidence[0]
    assert "sluice gate, and the\nstored water" in s.sources["mill.txt"][ev4.start:ev4.end]
    assert not q["g5"].answerable and q["g5"].evidence == () and q["g5"].doc is None


def test_generic_jsonl_errors(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "question": "Q?", "answers": ["x"], "evidence": "not in any document"}\n')
    with pytest.raises(QAError, match="not in the corpus"):
        load_eval_set(path, MINI)
    path.write_text('{"id": "a", "question": "Q?", "answers": []}\n{"id": "a", "question": "R?", "answers": []}\n')
    with pytest.raises(QAError, match="duplicate question ids"):
        load_eval_set(path, MINI)
    path.write_text('{"id": "a", "question": "Q?", "answers": "x"}\n')
    with pytest.raises(QAError, match="list of non-empty strings"):
        load_eval_set(path, MINI)
    path.write_text("{not json\n")
    with pytest.raises(QAError, match=r"q.jsonl:1: not valid JSON"):
        load_eval_set(path, MINI)
    with pytest.raises(QAError, match="unknown question file type"):
        load_eval_set(FIXTURES / "mini_corpus" / "mill.txt", MINI)


def test_locate_finds_every_occurrence_in_doc_order():
    sources = {"b.txt": "tin and tin", "a.txt": "no\ntin here"}
    assert locate("tin", sources) == [Span("a.txt", 3, 6), Span("b.txt", 0, 3), Span("b.txt", 8, 11)]
    assert locate("no tin", sources) == [Span("a.txt", 0, 6)]


# ---------------------------------------------------------------- SQuAD

def test_squad_v2_contexts_become_documents(tmp_path):
    s = load_eval_set(SQUAD, scratch=tmp_path)
    assert s.format == "squad-v2.0" and len(s.sources) == 2
    data = json.loads(SQUAD.read_text(encoding="utf-8"))
    contexts = [p["context"] for a in data["data"] for p in a["paragraphs"]]
    assert [s.sources[d] for d in s.docs] == contexts
    assert [(tmp_path / "corpus" / d).read_bytes().decode("utf-8") for d in s.docs] == contexts
    q = {q.id: q for q in s.questions}
    assert not q["q4"].answerable and q["q4"].answer_spans == () and q["q4"].doc == s.docs[1]
    assert q["q2"].answers == ("Ada Marsh", "keeper Ada Marsh")
    assert [s.sources[a.doc][a.start:a.end] for a in q["q2"].answer_spans] == ["keeper Ada Marsh", "Ada Marsh"]
    assert q["q3"].gold_spans == q["q3"].answer_spans and q["q3"].doc == s.docs[1]
    with pytest.raises(QAError, match="drop --corpus"):
        load_eval_set(SQUAD, MINI, tmp_path)


def test_squad_v1_and_a_misplaced_answer_start(tmp_path):
    context = "Tin is mined in Cornwall. Tin was traded early."
    data = {"version": "1.1", "data": [{"title": "Tin / metals", "paragraphs": [{"context": context, "qas": [
        {"id": "1", "question": "Where is tin mined?", "answers": [{"text": "Cornwall", "answer_start": 14}]},
        {"id": "2", "question": "What was traded?", "answers": [{"text": "Tin", "answer_start": 24}]}]}]}]}
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    fmt, questions = load_squad(path, tmp_path / "out")
    assert fmt == "squad-v1.1"
    assert questions[0].doc == "0000-Tin-metals-000.txt"
    assert questions[0].answer_spans == (Span(questions[0].doc, 16, 24),)  # moved 2 characters to the text
    assert questions[1].answer_spans == (Span(questions[1].doc, 26, 29),)  # the nearer of two occurrences


# ---------------------------------------------------------------- baseline

def test_baseline_chunks_and_answers_verbatim(tmp_path):
    sources = {d.name: d.read_bytes().decode("utf-8") for d in sorted(MINI.iterdir())}
    assert chunk_spans("x" * 1200) == [(0, 500), (500, 1000), (1000, 1200)]
    naive = Baseline(sources, HashEmbedder(tmp_path), chunk_chars=60)
    answer = naive.ask("How long does the ferry take?", k=3).to_dict()
    assert answer["answerable"] and len(answer["passages"]) == 3
    c = answer["citations"][0]
    assert sources[c["doc"]][c["start"]:c["end"]] == c["text"] == answer["quote"] == answer["answer"]
    only_mill = naive.ask("How long does the ferry take?", k=3, doc="mill.txt").to_dict()
    assert {p["doc"] for p in only_mill["passages"]} == {"mill.txt"}


# ---------------------------------------------------------------- the runner

def test_run_eval_writes_rows_report_and_plots(tmp_path, stand_ins):
    out = tmp_path / "out"
    summary = run_eval(GENERIC, MINI, k=5, json_out=out / "r.json", report_out=out / "r.md", progress=False,
                       **stand_ins)
    assert set(summary["systems"]) == {"hybrid", "dense", "bm25", "baseline"}
    assert summary["dataset"]["questions"] == 5 and summary["dataset"]["answerable"] == 4
    hybrid = summary["systems"]["hybrid"]
    assert hybrid["with_gold_span"] == 4 and set(hybrid) >= {"recall@1", "recall@5", "mrr", "ndcg@10", "quote_hit"}
    assert "recall@10" not in hybrid  # k=5 ranks only five passages
    assert hybrid["with_gold_doc"] == 4 and {"doc_recall@1", "doc_recall@5", "doc_mrr"} <= set(hybrid)
    assert hybrid["doc_recall@1"] >= hybrid["recall@1"]  # a passage on the gold span is in the gold document
    assert hybrid["citation_faithfulness"] == 1.0
    assert summary["systems"]["baseline"]["abstain_recall"] == 0.0  # the baseline never abstains
    assert set(summary["timing"]["latency_ms"]) == {"hybrid", "dense", "bm25", "baseline"}
    rows = [json.loads(line) for line in (out / "r.rows.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 5 * 4 and [r["mode"] for r in rows[::5]] == ["hybrid", "dense", "bm25", "baseline"]
    assert [r["id"] for r in rows[:5]] == ["g1", "g2", "g3", "g4", "g5"]
    assert json.loads((out / "r.json").read_text(encoding="utf-8"))["systems"] == summary["systems"]
    report = (out / "r.md").read_text(encoding="utf-8")
    assert "## Retrieval" in report and "r.recall.png" in report and "| baseline |" in report
    assert "doc R@1 | doc R@5 | doc MRR" in report
    assert (out / "r.recall.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "r.confidence.png").is_file()


def test_run_eval_is_deterministic(tmp_path, stand_ins):
    def once(name):
        summary = run_eval(SQUAD, modes=("bm25", "hybrid"), json_out=tmp_path / f"{name}.json", progress=False,
                           **stand_ins)
        summary.pop("timing")
        return summary, (tmp_path / f"{name}.rows.jsonl").read_bytes()

    first, second = once("a"), once("b")
    assert first == second
    assert list(first[0]["systems"]) == ["hybrid", "bm25", "baseline"]  # fixed order, whatever order was asked


def test_run_eval_per_doc_restricts_each_question_to_its_document(tmp_path, stand_ins):
    summary = run_eval(SQUAD, json_out=tmp_path / "r.json", progress=False, per_doc=True, **stand_ins)
    assert summary["dataset"]["per_doc"] is True
    docs = {q.id: q.doc for q in load_eval_set(SQUAD, scratch=tmp_path / "s").questions}
    rows = [json.loads(line) for line in (tmp_path / "r.rows.jsonl").read_text(encoding="utf-8").splitlines()]
    for r in rows:
        assert all(p.split("#")[0].split("@")[0] == docs[r["id"]] for p in r["top_passages"]), r
    with pytest.raises(QAError, match="--per-doc needs"):
        run_eval(GENERIC, MINI, per_doc=True, progress=False, **stand_ins)  # g5 has no document


def test_run_eval_rejects_bad_options(stand_ins):
    with pytest.raises(QAError, match="unknown retrieval mode"):
        run_eval(GENERIC, MINI, modes=("sparse",), progress=False, **stand_ins)
    with pytest.raises(QAError, match="k must be"):
        run_eval(GENERIC, MINI, k=0, progress=False, **stand_ins)


def test_cli_eval(tmp_path, stand_ins, monkeypatch, capsys):
    import qa.evaluation.run as run

    monkeypatch.setattr(run, "Embedder", lambda: stand_ins["embedder"])
    monkeypatch.setattr(run, "_default_assistant", StandInAssistant)
    code = cli_eval([str(GENERIC), "--corpus", str(MINI), "--mode", "hybrid", "--k", "3", "--quiet",
                     "--report", str(tmp_path / "rep.md")])
    out = capsys.readouterr().out
    assert code == 0 and "hybrid" in out and "baseline" in out and "R@1" in out and "docR@1" in out
    assert (tmp_path / "rep.md").is_file() and (tmp_path / "rep.rows.jsonl").is_file()
    assert cli_eval([str(tmp_path / "missing.jsonl"), "--quiet"]) == 1
    assert "question file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_eval(["--mode", "fuzzy"])


def test_the_ablation_row_intervals_and_calibration_are_reported(tmp_path, stand_ins):
    out = tmp_path / "out"
    summary = run_eval(SQUAD, modes=("hybrid",), json_out=out / "r.json", report_out=out / "r.md", progress=False,
                       ablation=True, **stand_ins)
    assert list(summary["systems"]) == ["hybrid", "hybrid-no-model", "baseline"]
    for system in ("hybrid", "hybrid-no-model"):
        lo, hi = summary["ci95"][system]["quote_hit"]
        assert lo <= summary["systems"][system]["quote_hit"] <= hi
        assert 0.0 <= summary["systems"][system]["ece"] <= 1.0
        assert sum(b["questions"] for b in summary["reliability"][system]) == summary["dataset"]["questions"]
    report = (out / "r.md").read_text(encoding="utf-8")
    assert "## Uncertainty and calibration" in report and "| hybrid-no-model |" in report
    assert (out / "r.reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_articles_of_another_file_can_be_left_out(tmp_path, stand_ins):
    data = json.loads(SQUAD.read_text(encoding="utf-8"))
    copy = json.loads(json.dumps(data["data"][0]))
    copy["title"] = "Another Point"
    for p in copy["paragraphs"]:
        for q in p["qas"]:
            q["id"] = "copy-" + q["id"]
    both, other = tmp_path / "both.json", tmp_path / "train.json"
    both.write_text(json.dumps({"version": "v2.0", "data": [data["data"][0], copy]}), encoding="utf-8")
    other.write_text(json.dumps({"version": "v2.0", "data": data["data"][:1]}), encoding="utf-8")
    full = run_eval(both, modes=("bm25",), progress=False, baseline=False, **stand_ins)
    kept = run_eval(both, modes=("bm25",), progress=False, baseline=False, skip_titles_of=[other], **stand_ins)
    assert kept["dataset"]["questions"] == full["dataset"]["questions"] // 2
    assert kept["dataset"]["documents"] == full["dataset"]["documents"] // 2
