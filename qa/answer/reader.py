"""The reader at query time: an ONNX span model that reads (question, window of text) and gives the best answer
span in the window by exact character offsets, with its score against the window's no-answer score. No torch.

The model is trained by `qa train` (qa/train/) from the bundled all-MiniLM-L6-v2 and shipped in qa/answer/models/
with reader.json (its settings, sha256 and calibration) and a model card (qa/answer/models/MODEL_CARD.md).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import QAError
from .windows import Window

MODEL_DIR = Path(__file__).with_name("models")
CONFIG_FILE = "reader.json"
MODEL_ENV = "QA_READER"  # a folder made by `qa train`, or "off"
MAX_ANSWER_TOKENS = 30  # a short answer is a name, figure, date or list, not a clause of 40 words
MAX_TOKENS = 128  # [CLS] question [SEP] window [SEP]: the windows are packed to what is left
MAX_QUESTION_TOKENS = 24
INTRA_OP_THREADS = 1  # as the question encoder: one thread, not spinning (see qa/index/encoder.py)


def window_budget(max_tokens: int = MAX_TOKENS, max_question: int = MAX_QUESTION_TOKENS) -> int:
    """Tokens of text a window may hold beside the longest question and the three special tokens."""
    return max_tokens - max_question - 3


@dataclass(frozen=True)
class Encoded:
    """One model input: ids and types, and where the window's tokens lie in the document's text."""

    ids: list[int]
    types: list[int]
    first: int  # position of the window's first token in ids
    offsets: list[tuple[int, int]]  # (start, end) in the document text of each window token, in order


def encode(tokenizer, question: str, text: str, window: Window, max_tokens: int = MAX_TOKENS,
           max_question: int = MAX_QUESTION_TOKENS) -> Encoded:
    """[CLS] question [SEP] window [SEP]. A long question keeps its end (people open with their situation and ask
    last); a window past the budget loses its tail, which packing avoids."""
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    q = tokenizer.encode(question, add_special_tokens=False).ids[-max_question:]
    w = tokenizer.encode(text[window.start:window.end], add_special_tokens=False)
    room = max_tokens - len(q) - 3
    head = [cls, *q, sep]
    ids = head + w.ids[:room] + [sep]
    offsets = [(window.start + a, window.start + b) for a, b in w.offsets[:room]]
    return Encoded(ids, [0] * len(head) + [1] * (len(ids) - len(head)), len(head), offsets)


@dataclass(frozen=True)
class Reading:
    """What the reader says of one window: its best span (document offsets) and how it compares with no answer."""

    start: int
    end: int
    score: float  # start logit + end logit of the best span
    null: float  # start + end logit of [CLS]: the window does not answer
    probability: float  # the span's share of the window's softmax over spans and no answer

    @property
    def margin(self) -> float:
        return self.score - self.null


def best_span(start: np.ndarray, end: np.ndarray) -> tuple[int, int, float]:
    """The span (i, j) maximising start[i] + end[j] over i <= j < i + MAX_ANSWER_TOKENS, with its score."""
    n = len(start)
    scores = start[:, None] + end[None, :]
    i, j = np.indices(scores.shape)
    scores = np.where((j >= i) & (j - i < MAX_ANSWER_TOKENS), scores, -np.inf)
    flat = int(np.argmax(scores))
    return flat // n, flat % n, float(scores.flat[flat])


def _logsumexp(x: np.ndarray) -> float:
    top = float(np.max(x))
    return top + float(np.log(np.exp(x - top).sum()))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Reader:
    """Reads windows of text for a question with the shipped (or a given) reader model."""

    def __init__(self, folder: str | os.PathLike = MODEL_DIR):
        import onnxruntime
        from tokenizers import Tokenizer

        folder = Path(folder)
        try:
            self.config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
            model_path = folder / self.config["file"]
            tokenizer_json = (folder / self.config["tokenizer"]).read_text(encoding="utf-8")
        except (OSError, ValueError, KeyError) as err:
            raise QAError(f"cannot read the reader model in {folder}: {err}") from None
        if self.config.get("sha256") and sha256(model_path) != self.config["sha256"]:
            raise QAError(f"the reader model {model_path} does not match its sha256 in {CONFIG_FILE}; "
                          "reinstall qa or retrain it with qa train")
        self.folder = folder
        self.tokenizer = Tokenizer.from_str(tokenizer_json)
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.max_tokens = int(self.config.get("max_tokens", MAX_TOKENS))
        self.max_question = int(self.config.get("max_question_tokens", MAX_QUESTION_TOKENS))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = INTRA_OP_THREADS
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        try:
            self.session = onnxruntime.InferenceSession(str(model_path), options,
                                                        providers=["CPUExecutionProvider"])
        except Exception as err:
            raise QAError(f"cannot load the reader model {model_path}: {str(err)[:160]}") from None

    @property
    def budget(self) -> int:
        return window_budget(self.max_tokens, self.max_question)

    @property
    def calibration(self) -> dict:
        return self.config.get("calibration") or {}

    def read(self, question: str, windows: list[tuple[str, Window]]) -> list[Reading]:
        """One Reading per (document text, window), in order, from one batched run of the model."""
        if not windows:
            return []
        encoded = [encode(self.tokenizer, question, text, w, self.max_tokens, self.max_question)
                   for text, w in windows]
        width = max(len(e.ids) for e in encoded)
        ids = np.zeros((len(encoded), width), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encoded):
            ids[row, :len(e.ids)] = e.ids
            types[row, :len(e.ids)] = e.types
            mask[row, :len(e.ids)] = 1
        starts, ends = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        readings = []
        for row, e in enumerate(encoded):
            n = len(e.offsets)
            start, end = starts[row], ends[row]
            null = float(start[0] + end[0])
            if n == 0:
                readings.append(Reading(0, 0, float("-inf"), null, 0.0))
                continue
            seg = slice(e.first, e.first + n)
            i, j, score = best_span(start[seg], end[seg])
            # the span's probability under the model's own two softmaxes (over the window's tokens and [CLS])
            log_z = (_logsumexp(np.concatenate([start[:1], start[seg]]))
                     + _logsumexp(np.concatenate([end[:1], end[seg]])))
            readings.append(Reading(e.offsets[i][0], e.offsets[j][1], score, null, float(np.exp(score - log_z))))
        return readings


def shipped() -> Reader | None:
    """The reader to use, loaded once per process: the folder QA_READER names (a model `qa train` made), else the
    one in the package; None when QA_READER is "off" or the package carries none."""
    choice = os.environ.get(MODEL_ENV, "").strip()
    if choice.lower() == "off":
        return None
    return _load(choice or str(MODEL_DIR), bool(choice))


@lru_cache(maxsize=1)
def shipped_config() -> dict:
    """The package's reader.json (its calibrations), also when the reader itself is turned off."""
    path = MODEL_DIR / CONFIG_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


@lru_cache(maxsize=4)
def _load(folder: str, asked: bool) -> Reader | None:
    if not (Path(folder) / CONFIG_FILE).is_file():
        if asked:
            raise QAError(f"no reader model in {folder} (it needs {CONFIG_FILE}; make one with qa train)")
        return None
    return Reader(folder)
