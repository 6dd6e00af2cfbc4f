"""The answer model at query time: an ONNX cross-encoder that reads (question, sentence in its context) and gives
the odds that the sentence answers, and where in the sentence the answer lies. No torch: onnxruntime only.

The model is trained by `qa train` (qa/train/) from the bundled all-MiniLM-L6-v2 and shipped in
qa/answer/models/ with answer.json (its settings, sha256 and calibration) and a model card (qa/answer/models/MODEL_CARD.md).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import QAError

MODEL_DIR = Path(__file__).with_name("models")
CONFIG_FILE = "answer.json"
MODEL_ENV = "QA_ANSWER_MODEL"  # a folder made by `qa train`, or "off"
MAX_ANSWER_TOKENS = 30  # a short answer is a name, figure, date or list, not a clause of 40 words
INTRA_OP_THREADS = 1  # as the question encoder: one thread, not spinning (see qa/index/encoder.py)


@dataclass(frozen=True)
class Encoded:
    """One model input: token ids and types, and the sentence's tokens with their character offsets in it."""

    ids: list[int]
    types: list[int]
    first: int  # position of the sentence's first token in ids
    offsets: list[tuple[int, int]]  # (start, end) in the sentence of each of its tokens, in order


@dataclass(frozen=True)
class Reading:
    """What the model says of one candidate sentence."""

    logit: float  # log-odds that the sentence answers the question
    span: tuple[int, int]  # the answer's (start, end) inside the sentence text
    span_score: float  # start logit + end logit of that span


def encode(tokenizer, question: str, sentence: str, before: str, after: str, max_tokens: int,
           max_question: int) -> Encoded:
    """[CLS] question [SEP] sentence [SEP] end of the sentence before [SEP] start of the one after [SEP].

    The question and the sentence are cut first to their own budgets, so the context never pushes the
    sentence out; what is left goes half to each neighbour (the tail of the one before, the head of the next).
    A long question keeps its end: people open with their situation and ask last.
    """
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    q = tokenizer.encode(question, add_special_tokens=False).ids[-max_question:]
    s_enc = tokenizer.encode(sentence, add_special_tokens=False)
    room = max_tokens - len(q) - 5
    s_ids, s_off = s_enc.ids[:max(room, 1)], s_enc.offsets[:max(room, 1)]
    left = max(room - len(s_ids), 0)
    b = tokenizer.encode(before, add_special_tokens=False).ids if before and left else []
    a = tokenizer.encode(after, add_special_tokens=False).ids if after and left else []
    nb = min(len(b), max(left // 2, left - len(a)))
    na = min(len(a), left - nb)
    b = b[len(b) - nb:] if nb else []
    a = a[:na]
    head = [cls, *q, sep]
    ids = head + s_ids + [sep] + b + [sep] + a + [sep]
    types = [0] * len(head) + [1] * (len(ids) - len(head))
    return Encoded(ids, types, len(head), [tuple(o) for o in s_off])


class TokenSpan(NamedTuple):
    """An answer span in tokens, both ends included, and the span head's score for it."""

    first: int
    last: int
    score: float


def _best_span(start: np.ndarray, end: np.ndarray, n: int) -> TokenSpan:
    """The span maximising start[i] + end[j] over i <= j < i + MAX_ANSWER_TOKENS."""
    scores = start[:n, None] + end[None, :n]
    i, j = np.indices(scores.shape)
    scores = np.where((j >= i) & (j - i < MAX_ANSWER_TOKENS), scores, -np.inf)
    flat = int(np.argmax(scores))
    return TokenSpan(flat // n, flat % n, float(scores.flat[flat]))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Reader:
    """Scores candidate sentences for a question with the shipped (or a given) answer model."""

    def __init__(self, folder: str | os.PathLike = MODEL_DIR):
        import onnxruntime
        from tokenizers import Tokenizer

        folder = Path(folder)
        try:
            self.config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
            model_path = folder / self.config["file"]
            tokenizer_json = (folder / self.config["tokenizer"]).read_text(encoding="utf-8")
        except (OSError, ValueError, KeyError) as err:
            raise QAError(f"cannot read the answer model in {folder}: {err}") from None
        if self.config.get("sha256") and sha256(model_path) != self.config["sha256"]:
            raise QAError(f"the answer model {model_path} does not match its sha256 in {CONFIG_FILE}; "
                          "reinstall qa or retrain it with qa train")
        self.folder = folder
        self.tokenizer = Tokenizer.from_str(tokenizer_json)
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.max_tokens = int(self.config["max_tokens"])
        self.max_question = int(self.config["max_question_tokens"])
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = INTRA_OP_THREADS
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        try:
            self.session = onnxruntime.InferenceSession(str(model_path), options,
                                                        providers=["CPUExecutionProvider"])
        except Exception as err:
            raise QAError(f"cannot load the answer model {model_path}: {str(err)[:160]}") from None

    @property
    def calibration(self) -> dict:
        return self.config.get("calibration") or {}

    def encode(self, question: str, sentence: str, before: str = "", after: str = "") -> Encoded:
        return encode(self.tokenizer, question, sentence, before, after, self.max_tokens, self.max_question)

    def read(self, question: str, items: list[tuple[str, str, str]]) -> list[Reading]:
        """One Reading per (sentence, sentence before, sentence after), in order."""
        if not items:
            return []
        encoded = [self.encode(question, *item) for item in items]
        width = max(len(e.ids) for e in encoded)
        ids = np.zeros((len(encoded), width), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encoded):
            ids[row, :len(e.ids)] = e.ids
            types[row, :len(e.ids)] = e.types
            mask[row, :len(e.ids)] = 1
        logits, starts, ends = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                                        "token_type_ids": types})
        readings = []
        for row, e in enumerate(encoded):
            n = len(e.offsets)
            if n == 0:
                readings.append(Reading(float(logits[row]), (0, 0), float("-inf")))
                continue
            seg = slice(e.first, e.first + n)
            i, j, score = _best_span(starts[row, seg], ends[row, seg], n)
            readings.append(Reading(float(logits[row]), (e.offsets[i][0], e.offsets[j][1]), score))
        return readings


def shipped() -> Reader | None:
    """The answer model to use, loaded once per process: the folder QA_ANSWER_MODEL names (a model `qa train`
    made), else the one in the package; None when QA_ANSWER_MODEL is "off" or the package carries none."""
    choice = os.environ.get(MODEL_ENV, "").strip()
    if choice.lower() == "off":
        return None
    return _load(choice or str(MODEL_DIR), bool(choice))


@lru_cache(maxsize=4)
def _load(folder: str, asked: bool) -> Reader | None:
    if not (Path(folder) / CONFIG_FILE).is_file():
        if asked:
            raise QAError(f"no answer model in {folder} (it needs {CONFIG_FILE}; make one with qa train)")
        return None
    return Reader(folder)
