"""`qa train --start-from`: the weights a second stage of training starts from, read from a finished run's
weights.pt or from a shipped int8 reader.onnx (its int8 matrices turned back into float32: the weights that reader
actually computes with). Names are the span reader's own (bert.*, span.*). `--interpolate` blends a finished run
back toward them."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import QAError


def from_weights_file(path: Path) -> dict[str, np.ndarray]:
    import torch

    done = torch.load(path, weights_only=False, map_location="cpu")
    return {k: v.float().numpy() for k, v in done["weights"].items()}


def from_onnx(path: Path) -> dict[str, np.ndarray]:
    """Float32 weights of an int8 reader exported by qa train: each MatMulInteger's weight is dequantised per output
    column and transposed back to torch's (out, in); float initialisers keep their torch names."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    weights = {name: a.astype(np.float32) for name, a in init.items() if a.dtype == np.float32 and a.ndim >= 1
               and not name.endswith(("_scale", "_zero_point"))}
    for name in [n[:-len("_quantized")] for n in init if n.endswith("_quantized")]:
        if name.startswith("bert."):  # an embedding table, quantised whole
            weights[name] = ((init[name + "_quantized"].astype(np.float32) - init[name + "_zero_point"])
                             * init[name + "_scale"]).astype(np.float32)
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        m = re.fullmatch(r"/(.+)/MatMul_quant", node.name)
        q = node.input[1].removesuffix("_quantized")
        if not m:
            raise QAError(f"{path}: unexpected quantised node {node.name}")
        w = (init[q + "_quantized"].astype(np.float32) - init[q + "_zero_point"]) * init[q + "_scale"]
        weights[m.group(1).replace("/", ".") + ".weight"] = np.ascontiguousarray(w.T, dtype=np.float32)
    return weights


def start_weights(path: str | Path) -> dict[str, np.ndarray]:
    """The span reader's weights in `path` (a weights.pt of qa train, or a reader.onnx it exported)."""
    path = Path(path)
    if not path.is_file():
        raise QAError(f"--start-from: no such file: {path}")
    return from_onnx(path) if path.suffix == ".onnx" else from_weights_file(path)


def interpolate(model, start: dict[str, np.ndarray], share: float) -> None:
    """In place: every weight the start gives becomes (1 - share) * start + share * trained (Wortsman et al., 2022,
    "Robust fine-tuning of zero-shot models": a fine-tune's gain is largely kept while the start's robustness to
    other data comes back). The frozen word table is the bundled one in both and stays."""
    import torch

    from .finetune import FROZEN

    state = model.state_dict()
    with torch.no_grad():
        for name, value in start.items():
            if name in state and name != FROZEN:
                trained = state[name]
                trained.copy_((1.0 - share) * torch.from_numpy(np.asarray(value, dtype=np.float32)) + share * trained)
