"""Answer a question from an index: pick the answering sentence(s), the short span inside them, cite them, or abstain."""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from . import abstain
from . import reader as reader_module
from .aliases import Aliases
from .index import SplitSettings
from .lexical import META_WORDS, question_terms, raw_tokens, terms
from .records import Answer, Citation, Hit
from .retrieve import Retriever, Scored, check_query
from .spans import best_span, candidates, expected_type

if TYPE_CHECKING:
    from .reader import Reader

READ = 8  # the hand-set score's best sentences that the answer model reads; the rest never win in practice
POOL = 10  # passages whose sentences compete for the quote, whatever k the caller shows
COMMON_NAME_SHARE = 0.1  # a name in more than this share of sentences is the corpus's topic, not a specific
SITUATION_WEIGHT = 0.5  # terms only in the sentences before a long question's last one: context, not the ask
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
_ANAPHORA = re.compile(r"^(?:this|these|that|those|it|such|affected by this|therefore|thus|however|meanwhile)\b", re.I)


@dataclass(frozen=True)
class Choice:
    """The sentences chosen as the quote (consecutive rows) and the signals that chose them."""

    rows: tuple[int, ...]
    score: float
    signals: dict


class Assistant:
    """Question answering over one index: `Assistant.load("index/").ask("...")` returns an `Answer`."""

    # sentence score = cosine, own coverage, context coverage, answer-type match, passage rank (tuned on eval/)
    WEIGHTS = (1.0, 0.6, 0.2, 0.1, 0.1)

    def __init__(self, retriever: Retriever, reader: "Reader | str | None" = "shipped"):
        """`reader`: the answer model ("shipped": the one in the package, None: the hand-set scores alone)."""
        self.retriever = retriever
        self.reader = reader_module.shipped() if reader == "shipped" else reader
        # where the short answer comes from, per expected answer type: "model" (the span head) or "typed" (the
        # typed candidates of qa.spans); qa train picks each type's source on held-out articles
        span = self.reader.config.get("span", "typed") if self.reader is not None else "typed"
        self.span_source = span if isinstance(span, dict) else {"default": span}
        self.choice_weight = float(self.reader.config.get("choice_weight", 1.0)) if self.reader is not None else 0.0
        self.index = retriever.index
        n = max(len(self.index.sentences), 1)
        self._idf_unknown = math.log(1.0 + n / 0.5)
        self._idf = {t: math.log(1.0 + n / (df + 0.5)) for t, df in self.index.sentence_df.items()}
        # Per-sentence facts that do not depend on the question, filled on first use (a one-shot ask needs only
        # the few dozen sentences of its top passages) and kept for the next question.
        self._sentence_terms: dict[int, set[str]] = {}
        self._row_context: dict[int, frozenset[str]] = {}
        self._typed: dict[tuple[int, str], bool] = {}
        self._meta_terms = {stem for word in META_WORDS for stem in terms(word)}

    @classmethod
    def load(cls, index_dir: str | os.PathLike = "index", corpus_dir: str | os.PathLike | None = None,
             model: str | None = None, settings: SplitSettings | None = None,
             reader: "Reader | str | None" = "shipped") -> "Assistant":
        return cls(Retriever.load(index_dir, corpus_dir, model=model, settings=settings), reader=reader)

    # ------------------------------------------------------------ signals

    def _terms_of(self, row: int) -> set[str]:
        cached = self._sentence_terms.get(row)
        if cached is None:
            cached = self._sentence_terms[row] = set(terms(self.index.sentences[row].text))
        return cached

    def _weights(self, question: str) -> dict[str, float]:
        """Each key term's idf; a long question's opening sentences (the asker's situation) count half."""
        parts = _SENTENCE_END.split(question.strip())
        asked = set(question_terms(parts[-1])) if len(parts) > 1 else None
        return {t: self._idf.get(t, self._idf_unknown) * (0.3 if t in self._meta_terms else 1.0)
                * (1.0 if asked is None or t in asked else SITUATION_WEIGHT)
                for t in question_terms(question)}

    @cached_property
    def aliases(self) -> Aliases:
        """The corpus's acronyms and name forms, read once on first use."""
        return Aliases([d.text for d in self.index.documents.values()], self.index.sentence_df)

    @staticmethod
    def _coverage(weights: dict[str, float], found: set[str]) -> float:
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in found) / total if total else 0.0

    def _neighbours(self, row: int) -> list[int]:
        sentences = self.index.sentences
        return [r for r in (row - 1, row + 1) if 0 <= r < len(sentences) and sentences[r].doc == sentences[row].doc]

    def _context_terms(self, rows: tuple[int, ...]) -> set[str]:
        """Terms of the sentences, their neighbours and their headings."""
        found = set()
        for row in rows:
            context = self._row_context.get(row)
            if context is None:
                context = set(self._terms_of(row))
                for n in self._neighbours(row):
                    context |= self._terms_of(n)
                context = self._row_context[row] = frozenset(context | set(terms(self.index.sentences[row].heading)))
            found |= context
        return found

    def _has_candidates(self, row: int, kind: str) -> bool:
        """Whether sentence `row` holds a span of the kind asked for."""
        typed = self._typed.get((row, kind))
        if typed is None:
            typed = self._typed[(row, kind)] = bool(candidates(self.index.sentences[row].text, kind))
        return typed

    def _missing_specifics(self, question: str, rows: tuple[int, ...]) -> float:
        """Share of the question's numbers and proper names absent from the quote's context."""
        context = " ".join(self.index.sentences[r].text for r in rows for r in [r, *self._neighbours(r)])
        context_tokens = set(raw_tokens(context))
        specifics = [t for t in raw_tokens(question) if t[0].isdigit()]
        names = re.findall(r"(?<!^)(?<![.?!]\s)\b[A-Z][a-zA-Z]{2,}\b", question.strip())
        # a name in a large share of the corpus's sentences (the country a speech is about) is its topic,
        # not a specific the quote must repeat
        common = len(self.index.sentences) * COMMON_NAME_SHARE
        specifics += [n.lower() for n in names if n.lower() not in {"what", "which", "who", "how"}
                      and self.index.sentence_df.get(next(iter(terms(n)), ""), 0) <= common]
        if not specifics:
            return 0.0
        # "Congolese" or "Democratic Republic of the Congo" is found where the text says "Congo" or "DRC"
        return sum(1 for s in specifics if s not in context_tokens
                   and not self.aliases.equivalents(s) & context_tokens) / len(specifics)

    # ------------------------------------------------------------ choice

    def _rank_rows(self, question: str, vector: np.ndarray, hits: list[Hit], weights: dict[str, float]
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
        ranked = []
        for row, cos in zip(rows, cosines.tolist()):
            own = self._coverage(weights, self._terms_of(row))
            context = self._coverage(weights, self._context_terms((row,)))
            typed = 1.0 if (kind in ("reason", "means", "clause", "list", "name")
                            or self._has_candidates(row, kind)) else 0.0
            if typed and kind in ("count", "percent", "money", "number", "date", "year"):
                typed = 2.0  # a figure or date asked for is worth more than a shared word
            w = self.WEIGHTS
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

    def _choose(self, question: str, vector: np.ndarray, hits: list[Hit], weights: dict[str, float]
                ) -> tuple[Choice, tuple[int, int] | None, int] | None:
        """The quote (with its signals), the answer model's span in the sentence it read (None when it is off),
        and that sentence's row."""
        ranked = self._rank_rows(question, vector, hits, weights)
        if not ranked:
            return None
        kind = expected_type(question)
        if self.reader is None:
            return self._extend(question, kind, ranked[0], weights, vector), None, ranked[0].rows[0]
        candidates_ = ranked[:READ]
        readings = self.reader.read(question, self.reading_items([c.rows[0] for c in candidates_]))
        # the model's log-odds re-rank the hand-set score's candidates, at the weight answer.json names (qa train
        # picks it on held-out articles; 1.0 where a model predates that choice, as the shipped one does)
        weight = self.choice_weight
        combined = [c.score + weight * r.logit for c, r in zip(candidates_, readings)]
        order = sorted(range(len(readings)), key=lambda i: (-combined[i], i))
        best, reading = candidates_[order[0]], readings[order[0]]
        runner_up = readings[order[1]].logit if len(order) > 1 else reading.logit - 10.0
        signals = dict(best.signals, reader_logit=reading.logit, reader_margin=reading.logit - runner_up,
                       heuristic_rank=float(order[0]))
        chosen = Choice(best.rows, best.score, signals)
        return self._extend(question, kind, chosen, weights, vector), reading.span, best.rows[0]

    def _extend(self, question: str, kind: str, choice: Choice, weights: dict[str, float],
                vector: np.ndarray) -> Choice:
        """Add the neighbouring sentence when the answer spans two: the quote leans on the one before, or the
        neighbour adds the question's missing terms or the kind of answer asked for."""
        row = choice.rows[0]
        sentences = self.index.sentences
        own_terms = self._terms_of(row)
        best_pair, best_gain = None, 0.0
        for other in self._neighbours(row):
            pair = tuple(sorted((row, other)))
            gain = self._coverage(weights, own_terms | self._terms_of(other)) - choice.signals["coverage"]
            if other == row - 1 and _ANAPHORA.match(sentences[row].text):
                gain += 0.2
            if other == row + 1 and _ANAPHORA.match(sentences[other].text):
                gain += 0.1  # "This means that ...": the next sentence carries the point on
            if not choice.signals["type_match"] and self._has_candidates(other, kind):
                gain += 0.15
            cos = float(self.index.sentence_vectors[other] @ vector)
            if gain >= 0.15 and cos > 0.25 and gain > best_gain:
                best_pair, best_gain = pair, gain
        if best_pair is None:
            return choice
        signals = dict(choice.signals)
        found = set().union(*(self._terms_of(r) for r in best_pair))
        signals["coverage"] = self._coverage(weights, found)
        signals["context_coverage"] = max(signals["context_coverage"],
                                          self._coverage(weights, self._context_terms(best_pair)))
        signals["type_match"] = max(signals["type_match"], float(bool(
            candidates(" ".join(sentences[r].text for r in best_pair), kind))))
        return Choice(best_pair, choice.score, signals)

    # ------------------------------------------------------------ answer

    def pool(self, question: str, k: int = 5, mode: str = "hybrid") -> tuple[str, Scored, list[Hit], dict]:
        """(the question with the corpus's spellings added, its retrieval signals, the pooled passages whose
        sentences compete, its key-term weights): what every answer starts from."""
        question = self.aliases.expand(check_query(question))
        scored = self.retriever.score(question, max(k, POOL))
        return question, scored, self.retriever.rank(scored, max(k, POOL), mode), self._weights(question)

    def _decide(self, question: str, k: int, mode: str) -> "Decision":
        """The signals, the candidate quote and the answer span in it, before the abstention decision."""
        question, scored, pool, weights = self.pool(question, k, mode)
        shown = tuple(pool[:k])
        chosen = self._choose(question, scored.vector, pool, weights) if weights else None
        if chosen is None:
            return Decision({}, None, (0, 0), shown)
        choice, model_span, read_row = chosen
        first, last = self.index.sentences[choice.rows[0]], self.index.sentences[choice.rows[-1]]
        text = self.index.documents[first.doc].text[first.start:last.end]
        # a yes/no question's answer is the clause that settles it, which the span head was never taught
        kind = expected_type(question)
        source = self.span_source.get(kind, self.span_source.get("default", "typed"))
        if model_span is not None and source == "model" and kind != "yesno":
            # the model's span is inside the sentence it read, which may now follow the sentence before it
            shift = self.index.sentences[read_row].start - first.start
            span = (model_span[0] + shift, model_span[1] + shift)
        else:
            span = best_span(question, text, weights)
        signals = dict(choice.signals)
        signals["passage_cosine"] = max(scored.dense.values(), default=0.0)
        signals["unknown_terms"] = (sum(w for t, w in weights.items() if t not in self._idf)
                                    / sum(weights.values()))
        signals["missing_specifics"] = self._missing_specifics(question, choice.rows)
        # the question's two rarest known terms: a near-miss borrows the topic but not these
        known = sorted((t for t in weights if t in self._idf), key=lambda t: (-weights[t], t))[:2]
        context = self._context_terms(choice.rows)
        signals["key_coverage"] = (sum(1 for t in known if t in context) / len(known)) if known else 0.0
        # how much of the question the answer's own surroundings speak to
        window = text[max(0, span[0] - 120):span[1] + 120]
        signals["answer_support"] = self._coverage(weights, set(terms(window)))
        signals["rarest_in_quote"] = float(bool(known) and known[0] in set(terms(text)))
        return Decision(signals, Citation(first.doc, first.start, last.end, text, 0.0, first.heading), span, shown)

    @property
    def calibration(self) -> dict:
        """The fitted model that turns signals into the confidence, with its abstention threshold."""
        return self.reader.calibration if self.reader is not None else abstain.load_model()

    def ask(self, question: str, k: int = 5, mode: str = "hybrid") -> Answer:
        """The answer to `question` from the index, with its quote and citations, or an abstention."""
        question = check_query(question)
        d = self._decide(question, k, mode)
        model = self.calibration
        confidence = abstain.confidence(d.signals, model) if d.quote else 0.0
        if d.quote is None or confidence < abstain.threshold(model):
            return Answer(question, False, "", "", (), d.shown, confidence)
        s, e = d.span
        quote = d.quote
        citation = Citation(quote.doc, quote.start, quote.end, quote.text, confidence, quote.heading)
        return Answer(question, True, quote.text[s:e], quote.text, (citation,), d.shown, confidence,
                      quote.start + s, quote.doc)

    def signals(self, question: str, k: int = 5, mode: str = "hybrid") -> tuple[dict, Answer]:
        """The abstention signals behind an answer, and the answer it would give if it never abstained."""
        question = check_query(question)
        d = self._decide(question, k, mode)
        if d.quote is None:
            return {}, Answer(question, False, "", "", (), d.shown, 0.0)
        s, e = d.span
        return d.signals, Answer(question, True, d.quote.text[s:e], d.quote.text, (d.quote,), d.shown, 1.0,
                                 d.quote.start + s, d.quote.doc)


class Decision(NamedTuple):
    """What the assistant found before deciding whether to answer."""

    signals: dict
    quote: Citation | None
    span: tuple[int, int]  # the short answer's offsets inside the quote
    shown: tuple[Hit, ...]
