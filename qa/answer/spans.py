"""Short-answer extraction: the best span of a quote for the question, by its kind, clauses and the question's terms."""
from __future__ import annotations

import math
import re

from ..ingest.split import sentence_spans
from ..text.lexical import terms
from .forms import ENUMERATION_TAIL, definition, governed_object
from .kinds import (CLAUSE_CUT, LIST_ITEM_END, MEANS_MARKERS, PROXIMITY_CUT, REASON_MARKERS, Span, candidates,
                    expected_type, number_spans)


def _clauses(text: str) -> list[tuple[int, int]]:
    """Clause spans of a quote: cut at commas, semicolons, colons, brackets, dashes and sentence ends."""
    spans, pos = [], 0
    for m in CLAUSE_CUT.finditer(text):
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
    clause_start = max((m.end() for m in PROXIMITY_CUT.finditer(text, 0, s)), default=0)
    cut = PROXIMITY_CUT.search(text, e)
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
    items[-1] = LIST_ITEM_END.split(" " + items[-1] + " ")[0]
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


def _best_typed(question: str, quote: str, kind: str, spans: list[Span], anchors: list[tuple[int, str, float]],
                question_terms: set[str]) -> Span | None:
    """The typed candidate nearest the question's terms, weighed by its kind against the kind asked for."""
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
    return max(scored)[3] if scored else None


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
            paired = _respectively(piece, q_weights, number_spans(piece))
            if paired:
                return piece_start + paired.start, piece_start + paired.end
    defined = definition(question, quote)
    if defined:
        return defined
    if re.search(r"\bmean\b", question, re.I):  # "What does X mean for Y?" ... "This means that Z"
        means = re.search(r"\bmeans that\s+([^,;.]+)", quote)
        if means:
            return means.span(1)
    governed = governed_object(question, quote) if kind in ("clause", "list", "means") else None
    if governed and (kind != "list" or re.search(r",|\band\b", quote[governed[0]:governed[1]])):
        return governed
    if kind == "yesno":
        return _settling_clause(quote, anchors)
    spans = candidates(quote, kind)
    if kind == "name" and (not _TITLE_QUESTION.search(question) or re.match(r"\s*who\b", question, re.I)):
        spans = [sp for sp in spans if sp.kind != "quoted"]  # a quotation answers "what is it called", not "who"
    if kind in ("percent", "money", "year") and any(sp.kind == kind for sp in spans):
        spans = [sp for sp in spans if sp.kind == kind]  # "by how much" wants the percentage, not the prices
    best = _best_typed(question, quote, kind, spans, anchors, question_terms)
    if best is not None:
        return best.start, best.end
    return _best_clause(kind, quote, anchors, question_terms)


_EFFECT = re.compile(r"(?:compelling|forcing|prompting|leading|causing|driving|pushing|resulting|making)\b")
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
    tail = ENUMERATION_TAIL.match(quote, e)
    if tail:  # "innovation in science, technology, and institutional mechanisms": keep the whole list
        e = tail.end()
    words = list(re.finditer(r"\S+", quote[s:e]))
    if len(words) > 14:  # still long: keep its first 14 words
        e = s + words[13].end()
    return s, e
