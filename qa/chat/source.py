"""A cited range seen in its document: the text around it, its page and heading path (the chat's panel, `qa show`)."""
from __future__ import annotations

from bisect import bisect_right

from ..errors import QAError
from ..records import page_of
from .render import pieces

CONTEXT = 600  # characters shown either side of the range, when the document has no pages
MAX_PAGE = 20_000  # a PDF page is shown whole up to this many characters, else the context as for other documents


def heading_at(index, doc: str, offset: int) -> str:
    """The heading path ('Title › Section') of the sentence of `doc` that holds (or last starts before) `offset`."""
    rows = [s for s in index.sentences if s.doc == doc]
    at = bisect_right([s.start for s in rows], offset) - 1
    return rows[at].heading if at >= 0 else (rows[0].heading if rows else "")


def parse_range(spec: str) -> tuple[str, int, int]:
    """`DOC:START-END` (the form `qa ask` prints) as (doc, start, end), or a one-line QAError."""
    doc, sep, span = spec.rpartition(":")
    start, dash, end = span.partition("-")
    if not (sep and doc and dash and start.isdigit() and end.isdigit()):
        raise QAError(f"not a citation: {spec!r}; write DOC:START-END, as qa ask prints it (e.g. notes.md:243-325)")
    return doc, int(start), int(end)


def _context(document, start: int, end: int, context: int | None) -> tuple[int, int]:
    """Where the shown text begins and ends: the cited page(s) of a PDF, else `context` characters either side,
    widened to the nearest line break or space so that no word is cut."""
    text, pages = document.text, document.meta.get("pages")
    if pages and context is None:
        first, last = page_of(document, start), page_of(document, max(start, end - 1))
        a, b = pages[first - 1], pages[last] if last < len(pages) else len(text)
        if b - a <= MAX_PAGE:
            return a, b
    context = CONTEXT if context is None else context
    a, b = max(0, start - context), min(len(text), end + context)
    if a > 0:  # from the first space or line break after a
        cut = [i for i in (text.find("\n", a, start), text.find(" ", a, start)) if i >= 0]
        a = min(cut) + 1 if cut else a
    if b < len(text):  # to the last one before b
        b = max(text.rfind("\n", end, b), text.rfind(" ", end, b), end) if end < b else b
    return a, b


def source_view(index, doc: str, start: int, end: int, context: int | None = None) -> dict:
    """The range `doc[start:end]` with the text before and after it, its page (PDF) and heading path.

    `before + text + after == document.text[context_start:context_end]` and `text == document.text[start:end]`;
    `blocks` holds the same characters as qa.chat.render.pieces, less the heading marks and blank lines.
    An unknown document or a range outside it is a one-line QAError."""
    document = index.documents.get(doc)
    if document is None:
        known = sorted(index.documents)
        raise QAError(f"no document {doc!r} in the index; it holds {len(known)}: {', '.join(known[:5])}"
                      + (", ..." if len(known) > 5 else ""))
    size = len(document.text)
    if not 0 <= start < end <= size:
        raise QAError(f"characters {start}-{end} are not a range of {doc}, which has {size:,} characters "
                      f"(0-{size}, start before end)")
    a, b = _context(document, start, end, context)
    text = document.text
    out = {"doc": doc, "start": start, "end": end, "text": text[start:end], "before": text[a:start],
           "after": text[end:b], "context_start": a, "context_end": b, "length": size,
           "heading": heading_at(index, doc, start), "title": str(document.meta.get("title") or doc).strip('"'),
           # the same text as blocks of pieces (headings without their # marks, the range marked), for the page
           "blocks": pieces(text, a, b, [(start, end, "cited")])}
    page = page_of(document, start)
    if page is not None:
        out["page"], out["pages"] = page, len(document.meta["pages"])
    return out
