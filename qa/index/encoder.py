"""The query-time text encoder: the index's ONNX export of the model, run with onnxruntime and the model's own tokenizer.

It imports neither torch nor sentence-transformers, so a one-shot `qa ask` starts in about a second. The
index build embeds with the same export (qa.index.fast) and writes this encoder beside the vectors it made;
sentence-transformers stays the reference (qa.index.embed), and tests/test_encoder.py checks the two agree
(cosine >= 0.999 on every curated question).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import QAError

# One thread, not spinning: a question is a dozen tokens, too little work to split, and on a shared two-core
# machine two spinning threads measured twice as slow (p50 32 ms against 15 ms for one, with other jobs running);
# it also leaves the second core to a concurrent request of the HTTP server.
INTRA_OP_THREADS = 1
BATCH = 64


class OnnxEncoder:
    """Encodes text into L2-normalised float32 vectors, like qa.embed.Embedder.encode, without torch.

    Args:
        model: the ONNX graph, as a path or its bytes (inputs input_ids, attention_mask, token_type_ids).
        tokenizer_json: the model's own tokenizer.json, as text.
        max_tokens: truncation length, the model's max_seq_length (special tokens included).
        name: the model name the index records, shown in errors and /api/health.
        threads: onnxruntime's intra-op threads (an index build embeds thousands of texts and may use more).
    """

    def __init__(self, model: str | os.PathLike | bytes, tokenizer_json: str, max_tokens: int, name: str = "",
                 threads: int = INTRA_OP_THREADS):
        import onnxruntime
        from tokenizers import Tokenizer

        self.name = name
        self.max_tokens = int(max_tokens)
        tokenizer = Tokenizer.from_str(tokenizer_json)
        # tokenizer.json carries its own truncation (128) and fixed padding; sentence-transformers truncates at
        # max_seq_length and pads to the longest text of the batch, so do the same.
        tokenizer.enable_truncation(max_length=self.max_tokens)
        tokenizer.no_padding()
        self.tokenizer = tokenizer
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # warnings about unused initialisers are not the user's concern
        source = bytes(model) if isinstance(model, (bytes, bytearray)) else str(model)
        try:
            self.session = onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        except Exception as err:  # a damaged file past its checksum, or a graph this onnxruntime cannot run
            raise QAError(f"cannot load the ONNX question encoder: {str(err)[:160]}") from None
        self._inputs = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: list[str], batch_size: int = BATCH, progress: bool = False) -> np.ndarray:
        """One unit vector per text, float32, shape (len(texts), dimension); `progress` shows a bar on stderr (an
        index build on a terminal), as sentence-transformers did."""
        starts = range(0, len(texts), batch_size)
        if progress:
            from tqdm import tqdm  # imported only for a build's bar: a question never needs it

            starts = tqdm(starts, desc="embedding", unit="batch", leave=False)
        out = [self._batch(texts[i:i + batch_size]) for i in starts]
        if not out:
            dim = self.session.get_outputs()[0].shape[-1]
            return np.zeros((0, dim if isinstance(dim, int) else 0), dtype=np.float32)
        return np.ascontiguousarray(np.vstack(out), dtype=np.float32)

    def _batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)  # [PAD] is id 0, masked out
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self.session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]


def for_index(index) -> OnnxEncoder:
    """The question encoder an index was built with (qa.index.Index): from memory after a build, else from its
    folder, whose checksums load_index has already verified."""
    from .store import ENCODER_FILE, rebuild_hint

    manifest = index.manifest
    name = manifest.get("model", "")
    max_tokens = (manifest.get("encoder") or {}).get("max_tokens") or manifest.get("split", {}).get("model_max_tokens")
    if index.encoder_model is not None:
        return OnnxEncoder(index.encoder_model, index.tokenizer_json, max_tokens, name)
    if not manifest.get("encoder") or index.path is None:
        root = index.path.parent if index.path is not None else "DIR"
        raise QAError(f"the index at {root} has no ONNX question encoder; "
                      f"{rebuild_hint(Path(str(root)), manifest.get('corpus_dir'))}")
    folder = Path(index.path)
    try:
        tokenizer_json = (folder / manifest["encoder"]["tokenizer"]).read_text(encoding="utf-8")
    except OSError:
        raise QAError(f"index at {folder.parent} is corrupt (its tokenizer is unreadable); "
                      f"{rebuild_hint(folder.parent, manifest.get('corpus_dir'))}") from None
    return OnnxEncoder(folder / manifest["encoder"].get("file", ENCODER_FILE), tokenizer_json, max_tokens, name)
