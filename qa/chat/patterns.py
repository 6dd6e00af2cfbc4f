"""Patterns of general English that the chat reads questions with: figures and dates (for example questions and
for follow-ups whose short answer is a when). The answer path uses none of them: the reader finds answers."""
from __future__ import annotations

import re

from ..text.lexicon import LEXICON


def _alternatives(words: list[str]) -> str:
    """A regex alternation of `words`, longest first so that "tonnes" wins over "ton"."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def _month(name: str) -> str:
    """"September" -> Sep(?:t(?:ember)?)?-like: the three-letter form, the full name, and "Sept"."""
    head, rest = name[:3], name[3:]
    return f"{head}(?:{re.escape(rest)})?" + ("|Sept" if name == "September" else "") if rest else head


MONTHS = "(?:" + "|".join(_month(m) for m in LEXICON["months"]) + r")\.?"
_QUALIFIER = (r"(?:(?:over|nearly|approximately|about|around|almost|roughly|more than|less than|fewer than|below|"
              r"above|up to|at least|at most|exceeding|exceed|exceeded|surpassed|under)\s+)?")
_NUMBER = r"[-−]?[$€£¥]?\d[\d,]*(?:\.\d+)?"
_SCALE = rf"(?:\s?(?:{_alternatives(LEXICON['scales'])}))?"
_PER = rf"(?:{_alternatives(LEXICON['per_units'])})"
_UNITS = [*LEXICON["currencies"], *LEXICON["quantities"], *LEXICON["counts"]]
_UNIT = (rf"(?:\s?%|\s?(?:{_alternatives(_UNITS)})\b{_PER}?|{_PER}|-(?:year|month|day|meter)"
         r"(?:-level)?)?")
NUMBER_RE = re.compile(
    rf"{_QUALIFIER}(?<![\w.])(?:\d+N(?:-grade)?|{_NUMBER}(?:\s?[-–~]\s?{_NUMBER})?{_SCALE}{_UNIT})(?![A-Za-z0-9])"
    rf"|\b(?:{_alternatives(LEXICON['number_words'])})\b"
    r"(?:\s(?:consecutive\s)?[a-z]{3,}s)?"  # "four months", "three pillars": the counted noun, whatever it is
    r"(?![\w-])",
    re.I)
DATE_RE = re.compile(
    rf"(?:the\s+)?(?:end|beginning|start|middle|first half|second half) of\s+(?:{MONTHS}\s+)?\d{{4}}"
    rf"|(?:the\s+)?(?:first|last|second|third) (?:week|month|quarter) of {MONTHS}(?:\s+\d{{4}})?"
    rf"|{MONTHS}\s+\d{{4}}\b"
    rf"|{MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?(?:\s+this year)?"
    rf"|\b\d{{1,2}}\s+{MONTHS}(?:\s+\d{{4}})?"
    rf"|{MONTHS}\s+(?:to|-)\s+{MONTHS}"
    r"|\b(?:19|20)\d{2}(?:\s?[-–]\s?(?:19|20)?\d{2})?\b")
