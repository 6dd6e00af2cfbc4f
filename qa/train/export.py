"""Stage 3 of `qa train`: the reader exported to ONNX, quantised to int8, and written as a model folder."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

MAX_MODEL_BYTES = 25 * 1024 * 1024  # what the package may carry for the reader


def export(model, path: Path) -> None:
    import io
    import warnings

    import torch

    ids = torch.tensor([[101, 2054, 2003, 102, 7592, 102, 102], [101, 2054, 102, 7592, 102, 0, 0]])
    mask = (ids != 0).long()
    types = torch.tensor([[0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 0, 0]])
    names = ("input_ids", "attention_mask", "token_type_ids")
    axes = {n: {0: "batch", 1: "tokens"} for n in names}
    axes |= {"start_logits": {0: "batch", 1: "tokens"}, "end_logits": {0: "batch", 1: "tokens"}}
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (ids, mask, types), buffer, dynamo=False, input_names=list(names),
                          output_names=["start_logits", "end_logits"], dynamic_axes=axes,
                          opset_version=17, do_constant_folding=True)
    path.write_bytes(buffer.getvalue())


def quantize(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # per channel: one scale per output column keeps more of float32's accuracy than one per tensor
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)


def write_model_folder(folder: Path, onnx_file: Path, tokenizer_src: Path, config: dict) -> None:
    from ..answer.reader import CONFIG_FILE, sha256

    folder.mkdir(parents=True, exist_ok=True)
    if onnx_file.resolve() != (folder / "reader.onnx").resolve():
        shutil.copyfile(onnx_file, folder / "reader.onnx")
    shutil.copyfile(tokenizer_src, folder / "tokenizer.json")
    size = (folder / "reader.onnx").stat().st_size
    if size > MAX_MODEL_BYTES:
        print(f"qa train: warning: reader.onnx is {size / 2**20:.1f} MiB, over the package's "
              f"{MAX_MODEL_BYTES / 2**20:.0f} MiB", flush=True)
    config = dict(config, file="reader.onnx", tokenizer="tokenizer.json", sha256=sha256(folder / "reader.onnx"))
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
