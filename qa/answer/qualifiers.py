"""A figure's qualifier belongs to its answer: where the text says "over 4,000 green mines", "4,000" alone says more
than the text does, and "the end of 2028" is not "2028"."""
from __future__ import annotations

import re

from .respectively import FIGURE

# words that bound or approximate the figure right after them ("nearly 30%", "more than $48.6 million")
_AMOUNT = re.compile(
    r"\b(?:(?:more|less|fewer|greater|higher|lower) than|at (?:least|most)|up to|close to|in excess of"
    r"|as (?:many|much|few|little|high|low) as|(?:just|well|slightly) (?:over|under|above|below)"
    r"|over|nearly|almost|about|around|approximately|roughly|some|under|below|above|exceeding|(?:an )?estimated)"
    r"[ \t\u00a0]+$", re.I)  # on the figure's line: a line break ends a heading or a list item
# words that place a date inside its year ("end of 2028", "early 2025", "mid-2024")
_WHEN = re.compile(r"\b(?:(?:end|beginning|start|middle|close) of|early|late)[ \t\u00a0]+$|\bmid-$", re.I)
_YEAR = re.compile(r"(?:1[5-9]|20)\d\d\b")
LOOKBACK = 40  # characters before the span searched for a qualifier: the longest phrase above is 20


def with_qualifier(text: str, start: int, end: int) -> int:
    """The span's start, moved back over the qualifier right before it when the span opens with a figure."""
    span = text[start:end]
    if not FIGURE.match(span):
        return start
    before = text[max(0, start - LOOKBACK):start]
    m = _AMOUNT.search(before) or (_WHEN.search(before) if _YEAR.match(span) else None)
    return start - (len(before) - m.start()) if m else start
