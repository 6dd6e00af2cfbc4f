"""`qa train --for-gpu DIR`: the small folder a GPU machine trains from with `python -m qa.train.finetune DIR`."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from .batches import save_arrays


def pack(dest: Path, arrays: dict, plan: dict, folder: Path) -> None:
    """DIR/{windows.npz, plan.json, config.json, base.npz}. The base weights travel as float16, and the rows of the
    frozen word-embedding table that no training window uses as zeros (never looked up), so the folder stays
    under a GPU lease's transfer limit; `qa train` exports with the bundled float32 table."""
    import torch
    from transformers import AutoModel

    from .finetune import FROZEN

    dest.mkdir(parents=True, exist_ok=True)
    save_arrays(dest / "windows.npz", arrays)
    (dest / "plan.json").write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")
    shutil.copyfile(folder / "config.json", dest / "config.json")
    with torch.no_grad():
        state = {k: v.numpy().astype(np.float16) for k, v in AutoModel.from_pretrained(str(folder)).state_dict().items()
                 if not k.endswith("position_ids")}
    table = FROZEN.removeprefix("bert.")
    unused = np.setdiff1d(np.arange(state[table].shape[0]), np.unique(arrays["ids"]))
    state[table][unused] = 0
    save_arrays(dest / "base.npz", state)
