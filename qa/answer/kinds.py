"""Answer kinds: the kind of answer a question asks for (a figure, a date, a name, ...) and the typed spans of a text."""
from __future__ import annotations

import re
from dataclasses import dataclass

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
_CAP_WORD = r"(?:[A-Z][\w'’.\-]*|\d+[A-Z][\w\-]*)"
NAME_RE = re.compile(
    rf"{_CAP_WORD}(?:(?:\s+(?:of|and|for|the|on|in|under|de|la|du|von|van|-)){{0,2}}\s+{_CAP_WORD}"
    rf"|,\s+(?:Co|Ltd|Inc|Corp|LLC)\.?|,\s+[A-Z]\w+\s+(?:Province|State|County|Prefecture|Region)"
    rf"|\s+\([A-Z]{{2,}}\))*")
QUOTED_RE = re.compile(r"\"[^\"]{3,200}\"|“[^”]{3,200}”|'[^']{3,120}'")
# Words that start a clause which gives a reason or a means.
REASON_MARKERS = ("because of", "because", "due to", "owing to", "as a result of", "thanks to", "affected by",
                  "driven by", "with", "given", "since", "as")
MEANS_MARKERS = ("through", "by", "via", "using", "with", "following", "based on")
CLAUSE_CUT = re.compile(r"[,;:()]|\s[-–—]\s|\.(?=\s|$)|\s(?:which|while|whereas|but|so that|thereby)\s")
# For proximity, "A for X and B for Y" pairs A with X and B with Y.
PROXIMITY_CUT = re.compile(CLAUSE_CUT.pattern + r"|\sand\s")
LIST_ITEM_END = re.compile(r"\s(?:were|was|are|is|have|has|had|will|would|can|should|must|reach|reached|reaching|"
                            r"to|in|at|on|which|that|with|from|for|by|through)\s", re.I)


@dataclass(frozen=True)
class Span:
    """A candidate answer: offsets relative to the quote, and its kind."""

    start: int
    end: int
    kind: str


_YES_NO = re.compile(r"(?:is|are|was|were|do|does|did|can|could|has|have|had|will|would|should|must|may)\s+"
                     r"(?!you\s+(?:tell|explain|describe|list|name|give|show)\b)", re.I)


def expected_type(question: str) -> str:
    """The kind of answer a question asks for: yesno, number, percent, count, money, date, year, name, list,
    reason, means or clause."""
    q = question.lower().strip()
    if _YES_NO.match(q) and not re.search(r"\bor\b", q):  # "Is it A or B?" asks for one of them: a clause
        return "yesno"
    if re.search(r"\b(what|which) year\b|\bin what year\b", q):
        return "year"
    if re.search(r"\bwhen\b|\bwhat (date|day|month|time)\b|\bby when\b|\bdeadline\b|\bhow soon\b", q):
        return "date"
    if re.match(r"how (do|does|did|is|are|was|were|can|could|should|will|would|has|have)\b", q):
        return "means"
    if re.search(r"\b(share|percentage|percent|fraction|proportion|portion|ratio|rate)\b|\bhow (dependent|"
                 r"reliant)\b|\bhow much of\b|\bby how much\b|\bhow fast\b", q) and re.search(r"^(what|how|by)\b", q):
        return "percent"
    if re.search(r"\bhow many\b|\bnumber of\b|\bhow long\b", q):
        return "count"
    if re.search(r"^what (?:(?:is|was|were|are) )?(?:the )?(?:[\w\-']+ ){0,3}(price|cost|revenue|profit|charges?|fee|"
                 r"worth|value)s?\b|\bhow much\b.*\b(price|cost|revenue|profit|charges?|fee|worth|value)\b|"
                 r"\bwhere did\b.*\bstand\b", q):
        return "money"
    if re.search(r"\bhow much\b|\bwhat (level|amount|volume|output|capacity|quantity|size|grade|purity)\b", q) or (
            re.search(r"^what (is|was|were|are)\b", q) and re.search(
                r"\b(capacity|output|production|volume|amount|quantity|investment|demand|supply|exports?|imports?)\b", q)):
        return "number"
    if re.search(r"\bwhy\b|\bwhat (caused|causes|drove|drives|led to)\b|\breason\b", q):
        return "reason"
    if re.search(r"^how\b|\bin what way\b|\bby what means\b", q):
        return "means"
    if re.search(r"^(which|what|what are the|what were the|name the) ([\w\-]+ ){0,4}(metals|minerals|countries|materials|technologies|elements|mechanisms|"
                 r"areas|fields|places|measures|things|sectors|regions|items|obstacles|bottlenecks|challenges|"
                 r"steps|ways|factors|benefits|risks|goals|priorities|policies|products|projects)\b|"
                 r"\blist\b|\bin which countries\b", q):
        return "list"
    if re.search(r"^(who|whom|whose)\b|\bwhich (company|firm|institute|organi[sz]ation|association|city|country|"
                 r"place|province|law|act|notice|plan|mine|event|conference|agency|ministry|university|person|"
                 r"region|bank|mineral|metal|policy|regulation|program(me)?)\b|^where\b|\bwhat is the name\b|"
                 r"\bwhich \w+ (law|act|mine|company|plan)\b", q):
        return "name"
    return "clause"


def number_spans(text: str) -> list[Span]:
    spans = []
    day_dates = [m.span() for m in DATE_RE.finditer(text) if re.search(r"[A-Za-z]", m.group())]
    for m in NUMBER_RE.finditer(text):
        s, e = m.span()
        if any(ds <= s and e <= de for ds, de in day_dates):
            continue  # the 22 of "February 22" is a date, not a figure
        while e > s and text[e - 1] in " ,.":
            e -= 1
        value = text[s:e]
        if re.fullmatch(r"(?:19|20)\d{2}", value):
            kind = "year"
        elif "%" in value or "percentage point" in value:
            kind = "percent"
        elif re.search(rf"[$€£¥]|\b(?:{_alternatives(LEXICON['currencies'])})\b", value, re.I):
            kind = "money"
        elif re.search(rf"\b(?:{_alternatives([*LEXICON['quantities'], *LEXICON['scales']])})\b|{_PER}", value):
            kind = "amount"
        else:
            kind = "count"
        spans.append(Span(s, e, kind))
    return spans


def candidates(text: str, kind: str) -> list[Span]:
    """Typed candidate spans of `text` for an expected answer kind (empty for clause-like kinds)."""
    if kind in ("number", "percent", "count", "money"):
        return number_spans(text)
    if kind in ("date", "year"):
        spans = [Span(*m.span(), "date") for m in DATE_RE.finditer(text)]
        if kind == "year":
            spans += [Span(*m.span(), "year") for m in re.finditer(r"\b(?:19|20)\d{2}\b", text)]
        return spans
    if kind == "name":
        spans = [Span(*m.span(), "name") for m in NAME_RE.finditer(text)]
        spans += [Span(m.start() + 1, m.end() - 1, "quoted") for m in QUOTED_RE.finditer(text)]
        return [s for s in spans if not _sentence_initial_word(text, s)]
    if kind == "list":
        return _list_spans(text)
    return []


def _sentence_initial_word(text: str, span: Span) -> bool:
    """A lone capitalised word that is only capitalised because it starts a sentence or clause."""
    word = text[span.start:span.end]
    if " " in word or not word[:1].isupper():
        return False
    before = text[:span.start].rstrip()
    return not before or before[-1] in ".:;!?\"“" or word.lower() in {"the", "in", "for", "as", "among", "this",
                                                                        "currently", "meanwhile", "additionally",
                                                                        "however", "therefore", "first", "second"}


def _list_spans(text: str) -> list[Span]:
    """Runs of two or more comma- or 'and'-joined items, trimmed to the items themselves."""
    spans = []
    for m in re.finditer(r"(?:,\s*|\s)(?:and|or)\s", text):
        pos = m.start()
        pieces = text[:pos].split(",")
        for i, piece in enumerate(reversed(pieces)):  # walk left over short items to the first one
            pos -= len(piece)
            if len(piece.split()) > 6 or re.search(r"\((?![A-Z]{2,}\))", piece) or i == len(pieces) - 1:
                break
            pos -= 1  # the comma
        first = text[pos:pos + len(piece)]
        sentence_end = max(first.rfind(". "), first.rfind("? "), first.rfind("! "))
        if sentence_end >= 0:  # a list never reaches back into the previous sentence
            pos += sentence_end + 2
            first = text[pos:pos + len(first) - sentence_end - 2]
        lead = re.search(r".*(?:\b(?:such as|like|including|include|namely|with|of|in|for|from|on|through|to|"
                         r"between|are|is|were|was|by)\s|\((?![A-Z]{2,}\)))", first)
        if lead:
            pos += lead.end()
        elif len(first.split()) > 4:
            pos += len(first) - len(" ".join(first.split()[-3:]))
        tail = text[m.end():]
        name = NAME_RE.match(tail, len(tail) - len(tail.lstrip()) + (4 if tail.startswith("the ") else 0))
        if name and name.group()[:1].isupper():  # "and the Partnership for Global Infrastructure (PGII)"
            end = m.end() + name.end()
        else:
            cut = LIST_ITEM_END.search(" " + tail)
            end = m.end() + (max(cut.start(), 0) if cut else len(tail))
            stop = CLAUSE_CUT.search(text, m.end())
            if stop and stop.start() < end:
                end = stop.start()
            end = min(end, m.end() + 60)
        s, e = pos, end
        while s < e and text[s] in " ,":
            s += 1
        while e > s and text[e - 1] in " ,.":
            e -= 1
        if e - s > 3:
            spans.append(Span(s, e, "list"))
    return spans
