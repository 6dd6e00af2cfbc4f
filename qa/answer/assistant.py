"""Answer a question from an index: choose the quote, extract the short span inside it, cite it, or abstain."""
from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

from ..records import Answer, Citation, Hit, page_of
from ..retrieve.retriever import Retriever, Scored, check_query
from . import abstain
from . import reader as reader_module
from .choose import AnswerSettings, Choice, Chooser
from .decide import Decision, answers, confidence, evidence
from .facts import SentenceFacts
from .kinds import expected_type
from .spans import best_span

if TYPE_CHECKING:
    from ..ingest.split import SplitSettings
    from .reader import Reader


class Pooled(NamedTuple):
    """What every answer starts from: the question with the corpus's spellings added, its retrieval signals, the
    pooled passages whose sentences compete, and its key-term weights."""

    question: str
    scored: Scored
    hits: list[Hit]
    weights: dict[str, float]


class Assistant:
    """Question answering over one index: `Assistant.load("index/").ask("...")` returns an `Answer`."""

    def __init__(self, retriever: Retriever, reader: "Reader | str | None" = "shipped",
                 settings: AnswerSettings = AnswerSettings()):
        """`reader`: the answer model ("shipped": the one in the package, None: the hand-set scores alone)."""
        self.retriever = retriever
        self.reader = reader_module.shipped() if reader == "shipped" else reader
        # where the short answer comes from, per expected answer type: "model" (the span head) or "typed" (the
        # typed candidates of qa.answer.spans); qa train picks each type's source on held-out articles
        span = self.reader.config.get("span", "typed") if self.reader is not None else "typed"
        self.span_source = span if isinstance(span, dict) else {"default": span}
        self.choice_weight = float(self.reader.config.get("choice_weight", 1.0)) if self.reader is not None else 0.0
        if self.reader is not None and "read" in self.reader.config:  # the model says how many it was fitted to read
            settings = replace(settings, read=int(self.reader.config["read"]))
        self.settings = settings
        self.index = retriever.index
        self.facts = SentenceFacts(self.index)
        self.chooser = Chooser(self.index, self.facts, settings)

    @classmethod
    def load(cls, index_dir: str | os.PathLike = "index", corpus_dir: str | os.PathLike | None = None,
             model: str | None = None, settings: "SplitSettings | None" = None,
             reader: "Reader | str | None" = "shipped") -> "Assistant":
        """Open an index folder (never building one: see Retriever.load)."""
        return cls(Retriever.load(index_dir, corpus_dir, model=model, settings=settings), reader=reader)

    def pool(self, question: str, k: int = 5, mode: str = "hybrid") -> Pooled:
        """The question with the corpus's spellings added, its retrieval signals, the pooled passages whose
        sentences compete, its key-term weights: what every answer starts from."""
        return self._pool(check_query(question), k, mode)

    def _pool(self, question: str, k: int, mode: str) -> Pooled:
        question = self.facts.aliases.expand(question)
        depth = max(k, self.settings.pool)
        scored = self.retriever.score(question, depth)
        return Pooled(question, scored, self.retriever.rank(scored, depth, mode), self.facts.weights(question))

    def _span(self, question: str, chosen, text: str, first_start: int, weights: dict[str, float]) -> tuple[int, int]:
        """The short answer's offsets in the quote: the model's span, or the typed extractor's."""
        # a yes/no question's answer is the clause that settles it, which the span head was never taught
        kind = expected_type(question)
        source = self.span_source.get(kind, self.span_source.get("default", "typed"))
        if chosen.model_span is not None and source == "model" and kind != "yesno":
            # the model's span is inside the sentence it read, which may now follow the sentence before it
            shift = self.index.sentences[chosen.read_row].start - first_start
            return chosen.model_span[0] + shift, chosen.model_span[1] + shift
        return best_span(question, text, weights)

    def _decide(self, question: str, k: int, mode: str) -> Decision:
        """The signals, the candidate quote and the answer span in it, before the abstention decision
        (`question` already checked)."""
        question, scored, pool, weights = self._pool(question, k, mode)
        shown = tuple(pool[:k])
        chosen = (self.chooser.choose(question, scored.vector, pool, weights, self.reader, self.choice_weight)
                  if weights else None)
        if chosen is None:
            return Decision({}, None, (0, 0), shown)
        choice: Choice = chosen.choice
        first, last = self.index.sentences[choice.rows[0]], self.index.sentences[choice.rows[-1]]
        text = self.index.documents[first.doc].text[first.start:last.end]
        span = self._span(question, chosen, text, first.start, weights)
        signals = dict(choice.signals)
        signals["passage_cosine"] = max(scored.dense.values(), default=0.0)
        signals.update(evidence(self.facts, question, weights, choice.rows, text, span))
        return Decision(signals, Citation(first.doc, first.start, last.end, text, 0.0, first.heading), span, shown)

    @property
    def calibration(self) -> dict:
        """The fitted model that turns signals into the confidence, with its abstention threshold."""
        return self.reader.calibration if self.reader is not None else abstain.load_model()

    @staticmethod
    def _answer(question: str, d: Decision, confidence_: float, citation: Citation) -> Answer:
        s, e = d.span
        return Answer(question, True, d.quote.text[s:e], d.quote.text, (citation,), d.shown, confidence_,
                      d.quote.start + s, d.quote.doc)

    def ask(self, question: str, k: int = 5, mode: str = "hybrid") -> Answer:
        """The answer to `question` from the index, with its quote and citations, or an abstention."""
        question = check_query(question)
        d = self._decide(question, k, mode)
        model = self.calibration
        sure = confidence(d, model)
        if not answers(d, sure, model):
            return Answer(question, False, "", "", (), d.shown, sure)
        q = d.quote
        page = page_of(self.index.documents[q.doc], q.start)
        return self._answer(question, d, sure, Citation(q.doc, q.start, q.end, q.text, sure, q.heading, page))

    def signals(self, question: str, k: int = 5, mode: str = "hybrid") -> tuple[dict, Answer]:
        """The abstention signals behind an answer, and the answer it would give if it never abstained."""
        question = check_query(question)
        d = self._decide(question, k, mode)
        if d.quote is None:
            return {}, Answer(question, False, "", "", (), d.shown, 0.0)
        return d.signals, self._answer(question, d, 1.0, d.quote)
