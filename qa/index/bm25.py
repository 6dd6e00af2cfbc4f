"""BM25 scores at query time from the arrays bm25s saved, with numpy alone: bm25s builds the index, this reads it.

Importing bm25s costs a one-shot `qa ask` about 0.3 s (it imports scipy.sparse and tqdm); scoring a query
from its precomputed matrix is a few lines, done here exactly as bm25s does it (the same float32 additions in
the same order), so the scores are bit-for-bit bm25s's: tests/test_bm25.py checks it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..errors import QAError

# Variants whose whole score is the precomputed matrix; bm25l and bm25+ add a per-term non-occurrence score.
PRECOMPUTED = ("lucene", "robertson", "atire")


class SavedBM25:
    """A bm25s index folder (`BM25.save`), read-only: `vocab_dict` and `get_scores(tokens)` as in bm25s.BM25."""

    def __init__(self, folder: str | os.PathLike):
        folder = Path(folder)
        self.params = params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        if params.get("method") not in PRECOMPUTED:
            raise QAError(f"BM25 method {params.get('method')!r} is not one qa reads ({', '.join(PRECOMPUTED)})")
        self.vocab_dict: dict[str, int] = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        self.num_docs = int(params["num_docs"])
        self.dtype = np.dtype(params.get("dtype", "float32"))
        self.data = np.load(folder / "data.csc.index.npy", allow_pickle=False)
        self.indices = np.load(folder / "indices.csc.index.npy", allow_pickle=False)
        self.indptr = np.load(folder / "indptr.csc.index.npy", allow_pickle=False)
        # bm25s ends its vocabulary with "" and no column for it, so indptr may be one short of vocab + 1
        if len(self.indptr) not in (len(self.vocab_dict), len(self.vocab_dict) + 1) or len(self.data) != len(self.indices):
            raise ValueError("BM25 arrays and vocabulary disagree")

    def save(self, folder: str | os.PathLike, show_progress: bool = False) -> None:
        """Write the index back in bm25s's layout (as bm25s.BM25.save), so a loaded index can be saved again."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "params.index.json").write_text(json.dumps(self.params, indent=4), encoding="utf-8")
        (folder / "vocab.index.json").write_text(json.dumps(self.vocab_dict, ensure_ascii=False), encoding="utf-8")
        for name, array in (("data", self.data), ("indices", self.indices), ("indptr", self.indptr)):
            np.save(folder / f"{name}.csc.index.npy", array, allow_pickle=False)

    def get_scores(self, query_tokens: list[str]) -> np.ndarray:
        """The BM25 score of every document for a tokenised query; unknown tokens are left out."""
        scores = np.zeros(self.num_docs, dtype=self.dtype)
        for token in query_tokens:
            row = self.vocab_dict.get(token)
            if row is not None and row + 1 < len(self.indptr):  # the columnless "" never comes from qa.lexical
                start, end = self.indptr[row], self.indptr[row + 1]
                np.add.at(scores, self.indices[start:end], self.data[start:end])
        return scores


class Vocabulary:
    """A bm25s index folder's vocabulary alone (`vocab_dict`), for a store that holds the postings elsewhere."""

    def __init__(self, folder: str | os.PathLike):
        self.vocab_dict: dict[str, int] = json.loads((Path(folder) / "vocab.index.json").read_text(encoding="utf-8"))
