"""Stage 2 of `qa train`: fine-tuning the bundled MiniLM into the span reader, checkpointed every few minutes.

It runs inside `qa train` on the CPU, or alone on a GPU machine that has only numpy, torch and transformers:
`python -m qa.train.finetune DIR --device cuda` trains on the folder `qa train --for-gpu DIR` packed and leaves
DIR/weights.pt, which `qa train` picks up when its plan matches (docs/training.md).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

from .batches import IGNORED, SEED, digest, load_arrays, tensors, whole_rows
from .parts import half_copy, join_parts, save as _save

CHECKPOINT_SECONDS = 240  # a session can end mid-run: lose at most this much work
HEAD_LR = 1e-3
WARMUP_SHARE = 0.06
BUCKET = 64  # batches whose samples are sorted by length together: less padding, still shuffled
FROZEN = "bert.embeddings.word_embeddings.weight"  # 30k x 384, half the weights: kept as MiniLM has them


def base_model():
    """The bundled all-MiniLM-L6-v2's folder."""
    from ..index.embed import resolve_model

    return resolve_model(None)[1]


def reader_model(folder: Path, layers: int = 6, base: dict | None = None):
    """MiniLM (its first `layers` layers) with a start/end head on every token; [CLS]'s pair is the no-answer
    score. The weights are the folder's, or `base` (name -> array) over the folder's config."""
    import torch
    from transformers import AutoConfig, AutoModel

    class SpanReader(torch.nn.Module):
        def __init__(self):
            super().__init__()
            if base is None:
                self.bert = AutoModel.from_pretrained(str(folder))
            else:
                self.bert = AutoModel.from_config(AutoConfig.from_pretrained(str(folder)))
                missing, unexpected = self.bert.load_state_dict(
                    {k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in base.items()}, strict=False)
                params = dict(self.bert.named_parameters())
                if unexpected or any(k in params for k in missing):  # buffers (position ids) may differ by version
                    raise ValueError(f"base weights do not fit the model: {missing or unexpected}")
            self.bert.encoder.layer = self.bert.encoder.layer[:layers]
            self.bert.config.num_hidden_layers = layers
            self.span = torch.nn.Linear(self.bert.config.hidden_size, 2)

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state
            start, end = self.span(h).unbind(-1)
            return start, end

    return SpanReader()


def batch_order(lengths, epochs: int, batch_size: int, seed: int) -> list[list[int]]:
    """The whole schedule fixed up front, so a resumed run sees the same batches. Samples of similar length share
    a batch (within shuffled buckets of BUCKET batches), so a batch pads little: a quarter fewer tokens to run."""
    order = []
    for epoch in range(epochs):
        rng = np.random.RandomState(seed + epoch)
        perm = rng.permutation(len(lengths)).tolist()
        batches = []
        for b in range(0, len(perm), batch_size * BUCKET):
            bucket = sorted(perm[b:b + batch_size * BUCKET], key=lambda i: lengths[i])
            batches += [bucket[k:k + batch_size] for k in range(0, len(bucket), batch_size)]
        order += [batches[i] for i in rng.permutation(len(batches))]
    return order


def plan_of(arrays: dict, epochs: int, batch_size: int, lr: float, layers: int, seed: int = SEED,
            start: str | None = None, train_top: int | None = None) -> dict:
    """Everything that decides the trained weights; a checkpoint or weights file is used only for its own plan.
    `start`: a fingerprint of the weights a second stage starts from (the first starts from MiniLM); `train_top`:
    only that many top layers (and the head) train."""
    plan = {"data": digest(arrays), "samples": len(arrays["lengths"]), "epochs": epochs, "batch_size": batch_size,
            "lr": lr, "layers": layers, "seed": seed}
    return plan | ({"start": start} if start else {}) | ({"train_top": train_top} if train_top else {})


def freeze(model, plan: dict) -> None:
    """The frozen word table always; with the plan's `train_top`, also the other embeddings and every layer below
    the top ones, which then stay as the start has them."""
    model.get_parameter(FROZEN).requires_grad_(False)
    top = plan.get("train_top")
    if top:
        below = [model.bert.embeddings, *model.bert.encoder.layer[:plan["layers"] - top]]
        for part in below:
            part.requires_grad_(False)


def sentence_span_loss(start_logits, end_logits, starts, ends, whole):
    """The span loss when some rows' answer is a whole sentence (whole[i]): for those, minus the log of the start's
    (and the end's) probability mass inside the sentence starts[i]..ends[i], so any span within it will do; for
    the others, the usual cross-entropy on the gold start and end. Rows whose gold fell past the window skip."""
    import torch

    def part(logits, low, high):
        at = torch.arange(logits.shape[1], device=logits.device)[None, :]
        inside = (at >= low[:, None]) & (at <= high[:, None])
        kept = low != IGNORED
        gold = torch.logsumexp(logits.masked_fill(~inside, -1e4), dim=1)
        return (torch.logsumexp(logits, dim=1) - gold)[kept].sum() / kept.sum().clamp(min=1)

    return (part(start_logits, starts, torch.where(whole, ends, starts))
            + part(end_logits, torch.where(whole, starts, ends), ends)) / 2


def fine_tune(arrays: dict, out: Path, plan: dict, folder: Path | None = None, base: dict | None = None,
              threads: int | None = None, resume: bool = True, device: str = "cpu", start: dict | None = None):
    """Train the reader on the encoded windows in the plan's fixed order, checkpointing to out/checkpoint.pt, and
    write the trained weights to out/weights.pt; returns the model on the CPU. When out/weights.pt already holds
    this plan's weights (a finished run, here or on a GPU), loads them instead. `start`: a trained reader's weights
    (qa/train/start.py) to go on from, head included; its head then learns at the body's rate.

    Long because resuming, the schedule and the checkpoint share the training state."""
    import torch

    torch.manual_seed(plan["seed"])
    random.seed(plan["seed"])
    if threads:
        torch.set_num_threads(threads)
    folder = folder or base_model()
    model = reader_model(folder, plan["layers"], base)  # built on the CPU: the head starts alike everywhere
    if start is not None:
        state = model.state_dict()
        unknown = [k for k in start if k not in state or tuple(state[k].shape) != start[k].shape]
        if unknown:
            raise ValueError(f"start weights do not fit the reader: {unknown[:3]}")
        # the frozen word table stays the bundled float32 one (an int8 reader carries it rounded)
        model.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in start.items()
                               if k != FROZEN}, strict=False)
    freeze(model, plan)
    out.mkdir(parents=True, exist_ok=True)
    weights = out / "weights.pt"
    join_parts(weights)
    if resume and weights.is_file():
        done = torch.load(weights, weights_only=False)
        if done.get("plan") == plan:
            model.load_state_dict(done["weights"], strict=False)
            print(f"qa train: using the trained weights in {weights} (trained on {done.get('device')})",
                  file=sys.stderr, flush=True)
            return model.eval()
    model.to(device)
    order = batch_order(arrays["lengths"].tolist(), plan["epochs"], plan["batch_size"], plan["seed"])
    bounds = np.concatenate([[0], np.cumsum(arrays["lengths"], dtype=np.int64)])
    params = [p for p in model.parameters() if p.requires_grad]
    head = {id(p) for p in model.span.parameters()}
    optimizer = torch.optim.AdamW([{"params": [p for p in params if id(p) not in head], "lr": plan["lr"]},
                                   {"params": [p for p in params if id(p) in head],
                                    "lr": plan["lr"] if start is not None else HEAD_LR}],
                                  weight_decay=0.01)
    warmup = max(1, int(len(order) * WARMUP_SHARE))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (len(order) - step) / (len(order) - warmup))))
    checkpoint = out / "checkpoint.pt"
    step = 0
    if resume and checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False, map_location=device)
        if state.get("plan") == plan:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            schedule.load_state_dict(state["schedule"])
            torch.set_rng_state(state["rng"].cpu())
            step = state["step"]
            print(f"qa train: resuming at batch {step} of {len(order)}", file=sys.stderr, flush=True)
        else:
            print("qa train: the checkpoint is for another plan; starting again", file=sys.stderr, flush=True)
    ce = torch.nn.CrossEntropyLoss(ignore_index=-100)
    model.train()
    started, saved, first = time.perf_counter(), time.perf_counter(), step
    recent: list[float] = []
    while step < len(order):
        ids, mask, types, allowed, starts, ends = (t.to(device) for t in tensors(arrays, order[step], bounds))
        whole = whole_rows(arrays, order[step]).to(device)
        start_logits, end_logits = model(ids, mask, types)
        start_logits = start_logits.masked_fill(~allowed, -1e4)
        end_logits = end_logits.masked_fill(~allowed, -1e4)
        if whole.any():
            loss = sentence_span_loss(start_logits, end_logits, starts, ends, whole)
        else:  # cross-entropy as ever: a run without answer sentences trains as it always did
            loss = (ce(start_logits, starts) + ce(end_logits, ends)) / 2
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        step += 1
        recent = (recent + [loss.item()])[-50:]
        now = time.perf_counter()
        if step % 25 == 0 or step == len(order):
            per = (now - started) / (step - first)
            print(f"qa train: batch {step}/{len(order)}  loss {sum(recent) / len(recent):.3f}  "
                  f"{per:.2f} s a batch, about {per * (len(order) - step) / 60:.0f} min left",
                  file=sys.stderr, flush=True)
        if now - saved >= CHECKPOINT_SECONDS or step == len(order):
            _save(checkpoint, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                               "schedule": schedule.state_dict(), "step": step, "plan": plan,
                               "rng": torch.get_rng_state()})
            saved = now
    model.cpu().eval()
    trained = {k: v for k, v in model.state_dict().items() if k != FROZEN}  # the frozen table stays the base's
    where = torch.cuda.get_device_name() if device.startswith("cuda") else "cpu"
    _save(weights, {"plan": plan, "weights": trained, "device": where,
                    "base": "float16 copy carried to the GPU" if base is not None else "float32 as bundled"})
    return model


def main(argv: list[str] | None = None) -> int:
    """Train on a folder that `qa train --for-gpu DIR` packed: DIR/{plan.json, windows.npz, base.npz, config.json}."""
    ap = argparse.ArgumentParser(prog="python -m qa.train.finetune", description=main.__doc__)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--half-copy", type=Path, default=None,
                    help="also write the trained weights as float16 here, in parts of at most 15 MiB when they are "
                         "larger (weights.pt -> weights.1.pt, weights.2.pt): a GPU lease returns 16 MiB a file")
    ap.add_argument("--seed", type=int, default=None,
                    help="train with this seed instead of the plan's (`qa train --seed N` then picks the weights up)")
    ap.add_argument("--out", type=Path, default=None,
                    help="write checkpoint.pt and weights.pt here instead of the folder: several seeds of one pack")
    args = ap.parse_args(argv)
    plan = json.loads((args.folder / "plan.json").read_text(encoding="utf-8"))
    if args.seed is not None:
        plan["seed"] = args.seed
    out = args.out or args.folder
    arrays = load_arrays(args.folder / "windows.npz")
    if digest(arrays) != plan["data"]:
        print("qa train: windows.npz is not the data plan.json names", file=sys.stderr)
        return 2
    base = load_arrays(args.folder / "base.npz")
    fine_tune(arrays, out, plan, folder=args.folder, base=base, threads=args.threads, device=args.device)
    if args.half_copy:
        args.half_copy.parent.mkdir(parents=True, exist_ok=True)
        for path in half_copy(out / "weights.pt", args.half_copy):
            print(f"qa train: wrote {path}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
