"""Load gold question sets (curated JSONL, generic JSONL, SQuAD v1.1/v2.0 JSON) with exact gold offsets into a corpus."""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..ingest.corpus import load_corpus
from ..errors import QAError

MAX_EVIDENCE_MATCHES = 20  # a generic evidence string found more often than this is too vague to be gold


@dataclass(frozen=True)
class Span:
    """A character range of one corpus document: `source[doc][start:end]`."""

    doc: str
    start: int
    end: int

    def to_dict(self) -> dict:
        return {"doc": self.doc, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Question:
    """One gold question: accepted answers (none when unanswerable) and where the corpus supports them."""

    id: str
    question: str
    answers: tuple[str, ...] = ()
    evidence: tuple[Span, ...] = ()  # supporting text; a retrieved passage overlapping one of these is a hit
    answer_spans: tuple[Span, ...] = ()  # exact offsets of gold answers, where known
    doc: str | None = None  # the document the question is about, where known (used by --per-doc)
    type: str = ""

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    @property
    def gold_spans(self) -> tuple[Span, ...]:
        """What retrieval must reach: the evidence when known, else the answer spans."""
        return self.evidence or self.answer_spans


@dataclass(frozen=True)
class EvalSet:
    """Questions plus the corpus folder their offsets index into."""

    path: str
    format: str  # "curated", "jsonl", "squad-v1.1" or "squad-v2.0"
    corpus_dir: Path
    questions: tuple[Question, ...]
    sources: dict  # doc id -> exact text, as the indexer reads it

    @property
    def docs(self) -> list[str]:
        return sorted(self.sources)


# ---------------------------------------------------------------- JSONL (curated and generic)

def _read_jsonl(path: Path) -> list[tuple[int, dict]]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as err:
                raise QAError(f"{path}:{n}: not valid JSON ({err.msg})") from None
            if not isinstance(row, dict):
                raise QAError(f"{path}:{n}: each line must be a JSON object")
            rows.append((n, row))
    if not rows:
        raise QAError(f"{path}: no questions")
    return rows


def _answers(row: dict, where: str) -> tuple[str, ...]:
    answers = row.get("answers", [])
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
        raise QAError(f"{where}: 'answers' must be a list of non-empty strings ([] when unanswerable)")
    return tuple(dict.fromkeys(answers))


def locate(text: str, sources: dict) -> list[Span]:
    """Every place `text` occurs in the corpus, in (doc, offset) order; white space may differ."""
    spans = []
    for doc in sorted(sources):
        src, pos = sources[doc], 0
        while (pos := src.find(text, pos)) >= 0:
            spans.append(Span(doc, pos, pos + len(text)))
            pos += 1
    if not spans:  # gold text is often re-typed with other line breaks or spacing
        words = text.split()
        if words:
            pattern = re.compile(r"\s+".join(map(re.escape, words)))
            spans = [Span(doc, m.start(), m.end()) for doc in sorted(sources)
                     for m in pattern.finditer(sources[doc])]
    return spans


def _inside(answer: str, spans: tuple[Span, ...], sources: dict) -> list[Span]:
    """The first occurrence of `answer` inside each evidence span."""
    found = []
    for ev in spans:
        pos = sources[ev.doc].find(answer, ev.start, ev.end)
        if pos >= 0:
            found.append(Span(ev.doc, pos, pos + len(answer)))
    return found


def _curated(row: dict, where: str, sources: dict) -> Question:
    """A row of eval/questions.jsonl: offsets are given, and must match the corpus exactly."""
    answers = _answers(row, where)
    doc = row.get("doc")
    if doc not in sources:
        raise QAError(f"{where}: document {doc!r} is not in the corpus")
    if not answers:
        return Question(str(row["id"]), row["question"], (), (), (), doc, row.get("type", ""))
    src, start, end, evidence = sources[doc], row.get("evidence_start"), row.get("evidence_end"), row.get("evidence")
    if not (isinstance(start, int) and isinstance(end, int) and src[start:end] == evidence):
        raise QAError(f"{where}: evidence_start/evidence_end do not give the evidence text in {doc}")
    a0, at = answers[0], row.get("answer_start")
    if not (isinstance(at, int) and src[at:at + len(a0)] == a0):
        raise QAError(f"{where}: answers[0] is not at answer_start in {doc}")
    ev = (Span(doc, start, end),)
    spans = [Span(doc, at, at + len(a0))] + [s for a in answers[1:] for s in _inside(a, ev, sources)]
    return Question(str(row["id"]), row["question"], answers, ev, tuple(spans), doc, row.get("type", ""))


def _generic(row: dict, where: str, sources: dict) -> Question:
    """A generic row: evidence, when given, is verbatim text found in the corpus by search."""
    answers = _answers(row, where)
    evidence = row.get("evidence")
    if evidence is not None and (not isinstance(evidence, str) or not evidence.strip()):
        raise QAError(f"{where}: 'evidence' must be a non-empty string or null")
    spans: tuple[Span, ...] = ()
    if evidence is not None and answers:
        found = locate(evidence, sources)
        if not found:
            raise QAError(f"{where}: evidence text is not in the corpus: {evidence[:60]!r}")
        if len(found) > MAX_EVIDENCE_MATCHES:
            raise QAError(f"{where}: evidence text occurs {len(found)} times in the corpus; give a longer excerpt")
        spans = tuple(found)
    answer_spans = tuple(s for a in answers for s in _inside(a, spans, sources))
    docs = sorted({s.doc for s in spans})
    doc = row.get("doc") if row.get("doc") in sources else (docs[0] if len(docs) == 1 else None)
    return Question(str(row["id"]), row["question"], answers, spans, answer_spans, doc, row.get("type", ""))


def load_jsonl(path: str | os.PathLike, sources: dict) -> tuple[str, list[Question]]:
    """(format, questions) of a JSONL file: curated rows carry offsets, generic rows are located by search."""
    path = Path(path)
    rows = _read_jsonl(path)
    curated = all("evidence_start" in row and "doc" in row for _, row in rows)
    questions = []
    for n, row in rows:
        where = f"{path}:{n}"
        for key in ("id", "question"):
            if key not in row:
                raise QAError(f"{where}: missing field {key!r}")
        if not isinstance(row["question"], str) or not row["question"].strip():
            raise QAError(f"{where}: 'question' must be a non-empty string")
        questions.append((_curated if curated else _generic)(row, where, sources))
    return ("curated" if curated else "jsonl"), questions


# ---------------------------------------------------------------- SQuAD JSON

def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40] or "context"


def squad_titles(path: str | os.PathLike) -> set[str]:
    """The article titles of a SQuAD file: what --skip-titles-of leaves out of another file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return {str(a.get("title", "")) for a in data["data"] if a.get("title")}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise QAError(f"{path}: cannot read its article titles ({err})") from None


def load_squad(path: str | os.PathLike, out_dir: str | os.PathLike, skip_titles: frozenset[str] = frozenset()
               ) -> tuple[str, list[Question]]:
    """(format, questions) of a SQuAD v1.1/v2.0 file, writing each context as one .txt document into `out_dir`.

    Articles whose title is in `skip_titles` are left out whole (their contexts too): how a model trained on
    one file is scored only on another file's articles it never saw.

    The file holds the context exactly, so gold offsets carry over unchanged. A gold answer whose
    `answer_start` is off is moved to the nearest exact occurrence of its text, or dropped if there is none.
    """
    path, out = Path(path), Path(out_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise QAError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise QAError(f"{path}: not SQuAD JSON (expected an object with a 'data' list)")
    out.mkdir(parents=True, exist_ok=True)
    v2 = str(data.get("version", "")).startswith("v2")
    questions = []
    for a, article in enumerate(data["data"]):
        if article.get("title") in skip_titles:
            continue
        for p, para in enumerate(article.get("paragraphs", [])):
            context = para.get("context")
            where = f"{path}: data[{a}].paragraphs[{p}]"
            if not isinstance(context, str) or not context.strip():
                raise QAError(f"{where}: empty context")
            label = article.get("title") or (f"doc{para['document_id']}" if "document_id" in para else "")
            doc = f"{a:04d}-{_slug(label)}-{p:03d}.txt"
            (out / doc).write_bytes(context.encode("utf-8"))  # bytes, so no newline translation moves offsets
            for qa in para.get("qas", []):
                v2 = v2 or "is_impossible" in qa
                if "id" not in qa or not str(qa.get("question", "")).strip():
                    raise QAError(f"{where}: a question without an id or text ({qa.get('id')!r})")
                gold = [] if qa.get("is_impossible") else [g for g in qa.get("answers", []) if g.get("text")]
                spans = []
                for g in gold:
                    text, start = g["text"], g.get("answer_start", -1)
                    if context[start:start + len(text)] != text:
                        starts = [m.start() for m in re.finditer(re.escape(text), context)]
                        start = min(starts, key=lambda s: abs(s - start)) if starts else None
                    if start is not None:
                        spans.append(Span(doc, start, start + len(text)))
                answers = tuple(dict.fromkeys(g["text"] for g in gold))
                questions.append(Question(str(qa["id"]), qa["question"].strip(), answers, (),
                                          tuple(sorted(set(spans), key=lambda s: (s.start, s.end))), doc))
    if not questions:
        raise QAError(f"{path}: no questions")
    return ("squad-v2.0" if v2 else "squad-v1.1"), questions


# ---------------------------------------------------------------- dispatch

def load_eval_set(path: str | os.PathLike, corpus_dir: str | os.PathLike | None = None,
                  scratch: str | os.PathLike | None = None, skip_titles: frozenset[str] = frozenset()) -> EvalSet:
    """Read a question file by its suffix: .jsonl against `corpus_dir`; .json (SQuAD) into a corpus under `scratch`."""
    p = Path(path)
    if not p.is_file():
        raise QAError(f"question file not found: {p}")
    suffix = p.suffix.lower()
    if suffix not in (".json", ".jsonl"):
        raise QAError(f"{p}: unknown question file type; give .jsonl (curated or generic) or .json (SQuAD)")
    if suffix == ".json":
        if corpus_dir is not None:
            raise QAError(f"{p} is SQuAD JSON and carries its own documents; drop --corpus")
        if scratch is None:
            raise QAError("a SQuAD file needs a scratch folder to write its contexts into")
        corpus = Path(scratch) / "corpus"
        fmt, questions = load_squad(p, corpus, skip_titles)
        sources = {d.id: d.text for d in load_corpus(corpus)}
    else:
        corpus = Path(corpus_dir if corpus_dir is not None else "corpus")
        sources = {d.id: d.text for d in load_corpus(corpus)}
        fmt, questions = load_jsonl(p, sources)
    dup = sorted(i for i, n in Counter(q.id for q in questions).items() if n > 1)
    if dup:
        raise QAError(f"{p}: duplicate question ids: {', '.join(dup[:3])}")
    return EvalSet(str(path), fmt, corpus, tuple(questions), sources)
