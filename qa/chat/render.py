"""HTML for the chat: answers, quotes with the answer marked, citations and sources, built from exact offsets.

Every piece of corpus text goes through `escape`, which escapes HTML and also turns the characters that
Markdown, LaTeX or link detection would act on into character references. The chat renders messages as
Markdown, so a document containing `<script>`, `**bold**`, `[a](link)` or `$x$` shows exactly those
characters and nothing else. The only tags are the ones written here.
"""
from __future__ import annotations

import re

from .followup import Resolved
from ..records import Answer, Document

# Markdown, LaTeX and autolink syntax: each becomes a numeric character reference, which every renderer
# passes through as the literal character.
_ACTIVE = re.compile(r"[\\`*_\[\]{}()#+\-.!|~$:/<>&\"'=^@%]")
_NEWLINE = re.compile(r"\r\n|\r|\n")


def escape(text: str) -> str:
    """Text as inert HTML: no tag, entity, Markdown, LaTeX or link can come out of it (all that
    `html.escape` escapes, and the Markdown punctuation besides). Line breaks stay,
    as `&#10;` (shown by the `white-space: pre-wrap` of the corpus text styles), so that no blank line
    can end the surrounding HTML block."""
    out = _ACTIVE.sub(lambda m: f"&#{ord(m.group())};", text)
    return _NEWLINE.sub("&#10;", out)


def excerpt(source: str, start: int, end: int, marks: list[tuple[int, int, str]] = ()) -> str:
    """`source[start:end]`, escaped, with each (mark_start, mark_end, class) range inside it in a <mark>.

    Marks are clipped to the excerpt; overlapping marks are merged into the first.
    """
    pieces, at = [], start
    for m_start, m_end, css in sorted(marks):
        m_start, m_end = max(m_start, at), min(m_end, end)
        if m_start >= m_end:
            continue
        pieces.append(escape(source[at:m_start]))
        pieces.append(f'<mark class="{css}">{escape(source[m_start:m_end])}</mark>')
        at = m_end
    pieces.append(escape(source[at:end]))
    return "".join(pieces)


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


def question_html(question: str) -> str:
    return f'<div class="qa-question">{escape(question)}</div>'


def _where(doc: str, start: int, end: int, heading: str, short: bool = False) -> str:
    """Document, character range and heading path; `short` keeps the last heading, the path in a tooltip."""
    where = f'<span class="qa-doc">{escape(doc)}</span> · characters {start}–{end}'
    if heading and short:
        where += (f' · <span class="qa-heading" title="{escape(heading)}">'
                  f'{escape(heading.split(" › ")[-1])}</span>')
    elif heading:
        where += f' · <span class="qa-heading">{escape(heading)}</span>'
    return where


def _sources(answer: Answer, documents: dict[str, Document], answered: bool) -> str:
    """The retrieved passages, best first, with scores; the cited text marked inside each passage."""
    items = []
    for hit in answer.passages:
        p = hit.passage
        source = documents[p.doc].text
        overlaps = [(c.start, c.end, "qa-cited") for c in answer.citations
                    if c.doc == p.doc and c.start < p.end and c.end > p.start]
        if answered:
            tag = ('<span class="qa-tag qa-tag-cited">cited</span>' if overlaps
                   else '<span class="qa-tag">retrieved</span>')
        else:
            tag = '<span class="qa-tag qa-tag-no">does not answer</span>'
        items.append(
            f'<li class="qa-passage{" qa-passage-cited" if overlaps else ""}">'
            f'<div class="qa-passage-head">{tag} score {hit.score:.4f} · {_where(p.doc, p.start, p.end, p.heading, short=True)}</div>'
            f'<div class="qa-text">{excerpt(source, p.start, p.end, overlaps)}</div></li>')
    return "<ol class=\"qa-passages\">" + "".join(items) + "</ol>"


def _hit_count(n: int) -> str:
    return f"{n} passage{'s' * (n != 1)}"


def answer_html(answer: Answer, documents: dict[str, Document], noun: str = "document",
                resolved: Resolved | None = None) -> str:
    """One chat reply: the short answer, the quote with the answer marked, the citation, and the sources
    one click away; or a plainly worded abstention with the closest passages, marked as not answering."""
    parts = ['<div class="qa-reply">']
    if resolved is not None and resolved.rewritten:
        parts.append(f'<div class="qa-resolved">Answering: {escape(resolved.question)}</div>')
    if answer.answerable and answer.citations:
        parts.append(f'<div class="qa-short">{escape(answer.answer)}</div>')
        quote = []
        for c in answer.citations:
            source = documents[c.doc].text
            marks = []
            if answer.answer and answer.answer_doc == c.doc:
                a_start, a_end = answer.answer_start, answer.answer_start + len(answer.answer)
                if c.start <= a_start and a_end <= c.end:
                    marks.append((a_start, a_end, "qa-answer"))
            quote.append(excerpt(source, c.start, c.end, marks))
        parts.append(f'<blockquote class="qa-quote qa-text">{" … ".join(quote)}</blockquote>')
        for c in answer.citations:
            parts.append(f'<div class="qa-cite">— {_where(c.doc, c.start, c.end, c.heading)}'
                         f' · confidence {answer.confidence:.2f}</div>')
        if answer.passages:
            parts.append(f'<details class="qa-sources"><summary>Sources: {_hit_count(len(answer.passages))} '
                         f'retrieved, the cited text marked</summary>{_sources(answer, documents, True)}</details>')
    else:
        parts.append(f'<div class="qa-abstain"><strong>{does_not_say(noun)}.</strong> Nothing in the {noun} '
                     f'answers “{escape(answer.question)}” (confidence {answer.confidence:.2f}).</div>')
        if answer.passages:
            parts.append(f'<details class="qa-sources" open><summary>Closest {_hit_count(len(answer.passages))}: '
                         f'none of them answers the question</summary>{_sources(answer, documents, False)}'
                         f'</details>')
    parts.append("</div>")
    return "".join(parts)


def error_html(message: str) -> str:
    return f'<div class="qa-reply qa-error">{escape(message)}</div>'
