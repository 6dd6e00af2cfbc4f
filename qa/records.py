"""Shared records: documents, sentences, passages, hits, citations and answers, as frozen dataclasses."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One source file: `text` is its bytes decoded as UTF-8, untouched, or the Markdown a PDF, HTML or DOCX file
    converts to (`meta["format"]`; a PDF's `meta["pages"]` holds each page's start offset); offsets index into it."""

    id: str  # path relative to the corpus folder, with forward slashes
    text: str
    body_start: int = 0  # where the text after any front matter begins
    meta: dict = field(default_factory=dict, hash=False, compare=False)


def page_of(document: Document, offset: int) -> int | None:
    """The page (from 1) of a PDF document that holds `offset` of its text; None for a document without pages."""
    pages = document.meta.get("pages")
    return max(1, bisect_right(pages, offset)) if pages else None


@dataclass(frozen=True)
class Sentence:
    """A sentence of a document: `doc.text[start:end] == text`."""

    doc: str
    start: int
    end: int
    text: str
    heading: str = ""
    passage: int = -1  # row of the first passage that holds it


@dataclass(frozen=True)
class Passage:
    """A retrieval unit of whole sentences, within the token budget: `doc.text[start:end] == text`."""

    id: str
    doc: str
    start: int
    end: int
    text: str
    heading: str = ""
    first_sentence: int = 0  # global row of its first sentence
    last_sentence: int = 0  # global row of its last sentence, inclusive
    tokens: int = 0  # cl100k_base tokens


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its fused score and rank (0-based)."""

    passage: Passage
    score: float
    rank: int

    def to_dict(self) -> dict:
        p = self.passage
        return {"id": p.id, "doc": p.doc, "start": p.start, "end": p.end, "score": round(self.score, 6),
                "heading": p.heading, "text": p.text}


@dataclass(frozen=True)
class Citation:
    """A verbatim excerpt of a source file with its exact character range."""

    doc: str
    start: int
    end: int
    text: str
    score: float
    heading: str = ""
    page: int | None = None  # the PDF page the excerpt starts on; None for other documents

    def to_dict(self) -> dict:
        page = {"page": self.page} if self.page is not None else {}  # a key only PDF sources have
        return {"doc": self.doc, "start": self.start, "end": self.end, "text": self.text,
                "score": round(self.score, 6), "heading": self.heading, **page}


@dataclass(frozen=True)
class Answer:
    """The assistant's reply: a verbatim short answer inside a verbatim quote, or an abstention."""

    question: str
    answerable: bool
    answer: str
    quote: str
    citations: tuple[Citation, ...] = ()
    passages: tuple[Hit, ...] = ()
    confidence: float = 0.0  # calibrated probability that the corpus answers the question
    answer_start: int = -1  # offset of `answer` in the source of citations[0].doc; -1 when none
    answer_doc: str = ""
    read_as: str = ""  # the question the assistant read, when not `question` as typed (a preamble read past)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "read_as": self.read_as or self.question,
            "answerable": self.answerable,
            "answer": self.answer,
            "quote": self.quote,
            "confidence": round(self.confidence, 4),
            "answer_span": ({"doc": self.answer_doc, "start": self.answer_start,
                             "end": self.answer_start + len(self.answer)} if self.answer else None),
            "citations": [c.to_dict() for c in self.citations],
            "passages": [h.to_dict() for h in self.passages],
        }
