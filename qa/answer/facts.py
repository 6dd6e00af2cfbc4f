"""What the answer scores know of an index's sentences: idf, terms, neighbours and context, each worked out once."""
from __future__ import annotations

import math
import re
from functools import cache, cached_property

from ..text.lexical import META_WORDS, question_terms, raw_tokens, terms
from .aliases import Aliases
from .kinds import candidates

COMMON_NAME_SHARE = 0.1  # a name in more than this share of sentences is the corpus's topic, not a specific
SITUATION_WEIGHT = 0.5  # terms only in the sentences before a long question's last one: context, not the ask
META_WEIGHT = 0.3  # words about the document ("speech", "mention") weigh less than the question's own terms
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def coverage(weights: dict[str, float], found: set[str]) -> float:
    """The weighted share of the question's terms found in `found`."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in found) / total if total else 0.0


class SentenceFacts:
    """Per-sentence facts that do not depend on the question, memoised on first use (a one-shot ask needs only
    the few dozen sentences of its top passages) and kept for the next question."""

    def __init__(self, index):
        self.index = index
        n = max(len(index.sentences), 1)
        self.idf_unknown = math.log(1.0 + n / 0.5)
        self.idf = {t: math.log(1.0 + n / (df + 0.5)) for t, df in index.sentence_df.items()}
        self.meta_terms = {stem for word in META_WORDS for stem in terms(word)}
        # plain memoisation, per index: the caches go with this object
        self.terms_of = cache(self._terms_of)
        self.row_context = cache(self._row_context)
        self.has_candidates = cache(self._has_candidates)

    @cached_property
    def aliases(self) -> Aliases:
        """The corpus's acronyms and name forms, read once on first use."""
        return Aliases([d.text for d in self.index.documents.values()], self.index.sentence_df)

    def weights(self, question: str) -> dict[str, float]:
        """Each key term's idf; a long question's opening sentences (the asker's situation) count half."""
        parts = _SENTENCE_END.split(question.strip())
        asked = set(question_terms(parts[-1])) if len(parts) > 1 else None
        return {t: self.idf.get(t, self.idf_unknown) * (META_WEIGHT if t in self.meta_terms else 1.0)
                * (1.0 if asked is None or t in asked else SITUATION_WEIGHT)
                for t in question_terms(question)}

    def _terms_of(self, row: int) -> set[str]:
        return set(terms(self.index.sentences[row].text))

    def neighbours(self, row: int) -> list[int]:
        sentences = self.index.sentences
        return [r for r in (row - 1, row + 1) if 0 <= r < len(sentences) and sentences[r].doc == sentences[row].doc]

    def _row_context(self, row: int) -> frozenset[str]:
        context = set(self.terms_of(row))
        for n in self.neighbours(row):
            context |= self.terms_of(n)
        return frozenset(context | set(terms(self.index.sentences[row].heading)))

    def context_terms(self, rows: tuple[int, ...]) -> set[str]:
        """Terms of the sentences, their neighbours and their headings."""
        found = set()
        for row in rows:
            found |= self.row_context(row)
        return found

    def _has_candidates(self, row: int, kind: str) -> bool:
        """Whether sentence `row` holds a span of the kind asked for."""
        return bool(candidates(self.index.sentences[row].text, kind))

    def missing_specifics(self, question: str, rows: tuple[int, ...]) -> float:
        """Share of the question's numbers and proper names absent from the quote's context."""
        sentences = self.index.sentences
        context = " ".join(sentences[r].text for r in rows for r in [r, *self.neighbours(r)])
        context_tokens = set(raw_tokens(context))
        specifics = [t for t in raw_tokens(question) if t[0].isdigit()]
        names = re.findall(r"(?<!^)(?<![.?!]\s)\b[A-Z][a-zA-Z]{2,}\b", question.strip())
        # a name in a large share of the corpus's sentences (the country a speech is about) is its topic,
        # not a specific the quote must repeat
        common = len(sentences) * COMMON_NAME_SHARE
        specifics += [n.lower() for n in names if n.lower() not in {"what", "which", "who", "how"}
                      and self.index.sentence_df.get(next(iter(terms(n)), ""), 0) <= common]
        if not specifics:
            return 0.0
        # "Congolese" or "Democratic Republic of the Congo" is found where the text says "Congo" or "DRC"
        return sum(1 for s in specifics if s not in context_tokens
                   and not self.aliases.equivalents(s) & context_tokens) / len(specifics)
