"""Split documents into sentences and token-budgeted passages, recording exact character offsets as it goes."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator

from ..records import Document, Passage, Sentence
from ..text.tokens import count_tokens
from .formats import CONVERTED
from .markdown import markdown_blocks

# Words whose trailing period does not end a sentence.
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st vs etc e.g i.e eg ie inc ltd co corp no nos fig figs al approx dept est vol "
    "eq eqs ref refs u.s u.k jan feb mar apr jun jul aug sep sept oct nov dec p pp ca cf resp viz".split())
_BLOCK_GAP = re.compile(r"\n[ \t]*(?:\r?\n[ \t]*)+|\r\n[ \t]*(?:\r?\n[ \t]*)+")
# End of a sentence: terminal punctuation, closing quotes or brackets, then white space before a
# non-lowercase character; or a period glued to a capitalised word ("instability.From", common in
# text pasted from web pages); or CJK full stops.
_BOUNDARY = re.compile(
    r"[.!?…]+[\"'”’)\]]*(?=\s+[^\sa-z])"
    r"|(?<=[a-z%)])[.!?](?=[A-Z][a-z])"
    r"|[。！？]+[”’」』)]*"
    r"|\n(?=[ \t]*(?:[-*•]|\d+[.)])[ \t])")
FRONT_MATTER_HEADING = "front matter"
MARKDOWN = (".md", *CONVERTED)  # PDF, HTML and DOCX files are indexed as the Markdown they convert to
_WORD_BEFORE = re.compile(r"(\S+)$")
_OPENERS = "(\"'“["  # stripped from the front of the word before a period


@dataclass(frozen=True)
class SplitSettings:
    """How passages are cut: a cl100k_base token budget, sentences of overlap, and the model's own limit."""

    max_tokens: int = 128
    overlap: int = 1
    model_max_tokens: int = 256

    def to_dict(self) -> dict:
        return {"max_tokens": self.max_tokens, "overlap": self.overlap, "model_max_tokens": self.model_max_tokens}


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` closes an abbreviation or an initial rather than a sentence."""
    if text[dot] != ".":
        return False
    # Look back a little, not to the start of the text: searching from 0 made a long paragraph quadratic
    # (a 900 KB single-line document took 150 s to split). Abbreviations are short, so a word reaching past
    # the window is one only when all of it before the window is opening brackets and quotes.
    lo = max(0, dot - 32)
    word = _WORD_BEFORE.search(text, lo, dot)
    if not word:
        return False
    if word.start() == lo and lo > 0 and not text[lo - 1].isspace():
        before = lo
        while before > 0 and text[before - 1] in _OPENERS:
            before -= 1
        if before > 0 and not text[before - 1].isspace():
            return False
    token = word.group(1).lstrip(_OPENERS).lower()
    return token in ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _blocks(doc: Document) -> Iterator[tuple[int, int, int]]:
    """(start, end, heading level) of each paragraph of a plain-text body: runs of text between blank lines,
    none of them a heading."""
    pos = doc.body_start
    for gap in _BLOCK_GAP.finditer(doc.text, pos):
        yield pos, gap.start(), 0
        pos = gap.end()
    yield pos, len(doc.text), 0


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets within text[start:end], trimmed of white space, never empty."""
    spans, pos = [], start
    for match in _BOUNDARY.finditer(text, start, end):
        cut = match.end()
        if match.group().startswith(".") and _is_abbreviation(text, match.start()):
            continue
        s, e = _strip(text, pos, cut)
        if s < e:
            spans.append((s, e))
        pos = cut
    s, e = _strip(text, pos, end)
    if s < e:
        spans.append((s, e))
    return spans


class Splitter:
    """Cuts documents into sentences and passages; `fits` decides whether a piece of text is within budget."""

    def __init__(self, settings: SplitSettings = SplitSettings(), model_count: Callable[[str], int] | None = None):
        if settings.max_tokens < 8:
            raise ValueError("max_tokens must be at least 8")
        if settings.overlap < 0:
            raise ValueError("overlap must be 0 or more")
        self.settings = settings
        self.model_count = model_count

    def fits(self, text: str) -> bool:
        """Within the cl100k budget and, when a model tokenizer is given, within the model's maximum length."""
        if len(text) > self.settings.max_tokens * 16:  # far too long for any tokenizer: skip the count
            return False
        if count_tokens(text) > self.settings.max_tokens:
            return False
        return self.model_count is None or self.model_count(text) <= self.settings.model_max_tokens

    def _fitted(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        return [(start, end)] if self.fits(text[start:end]) else self._cut_long(text, start, end)

    def _longest_fit(self, text: str, start: int, cuts: list[int]) -> int:
        """The largest of the ascending `cuts` at which text[start:cut] fits (the first when none does)."""
        lo, hi = 0, len(cuts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.fits(text[start:cuts[mid]]):
                lo = mid
            else:
                hi = mid - 1
        return cuts[lo]

    def _cut_long(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Pieces of an over-long sentence, cut at white space where possible (the only place a sentence is cut)."""
        pieces = []
        while start < end:
            if self.fits(text[start:end]):
                pieces.append((start, end))
                break
            window_end = min(end, start + self.settings.max_tokens * 16)
            breaks = [m.start() for m in re.finditer(r"\s+", text[start:window_end])]
            cuts = [start + b for b in breaks if b > 0] or list(range(start + 1, window_end + 1))
            cut = self._longest_fit(text, start, cuts)
            if not self.fits(text[start:cut]):  # no white space early enough: cut by characters
                cut = self._longest_fit(text, start, list(range(start + 1, window_end + 1)))
            s, e = _strip(text, start, cut)
            if s < e:
                pieces.append((s, e))
            start, _ = _strip(text, cut, end)
            if start >= end:
                break
        return pieces

    def split(self, doc: Document, first_row: int = 0, first_passage: int = 0
              ) -> tuple[list[Sentence], list[Passage]]:
        """Sentences and passages of one document; rows are numbered from `first_row` and `first_passage`."""
        text = doc.text
        # (heading path, sentence spans, holds only headings so far)
        sections: list[tuple[str, list[tuple[int, int]], bool]] = []
        path: list[tuple[int, str]] = []
        if doc.body_start:  # front matter lines are text of the file too: searchable and citable
            lines = [(m.start(), m.end()) for m in re.finditer(r"[^\r\n]+", text, 0)
                     if m.end() <= doc.body_start and ":" in m.group()]
            sections.append((FRONT_MATTER_HEADING, [sp for s, e in lines for sp in self._fitted(text, s, e)], False))
        blocks = markdown_blocks(text, doc.body_start) if doc.id.lower().endswith(MARKDOWN) else _blocks(doc)
        for b_start, b_end, level in blocks:
            b_start, b_end = _strip(text, b_start, b_end)
            if b_start >= b_end:
                continue
            if level:  # a Markdown heading: the block is its own words
                path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, " ".join(text[b_start:b_end].split()))]
                label = " › ".join(h for _, h in path)
                spans = self._fitted(text, b_start, b_end)  # a heading longer than the budget is cut too
                if sections and sections[-1][2]:  # a heading right under a heading: one section, not a stub
                    sections[-1] = (label, sections[-1][1] + spans, True)
                else:
                    sections.append((label, spans, True))
                continue
            if not sections or sections[-1][0] == FRONT_MATTER_HEADING:
                sections.append(("", [], False))
            elif sections[-1][2]:
                sections[-1] = (sections[-1][0], sections[-1][1], False)
            for s, e in sentence_spans(text, b_start, b_end):
                sections[-1][1].extend(self._fitted(text, s, e))

        sentences: list[Sentence] = []
        passages: list[Passage] = []
        for heading, spans, _ in sections:
            owner: dict[int, int] = {}  # each sentence points at the first passage that holds it
            runs = self._pack(text, spans)
            for n, (i, j) in enumerate(runs):
                for k in range(i, j):
                    owner.setdefault(k, first_passage + len(passages) + n)
            base = len(sentences)
            sentences.extend(Sentence(doc.id, s, e, text[s:e], heading, owner[k]) for k, (s, e) in enumerate(spans))
            for i, j in runs:
                start, end = spans[i][0], spans[j - 1][1]
                passages.append(Passage(f"{doc.id}#{len(passages)}", doc.id, start, end, text[start:end], heading,
                                        first_row + base + i, first_row + base + j - 1,
                                        count_tokens(text[start:end])))
        return sentences, passages

    def _pack(self, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Greedy packing of a section's sentences into [i, j) runs, repeating `overlap` sentences."""
        runs = []
        i = 0
        while i < len(spans):
            j = i + 1
            while j < len(spans) and self.fits(text[spans[i][0]:spans[j][1]]):
                j += 1
            runs.append((i, j))
            if j >= len(spans):
                break
            i = max(i + 1, j - self.settings.overlap)
        return runs

