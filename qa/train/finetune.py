"""Stage 2 of `qa train`: fine-tuning MiniLM's first layers into the answer model (a verdict and a span head), checkpointed."""
from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

import numpy as np

from .candidates import SEED, Example

LAYERS = 4  # of MiniLM's 6: a cross-encoder reads 8 sentences a question, so depth is latency (see MODEL_CARD)
MAX_TOKENS = 96
MAX_QUESTION_TOKENS = 32
HEAD_LR = 2e-3
CHECKPOINT_EVERY = 50


def _tensors(tokenizer, batch: list[Example]):
    import torch

    from ..answer.reader import encode

    encoded = [encode(tokenizer, e.question, e.sentence, e.before, e.after, MAX_TOKENS, MAX_QUESTION_TOKENS)
               for e in batch]
    width = max(len(e.ids) for e in encoded)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    types, mask = torch.zeros_like(ids), torch.zeros_like(ids)
    seg = torch.zeros((len(batch), width), dtype=torch.bool)  # where a span may start or end: the sentence
    starts, ends = torch.full((len(batch),), -100), torch.full((len(batch),), -100)
    for row, (e, x) in enumerate(zip(encoded, batch)):
        n = len(e.ids)
        ids[row, :n], types[row, :n], mask[row, :n] = torch.tensor(e.ids), torch.tensor(e.types), 1
        seg[row, e.first:e.first + len(e.offsets)] = True
        if x.span is not None:
            tok = [i for i, (a, b) in enumerate(e.offsets) if b > x.span[0] and a < x.span[1]]
            if tok:
                starts[row], ends[row] = e.first + tok[0], e.first + tok[-1]
    labels = torch.tensor([float(x.label) for x in batch])
    return ids, mask, types, seg, labels, starts, ends


def _model(layers: int):
    import torch
    from transformers import AutoModel

    from ..index.embed import resolve_model

    _, folder = resolve_model(None)

    class AnswerModel(torch.nn.Module):
        """MiniLM's first `layers` layers, a verdict on [CLS] and start/end logits on every token."""

        def __init__(self):
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(folder))
            self.bert.encoder.layer = self.bert.encoder.layer[:layers]
            self.bert.config.num_hidden_layers = layers
            hidden = self.bert.config.hidden_size
            self.verdict = torch.nn.Linear(hidden, 1)
            self.span = torch.nn.Linear(hidden, 2)
            # the listwise loss weighs each candidate against "none of these answers": one learned logit, folded
            # into the exported verdict, so the shipped log-odds are already "this sentence, rather than none"
            self.no_answer = torch.nn.Parameter(torch.zeros(()))

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids).last_hidden_state
            start, end = self.span(h).unbind(-1)
            # the verdict reads the mean of the tokens, as MiniLM was trained to be read: its [CLS] output barely
            # varies between inputs (a [CLS] head stayed at logits +-0.004 and AUC 0.51 after 200 steps; the mean
            # reached 0.62 in the same steps)
            mask = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.verdict(pooled).squeeze(-1) - self.no_answer, start, end

    return AnswerModel(), folder


LOSSES = ("pointwise", "listwise")
QUESTIONS_PER_BATCH = 4  # listwise: a batch is whole questions, each with all its candidates


def question_groups(examples: list[Example]) -> list[list[int]]:
    """Indices of `examples` grouped by question, in first-seen order (candidate_examples writes them together)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, e in enumerate(examples):
        groups.setdefault((e.article, e.question), []).append(i)
    return list(groups.values())


def batch_order(examples: list[Example], epochs: int, batch_size: int, loss: str, seed: int) -> list[list[int]]:
    """The whole schedule, fixed up front so that a resumed run sees the same batches: shuffled pairs
    (pointwise) or shuffled whole questions (listwise)."""
    units = question_groups(examples) if loss == "listwise" else [[i] for i in range(len(examples))]
    per = QUESTIONS_PER_BATCH if loss == "listwise" else batch_size
    order = []
    for epoch in range(epochs):
        perm = np.random.RandomState(seed + epoch).permutation(len(units)).tolist()
        order += [[i for u in perm[k:k + per] for i in units[u]] for k in range(0, len(perm), per)]
    return order


def listwise_loss(logits, labels, groups):
    """Softmax over each question's candidates and a "none answers" option of logit 0: the gold sentences win for an
    answerable question, "none" for an unanswerable one. The candidates' logits are relative to "none"."""
    import torch

    losses = []
    for idx in groups:
        x = logits[idx]
        every = torch.logsumexp(torch.cat([x, x.new_zeros(1)]), 0)
        pos = labels[idx] > 0
        won = torch.logsumexp(x[pos], 0) if pos.any() else x.new_zeros(())
        losses.append(every - won)
    return torch.stack(losses).mean()


def fine_tune(examples: list[Example], out: Path, epochs: int, batch_size: int, lr: float, layers: int,
              seed: int = SEED, threads: int | None = None, loss: str = "pointwise"):
    """Train the answer model on `examples` in a fixed order, checkpointing to out/checkpoint.pt; returns it.

    Long because resuming, the epoch loop, the two losses and the checkpoint share the training state."""
    import torch
    from tokenizers import Tokenizer
    from tqdm import tqdm

    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    if threads:
        torch.set_num_threads(threads)
    model, folder = _model(layers)
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)  # 30k x 384: most of the weights, little gain
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    order = batch_order(examples, epochs, batch_size, loss, seed)
    checkpoint = out / "checkpoint.pt"
    state = torch.load(checkpoint, weights_only=False) if checkpoint.is_file() else None
    if loss == "pointwise":  # one yes/no per sentence has no "none" to weigh against: the logit stays 0, as before it
        model.no_answer.requires_grad_(False)
        if state is not None:
            state["model"].setdefault("no_answer", torch.zeros(()))  # a checkpoint from before the no-answer logit
    params = [p for p in model.parameters() if p.requires_grad]
    heads = {id(p) for p in (*model.verdict.parameters(), *model.span.parameters(), model.no_answer)}
    # the new heads start from nothing and learn at HEAD_LR; the pretrained body moves gently at `lr`
    optimizer = torch.optim.AdamW([{"params": [p for p in params if id(p) not in heads], "lr": lr},
                                   {"params": [p for p in params if id(p) in heads], "lr": HEAD_LR}],
                                  weight_decay=0.01)
    warmup = max(1, len(order) // 16)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (len(order) - step) / (len(order) - warmup))))
    step = 0
    if state is not None:
        if (state.get("steps") == len(order) and state.get("examples") == len(examples)
                and state.get("loss", "pointwise") == loss):
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            schedule.load_state_dict(state["schedule"])
            step = state["step"]
            torch.set_rng_state(state["rng"])
            print(f"qa train: resuming at step {step} of {len(order)}", file=sys.stderr)
    positives = sum(e.label for e in examples)
    bce = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor((len(examples) - positives) / max(positives, 1)))
    ce = torch.nn.CrossEntropyLoss(ignore_index=-100)
    model.train()
    bar = tqdm(total=len(order), initial=step, desc="qa train", unit="batch", file=sys.stderr)
    started = time.perf_counter()
    while step < len(order):
        batch = [examples[i] for i in order[step]]
        ids, mask, types, seg, labels, starts, ends = _tensors(tokenizer, batch)
        logit, start_logits, end_logits = model(ids, mask, types)
        start_logits = start_logits.masked_fill(~seg, -1e4)
        end_logits = end_logits.masked_fill(~seg, -1e4)
        if loss == "listwise":
            groups = [[k for k, i in enumerate(order[step]) if examples[i].question == q]
                      for q in dict.fromkeys(examples[i].question for i in order[step])]
            total = listwise_loss(logit, labels, groups)
        else:
            total = bce(logit, labels)
        if (starts >= 0).any():
            total = total + 0.5 * (ce(start_logits, starts) + ce(end_logits, ends))
        optimizer.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        step += 1
        bar.update()
        bar.set_postfix(loss=f"{total.item():.3f}")
        if step == 5:
            per = (time.perf_counter() - started) / 5
            print(f"\nqa train: about {per * (len(order) - step) / 60:.0f} min left "
                  f"({len(order)} batches, {per:.2f} s each)", file=sys.stderr)
        if step % CHECKPOINT_EVERY == 0 or step == len(order):
            tmp = checkpoint.with_suffix(".tmp")
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "schedule": schedule.state_dict(), "step": step, "steps": len(order),
                        "examples": len(examples), "loss": loss, "rng": torch.get_rng_state()}, tmp)
            os.replace(tmp, checkpoint)
    bar.close()
    model.eval()
    return model, folder
