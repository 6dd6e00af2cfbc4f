"""Shared fixtures: the real embedding model loaded once, a tiny corpus, and the speech indexed once per session."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships in a package: nothing may download
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The model export cache (qa.index.cache) of this run: empty at its start, as on a fresh machine, and never the
# user's ~/.cache. Set at import, before test modules copy os.environ for their subprocesses.
EXPORT_CACHE = Path(tempfile.mkdtemp(prefix="qa-test-cache-"))
os.environ["QA_CACHE_DIR"] = str(EXPORT_CACHE)
# Gradio's uploads in the apps the tests build in process: a folder of this run, not the machine's /tmp/gradio.
GRADIO_UPLOADS = Path(tempfile.mkdtemp(prefix="qa-test-gradio-"))
os.environ["GRADIO_TEMP_DIR"] = str(GRADIO_UPLOADS)

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("qa", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=2000, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "qa"))

REPO = Path(__file__).resolve().parents[1]
SPEECH_CORPUS = REPO / "corpus"
SPEECH_DOC = "ge-honglin-2025-mining-speech.md"

# A corpus small enough to index in a second: nested folders, .txt and .md, front matter, CRLF line ends.
TINY = {
    "metals/copper.md": "---\ntitle: Copper notes\nauthor: Test Desk\n---\n\n# Copper\n\n"
                        "Copper prices rose 12% in May. The Yulong mine expanded its output.\n\n"
                        "## Smelting\n\nSmelters in Chile cut production after the strike.\n",
    "metals/cobalt.txt": "Cobalt exports from the DRC were suspended for four months.\r\n"
                         "The price of cobalt rose by half.\r\n\r\nBattery makers looked for other suppliers.\r\n",
    "weather.txt": "It rained in Lisbon on Tuesday. The river flooded the lower town.\n\n"
                   "Dr. Silva said the flood was the worst in ten years.\n",
}


def write_corpus(folder: Path, files: dict[str, str] = TINY) -> Path:
    """Write `files` (relative path -> text) under `folder`, bytes exactly as given (no newline translation)."""
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return folder


def check_answer(answer: dict, corpus: Path) -> None:
    """The answer contract that ../shared/tools/check-answers applies to every `qa ask --json` line."""
    fields = {"question": str, "answerable": bool, "answer": str, "quote": str, "citations": list, "passages": list}
    for key, kind in fields.items():
        assert isinstance(answer.get(key), kind), f"{key!r} missing or not {kind.__name__}"
    for c in answer["citations"]:
        for key, kind in {"doc": str, "start": int, "end": int, "text": str, "score": (int, float)}.items():
            assert isinstance(c.get(key), kind) and not isinstance(c.get(key), bool), key
        source = (corpus / c["doc"]).read_bytes().decode("utf-8")
        assert source[c["start"]:c["end"]] == c["text"]
        assert c["text"] in answer["quote"]
    for p in answer["passages"]:
        for key, kind in {"id": str, "doc": str, "start": int, "end": int, "score": (int, float)}.items():
            assert isinstance(p.get(key), kind) and not isinstance(p.get(key), bool), key
    if answer["answer"]:
        assert answer["answer"] in answer["quote"]
    if answer["answerable"]:
        assert answer["citations"] and answer["quote"] and answer["answer"]
    else:
        assert answer["answer"] == "" and answer["quote"] == "" and answer["citations"] == []


@contextmanager
def hold_build_lock(index_dir: Path):
    """Another process holding `index_dir`'s build lock (qa.index.lock) until the block ends: yields its Popen."""
    code = ("import sys; from qa.index.lock import build_lock\n"
            "with build_lock(sys.argv[1]):\n    print('held', flush=True); sys.stdin.readline()")
    holder = subprocess.Popen([sys.executable, "-c", code, str(index_dir)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        assert holder.stdout.readline() == "held\n", "the holder did not take the lock"
        yield holder
    finally:
        holder.stdin.close()  # its readline returns: it lets go and exits
        holder.wait(timeout=60)


# How far apart two encodings of the same question may put a score (cosine, BM25 or fused, confidence) for the
# answers to count as the same: sentence-transformers and the ONNX export, or one export loaded from memory and from
# disk, agree to about 1e-6, and qa prints scores to 6 decimals (confidence to 4).
SCORE_TOLERANCE = 1e-3


def answer_differences(a, b, tolerance: float = SCORE_TOLERANCE, path: str = "answer") -> list[str]:
    """Where two `Answer.to_dict()`s (or any JSON values) differ by what qa promises: every string, offset, id,
    flag and list length exactly, every float (score, confidence) within `tolerance`. Empty when they are the same
    answer; the float digits two encoders or formats disagree on do not count."""
    if isinstance(a, float) or isinstance(b, float):
        numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
        return [] if numbers and abs(a - b) <= tolerance else [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a)} != {sorted(b)}"]
        return [d for k in a for d in answer_differences(a[k], b[k], tolerance, f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in answer_differences(x, y, tolerance, f"{path}[{i}]")]
    return [] if type(a) is type(b) and a == b else [f"{path}: {a!r} != {b!r}"]


def same_answer(a, b, tolerance: float = SCORE_TOLERANCE) -> bool:
    return not answer_differences(a, b, tolerance)


@pytest.fixture(scope="session", autouse=True)
def export_cache() -> Path:
    """The model export cache of this run (EXPORT_CACHE), removed at its end, with GRADIO_UPLOADS."""
    yield EXPORT_CACHE
    shutil.rmtree(EXPORT_CACHE, ignore_errors=True)
    shutil.rmtree(GRADIO_UPLOADS, ignore_errors=True)


@pytest.fixture(scope="session")
def embedder():
    """The bundled all-MiniLM-L6-v2, loaded once for the whole run."""
    from qa.index.embed import Embedder

    model = Embedder()
    model.model  # load now, so that the first test using it is not charged for it
    return model


@pytest.fixture(scope="session")
def fast_embedder(embedder):
    """The build's embedder, as `qa index` uses it: the ONNX export, exported once from the loaded reference into
    this run's cache (so the session pays no second model load), then read from the cache."""
    from qa.index.fast import FastEmbedder

    embedder.export_onnx()
    return FastEmbedder()


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def tiny_index_dir(tmp_path_factory, fast_embedder) -> tuple[Path, Path]:
    """(corpus, index) folders for the tiny corpus, built once; tests must not change them."""
    from qa.index.build import build_index
    from qa.index.store import save_index

    root = tmp_path_factory.mktemp("tiny")
    corpus = write_corpus(root / "corpus")
    save_index(build_index(corpus, embedder=fast_embedder), root / "index")
    return corpus, root / "index"


@pytest.fixture(scope="session")
def tiny_index(tiny_index_dir):
    from qa.index.store import load_index

    return load_index(tiny_index_dir[1])


@pytest.fixture(scope="session")
def speech_index_dir(tmp_path_factory, fast_embedder) -> Path:
    """The speech corpus indexed once per session into a temporary folder; tests must not change it."""
    from qa.index.build import build_index
    from qa.index.store import save_index

    folder = tmp_path_factory.mktemp("speech") / "index"
    save_index(build_index(SPEECH_CORPUS, embedder=fast_embedder), folder)
    return folder


@pytest.fixture(scope="session")
def speech_assistant(speech_index_dir):
    """The speech assistant as `qa ask` runs it: questions encoded by the index's ONNX encoder."""
    from qa.answer.assistant import Assistant

    return Assistant.load(speech_index_dir)


@pytest.fixture
def fresh_index(tmp_path, fast_embedder) -> tuple[Path, Path]:
    """(corpus, index) folders of a private tiny corpus and its index, for tests that edit or break them."""
    from qa.index.build import build_index
    from qa.index.store import save_index

    corpus = write_corpus(tmp_path / "corpus")
    save_index(build_index(corpus, embedder=fast_embedder), tmp_path / "index")
    return corpus, tmp_path / "index"


# The speech behind the HTTP app, per test module (a module may monkeypatch its service); test_serve.py has its own.
@pytest.fixture(scope="module")
def service(speech_assistant):
    from qa.serve.service import Service

    return Service(speech_assistant)


@pytest.fixture(scope="module")
def client(service):
    from fastapi.testclient import TestClient

    from qa.serve.app import create_app

    return TestClient(create_app(service), raise_server_exceptions=False)
