"""Reading windows: a stretch of a document's sentences cut to the reader's token budget, by character offsets."""
from __future__ import annotations

from typing import NamedTuple, Sequence


class Window(NamedTuple):
    """Characters [start, end) of a text that the reader reads in one go."""

    start: int
    end: int


def token_counts(tokenizer, text: str, spans: Sequence[tuple[int, int]]) -> list[int]:
    """WordPiece tokens of each (start, end) span of `text`, without special tokens."""
    if not spans:
        return []
    return [len(e.ids) for e in tokenizer.encode_batch([text[s:e] for s, e in spans], add_special_tokens=False)]


def _cut_long(tokenizer, text: str, start: int, end: int, budget: int) -> list[Window]:
    """A sentence longer than the budget, in overlapping pieces of `budget` tokens (half a budget apart), so an
    answer near a cut is whole in one of them."""
    offsets = tokenizer.encode(text[start:end], add_special_tokens=False).offsets
    step = max(1, budget // 2)
    pieces, first = [], 0
    while True:
        last = min(first + budget, len(offsets)) - 1
        pieces.append(Window(start + offsets[first][0], start + offsets[last][1]))
        if last >= len(offsets) - 1:
            return pieces
        first += step


def pack(tokenizer, text: str, sentences: Sequence[tuple[int, int]], budget: int) -> list[Window]:
    """Consecutive sentences packed into windows of at most `budget` tokens, each window starting with the last
    sentence of the one before (an answer that crosses two sentences is whole in one window)."""
    counts = token_counts(tokenizer, text, sentences)
    windows: list[Window] = []
    i = 0
    while i < len(sentences):
        if counts[i] > budget:
            windows += _cut_long(tokenizer, text, *sentences[i], budget)
            i += 1
            continue
        j, used = i, counts[i]
        while j + 1 < len(sentences) and used + counts[j + 1] <= budget:
            j += 1
            used += counts[j]
        windows.append(Window(sentences[i][0], sentences[j][1]))
        if j + 1 >= len(sentences):
            break
        i = j if j > i and counts[j] + counts[j + 1] <= budget else j + 1
    return windows
