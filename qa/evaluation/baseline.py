"""The naive baseline: fixed 500-character chunks, MiniLM vectors in a flat FAISS index, top sentence as the quote."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ..index.embed import Embedder
from ..records import Answer, Citation, Hit, Passage
from ..ingest.split import sentence_spans

CHUNK_CHARS = 500


def chunk_spans(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, int]]:
    """Back-to-back windows of `size` characters, cut wherever they fall (that is the naive part)."""
    return [(start, min(start + size, len(text))) for start in range(0, len(text), size)
            if text[start:start + size].strip()]


class Baseline:
    """Dense retrieval over fixed-size chunks; answers with the chunk sentence closest to the question, never abstains."""

    def __init__(self, sources: Mapping[str, str], embedder: Embedder, chunk_chars: int = CHUNK_CHARS,
                 progress: bool = False):
        import faiss

        self.sources, self.embedder = sources, embedder
        self.chunks: list[Passage] = []
        self._sentences: dict[str, tuple[list[tuple[int, int]], np.ndarray]] = {}  # chunk id -> spans, vectors
        self.rows: dict[str, tuple[int, int]] = {}  # doc -> [first, last) chunk rows, for per-document search
        for doc in sorted(sources):
            first = len(self.chunks)
            for start, end in chunk_spans(sources[doc], chunk_chars):
                self.chunks.append(Passage(f"{doc}@{start}", doc, start, end, sources[doc][start:end]))
            self.rows[doc] = (first, len(self.chunks))
        vectors = embedder.encode([c.text for c in self.chunks], progress=progress)
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)

    def search(self, vector: np.ndarray, k: int, doc: str | None = None) -> list[Hit]:
        """The k chunks nearest to a query vector, optionally within one document only."""
        import faiss

        params = None
        if doc is not None:  # a document's chunks are consecutive rows, so a range selector restricts exactly
            first, last = self.rows.get(doc, (0, 0))
            params = faiss.SearchParameters(sel=faiss.IDSelectorRange(first, last))
        sims, rows = self.index.search(vector[None, :], k, params=params)
        pairs = sorted(((float(s), int(r)) for s, r in zip(sims[0], rows[0]) if r >= 0), key=lambda p: (-p[0], p[1]))
        return [Hit(self.chunks[r], s, n) for n, (s, r) in enumerate(pairs)]

    def ask(self, question: str, k: int = 10, doc: str | None = None) -> Answer:
        """Quote the sentence of the top chunk most similar to the question (cut where the chunk cuts it)."""
        vector = self.embedder.encode([question])[0]
        hits = self.search(vector, k, doc)
        if not hits:
            return Answer(question, False, "", "", passages=tuple(hits))
        top = hits[0].passage
        text = self.sources[top.doc]
        if top.id not in self._sentences:  # embedded on first use: most chunks are never a top chunk
            spans = sentence_spans(text, top.start, top.end) or [(top.start, top.end)]
            self._sentences[top.id] = spans, self.embedder.encode([text[s:e] for s, e in spans])
        spans, vectors = self._sentences[top.id]
        sims = vectors @ vector
        best = int(np.argmax(sims))  # first of equal maxima: deterministic
        s, e = spans[best]
        score = float(sims[best])
        citation = Citation(top.doc, s, e, text[s:e], score, top.heading)
        return Answer(question, True, text[s:e], text[s:e], (citation,), tuple(hits), max(0.0, min(1.0, score)),
                      s, top.doc)
