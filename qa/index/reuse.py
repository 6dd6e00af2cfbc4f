"""Incremental builds: the passages, sentences and vectors of a previous index version, per unchanged document.

A document whose text is the same as in the previous version, split with the same settings and embedded with the
same model (by fingerprint), splits and embeds to the same rows again, so they are taken from that version instead:
renumbered to their new place, vectors and all. Everything else is split and embedded afresh.
"""
from __future__ import annotations

import numpy as np

from .. import __version__
from ..records import Document, Passage, Sentence
from .store import Index
from .vectors import stored_vectors


class Previous:
    """The reusable part of a previous index version (none at all when its model, settings or qa differ)."""

    def __init__(self, index: Index | None, model: str, fingerprint: str, split: dict):
        self.index = None
        m = index.manifest if index is not None else {}
        if (index is not None and m.get("model") == model and m.get("model_fingerprint") == fingerprint
                and m.get("split") == split and m.get("qa_version") == __version__):
            self.index = index
            self.passage_vectors = stored_vectors(index.dense)
            self.passage_rows = _rows(p.doc for p in index.passages)
            self.sentence_rows = _rows(s.doc for s in index.sentences)

    def take(self, doc: Document, first_row: int, first_passage: int
             ) -> tuple[list[Sentence], list[Passage], np.ndarray, np.ndarray] | None:
        """(sentences, passages, sentence vectors, passage vectors) of `doc`, numbered from `first_row` and
        `first_passage`, when the previous version holds it unchanged; None when it must be split and embedded."""
        if self.index is None or doc.id not in self.passage_rows or doc.id not in self.sentence_rows:
            return None
        old = self.index.documents.get(doc.id)
        if old is None or old.text != doc.text or old.body_start != doc.body_start:
            return None
        (p_lo, p_hi), (s_lo, s_hi) = self.passage_rows[doc.id], self.sentence_rows[doc.id]
        shift_p, shift_s = first_passage - p_lo, first_row - s_lo
        sentences = [Sentence(s.doc, s.start, s.end, s.text, s.heading, s.passage + shift_p)
                     for s in self.index.sentences[s_lo:s_hi]]
        passages = [Passage(p.id, p.doc, p.start, p.end, p.text, p.heading, p.first_sentence + shift_s,
                            p.last_sentence + shift_s, p.tokens) for p in self.index.passages[p_lo:p_hi]]
        return (sentences, passages, self.index.sentence_vectors[s_lo:s_hi], self.passage_vectors[p_lo:p_hi])


def _rows(docs) -> dict[str, tuple[int, int]]:
    """Each document's rows [lo, hi), for the documents whose rows are contiguous (as build_index writes them)."""
    rows: dict[str, list[int]] = {}
    counts: dict[str, int] = {}
    for row, doc in enumerate(docs):
        rows.setdefault(doc, [row, row])[1] = row + 1
        counts[doc] = counts.get(doc, 0) + 1
    return {doc: (lo, hi) for doc, (lo, hi) in rows.items() if hi - lo == counts[doc]}
