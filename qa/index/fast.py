"""The build's embedder: the model's cached ONNX export run with onnxruntime, batched, without torch.

It has the reference Embedder's interface (name, folder, max_tokens, dimension, count_tokens, encode, export_onnx)
and agrees with it to float rounding (tests/test_encoder.py): the same graph encodes the questions at query time.
sentence-transformers is loaded only when the export cache (qa.index.cache) misses, to export.
"""
from __future__ import annotations

import json
import os
from functools import cached_property

import numpy as np

from ..errors import QAError
from .cache import cached_export
from .embed import model_fingerprint, resolve_model

# An index build has thousands of texts to embed, enough work for every core it may use; a question has not
# (qa.index.encoder keeps one thread). Capped, since on a shared machine more spinning threads cost more than
# they give (docs/performance.md).
BUILD_THREADS = max(1, min(4, os.cpu_count() or 1))
BATCH = 16  # measured on the speech, 2 threads: 16 a batch 3.0 s, 32 3.5 s, 64 4.0 s (less padding)


class FastEmbedder:
    """Encodes text into L2-normalised float32 vectors with the model's ONNX export, like qa.index.embed.Embedder."""

    def __init__(self, model: str | None = None, threads: int = BUILD_THREADS):
        self.name, self.folder = resolve_model(model)
        self.fingerprint = model_fingerprint(self.folder)
        self.threads = threads

    @cached_property
    def export(self) -> tuple[bytes, str]:
        from .embed import Embedder  # loaded, with torch, only when the cache misses

        return cached_export(self.fingerprint, lambda: Embedder(str(self.folder)).export_in_memory())

    def export_onnx(self) -> tuple[bytes, str]:
        """(ONNX graph, tokenizer.json text), the question encoder the index stores."""
        return self.export

    @cached_property
    def max_tokens(self) -> int:
        """The model's max_seq_length, from its sentence_bert_config.json, as sentence-transformers reads it."""
        try:
            config = json.loads((self.folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
            return int(config["max_seq_length"])
        except (OSError, ValueError, KeyError, TypeError):  # a model without it: ask the reference once
            from .embed import Embedder

            return Embedder(str(self.folder)).max_tokens

    @cached_property
    def encoder(self):
        from .encoder import OnnxEncoder

        graph, tokenizer_json = self.export
        return OnnxEncoder(graph, tokenizer_json, self.max_tokens, self.name, threads=self.threads)

    @cached_property
    def _counter(self):
        """The model's tokenizer without truncation or padding, to count a text's tokens as the reference does."""
        from tokenizers import Tokenizer

        tokenizer_file = self.folder / "tokenizer.json"
        if not tokenizer_file.is_file():
            raise QAError(f"the model at {self.folder} has no tokenizer.json, which the ONNX encoder needs")
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    @cached_property
    def dimension(self) -> int:
        return int(self.encoder.encode(["dimension"]).shape[1])

    def count_tokens(self, text: str) -> int:
        """The model's own token count for `text`, special tokens included."""
        return len(self._counter.encode(text, add_special_tokens=True).ids)

    def encode(self, texts: list[str], batch_size: int = BATCH, progress: bool = False) -> np.ndarray:
        """One unit vector per text, in order; texts are batched by length (as sentence-transformers does), so a
        batch pads to near its own length rather than to the longest text of the corpus."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # a one-sentence passage is its sentence too: each distinct text is embedded once
        unique = sorted(set(texts), key=lambda t: (-len(t), t))
        vectors = self.encoder.encode(unique, batch_size=batch_size, progress=progress)
        row = {t: i for i, t in enumerate(unique)}
        return np.ascontiguousarray(vectors[[row[t] for t in texts]], dtype=np.float32)
