"""Stage 2 of `qa train`: fine-tuning the bundled MiniLM into the span reader, checkpointed every few minutes."""
from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

import numpy as np

from .windows import SEED, Sample

CHECKPOINT_SECONDS = 240  # a session can end mid-run: lose at most this much work
HEAD_LR = 1e-3
WARMUP_SHARE = 0.06


def tensors(tokenizer, batch: list[Sample], max_tokens: int, max_question: int):
    """Padded ids, mask, types, the positions a span may use (the window and [CLS]), and the gold start and end
    token (0, the [CLS] position, for no answer; -100, ignored, when the answer fell past a cut)."""
    import torch

    from ..answer.reader import encode

    encoded = [encode(tokenizer, s.question, s.text, s.window, max_tokens, max_question) for s in batch]
    width = max(len(e.ids) for e in encoded)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    types, mask = torch.zeros_like(ids), torch.zeros_like(ids)
    allowed = torch.zeros((len(batch), width), dtype=torch.bool)
    starts, ends = torch.zeros(len(batch), dtype=torch.long), torch.zeros(len(batch), dtype=torch.long)
    for row, (e, s) in enumerate(zip(encoded, batch)):
        n = len(e.ids)
        ids[row, :n], types[row, :n], mask[row, :n] = torch.tensor(e.ids), torch.tensor(e.types), 1
        allowed[row, 0] = True
        allowed[row, e.first:e.first + len(e.offsets)] = True
        if s.answer is not None:
            tok = [i for i, (a, b) in enumerate(e.offsets) if b > s.answer[0] and a < s.answer[1]]
            if tok:
                starts[row], ends[row] = e.first + tok[0], e.first + tok[-1]
            else:
                starts[row] = ends[row] = -100
    return ids, mask, types, allowed, starts, ends


def base_model():
    """The bundled all-MiniLM-L6-v2's folder."""
    from ..index.embed import resolve_model

    return resolve_model(None)[1]


def reader_model(folder: Path, layers: int = 6):
    """MiniLM (its first `layers` layers) with a start/end head on every token; [CLS]'s pair is the no-answer
    score."""
    import torch
    from transformers import AutoModel

    class SpanReader(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(folder))
            self.bert.encoder.layer = self.bert.encoder.layer[:layers]
            self.bert.config.num_hidden_layers = layers
            self.span = torch.nn.Linear(self.bert.config.hidden_size, 2)

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state
            start, end = self.span(h).unbind(-1)
            return start, end

    return SpanReader()


BUCKET = 64  # batches whose samples are sorted by length together: less padding, still shuffled


def batch_order(lengths: list[int], epochs: int, batch_size: int, seed: int) -> list[list[int]]:
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


def _save(checkpoint: Path, state: dict) -> None:
    import torch

    tmp = checkpoint.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, checkpoint)


def fine_tune(samples: list[Sample], out: Path, epochs: int, batch_size: int, lr: float, max_tokens: int,
              max_question: int, layers: int = 6, seed: int = SEED, threads: int | None = None, resume: bool = True):
    """Train the reader on `samples` in a fixed order, checkpointing to out/checkpoint.pt; returns the model.

    Long because resuming, the schedule and the checkpoint share the training state."""
    import torch
    from tokenizers import Tokenizer

    torch.manual_seed(seed)
    random.seed(seed)
    if threads:
        torch.set_num_threads(threads)
    folder = base_model()
    model = reader_model(folder, layers)
    # 30k x 384 word embeddings are most of the weights: frozen, AdamW's step is a third cheaper on a CPU
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    lengths = [len(e.ids) for e in tokenizer.encode_batch(
        [s.text[s.window.start:s.window.end] for s in samples], add_special_tokens=False)]
    order = batch_order(lengths, epochs, batch_size, seed)
    params = [p for p in model.parameters() if p.requires_grad]
    head = {id(p) for p in model.span.parameters()}
    optimizer = torch.optim.AdamW([{"params": [p for p in params if id(p) not in head], "lr": lr},
                                   {"params": [p for p in params if id(p) in head], "lr": HEAD_LR}],
                                  weight_decay=0.01)
    warmup = max(1, int(len(order) * WARMUP_SHARE))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (len(order) - step) / (len(order) - warmup))))
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / "checkpoint.pt"
    step = 0
    plan = {"steps": len(order), "samples": len(samples), "seed": seed, "lr": lr, "batch_size": batch_size,
            "max_tokens": max_tokens, "layers": layers}
    if resume and checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False)
        if state.get("plan") == plan:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            schedule.load_state_dict(state["schedule"])
            torch.set_rng_state(state["rng"])
            step = state["step"]
            print(f"qa train: resuming at batch {step} of {len(order)}", file=sys.stderr, flush=True)
        else:
            print("qa train: the checkpoint is for another plan; starting again", file=sys.stderr, flush=True)
    ce = torch.nn.CrossEntropyLoss(ignore_index=-100)
    model.train()
    started, saved, first = time.perf_counter(), time.perf_counter(), step
    recent: list[float] = []
    while step < len(order):
        batch = [samples[i] for i in order[step]]
        ids, mask, types, allowed, starts, ends = tensors(tokenizer, batch, max_tokens, max_question)
        start_logits, end_logits = model(ids, mask, types)
        start_logits = start_logits.masked_fill(~allowed, -1e4)
        end_logits = end_logits.masked_fill(~allowed, -1e4)
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
    model.eval()
    return model
