"""Choosing the quote: the pooled passages' sentences by a hand-set score, re-ranked by the answer model, and a
neighbouring sentence added when the answer spans two."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..records import Hit
from .facts import SentenceFacts, coverage
from .kinds import candidates, expected_type

if TYPE_CHECKING:
    from .reader import Reader

# sentence score = cosine, own coverage, context coverage, answer-type match, passage rank (tuned on eval/)
WEIGHTS = (1.0, 0.6, 0.2, 0.1, 0.1)
READ = 8  # the hand-set score's best sentences that the answer model reads; the rest never win in practice
POOL = 10  # passages whose sentences compete for the quote, whatever k the caller shows
_ANAPHORA = re.compile(r"^(?:this|these|that|those|it|such|affected by this|therefore|thus|however|meanwhile)\b", re.I)


@dataclass(frozen=True)
class AnswerSettings:
    """The settled numbers of the choice: passed frozen, so a caller changes them by making another."""

    weights: tuple[float, float, float, float, float] = WEIGHTS
    read: int = READ
    pool: int = POOL


@dataclass(frozen=True)
class Choice:
    """The sentences chosen as the quote (consecutive rows) and the signals that chose them."""

    rows: tuple[int, ...]
    score: float
    signals: dict


class Chosen(NamedTuple):
    """The quote, the answer model's span in the sentence it read (None when the model is off), and that row."""

    choice: Choice
    model_span: tuple[int, int] | None
    read_row: int


class Chooser:
    """Picks the quote among the sentences of the pooled passages."""

    def __init__(self, index, facts: SentenceFacts, settings: AnswerSettings = AnswerSettings()):
        self.index = index
        self.facts = facts
        self.settings = settings

    def rank_rows(self, question: str, vector: np.ndarray, hits: list[Hit], weights: dict[str, float]
                  ) -> list[Choice]:
        """Every sentence of the pooled passages as a one-sentence Choice, best first by the hand-set score."""
        rows = sorted({r for h in hits for r in range(h.passage.first_sentence, h.passage.last_sentence + 1)})
        if not rows:
            return []
        passage_rank = {}
        for h in hits:
            for r in range(h.passage.first_sentence, h.passage.last_sentence + 1):
                passage_rank.setdefault(r, h.rank)
        cosines = self.index.sentence_vectors[rows] @ vector
        kind = expected_type(question)
        facts, w = self.facts, self.settings.weights
        ranked = []
        for row, cos in zip(rows, cosines.tolist()):
            own = coverage(weights, facts.terms_of(row))
            context = coverage(weights, facts.context_terms((row,)))
            typed = 1.0 if (kind in ("reason", "means", "clause", "list", "name")
                            or facts.has_candidates(row, kind)) else 0.0
            if typed and kind in ("count", "percent", "money", "number", "date", "year"):
                typed = 2.0  # a figure or date asked for is worth more than a shared word
            score = (w[0] * cos + w[1] * own + w[2] * context + w[3] * typed
                     + w[4] / (1 + passage_rank[row]))
            ranked.append(Choice((row,), score, {"sentence_cosine": cos, "coverage": own,
                                                 "context_coverage": context, "type_match": min(typed, 1.0),
                                                 "passage_rank": float(passage_rank[row])}))
        ranked.sort(key=lambda c: (-c.score, c.rows))
        return ranked

    def reading_items(self, rows: list[int]) -> list[tuple[str, str, str]]:
        """(sentence, the sentence before, the sentence after) of each row, neighbours within its document."""
        sentences = self.index.sentences
        items = []
        for row in rows:
            doc = sentences[row].doc
            before = sentences[row - 1].text if row > 0 and sentences[row - 1].doc == doc else ""
            after = sentences[row + 1].text if row + 1 < len(sentences) and sentences[row + 1].doc == doc else ""
            items.append((sentences[row].text, before, after))
        return items

    def choose(self, question: str, vector: np.ndarray, hits: list[Hit], weights: dict[str, float],
               reader: "Reader | None", choice_weight: float) -> Chosen | None:
        """The quote with its signals: the hand-set score's best, or with a `reader` the best of its first
        `read` after the model's log-odds (times `choice_weight`) are added."""
        ranked = self.rank_rows(question, vector, hits, weights)
        if not ranked:
            return None
        kind = expected_type(question)
        if reader is None:
            return Chosen(self.extend(question, kind, ranked[0], weights, vector), None, ranked[0].rows[0])
        candidates_ = ranked[:self.settings.read]
        readings = reader.read(question, self.reading_items([c.rows[0] for c in candidates_]))
        # the model's log-odds re-rank the hand-set score's candidates, at the weight answer.json names (qa train
        # picks it on held-out articles; 1.0 where a model predates that choice, as the shipped one does)
        combined = [c.score + choice_weight * r.logit for c, r in zip(candidates_, readings)]
        order = sorted(range(len(readings)), key=lambda i: (-combined[i], i))
        best, reading = candidates_[order[0]], readings[order[0]]
        runner_up = readings[order[1]].logit if len(order) > 1 else reading.logit - 10.0
        signals = dict(best.signals, reader_logit=reading.logit, reader_margin=reading.logit - runner_up,
                       heuristic_rank=float(order[0]))
        chosen = Choice(best.rows, best.score, signals)
        return Chosen(self.extend(question, kind, chosen, weights, vector), reading.span, best.rows[0])

    def extend(self, question: str, kind: str, choice: Choice, weights: dict[str, float],
               vector: np.ndarray) -> Choice:
        """Add the neighbouring sentence when the answer spans two: the quote leans on the one before, or the
        neighbour adds the question's missing terms or the kind of answer asked for."""
        row = choice.rows[0]
        sentences, facts = self.index.sentences, self.facts
        own_terms = facts.terms_of(row)
        best_pair, best_gain = None, 0.0
        for other in facts.neighbours(row):
            pair = tuple(sorted((row, other)))
            gain = coverage(weights, own_terms | facts.terms_of(other)) - choice.signals["coverage"]
            if other == row - 1 and _ANAPHORA.match(sentences[row].text):
                gain += 0.2
            if other == row + 1 and _ANAPHORA.match(sentences[other].text):
                gain += 0.1  # "This means that ...": the next sentence carries the point on
            if not choice.signals["type_match"] and facts.has_candidates(other, kind):
                gain += 0.15
            cos = float(self.index.sentence_vectors[other] @ vector)
            if gain >= 0.15 and cos > 0.25 and gain > best_gain:
                best_pair, best_gain = pair, gain
        if best_pair is None:
            return choice
        signals = dict(choice.signals)
        found = set().union(*(facts.terms_of(r) for r in best_pair))
        signals["coverage"] = coverage(weights, found)
        signals["context_coverage"] = max(signals["context_coverage"],
                                          coverage(weights, facts.context_terms(best_pair)))
        signals["type_match"] = max(signals["type_match"], float(bool(
            candidates(" ".join(sentences[r].text for r in best_pair), kind))))
        return Choice(best_pair, choice.score, signals)
