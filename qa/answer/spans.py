"""Short-answer extraction: the question's expected answer type, typed candidate spans in a quote, and the best one."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..text.lexical import terms
from ..ingest.split import sentence_spans

def _lexicon() -> dict:
    """The general words of qa/text/lexicon.toml: units, scales, number words, calendar names (see its comment)."""
    import tomllib
    from pathlib import Path

    return tomllib.loads((Path(__file__).parent.parent / "text" / "lexicon.toml").read_text(encoding="utf-8"))


def _alternatives(words: list[str]) -> str:
    """A regex alternation of `words`, longest first so that "tonnes" wins over "ton"."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def _month(name: str) -> str:
    """"September" -> Sep(?:t(?:ember)?)?-like: the three-letter form, the full name, and "Sept"."""
    head, rest = name[:3], name[3:]
    return f"{head}(?:{re.escape(rest)})?" + ("|Sept" if name == "September" else "") if rest else head


LEXICON = _lexicon()
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
_CLAUSE_CUT = re.compile(r"[,;:()]|\s[-–—]\s|\.(?=\s|$)|\s(?:which|while|whereas|but|so that|thereby)\s")
# For proximity, "A for X and B for Y" pairs A with X and B with Y.
_PROXIMITY_CUT = re.compile(_CLAUSE_CUT.pattern + r"|\sand\s")
_LIST_ITEM_END = re.compile(r"\s(?:were|was|are|is|have|has|had|will|would|can|should|must|reach|reached|reaching|"
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


def _number_spans(text: str) -> list[Span]:
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
        return _number_spans(text)
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
            cut = _LIST_ITEM_END.search(" " + tail)
            end = m.end() + (max(cut.start(), 0) if cut else len(tail))
            stop = _CLAUSE_CUT.search(text, m.end())
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


def _clauses(text: str) -> list[tuple[int, int]]:
    """Clause spans of a quote: cut at commas, semicolons, colons, brackets, dashes and sentence ends."""
    spans, pos = [], 0
    for m in _CLAUSE_CUT.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s] in " \"“”'":
            s += 1
        while e > s and text[e - 1] in " .\"“”'":
            e -= 1
        if e - s >= 3:
            out.append((s, e))
    return out


def _proximity(text: str, span: tuple[int, int], anchors: list[tuple[int, str, float]]) -> float:
    """How close a span sits to the question's terms in the quote: each term counts once, at its nearest
    occurrence, weighted by its rarity; occurrences in the span's own clause count most."""
    s, e = span
    clause_start = max((m.end() for m in _PROXIMITY_CUT.finditer(text, 0, s)), default=0)
    cut = _PROXIMITY_CUT.search(text, e)
    clause_end = cut.start() if cut else len(text)
    nearest: dict[str, float] = {}
    for pos, term, weight in anchors:
        gap = s - pos if pos < s else (pos - e if pos >= e else 0)
        same_clause = clause_start <= pos < clause_end
        value = weight * (1.0 if same_clause else 0.35) / (1.0 + max(gap, 0) / 40.0)
        if same_clause and (0 < s - pos <= 30 or 0 <= pos - e <= 25):
            value *= 2.0  # "profit of 128 billion", "124 national-level mines": the words that name the figure
        nearest[term] = max(nearest.get(term, 0.0), value)
    return sum(nearest.values())


def _anchors(text: str, q_terms: dict[str, float]) -> list[tuple[int, str, float]]:
    """Positions in `text` of words whose stem is a question term, with the term and its weight."""
    out = []
    for m in re.finditer(r"[A-Za-z0-9][\w\-]*", text):
        for t in terms(m.group()):
            if t in q_terms:
                out.append((m.start(), t, q_terms[t]))
    return out


def _respectively(text: str, q_terms: dict[str, float], spans: list[Span]) -> Span | None:
    """In 'A, B and C reach 1, 2 and 3, respectively', the value paired with the item the question names."""
    if "respectively" not in text.lower() or len(spans) < 2:
        return None
    values = [s for s in spans if s.kind in ("percent", "money", "amount", "count")]
    if len(values) < 2:
        return None
    pre = text[:values[0].start]
    segments = [seg for seg in re.split(r",\s*(?:and\s+)?|\s+and\s+", pre)]
    while segments and len(segments[-1].split()) <= 1:
        segments.pop()
    items = segments[-len(values):]
    if len(items) != len(values):
        return None
    # the first item carries its lead-in ("... such as copper"): keep its last words only
    items[0] = re.split(r"\b(?:such as|like|including|for|of)\s", items[0])[-1]
    items[-1] = _LIST_ITEM_END.split(" " + items[-1] + " ")[0]
    best, best_weight = None, 0.0
    for item, value in zip(items, values):
        weight = sum(q_terms.get(t, 0.0) for t in set(terms(item)))
        if weight > best_weight:
            best, best_weight = value, weight
    return best


_FOCUS = re.compile(r"^(?:how (?:much|many)|what|which|by how much)\s+(?:(?:share|percentage|fraction|proportion|"
                    r"portion|kind|type|sort|is|was|were|are|the|of|did|does|do|has|have|[\w\-]+['’]s)\s+)*"
                    r"([\w'’\-]+)", re.I)


def focus_term(question: str) -> str | None:
    """The word a question asks about ("how much *profit*", "how many *national-level* mines"), stemmed."""
    m = _FOCUS.match(question.strip())
    found = terms(m.group(1)) if m else []
    return found[0] if found else None


_ORG_WORDS = re.compile(r"\b(?:Association|Company|Co\.|Ltd|Inc|Corp|Corporation|Group|Institute|Ministry|University|"
                        r"Bank|Agency|Commission|Council|Committee|Partnership|Organi[sz]ation|Federation|Union)\b")
_ORG_QUESTION = re.compile(r"\b(?:company|firm|institute|organi[sz]ation|association|agency|ministry|university|"
                           r"bank|group|body)\b", re.I)
_PLACE_QUESTION = re.compile(r"\b(?:city|country|countries|place|province|region|where)\b", re.I)
_TITLE_QUESTION = re.compile(r"\b(?:plan|notice|act|law|regulation|policy|title|name|called|term|slogan|quoted|"
                             r"saying|said|describe|phrase|image)\b", re.I)
_FUNCTION_WORDS = frozenset("and or but which that while whereas so thus also then as the a an its their this these "
                            "is are was were be been has have had will would can could should must to of in on at "
                            "for with by from into".split())


def trim(quote: str, s: int, e: int, question_terms: set[str], min_words: int = 4) -> tuple[int, int]:
    """Drop leading words that only repeat the question or join clauses, and trailing joining words,
    keeping at least `min_words` words where the span has them."""
    words = list(re.finditer(r"\S+", quote[s:e]))
    if len(words) <= min_words:
        return s, e

    def adds(word) -> bool:
        found = terms(word.group())
        return bool(found) and not set(found) <= question_terms

    first = next((i for i, w in enumerate(words) if adds(w)), 0)
    if first > 0 and words[first - 1].group().lower() in ("the", "a", "an"):
        first -= 1
    last = len(words) - 1
    while last > first and (words[last].group().lower().strip(",.;:") in _FUNCTION_WORDS
                            or (last - first >= 8 and not adds(words[last]))):
        last -= 1  # joining words, and on a long span the words that only repeat the question
    first = max(0, min(first, last + 1 - min_words))
    return s + words[first].start(), s + words[last].end()


_DEFINE = re.compile(r"\b(?:refer to|refers to|stand for|stands for|mean by|consist of|include)\b", re.I)


def _definition(question: str, quote: str) -> tuple[int, int] | None:
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


def _governed_object(question: str, quote: str) -> tuple[int, int] | None:
    """'What should it focus on?' ... 'focusing on X, Y and Z': the object of the question's stranded verb."""
    for m in _STRANDED.finditer(question):
        stem = terms(m.group(1))
        if not stem:
            continue
        for w in re.finditer(r"\b([A-Za-z]{3,})\s+" + m.group(2) + r"\s+", quote):
            if terms(w.group(1))[:1] == stem[:1]:
                start = w.end()
                cut = _CLAUSE_CUT.search(quote, start)
                end = cut.start() if cut else len(quote)
                tail = _ENUMERATION_TAIL.match(quote, end)
                return start, tail.end() if tail else end
    return None


def best_span(question: str, quote: str, q_weights: dict[str, float]) -> tuple[int, int]:
    """Offsets in `quote` of the shortest span that answers `question`; the whole quote when nothing better is found."""
    kind = expected_type(question)
    focus = focus_term(question)
    if focus in q_weights:  # the asked-about word decides between figures that share the rest of the sentence
        q_weights = dict(q_weights, **{focus: 3.0 * q_weights[focus]})
    anchors = _anchors(quote, q_weights)
    question_terms = set(q_weights)
    if kind in ("number", "percent", "count", "money"):
        for piece_start, piece_end in sentence_spans(quote, 0, len(quote)):
            piece = quote[piece_start:piece_end]
            paired = _respectively(piece, q_weights, _number_spans(piece))
            if paired:
                return piece_start + paired.start, piece_start + paired.end
    defined = _definition(question, quote)
    if defined:
        return defined
    if re.search(r"\bmean\b", question, re.I):  # "What does X mean for Y?" ... "This means that Z"
        means = re.search(r"\bmeans that\s+([^,;.]+)", quote)
        if means:
            return means.span(1)
    governed = _governed_object(question, quote) if kind in ("clause", "list", "means") else None
    if governed and (kind != "list" or re.search(r",|\band\b", quote[governed[0]:governed[1]])):
        return governed
    if kind == "yesno":
        return _settling_clause(quote, anchors)
    spans = candidates(quote, kind)
    if kind == "name" and (not _TITLE_QUESTION.search(question) or re.match(r"\s*who\b", question, re.I)):
        spans = [sp for sp in spans if sp.kind != "quoted"]  # a quotation answers "what is it called", not "who"
    if kind in ("percent", "money", "year") and any(sp.kind == kind for sp in spans):
        spans = [sp for sp in spans if sp.kind == kind]  # "by how much" wants the percentage, not the prices
    scored = []
    for span in spans:
        text = quote[span.start:span.end]
        span_terms = set(terms(text))
        if span_terms and span_terms <= question_terms:
            continue  # it only repeats the question
        if span.kind == "list" and len(span_terms - question_terms) < len(span_terms) / 2:
            continue  # a list mostly of the question's own words is its subject, not its answer
        score = _proximity(quote, (span.start, span.end), anchors)
        if (span.kind == "quoted" and not _TITLE_QUESTION.search(question)
                and len(span_terms & question_terms) > len(span_terms) / 2):
            score *= 0.3  # a quotation that mostly restates the question
        if span.kind == kind or (kind == "number" and span.kind in ("amount", "money", "percent", "count")):
            score *= 1.6
        elif kind in ("count", "percent", "money") and span.kind == "year":
            score *= 0.2
        if kind == "name":
            score *= 1.0 + 0.1 * min(len(text.split()), 6)
            is_org = bool(_ORG_WORDS.search(text))
            if _ORG_QUESTION.search(question):
                score *= 2.0 if is_org else 1.0
            elif _PLACE_QUESTION.search(question) and is_org:
                score *= 0.5
            if re.search(r"\bby\s+(?:the\s+)?$", quote[max(0, span.start - 8):span.start]):
                score *= 1.5  # "developed by X": the agent
        if span.kind == "list":
            score *= 1.0 + 0.3 * min(text.count(",") + 1, 6)  # the whole enumeration, not its last pair
        if span.kind == "list" and re.search(r"\b(?:such as|including|like|namely|are|were|include)\s+(?:the\s+)?$",
                                             quote[max(0, span.start - 14):span.start]):
            score *= 1.5
        scored.append((score, -(span.end - span.start), span.start, span))
    if scored:
        span = max(scored)[3]
        return span.start, span.end
    return _best_clause(kind, quote, anchors, question_terms)


_EFFECT = re.compile(r"(?:compelling|forcing|prompting|leading|causing|driving|pushing|resulting|making)\b")
_ENUMERATION_TAIL = re.compile(r"(?:,\s*[\w\-]+(?:\s[\w\-]+){0,5})*,?\s+(?:and|or)\s+[\w\-]+(?:\s[\w\-]+){0,6}"
                               r"(?=[,.;]|$)")
CAUSAL = re.compile(r"\s(?:has|have|had)?\s?(?:caused|causes|led to|leads to|resulted in|results in|drove|drives)\s")


def _settling_clause(quote: str, anchors: list[tuple[int, str, float]]) -> tuple[int, int]:
    """For a yes/no question: the clause that says most of what the question asks, in the fewest words (the
    quote is the evidence; this is the verbatim part that settles it)."""
    total = sum({t: w for _, t, w in anchors}.values()) or 1.0
    best, best_score = (0, len(quote)), -math.inf
    for s, e in _clauses(quote):
        words = len(quote[s:e].split())
        if words < 2:
            continue
        said = sum({t: w for pos, t, w in anchors if s <= pos < e}.values()) / total
        score = said - 0.01 * words
        if score > best_score:
            best, best_score = (s, e), score
    return best


def _best_clause(kind: str, quote: str, anchors: list[tuple[int, str, float]], question_terms: set[str]
                 ) -> tuple[int, int]:
    """For why/how/what questions: the clause that holds the question's words and adds the most new ones;
    for why and how, a clause opened by a reason or means marker ("with", "through", "X has caused")."""
    markers = REASON_MARKERS if kind == "reason" else MEANS_MARKERS if kind == "means" else ()
    total = sum({t: w for _, t, w in anchors}.values()) or 1.0
    best, best_score = None, -math.inf
    clauses = _clauses(quote)
    for n, (s, e) in enumerate(clauses):
        lower = quote[s:e].lower()
        signalled = False
        if kind == "reason" and n > 0 and _EFFECT.match(lower) and set(terms(quote[s:e])) & question_terms:
            s, e = clauses[n - 1]  # "X, compelling Y to ...": the reason is X
            lower, signalled = quote[s:e].lower(), True
        if kind == "reason":  # "X has caused Y": the reason is X
            causal = CAUSAL.search(quote, s, e)
            if causal and set(terms(quote[causal.end():e])) & question_terms:
                e, signalled = causal.start(), True
        marker = next((m for m in markers if lower.startswith(m + " ")), None)
        if marker:
            s += len(marker) + 1  # the answer is what follows "because", "through", ...
            signalled = True
        else:  # "... chain through a combination of policies": the means follow the marker mid-clause
            inner = re.search(r"\s(" + "|".join(markers) + r")\s", quote[s:e]) if markers else None
            if inner and set(terms(quote[s:s + inner.start()])) & question_terms:
                s, signalled = s + inner.end(), True
        words = terms(quote[s:e])
        if len(words) < 2:
            continue
        new = [w for w in words if w not in question_terms]
        old = sum({t: w for pos, t, w in anchors if s <= pos < e}.values()) / total
        near = _proximity(quote, (s, e), anchors) / total
        if signalled:  # the reason sits beside the words of the question, not among them
            score = (1.0 if new else 0.0) * (0.5 + near) * 1.5
        else:
            score = min(len(new), 6) / 6 * (0.15 + old) + 0.1 * near
        if len(quote[s:e].split()) > 16:
            score *= 0.8
        if score > best_score:
            best, best_score = (s, e), score
    if best is None:
        return 0, len(quote)
    s, e = trim(quote, *best, question_terms)
    tail = _ENUMERATION_TAIL.match(quote, e)
    if tail:  # "innovation in science, technology, and institutional mechanisms": keep the whole list
        e = tail.end()
    words = list(re.finditer(r"\S+", quote[s:e]))
    if len(words) > 14:  # still long: keep its first 14 words
        e = s + words[13].end()
    return s, e
