"""Answer a question from an index in one straight path: pool passages, read them, decide, cite (or abstain)."""
from __future__ import annotations

import dataclasses
import os
from typing import Iterator, NamedTuple

import numpy as np

from ..records import Answer, Citation, Hit
from ..retrieve.retriever import Retriever, check_query
from . import reader as reader_module
from .cite import cite, quote_rows
from .decide import answers, confidence
from .qualifiers import with_qualifier
from .question import last_sentence
from .reader import Reader, Reading
from .respectively import figure_for, holds_figure, nearest
from .windows import Window, pack

READ = 3  # passages the reader reads at most, best first: the passage holding the answer is among the first 3 for
#          0.97-0.99 of XQuAD and SQuAD questions (eval/results)
MAX_WINDOWS = 5  # windows read at most (a passage is one to three): each costs ~13 ms of one CPU thread
SURE = 10.0  # a span leading its window's no-answer score by this much ends the reading after its passage.
# Both chosen on data no reported figure uses (python eval/reading_budget.py; eval/results/reading_budget.json): on
# the 3 held-out SQuAD 2.0 articles quote hit 0.863 at 3.70 windows a question, against 0.861 at 4.50 reading the
# 3 passages whole; on SelQA dev 0.805 at 3.44 against 0.808 at 4.77
POOL = 10  # passages retrieved to rank, whatever k the caller shows


class Decision(NamedTuple):
    """What the assistant found before deciding whether to answer."""

    signals: dict
    quote: Citation | None
    span: tuple[int, int]  # the short answer's offsets inside the quote
    shown: tuple[Hit, ...]


class Assistant:
    """Question answering over one index: `Assistant.load("index/").ask("...")` returns an `Answer`."""

    # where a "..., respectively" figure may replace the reader's span: "span", "window", "off". Measured by
    # eval/respectively.py (eval/results/respectively.json): on the 1,081 SQuAD 1.1 training questions whose paragraph
    # says "respectively" it changes 6 answers, all wrong -> right (EM +0.0056 a question); it changes none of the
    # held-out SQuAD 2.0 articles' 642, SelQA dev's 785 or COVID-QA's 1,380 answerable questions; on the speech,
    # "window" also fixes the copper and nickel ratios, which "span" misses (the reader's span sits in another
    # sentence of the window). The rule was written after seeing those speech failures.
    pairing = "window"
    # whether a figure's span takes in the qualifier right before it ("over 4,000", "end of 2028"): see qualifiers.py;
    # measured by eval/qualifiers.py (eval/results/qualifiers.json)
    qualifiers = True
    # what a question of several sentences is read as: "keep" (whole), "reader" (retrieval reads it whole, the
    # reader its last sentence), "last" (both read the last sentence), "better" (both ways, the better supported
    # kept); eval/preambles.py measures them (eval/preambles-dev.md)
    preamble = "last"

    def __init__(self, retriever: Retriever, reader: "Reader | str | None" = "shipped", read: int = READ):
        """`reader`: the span reader ("shipped": the one in the package; None: no reader, the quote is the
        sentence closest to the question and the short answer is that whole sentence)."""
        self.retriever = retriever
        self.index = retriever.index
        self.reader = reader_module.shipped() if reader == "shipped" else reader
        self.read = read
        self._windows: dict[str, list[Window]] = {}  # a passage's windows by its id, cut once per process

    @classmethod
    def load(cls, index_dir: str | os.PathLike = "index", corpus_dir: str | os.PathLike | None = None,
             model: str | None = None, settings=None, reader: "Reader | str | None" = "shipped") -> "Assistant":
        """Open an index folder (never building one: see Retriever.load)."""
        return cls(Retriever.load(index_dir, corpus_dir, model=model, settings=settings), reader=reader)

    @property
    def calibration(self) -> dict:
        """The fitted model that turns signals into the confidence, with its abstention threshold."""
        if self.reader is not None:
            return self.reader.calibration
        shipped = reader_module.shipped_config()
        return shipped.get("calibration_off") or {}

    def windows(self, passage) -> list[Window]:
        """The reader's windows over a passage's sentences."""
        row = passage.id
        if row not in self._windows:
            text = self.index.documents[passage.doc].text
            spans = [(s.start, s.end) for s in self.index.sentences[passage.first_sentence:passage.last_sentence + 1]]
            self._windows[row] = pack(self.reader.tokenizer, text, spans, self.reader.budget)
        return self._windows[row]

    def unread_windows(self, hits: list[Hit]) -> Iterator[list[tuple[Hit, Window]]]:
        """Each hit's windows, best hit first, without those an earlier hit already gave (passages may overlap)."""
        seen = set()
        for hit in hits:
            batch = [(hit, w) for w in self.windows(hit.passage) if (hit.passage.doc, w) not in seen]
            seen.update((hit.passage.doc, w) for _, w in batch)
            yield batch

    def _decided(self, question: str, k: int, mode: str) -> tuple[Decision, float, str]:
        """The decision, its confidence and the question the reader read: one of several sentences is read as
        `preamble` says ("" when read as typed)."""
        last = last_sentence(question) if self.preamble != "keep" else ""
        if not last:
            choices = [(self._decide(question, k, mode), "")]
        elif self.preamble == "reader":
            choices = [(self._decide(question, k, mode, read_as=last), last)]
        elif self.preamble == "last":
            choices = [(self._decide(last, k, mode), last)]
        else:
            choices = [(self._decide(question, k, mode), ""), (self._decide(last, k, mode), last)]
        scored = [(confidence(d.signals, self.calibration) if d.quote is not None else 0.0, -n, d, read)
                  for n, (d, read) in enumerate(choices)]
        sure, _, d, read = max(scored, key=lambda t: t[:2])
        return d, sure, read

    def _decide(self, question: str, k: int, mode: str, read_as: str | None = None) -> Decision:
        """Pool, read, and the signals of the best span, before the abstention decision; the reader reads
        `read_as` when given, retrieval always `question`."""
        scored = self.retriever.score(question, max(k, POOL))
        pool = self.retriever.rank(scored, max(k, POOL), mode)
        shown = tuple(pool[:k])
        if not pool:
            return Decision({}, None, (0, 0), shown)
        signals = {"passage_cosine": max(scored.dense.values(), default=0.0)}
        question = read_as or question  # what the reader reads, and what names a "respectively" item
        if self.reader is None:
            return self._nearest_sentence(question, scored.vector, pool[:self.read], signals, shown)
        read, readings = [], []  # (hit, window), each window once, and what the reader says of each
        for batch in self.unread_windows(pool[:self.read]):
            batch = batch[:MAX_WINDOWS - len(read)]
            readings += self.reader.read(question, [(self.index.documents[h.passage.doc].text, w) for h, w in batch])
            read += batch
            if len(read) >= MAX_WINDOWS or max((r.margin for r in readings), default=float("-inf")) >= SURE:
                break
        if not read:  # passages without a sentence to read: nothing for the reader, so the nearest sentence
            return self._nearest_sentence(question, scored.vector, pool[:self.read], signals, shown)
        # the span that leads its own window's no-answer score most: on a held-out training-side article (Warsaw,
        # 242 answerable questions, a mid-training reader) it quoted right 0.946 of the time, against 0.930 for the
        # highest raw span score and 0.818 for the highest probability
        best = max(range(len(readings)), key=lambda i: (readings[i].margin, -i))
        hit, reading = read[best][0], readings[best]
        reading = self._paired_figure(question, hit, read[best][1], reading)
        others = [r.margin for i, r in enumerate(readings) if i != best]
        words = self._words(hit, reading)
        same = sum(self._words(h, r) == words for (h, _), r in zip(read, readings))
        if self.qualifiers:  # after the signals: a qualifier changes what is shown, not how sure it is
            text = self.index.documents[hit.passage.doc].text
            reading = dataclasses.replace(reading, start=with_qualifier(text, reading.start, reading.end))
        rows = quote_rows(self.index, hit.passage, reading.start, reading.end)
        quote = cite(self.index, hit.passage, rows)
        signals |= {"margin": reading.margin, "probability": reading.probability,
                    "runner_up": max(others, default=-20.0), "agreement": same / len(readings),
                    "passage_rank": float(hit.rank),
                    "sentence_cosine": float((self.index.sentence_vectors[[rows[0]]] @ scored.vector)[0])}
        # a window holds the marks between sentences ("#### " of a heading): a span that starts or ends on them is cut
        # to the quote's sentences, and one made of them alone leaves the quote as the answer (found by
        # tests/test_properties.py: the short answer's offsets fell outside its quote)
        start, end = max(reading.start, quote.start) - quote.start, min(reading.end, quote.end) - quote.start
        piece = quote.text[start:end] if start < end else ""
        if not piece.strip():
            start, end, piece = 0, len(quote.text), quote.text
        start, end = start + len(piece) - len(piece.lstrip()), end - (len(piece) - len(piece.rstrip()))
        return Decision(signals, quote, (start, end), shown)

    def _paired_figure(self, question: str, hit: Hit, window: Window, reading: Reading) -> Reading:
        """The reading, its span moved to the figure a "..., respectively" sentence pairs with the item the question
        names, when that sentence holds the span (pairing "span") or shares its window ("window")."""
        if self.pairing == "off":
            return reading
        text = self.index.documents[hit.passage.doc].text
        # a span without a figure answers with something else (COVID-QA's "What other betacoronaviruses...?" is
        # answered by the list's items, not by the years paired with them)
        if not holds_figure(text[reading.start:reading.end]):
            return reading
        found = []
        for s in self.index.sentences[hit.passage.first_sentence:hit.passage.last_sentence + 1]:
            inside = s.start <= reading.start < s.end
            if inside or (self.pairing == "window" and s.start < window.end and s.end > window.start):
                figure = figure_for(question, text, s.start, s.end)
                if figure:
                    found.append((not inside, figure))
        figure = nearest(found)
        return reading if figure is None else dataclasses.replace(reading, start=figure[0], end=figure[1])

    def _words(self, hit: Hit, reading: Reading) -> str:
        return " ".join(self.index.documents[hit.passage.doc].text[reading.start:reading.end].lower().split())

    def _nearest_sentence(self, question: str, vector: np.ndarray, hits: list[Hit], signals: dict,
                          shown: tuple[Hit, ...]) -> Decision:
        """Without a reader: the pooled passages' sentence closest to the question, whole, as quote and answer."""
        rows = sorted({r for h in hits for r in range(h.passage.first_sentence, h.passage.last_sentence + 1)})
        cosines = self.index.sentence_vectors[rows] @ vector
        best = int(np.argmax(cosines))
        row = rows[best]
        hit = next(h for h in hits if h.passage.first_sentence <= row <= h.passage.last_sentence)
        quote = cite(self.index, hit.passage, (row,))
        signals |= {"sentence_cosine": float(cosines[best]), "passage_rank": float(hit.rank)}
        return Decision(signals, quote, (0, len(quote.text)), shown)

    @staticmethod
    def _answer(question: str, d: Decision, confidence_: float, read: str) -> Answer:
        s, e = d.span
        q = d.quote
        citation = Citation(q.doc, q.start, q.end, q.text, confidence_, q.heading, q.page)
        return Answer(question, True, q.text[s:e], q.text, (citation,), d.shown, confidence_, q.start + s, q.doc,
                      read)

    def ask(self, question: str, k: int = 5, mode: str = "hybrid") -> Answer:
        """The answer to `question` from the index, with its quote and citation, or an abstention."""
        question = check_query(question)
        d, sure, read = self._decided(question, k, mode)
        if d.quote is None or not answers(sure, self.calibration):
            return Answer(question, False, "", "", (), d.shown, sure, read_as=read)
        return self._answer(question, d, sure, read)

    def signals(self, question: str, k: int = 5, mode: str = "hybrid") -> tuple[dict, Answer]:
        """The signals behind an answer, and the answer it would give if it never abstained."""
        question = check_query(question)
        d, sure, read = self._decided(question, k, mode)
        if d.quote is None:
            return {}, Answer(question, False, "", "", (), d.shown, 0.0, read_as=read)
        return d.signals, self._answer(question, d, sure, read)
