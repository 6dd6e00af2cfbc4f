"""The trained weights in files a GPU lease can bring back (16 MiB a file): written in parts, joined by `qa train`."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import QAError

PART_BYTES = 15 * 2**20  # a GPU lease returns files of at most 16 MiB each; a reader's float16 weights are 22 MB


def save(path: Path, state: dict) -> None:
    """torch.save, atomically: a run stopped mid-write leaves the old file or none."""
    import torch

    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def half_copy(weights: Path, target: Path) -> list[Path]:
    """The trained weights as float16, in as many files as PART_BYTES a file needs: `target` itself when they fit,
    else weights.1.pt, weights.2.pt, ... beside it (for target weights.pt), which `qa train` joins (join_parts)."""
    import torch

    done = torch.load(weights, weights_only=False)
    meta = {k: v for k, v in done.items() if k != "weights"}
    meta["base"] = f"{done.get('base')}; weights returned as float16"
    parts, size = [{}], 0
    for name, value in done["weights"].items():
        value = value.half() if value.is_floating_point() else value
        if parts[-1] and size + value.numel() * value.element_size() > PART_BYTES:
            parts.append({})
            size = 0
        parts[-1][name] = value
        size += value.numel() * value.element_size()
    if len(parts) == 1:
        save(target, meta | {"weights": parts[0]})
        return [target]
    paths = [target.with_name(f"{target.stem}.{i}{target.suffix}") for i in range(1, len(parts) + 1)]
    for i, (path, part) in enumerate(zip(paths, parts), 1):
        save(path, meta | {"weights": part, "part": i, "parts": len(parts)})
    return paths


def join_parts(weights: Path) -> None:
    """weights.1.pt, weights.2.pt, ... (a --half-copy in parts) joined into weights.pt when that is not there; the
    parts must all be there and of one run."""
    import torch

    found = {int(p.stem.rpartition(".")[2]): p for p in weights.parent.glob(f"{weights.stem}.*{weights.suffix}")
             if p.stem.rpartition(".")[2].isdigit()}
    if weights.is_file() or not found:
        return
    parts = [torch.load(found[i], weights_only=False) for i in sorted(found)]
    if sorted(found) != list(range(1, parts[0]["parts"] + 1)) or any(p["plan"] != parts[0]["plan"] for p in parts):
        raise QAError(f"{weights.stem}.N{weights.suffix} in {weights.parent} are not all the parts of one run")
    joined = {k: v for k, v in parts[0].items() if k not in ("part", "parts")}
    joined["weights"] = {k: v for p in parts for k, v in p["weights"].items()}
    save(weights, joined)
