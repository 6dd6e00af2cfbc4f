"""Stage 1b of `qa train`: the training windows encoded once into arrays (the file a GPU run is handed) and batches
of them as tensors. Needs numpy here and torch only for `tensors`, so a bare machine with torch can train."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

SEED = 20250601
IGNORED = -100  # a gold token the loss skips: the answer fell past the window's cut


def encode_samples(samples, tokenizer, max_tokens: int, max_question: int) -> dict[str, np.ndarray]:
    """[CLS] question [SEP] window [SEP] for every sample, as the reader reads it at query time (reader.encode),
    with the gold start and end token: 0, the [CLS] position, when the window has no answer. Samples whose answer
    is a whole sentence give its first and last token, and the array "whole" marks them (absent when none is)."""
    from ..answer.reader import encode

    ids, lengths, heads, spans, starts, ends = [], [], [], [], [], []
    for s in samples:
        e = encode(tokenizer, s.question, s.text, s.window, max_tokens, max_question)
        ids += e.ids
        lengths.append(len(e.ids))
        heads.append(e.first)
        spans.append(len(e.offsets))
        start = end = 0
        if s.answer is not None:
            tok = [i for i, (a, b) in enumerate(e.offsets) if b > s.answer[0] and a < s.answer[1]]
            start, end = (e.first + tok[0], e.first + tok[-1]) if tok else (IGNORED, IGNORED)
        starts.append(start)
        ends.append(end)
    arrays = {"ids": np.asarray(ids, dtype=np.uint16), "lengths": np.asarray(lengths, dtype=np.int16),
              "heads": np.asarray(heads, dtype=np.int16), "window_tokens": np.asarray(spans, dtype=np.int16),
              "starts": np.asarray(starts, dtype=np.int16), "ends": np.asarray(ends, dtype=np.int16)}
    whole = np.asarray([bool(s.whole and s.answer is not None) for s in samples], dtype=np.uint8)
    if whole.any():  # only then: the windows of every earlier run keep their digest
        arrays["whole"] = whole
    return arrays


def digest(arrays: dict[str, np.ndarray]) -> str:
    """A fingerprint of the encoded windows: a run's plan names the data it trained on."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        h.update(name.encode() + arrays[name].tobytes())
    return h.hexdigest()[:16]


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
    os.replace(tmp, path)


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {name: data[name] for name in data.files}


def tensors(arrays: dict[str, np.ndarray], rows: list[int], bounds: np.ndarray | None = None):
    """Padded ids, mask, token types, the positions a span may use ([CLS] and the window), and the gold start and
    end tokens of the samples `rows`. `bounds` (the cumulative lengths) saves recomputing them per batch."""
    import torch

    if bounds is None:
        bounds = np.concatenate([[0], np.cumsum(arrays["lengths"], dtype=np.int64)])
    width = int(max(arrays["lengths"][r] for r in rows))
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    types, mask = torch.zeros_like(ids), torch.zeros_like(ids)
    allowed = torch.zeros((len(rows), width), dtype=torch.bool)
    for k, r in enumerate(rows):
        n, head, span = int(arrays["lengths"][r]), int(arrays["heads"][r]), int(arrays["window_tokens"][r])
        ids[k, :n] = torch.from_numpy(arrays["ids"][bounds[r]:bounds[r + 1]].astype(np.int64))
        types[k, head:n], mask[k, :n] = 1, 1
        allowed[k, 0] = True
        allowed[k, head:head + span] = True
    starts = torch.from_numpy(arrays["starts"][rows].astype(np.int64))
    ends = torch.from_numpy(arrays["ends"][rows].astype(np.int64))
    return ids, mask, types, allowed, starts, ends


def whole_rows(arrays: dict[str, np.ndarray], rows: list[int]):
    """Which of the samples `rows` have a whole sentence for their answer (their start and end bound it)."""
    import torch

    if "whole" not in arrays:
        return torch.zeros(len(rows), dtype=torch.bool)
    return torch.from_numpy(arrays["whole"][rows].astype(bool))
