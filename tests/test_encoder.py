"""The fast query path: the ONNX encoder agrees with sentence-transformers, answers are the same, and asking
imports neither torch nor gradio."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, SPEECH_CORPUS, answer_differences

from qa.answer.assistant import Assistant
from qa.index.encoder import OnnxEncoder, for_index
from qa.errors import QAError
from qa.index.build import build_index, open_index
from qa.index.store import load_index, save_index
from qa.retrieve.retriever import Retriever

QUESTIONS = [json.loads(line)["question"]
             for line in (REPO / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
FORBIDDEN = ("torch", "gradio", "gradio_client", "mcp", "sentence_transformers", "transformers")


@pytest.fixture(scope="module")
def speech_index(speech_index_dir):
    return load_index(speech_index_dir)


@pytest.fixture(scope="module")
def reference_vectors(embedder) -> np.ndarray:
    """sentence-transformers' vectors of the curated questions (one batch: padding moves them by ~1e-7)."""
    return embedder.encode(QUESTIONS)


def test_the_onnx_encoder_agrees_with_sentence_transformers_on_every_curated_question(speech_index,
                                                                                     reference_vectors):
    encoder = for_index(speech_index)
    assert isinstance(encoder, OnnxEncoder)
    fast = np.vstack([encoder.encode([q]) for q in QUESTIONS])
    cosines = (fast * reference_vectors).sum(axis=1)
    assert fast.dtype == np.float32 and fast.shape == reference_vectors.shape
    assert cosines.min() >= 0.999, QUESTIONS[int(cosines.argmin())]
    # batched, with padding, and past the 256-token truncation, as an index build would encode
    long_text = " ".join(QUESTIONS)
    batch = encoder.encode(QUESTIONS[:5] + [long_text])
    assert ((batch[:5] * reference_vectors[:5]).sum(axis=1) >= 0.999).all()
    assert np.linalg.norm(batch, axis=1) == pytest.approx(1.0, abs=1e-5)


class Lookup:
    """The reference vectors as an encoder, so the comparison below costs no second model run."""

    def __init__(self, vectors: np.ndarray, embedder):
        self.vectors = {q: v for q, v in zip(QUESTIONS, vectors)}
        self.embedder = embedder  # a question the assistant rewrote (an acronym added) is encoded on demand

    def encode(self, texts, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        for t in texts:
            if t not in self.vectors:
                self.vectors[t] = self.embedder.encode([t])[0]
        return np.vstack([self.vectors[t] for t in texts])


def test_both_encoders_give_the_same_answers_on_the_curated_set(speech_index, reference_vectors, embedder):
    fast = Assistant(Retriever(speech_index))
    reference = Assistant(Retriever(speech_index, Lookup(reference_vectors, embedder)))
    for question in QUESTIONS:  # the same answer, quote, offsets and passages; scores within the tolerance
        differences = answer_differences(fast.ask(question).to_dict(), reference.ask(question).to_dict())
        assert not differences, (question, differences[:3])


def _modules_after(code: str) -> set[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    probe = code + "\nimport sys\nprint('MODULES', ' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    run = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    line = [x for x in run.stdout.splitlines() if x.startswith("MODULES ")][-1]
    return set(line.split()[1:])


def test_import_qa_imports_neither_torch_nor_gradio_nor_mcp():
    assert not _modules_after("import qa") & set(FORBIDDEN)


def test_a_one_shot_ask_imports_neither_torch_nor_gradio_nor_mcp(speech_index_dir):
    code = ("import runpy, sys\n"
            f"sys.argv = ['qa', 'ask', 'Which copper mine in Tibet is mentioned?', '--index', {str(speech_index_dir)!r},"
            f" '--corpus', {str(SPEECH_CORPUS)!r}, '--json']\n"
            "try:\n    runpy.run_module('qa', run_name='__main__')\nexcept SystemExit as exit_:\n"
            "    assert exit_.code == 0, exit_.code\n")
    imported = _modules_after(code)
    assert "onnxruntime" in imported
    assert not imported & {*FORBIDDEN, "bm25s", "scipy"}, imported & {*FORBIDDEN, "bm25s", "scipy"}


def test_an_index_without_an_encoder_is_rebuilt_and_a_bare_one_is_an_error(fresh_index, capsys):
    corpus, index = fresh_index
    loaded = load_index(index)
    assert loaded.manifest["encoder"]["file"] == "encoder.onnx"
    # an index written by a qa before the fast path: no encoder in its manifest
    version = index / (index / "CURRENT").read_text().strip()
    manifest = json.loads((version / "manifest.json").read_text())
    manifest.pop("encoder")
    (version / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(QAError, match=rf"no ONNX question encoder; rebuild it with: qa index \S+ --index {index}"):
        Retriever(load_index(index))
    rebuilt = open_index(index, corpus)
    assert "no ONNX question encoder" in capsys.readouterr().err
    assert rebuilt.manifest["encoder"] and Retriever(load_index(index)).search("copper mine")


def test_a_stand_in_embedder_builds_an_index_without_an_encoder(tiny_corpus, tmp_path):
    class Constant:
        name, max_tokens, folder = "constant", 256, tmp_path

        def count_tokens(self, text):
            return len(text.split()) + 2

        def encode(self, texts, batch_size=64, progress=False):
            return np.ones((len(texts), 4), dtype=np.float32) / 2

    index = build_index(tiny_corpus, embedder=Constant())
    assert index.encoder_model is None and index.manifest["encoder"] is None
    save_index(index, tmp_path / "index")
    assert not list((tmp_path / "index").glob("v-*/encoder.onnx"))
    assert Retriever(index, Constant()).search("copper")  # works when given its embedder
