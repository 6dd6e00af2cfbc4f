"""Citing: the whole sentences of the index that hold an answer span, as one verbatim quote with its offsets."""
from __future__ import annotations

from ..records import Citation, Passage, page_of


def quote_rows(index, passage: Passage, start: int, end: int) -> tuple[int, ...]:
    """The passage's sentence rows that the span [start, end) touches (at least the one it starts in)."""
    rows = tuple(r for r in range(passage.first_sentence, passage.last_sentence + 1)
                 if index.sentences[r].start < max(end, start + 1) and index.sentences[r].end > start)
    return rows or (passage.first_sentence,)


def cite(index, passage: Passage, rows: tuple[int, ...], confidence: float = 0.0) -> Citation:
    """The quote from the first row's start to the last row's end, copied from the source by offsets, under the
    heading of the passage it was read in."""
    first, last = index.sentences[rows[0]], index.sentences[rows[-1]]
    document = index.documents[first.doc]
    return Citation(first.doc, first.start, last.end, document.text[first.start:last.end], confidence,
                    passage.heading, page_of(document, first.start))
