"""Question forms with an answer of fixed shape: "what does X refer to", and the object a stranded preposition asks for."""
from __future__ import annotations

import re

from ..text.lexical import terms
from .kinds import CLAUSE_CUT

ENUMERATION_TAIL = re.compile(r"(?:,\s*[\w\-]+(?:\s[\w\-]+){0,5})*,?\s+(?:and|or)\s+[\w\-]+(?:\s[\w\-]+){0,6}"
                               r"(?=[,.;]|$)")
_DEFINE = re.compile(r"\b(?:refer to|refers to|stand for|stands for|mean by|consist of|include)\b", re.I)


def definition(question: str, quote: str) -> tuple[int, int] | None:
    """'What does "X" refer to?': the parenthesis that follows X in the quote."""
    if not _DEFINE.search(question):
        return None
    for term in re.findall(r"[\"“]([^\"”]{2,60})[\"”]", question):
        at = quote.find(term)
        paren = re.compile(r"[\"”]?\s*\(([^()]{2,200})\)").match(quote, at + len(term)) if at >= 0 else None
        if paren:
            return paren.span(1)
    return None


_STRANDED = re.compile(r"\b([a-z]{3,})\s+(on|in|into|to|of|for|with|about|from|at)\s*(?:\?|$|(?:on|in|into|to|of|for|"
                       r"with|about|from|at)\s)", re.I)


def governed_object(question: str, quote: str) -> tuple[int, int] | None:
    """'What should it focus on?' ... 'focusing on X, Y and Z': the object of the question's stranded verb."""
    for m in _STRANDED.finditer(question):
        stem = terms(m.group(1))
        if not stem:
            continue
        for w in re.finditer(r"\b([A-Za-z]{3,})\s+" + m.group(2) + r"\s+", quote):
            if terms(w.group(1))[:1] == stem[:1]:
                start = w.end()
                cut = CLAUSE_CUT.search(quote, start)
                end = cut.start() if cut else len(quote)
                tail = ENUMERATION_TAIL.match(quote, end)
                return start, tail.end() if tail else end
    return None
