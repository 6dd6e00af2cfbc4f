"""The on-disk index: round trip, staleness, corruption, atomic writes, one build at a time, and no pickle."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

import qa.index.store
from conftest import hold_build_lock
from qa import __version__
from qa.errors import QAError
from qa.index.build import build_index, open_index
from qa.index.lock import LOCK_FILE, build_lock
from qa.index.store import CURRENT, FORMAT, MANIFEST, load_index, save_index


def version_folder(index_dir: Path) -> Path:
    return index_dir / (index_dir / CURRENT).read_text().strip()


@pytest.fixture
def index_copy(tiny_index_dir, tmp_path) -> tuple[Path, Path]:
    """(the shared tiny corpus, a private copy of its index), for tests that damage the index only."""
    corpus, index = tiny_index_dir
    shutil.copytree(index, tmp_path / "index")
    return corpus, tmp_path / "index"


def test_round_trip_keeps_everything(tmp_path, tiny_corpus, embedder):
    built = build_index(tiny_corpus, embedder=embedder)
    save_index(built, tmp_path / "index")
    loaded = load_index(tmp_path / "index")

    assert loaded.passages == built.passages
    assert loaded.sentences == built.sentences  # offsets, text and headings
    assert {d: (doc.text, doc.body_start, doc.meta) for d, doc in loaded.documents.items()} == \
           {d: (doc.text, doc.body_start, doc.meta) for d, doc in built.documents.items()}
    assert loaded.documents["metals/copper.md"].meta == {"title": "Copper notes", "author": "Test Desk"}
    assert "\r\n" in loaded.documents["metals/cobalt.txt"].text
    for p in loaded.passages:
        assert loaded.documents[p.doc].text[p.start:p.end] == p.text
    assert loaded.dense.ntotal == built.dense.ntotal == len(built.passages)
    np.testing.assert_array_equal(loaded.dense.reconstruct_n(0, loaded.dense.ntotal),
                                  built.dense.reconstruct_n(0, built.dense.ntotal))
    np.testing.assert_array_equal(loaded.sentence_vectors, built.sentence_vectors)
    np.testing.assert_allclose(loaded.bm25.get_scores(["copper", "price"]), built.bm25.get_scores(["copper", "price"]))
    assert loaded.sentence_df == built.sentence_df

    m = loaded.manifest
    assert m["format"] == FORMAT and m["qa_version"] == __version__ and m["model"] == "all-MiniLM-L6-v2"
    assert m["split"] == {"max_tokens": 128, "overlap": 1, "model_max_tokens": embedder.max_tokens}
    assert m["corpus_dir"] == str(tiny_corpus.resolve()) and len(m["corpus_hash"]) == 64
    assert (m["documents"], m["passages"], m["sentences"]) == (3, len(built.passages), len(built.sentences))
    assert set(m["files"]) >= {"documents.jsonl", "passages.jsonl", "sentences.jsonl", "passages.faiss",
                               "sentences.npy", "terms.json", "encoder.onnx", "tokenizer.json"}
    assert m["encoder"] == {"file": "encoder.onnx", "tokenizer": "tokenizer.json", "runtime": "onnxruntime",
                            "precision": "float32", "max_tokens": embedder.max_tokens}


def test_no_pickle_anywhere(tiny_index_dir):
    folder = version_folder(tiny_index_dir[1])
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} <= {".json", ".jsonl", ".faiss", ".npy", ".onnx"}  # ONNX is protobuf
    for path in files:
        assert not path.read_bytes().startswith(b"\x80"), f"{path.name} looks like a pickle"
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)


def test_an_unchanged_index_loads_without_rebuilding(index_copy, capsys):
    corpus, index = index_copy
    before = version_folder(index)
    open_index(index, corpus)
    open_index(index)  # the corpus it was built from, read from the manifest
    assert version_folder(index) == before
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("corpus_given", [True, False])
def test_a_stale_index_is_rebuilt_and_says_so(fresh_index, capsys, corpus_given):
    corpus, index = fresh_index
    before = version_folder(index)
    (corpus / "weather.txt").write_text("Snow fell on Porto on Friday.\n", encoding="utf-8")
    rebuilt = open_index(index, corpus if corpus_given else None)
    err = capsys.readouterr().err
    assert "rebuilt" in err and "the corpus changed" in err and str(index) in err
    assert any("Snow fell on Porto" in p.text for p in rebuilt.passages)
    # the version just replaced stays for readers mid-load; the one before it is cleared away
    assert version_folder(index) != before and before.exists()
    assert any("Snow fell" in p.text for p in load_index(index).passages)
    (corpus / "weather.txt").write_text("Rain fell on Porto on Saturday.\n", encoding="utf-8")
    open_index(index, corpus if corpus_given else None)
    assert not before.exists()


def test_a_missing_index_is_built_and_says_so(tiny_corpus, tmp_path, capsys):
    index = open_index(tmp_path / "new-index", tiny_corpus)
    assert "it is missing" in capsys.readouterr().err
    assert index.manifest["documents"] == 3 and (tmp_path / "new-index" / CURRENT).is_file()


def test_a_missing_index_without_a_corpus_is_an_error(tmp_path):
    with pytest.raises(QAError, match="qa index"):
        open_index(tmp_path / "nothing")


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name, damage", [
    ("passages.jsonl", _truncate),
    ("sentences.npy", _flip_last_byte),
    ("passages.faiss", Path.unlink),
    ("bm25/vocab.index.json", _truncate),
    ("encoder.onnx", _flip_last_byte),
    ("encoder.onnx", Path.unlink),
    ("tokenizer.json", _truncate),
    ("documents.jsonl", lambda p: p.write_text(p.read_text().replace("Copper", "Tin"))),
])
def test_a_corrupt_file_is_a_clear_error_with_the_rebuild_command(index_copy, name, damage):
    corpus, index = index_copy
    damage(version_folder(index) / name)
    for load in (lambda: load_index(index), lambda: open_index(index, corpus)):
        with pytest.raises(QAError) as err:
            load()
        message = str(err.value)
        assert "corrupt" in message and name in message
        assert f"qa index {corpus.resolve()} --index {index}" in message and "\n" not in message


def test_corruption_past_the_checksums_is_still_a_clear_error(index_copy):
    _, index = index_copy
    _truncate(version_folder(index) / "passages.faiss")
    with pytest.raises(QAError, match="corrupt.*qa index"):
        load_index(index, verify=False)


@pytest.mark.parametrize("manifest_text, words", [
    (lambda m: json.dumps(dict(m, format=FORMAT + 1)), "format"),
    (lambda m: json.dumps({k: v for k, v in m.items() if k != "format"}), "format"),
    (lambda m: "{not json", "corrupt"),
])
def test_a_manifest_of_another_format_or_unreadable_is_an_error(index_copy, manifest_text, words):
    _, index = index_copy
    path = version_folder(index) / MANIFEST
    path.write_text(manifest_text(json.loads(path.read_text())))
    with pytest.raises(QAError, match=words) as err:
        open_index(index)
    assert "qa index" in str(err.value)


def test_current_naming_a_missing_version_is_an_error(index_copy):
    _, index = index_copy
    (index / CURRENT).write_text("v-gone\n")
    with pytest.raises(QAError, match="corrupt.*qa index"):
        load_index(index)


def _crash(*args, **kwargs):
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("target", ["faiss.write_index", "numpy.save", "commit"])
def test_a_crash_while_saving_leaves_the_old_index_loading(index_copy, tiny_index, monkeypatch, target):
    _, index = index_copy
    before_version = version_folder(index)
    before = load_index(index)
    new = dataclasses.replace(tiny_index, manifest=dict(tiny_index.manifest, built_at="the new version"))
    if target == "faiss.write_index":
        import faiss

        monkeypatch.setattr(faiss, "write_index", _crash)
    elif target == "numpy.save":
        monkeypatch.setattr(np, "save", _crash)  # after the JSONL and FAISS files are written
    else:  # every file written and renamed into place; the switch of CURRENT fails
        real_replace = qa.index.store.os.replace

        def replace(src, dst):
            if Path(dst).name == CURRENT:
                _crash()
            return real_replace(src, dst)

        monkeypatch.setattr(qa.index.store.os, "replace", replace)
    with pytest.raises(OSError, match="No space"):
        save_index(new, index)
    monkeypatch.undo()

    after = load_index(index)
    assert version_folder(index) == before_version
    assert after.manifest == before.manifest and after.passages == before.passages
    assert not any(p.name.endswith(".partial") for p in index.iterdir())
    # the next save succeeds and clears whatever the crash left, keeping only the version it replaced
    save_index(new, index)
    assert sorted(p.name for p in index.iterdir() if "v-" in p.name) == sorted(
        [version_folder(index).name, before_version.name])
    assert load_index(index).manifest["built_at"] == "the new version"


def test_a_crash_during_the_first_build_leaves_no_index(tiny_index, tmp_path, monkeypatch):
    monkeypatch.setattr(np, "save", _crash)
    with pytest.raises(OSError):
        save_index(dataclasses.replace(tiny_index), tmp_path / "index")
    monkeypatch.undo()
    assert not (tmp_path / "index" / CURRENT).exists()
    with pytest.raises(QAError, match="no index"):
        open_index(tmp_path / "index")


def test_a_rebuild_keeps_the_split_settings_of_the_index(tiny_corpus, tmp_path, embedder, capsys):
    from qa.ingest.split import SplitSettings

    settings = SplitSettings(max_tokens=16, overlap=0, model_max_tokens=embedder.max_tokens)
    save_index(build_index(tiny_corpus, settings=settings, embedder=embedder), tmp_path / "index")
    (tiny_corpus / "weather.txt").write_text("Snow fell on Porto on Friday.\n", encoding="utf-8")
    rebuilt = open_index(tmp_path / "index")
    assert "the corpus changed" in capsys.readouterr().err
    assert rebuilt.manifest["split"] == settings.to_dict()


# ---------------------------------------------------------------- one build at a time

def test_the_build_lock_is_taken_again_by_its_thread_and_refused_to_another(tmp_path):
    folder = tmp_path / "index"
    refused = []

    def another_thread():
        try:
            with build_lock(folder):
                pass
        except QAError as err:
            refused.append(str(err))

    with build_lock(folder):
        with build_lock(folder):  # save_index inside `qa index`'s lock
            assert (folder / LOCK_FILE).read_text() == f"{os.getpid()}\n"
        thread = threading.Thread(target=another_thread)
        thread.start()
        thread.join()
        assert refused == [f"another qa index is building {folder} (pid {os.getpid()}); wait for it to finish or "
                           "stop it, then run this again"]
        assert (folder / LOCK_FILE).is_file()  # still held once the inner block let go
    assert not folder.exists()  # the lock made it, nothing was built in it: it went with the lock


def test_a_save_waits_for_no_one_and_a_killed_holder_blocks_no_one(tiny_index, tmp_path):
    folder = tmp_path / "index"
    with hold_build_lock(folder) as holder:
        with pytest.raises(QAError, match=rf"another qa index is building .*index \(pid {holder.pid}\)"):
            save_index(dataclasses.replace(tiny_index), folder)
        assert not (folder / CURRENT).exists()
        holder.kill()
        holder.wait()
        assert (folder / LOCK_FILE).is_file()  # it died holding the lock: no clean-up ran
        save_index(dataclasses.replace(tiny_index), folder)  # the kernel let go of its lock
    assert load_index(folder).manifest["corpus_hash"] == tiny_index.manifest["corpus_hash"]
    assert not (folder / LOCK_FILE).exists()
