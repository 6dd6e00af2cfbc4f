"""How much of what a question names a text mentions: the IDF-weighted share of its key terms found there."""
from __future__ import annotations

import math

from ..text.lexical import question_terms, terms


def coverage(question: str, text: str, df: dict[str, int], sentences: int) -> float:
    """Share of the question's key terms in `text`, each weighted by its BM25 IDF over the index's sentences (a term
    the corpus never has weighs most); 1.0 for a question without key terms."""
    asked = question_terms(question)
    if not asked:
        return 1.0
    found = set(terms(text))
    weights = {t: math.log(1.0 + (sentences - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5)) for t in asked}
    return sum(w for t, w in weights.items() if t in found) / sum(weights.values())
