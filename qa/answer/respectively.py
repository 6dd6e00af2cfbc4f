"""Pairing a list's items with the figures "..., respectively" gives them: "the ratios for copper, aluminum and
nickel reach 80%, 67% and 86%, respectively" answers "aluminum?" with 67%, which the reader cannot work out."""
from __future__ import annotations

import re
from typing import NamedTuple

from ..text.lexical import terms

_RESPECTIVELY = re.compile(r"\s*,?\s*\brespectively\b", re.I)
# list separators, longest first: ", and " / " and " / "," / ";"
_SEPARATOR = re.compile(r"\s*,\s*(?:and|or)\s+|\s+(?:and|or)\s+|\s*(?:,(?!\d)|;)\s*", re.I)  # not 4,000's comma
_JOINS = re.compile(r"\b(?:and|or)\b", re.I)
# a figure with its unit: also how qualifiers.py and eval/qualifiers.py know a span opens with one
FIGURE = re.compile(r"(?:[$€£¥]\s?)?\d[\d,.]*(?:\s*(?:%|percent\b|per cent\b))?"
                    r"(?:\s+(?:thousand|million|billion|trillion|mt|tonnes|tons|km|kg|years?|months?|days?|hours?)\b)?",
                    re.I)
MAX_KEY_WORDS = 4  # an item between the first and the last is a name, not a clause


class Pair(NamedTuple):
    """One item of the list and the figure paired with it, by offsets in the text."""

    key: tuple[int, int]
    value: tuple[int, int]


def _segments(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """(start, end, separator before it) of the pieces of text[start:end] between list separators."""
    pieces, at, before = [], start, ""
    for m in _SEPARATOR.finditer(text, start, end):
        if m.start() > at:
            pieces.append((at, m.start(), before))
        at, before = m.end(), m.group()
    if end > at:
        pieces.append((at, end, before))
    return pieces


def _trailing_figure(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The figure a piece of text ends with ("reach 80%" -> "80%")."""
    last = None
    for m in FIGURE.finditer(text, start, end):
        last = m
    return (last.start(), last.end()) if last and last.end() == end else None


def pairs(text: str, start: int, end: int) -> list[Pair]:
    """The (item, figure) pairs one sentence text[start:end] states with "respectively", or [] when its lists
    cannot be lined up: the figures are the pieces before "respectively", the items the list just before them
    with as many pieces, its last two joined by "and"/"or"."""
    m = _RESPECTIVELY.search(text, start, end)
    if not m:
        return []
    pieces = _segments(text, start, m.start())
    values, head = [], None
    for i in range(len(pieces) - 1, -1, -1):  # figures, last first, up to the piece that opens with other words
        a, b, _ = pieces[i]
        figure = _trailing_figure(text, a, b)
        if figure is None:
            break
        values.append(figure)
        if figure[0] > a:
            head = i
            break
    values.reverse()
    n = len(values)
    if head is None or n < 2:
        return []
    # the items: n pieces ending just before the figures' first piece or at it (its words before the figure)
    for last in (head, head - 1):
        first = last - n + 1
        if first < 0 or not _JOINS.search(pieces[last][2]):
            continue
        ends = [values[0][0] if i == head else pieces[i][1] for i in range(first, last + 1)]
        keys = [_item(text, pieces[i][0], b, i == first, i == last, i == head)
                for i, b in zip(range(first, last + 1), ends)]
        if all(k is not None for k in keys):
            return [Pair(k, v) for k, v in zip(keys, values)]
    return []


def _item(text: str, a: int, b: int, first: bool, last: bool, head: bool) -> tuple[int, int] | None:
    """An item's offsets, or None where the piece cannot be one. The list's first and last pieces run into the
    sentence around the list ("the ratios for copper", "platinum group metals reach"), so of them only the content
    word next to the list counts; the pieces between, and a last piece of its own, must be short; words before a
    figure that hold a figure themselves ("19 percent to energy and 22 percent to power in 2012 and 2013") are a
    second list of figures, not items."""
    words = [w for w in re.finditer(r"\S+", text[a:b]) if terms(w.group())]
    if not words or (head and FIGURE.search(text, a, b)) or (not first and not head and len(words) > MAX_KEY_WORDS):
        return None
    if first:
        words = words[-1:]
    elif last:
        words = words[:1]
    return a + words[0].start(), a + words[-1].end()


def holds_figure(text: str) -> bool:
    """Whether a span states a figure: only a figure is moved to its pair, an answer naming an item stays."""
    return FIGURE.search(text) is not None


def figure_for(question: str, text: str, start: int, end: int) -> tuple[int, int] | None:
    """The offsets of the figure that sentence text[start:end] pairs with the item the question names, else None
    (no pairs, no item named, two named as much, or the question already holds the figure)."""
    found = pairs(text, start, end)
    if not found:
        return None
    asked = set(terms(question))
    named = [(len(asked.intersection(terms(text[p.key[0]:p.key[1]]))), p.value) for p in found]
    value = _sole_best([(-n, v) for n, v in named if n])
    return None if value is None or asked.intersection(terms(text[value[0]:value[1]])) else value


def nearest(candidates: list[tuple[bool, tuple[int, int]]]) -> tuple[int, int] | None:
    """Of (farther, figure) candidates, the figure of the only one nearest the span (in its sentence before the rest
    of its window), or None when two are as near as each other."""
    return _sole_best(candidates)


def _sole_best(ranked: list[tuple]) -> tuple[int, int] | None:
    """The value of the (rank, value) pair ranked lowest, or None when none is or two share that rank."""
    ranked = sorted(ranked)
    if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
        return None
    return ranked[0][1]
