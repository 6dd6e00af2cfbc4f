"""Export a loaded sentence-transformers model to ONNX (transformer, mean pooling, L2 normalisation): index build only.

This is the one place besides `qa.embed` that touches torch; the query path runs the result with onnxruntime
(`qa.encoder`), so answering a question never imports torch.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

from ..errors import QAError

ONNX_OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "sentence_embedding"

# (model folder, fingerprint) -> ONNX bytes: one export per model per process, however many indexes are built
_CACHE: dict[tuple[str, str], bytes] = {}


def check_pipeline(folder: Path) -> None:
    """QAError unless the model is a transformer followed by mean pooling (and optionally Normalize), as exported."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise QAError(f"cannot read {folder / 'modules.json'}: the model folder is not a sentence-transformers "
                      "model") from None
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise QAError(f"the model at {folder} has modules {kinds}; qa can export only Transformer, Pooling "
                      "(mean) and Normalize")
    pooling_dir = folder / modules[1].get("path", "1_Pooling")
    pooling = json.loads((pooling_dir / "config.json").read_text(encoding="utf-8"))
    modes = sorted(k for k, v in pooling.items() if k.startswith("pooling_mode_") and v)
    if modes != ["pooling_mode_mean_tokens"]:
        raise QAError(f"the model at {folder} pools with {modes}; qa can export only mean pooling")


def export_onnx(model, folder: Path, fingerprint: str) -> bytes:
    """The ONNX graph of a SentenceTransformer `model`: token ids, attention mask and token types in, one unit
    vector per text out, exactly as `model.encode(..., normalize_embeddings=True)` computes it.

    Args:
        model: the loaded sentence_transformers.SentenceTransformer (its first module holds the transformer).
        folder: the model's folder, checked for the pooling the graph reproduces.
        fingerprint: qa.embed.model_fingerprint(folder), the cache key with the folder.
    """
    key = (str(folder), fingerprint)
    if key not in _CACHE:
        check_pipeline(folder)
        _CACHE[key] = _export(model[0].auto_model)
    return _CACHE[key]


def _export(transformer) -> bytes:
    import torch

    class Encoder(torch.nn.Module):
        """Transformer, then sentence-transformers' mean pooling (mask-weighted, divisor clamped at 1e-9), then
        F.normalize: the same operations in the same order, so the two agree to float rounding."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / torch.clamp(mask.sum(1), min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    encoder = Encoder(transformer).eval()
    # A two-text example of different lengths, so the trace sees padding; the axes stay dynamic anyway.
    ids = torch.tensor([[101, 2054, 2003, 1037, 102], [101, 7592, 102, 0, 0]])
    mask = (ids != 0).long()
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS} | {OUTPUT: {0: "batch"}}
    buffer = io.BytesIO()
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python branches over shapes: none depend on data
        # The TorchScript exporter (dynamo=False) handles this BERT graph with dynamic axes and needs no onnxscript.
        torch.onnx.export(encoder, (ids, mask, torch.zeros_like(ids)), buffer, dynamo=False,
                          input_names=list(INPUTS), output_names=[OUTPUT], dynamic_axes=axes,
                          opset_version=ONNX_OPSET, do_constant_folding=True)
    return buffer.getvalue()
