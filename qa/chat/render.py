"""What the chat shows of an answer, as JSON for the page: text pieces cut by exact offsets, never HTML.

The page builds its elements from these pieces with textContent, so a document containing `<script>` or
`**bold**` shows exactly those characters. Every piece is `source[start:end]`; headings lose only their `#` marks.
"""
from __future__ import annotations

import re

from .followup import Resolved
from ..records import Answer, Document, page_of

# Calibrated probability that the corpus answers -> words (docs/http-api.md lists the bands).
BANDS = ((0.7, "likely answer"), (0.4, "possible answer"), (0.0, "unsure"))
# A refusal's chip speaks of the refusal: "unsure" beside a confident "does not say" read as doubt about the refusal.
REFUSAL_BANDS = ((0.2, "unsure"), (0.0, "not found"))
_HEADING = re.compile(r"[ ]{0,3}#{1,6}[ \t]+")


def confidence_words(p: float, answered: bool = True) -> str:
    return next(words for floor, words in (BANDS if answered else REFUSAL_BANDS) if p >= floor)


def confidence_note(p: float, answered: bool = True) -> str:
    return (f"{confidence_words(p, answered).capitalize()}: about {round(p * 100)} in 100 questions given this confidence "
            "are answered by the documents (calibrated on held-out Wikipedia articles, loosely elsewhere).")


def corpus_noun(documents: dict[str, Document]) -> str:
    """What to call the corpus in plain words, from its metadata: "speech" for a single document whose front matter
    names a speaker or calls it a speech, else "document" or "documents" (corpus.toml's `noun` overrides it)."""
    if len(documents) != 1:
        return "documents"
    doc = next(iter(documents.values()))
    clues = " ".join([str(doc.meta.get("title", "")), str(doc.meta.get("event", ""))]).lower()
    return "speech" if "speaker" in doc.meta or "speech" in clues else "document"


def corpus_title(documents: dict[str, Document]) -> str:
    """The front-matter title of a single document, else its file name; "N documents" for several."""
    if len(documents) != 1:
        return f"{len(documents)} documents"
    doc = next(iter(documents.values()))
    return str(doc.meta.get("title") or doc.id).strip().strip('"')


def does_not_say(noun: str) -> str:
    return "The documents do not say" if noun == "documents" else f"The {noun} does not say"


def pieces(source: str, start: int, end: int, marks=()) -> list[dict]:
    """`source[start:end]` as blocks of pieces: a Markdown heading line is its own block (`heading`: true, its `#`
    marks left out), and each (mark_start, mark_end, kind) range is a piece with `mark` set. Each piece's text is
    `source[piece.start:piece.start + len(text)]`."""
    blocks = []
    for line in re.finditer(r"[^\n]*\n?", source[start:end]):
        if not line.group():
            break
        a, b = start + line.start(), start + line.end()
        head = _HEADING.match(source, source.rfind("\n", 0, a) + 1)  # the line may begin before the range
        if head and max(a, head.end()) < b:
            blocks.append({"heading": True, "start": max(a, head.end()), "end": b})
        elif blocks and not blocks[-1]["heading"]:
            blocks[-1]["end"] = b
        else:
            blocks.append({"heading": False, "start": a, "end": b})
    out = []
    for block in blocks:  # blank lines and the spaces at a block's edges are layout, not text to show
        a, b = block["start"], block["end"]
        while a < b and source[a].isspace():
            a += 1
        while b > a and source[b - 1].isspace():
            b -= 1
        if a < b:
            out.append({"heading": block["heading"], "parts": _marked(source, a, b, marks)})
    return out


def _marked(source: str, start: int, end: int, marks) -> list[dict]:
    parts, at = [], start
    for m_start, m_end, kind in sorted(marks):
        m_start, m_end = max(m_start, at), min(m_end, end)
        if m_start >= m_end:
            continue
        if at < m_start:
            parts.append({"start": at, "text": source[at:m_start], "mark": None})
        parts.append({"start": m_start, "text": source[m_start:m_end], "mark": kind})
        at = m_end
    if at < end:
        parts.append({"start": at, "text": source[at:end], "mark": None})
    return parts


def last_heading(heading: str) -> str:
    return heading.split(" › ")[-1] if heading else ""


def where(doc: str, start: int, end: int, heading: str, page: int | None) -> str:
    """"doc, page N, §heading, characters A–B": a citation in words (the copy text and the page's labels)."""
    bits = [doc] + ([f"page {page}"] if page is not None else []) + ([f"§{last_heading(heading)}"] if heading else [])
    return ", ".join(bits + [f"characters {start}–{end}"])


def merged_sources(answer: Answer, documents: dict[str, Document]) -> list[dict]:
    """The retrieved passages, overlapping ones of the same document merged into one range (best score kept),
    in the order of their best passage; each with the cited text marked and whether it is cited."""
    groups: list[dict] = []  # disjoint ranges: a passage that bridges two joins them into the first
    for hit in answer.passages:
        p = hit.passage
        touching = [g for g in groups if g["doc"] == p.doc and p.start <= g["end"] and g["start"] <= p.end]
        if not touching:
            groups.append({"doc": p.doc, "start": p.start, "end": p.end, "score": round(hit.score, 6),
                           "heading": p.heading, "passages": 1})
            continue
        keep, *joined = touching
        keep["start"] = min([p.start] + [g["start"] for g in touching])
        keep["end"] = max([p.end] + [g["end"] for g in touching])
        keep["passages"] += 1 + sum(g["passages"] for g in joined)
        groups = [g for g in groups if all(g is not j for j in joined)]
    for g in groups:
        document = documents[g["doc"]]
        cited = [(c.start, c.end, "cited") for c in answer.citations
                 if answer.answerable and c.doc == g["doc"] and c.start < g["end"] and c.end > g["start"]]
        g["cited"] = bool(cited)
        g["page"] = page_of(document, g["start"])
        g["where"] = where(g["doc"], g["start"], g["end"], g["heading"], g["page"])
        g["blocks"] = pieces(document.text, g["start"], g["end"], cited)
    return groups


def reply(answer: Answer, documents: dict[str, Document], noun: str = "document",
          resolved: Resolved | None = None) -> dict:
    """One chat reply for the page: the verdict first (answer or "does not say"), the short answer, the quote
    with the answer marked, the citations in words, confidence in words, the merged sources and the copy text."""
    answered = bool(answer.answerable and answer.citations)
    # the question as read, when not as typed: a follow-up's rewrite, or the last sentence after a preamble
    answering = resolved.shown if resolved and resolved.rewritten else answer.read_as
    out = {"answered": answered, "rewritten": bool(resolved and resolved.rewritten), "answering": answering,
           "confidence": round(answer.confidence, 4), "confidence_words": confidence_words(answer.confidence, answered),
           "confidence_note": confidence_note(answer.confidence, answered)}
    if answered:
        quote, cites = [], []
        for c in answer.citations:
            marks = []
            a_start = answer.answer_start
            if answer.answer and answer.answer_doc == c.doc and c.start <= a_start <= a_start + len(answer.answer) <= c.end:
                marks.append((a_start, a_start + len(answer.answer), "answer"))
            quote.append(_marked(documents[c.doc].text, c.start, c.end, marks))
            cites.append({"doc": c.doc, "start": c.start, "end": c.end, "page": c.page, "heading": c.heading,
                          "where": where(c.doc, c.start, c.end, c.heading, c.page)})
        out.update(short=answer.answer, quote=quote, citations=cites)
        out["copy"] = "\n".join([answer.answer, f"“{' … '.join(c.text for c in answer.citations)}”"]
                                + [f"— {c['where']}" for c in cites])
    else:
        out["verdict"] = f"{does_not_say(noun)}."
        out["copy"] = f"{does_not_say(noun)}: nothing in the {noun} answers “{answering or answer.question}”."
    out["sources"] = merged_sources(answer, documents)
    return out
