"""Fast builds: the export cache, embedding with the ONNX export (no torch), and incremental rebuilds."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, TINY, write_corpus

from qa.index import cache
from qa.index.build import build_index, open_index
from qa.index.embed import model_fingerprint
from qa.index.fast import FastEmbedder
from qa.index.store import load_index, save_index
from qa.index.vectors import stored_vectors
from qa.ingest.corpus import read_corpus, source_hash

TEXTS = ["Copper prices rose 12% in May.", "Which copper mine in Tibet is mentioned?",
         "Cobalt exports from the DRC were suspended for four months. " * 30, "短い日本語の文です。", "x"]


def test_the_cache_folder_follows_qa_cache_dir_then_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("QA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "qa"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "qa"


def test_an_export_is_cached_once_and_a_damaged_entry_is_exported_again(monkeypatch, tmp_path, embedder):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    exports = []
    real = embedder.export_in_memory
    monkeypatch.setattr(embedder, "export_in_memory", lambda: exports.append(1) or real())
    fingerprint = model_fingerprint(embedder.folder)
    first = cache.cached_export(fingerprint, embedder.export_in_memory)
    assert cache.cached_export(fingerprint, embedder.export_in_memory) == first and len(exports) == 1
    entry = cache.entry_dir(fingerprint)
    assert sorted(p.name for p in entry.parent.iterdir()) == [entry.name]  # no temporary folder left behind
    graph = entry / cache.GRAPH
    graph.write_bytes(graph.read_bytes()[:1000])  # a partial write
    assert cache.read_entry(fingerprint) is None
    assert cache.cached_export(fingerprint, embedder.export_in_memory) == first and len(exports) == 2
    (entry / cache.MANIFEST).unlink()  # an entry whose manifest never came
    assert cache.read_entry(fingerprint) is None
    assert cache.cached_export(fingerprint, embedder.export_in_memory) == first and len(exports) == 3
    assert cache.read_entry(fingerprint) == first


def test_an_unwritable_cache_warns_once_and_exports_in_memory(monkeypatch, tmp_path, embedder, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("QA_CACHE_DIR", str(blocker / "cache"))  # under a file: nothing can be created there
    graph, tokenizer_json = embedder.export_onnx()
    err = capsys.readouterr().err
    assert graph and tokenizer_json and err.count("\n") == 1 and "warning" in err and "QA_CACHE_DIR" in err


def test_the_onnx_embedder_agrees_with_sentence_transformers(fast_embedder, embedder):
    fast, reference = fast_embedder.encode(TEXTS), embedder.encode(TEXTS)
    assert fast.shape == reference.shape and fast.dtype == np.float32
    assert (fast * reference).sum(axis=1).min() > 0.999
    assert [fast_embedder.count_tokens(t) for t in TEXTS] == [embedder.count_tokens(t) for t in TEXTS]
    assert fast_embedder.max_tokens == embedder.max_tokens
    assert fast_embedder.encode([]).shape == (0, reference.shape[1])


def test_a_build_on_a_terminal_shows_its_embedding_progress(fast_embedder, capsys):
    quiet = fast_embedder.encode(TEXTS)
    assert capsys.readouterr().err == ""
    shown = fast_embedder.encode(TEXTS, progress=True)
    assert "embedding" in capsys.readouterr().err and np.array_equal(shown, quiet)


def test_a_build_with_a_warm_cache_imports_neither_torch_nor_sentence_transformers(fast_embedder, tmp_path):
    fast_embedder.export  # the session cache holds the export
    corpus = write_corpus(tmp_path / "corpus")
    code = ("import sys\nfrom qa.index.build import build_index\nfrom qa.index.store import save_index\n"
            f"save_index(build_index({str(corpus)!r}), {str(tmp_path / 'index')!r})\n"
            "print('MODULES', ' '.join(sorted(m.split('.')[0] for m in sys.modules)))")
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    modules = set(run.stdout.split("MODULES", 1)[1].split())
    assert "onnxruntime" in modules and not modules & {"torch", "sentence_transformers", "transformers"}
    assert load_index(tmp_path / "index").manifest["passages"] > 0


def test_reading_a_corpus_once_gives_the_source_hash_too(tiny_corpus):
    docs, digest = read_corpus(tiny_corpus)
    assert digest == source_hash(tiny_corpus) and len(docs) == len(TINY)


@pytest.mark.parametrize("exact_limit", [None, 100])
def test_the_vectors_of_a_flat_or_ivf_index_read_back_as_given(exact_limit):
    from qa.index.vectors import build_vector_index

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(400, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = build_vector_index(vectors, exact_limit=exact_limit)
    assert (type(index).__name__ == "IndexFlatIP") == (exact_limit is None)
    np.testing.assert_array_equal(stored_vectors(index), vectors)


def _same_content(a, b) -> None:
    assert a.passages == b.passages and a.sentences == b.sentences  # ids, offsets, texts, headings, row links
    assert {d: doc.text for d, doc in a.documents.items()} == {d: doc.text for d, doc in b.documents.items()}
    np.testing.assert_allclose(stored_vectors(a.dense), stored_vectors(b.dense), atol=1e-5)
    np.testing.assert_allclose(a.sentence_vectors, b.sentence_vectors, atol=1e-5)
    for query in (["copper", "price"], ["porto", "snow"], ["cobalt"]):
        np.testing.assert_allclose(a.bm25.get_scores(query), b.bm25.get_scores(query), rtol=1e-6)
    assert a.sentence_df == b.sentence_df
    keep = ("corpus_hash", "source_hash", "documents", "passages", "sentences", "vectors", "split", "model_fingerprint")
    assert {k: a.manifest[k] for k in keep} == {k: b.manifest[k] for k in keep}


def test_an_incremental_rebuild_embeds_only_changed_documents_and_equals_a_full_build(
        tmp_path, fast_embedder, monkeypatch, capsys):
    files = dict(TINY, **{f"more/note-{i}.md": f"# Note {i}\n\nThe depot in town {i} stores {i * 7} tonnes "
                          f"of ore. It opened in {1990 + i}.\n" for i in range(4)})
    corpus = write_corpus(tmp_path / "corpus", files)
    save_index(build_index(corpus, embedder=fast_embedder), tmp_path / "index")
    before = load_index(tmp_path / "index")
    (corpus / "weather.txt").write_text("Snow fell on Porto on Friday.\n\nThe roads closed.\n", encoding="utf-8")
    (corpus / "more" / "note-1.md").unlink()
    write_corpus(corpus, {"aa-first.txt": "A new first file. Copper again."})  # shifts every row after it

    embedded = []
    real = FastEmbedder.encode
    monkeypatch.setattr(FastEmbedder, "encode", lambda self, texts, **kw: embedded.extend(texts) or real(self, texts, **kw))
    rebuilt = open_index(tmp_path / "index", corpus)  # stale: rebuilt, reusing the unchanged documents
    assert "embedded 2 of 7 documents, reused 5" in capsys.readouterr().err
    assert embedded and all(t in {p.text for p in rebuilt.passages if p.doc in ("weather.txt", "aa-first.txt")}
                                   | {s.text for s in rebuilt.sentences if s.doc in ("weather.txt", "aa-first.txt")}
                                   for t in embedded)
    monkeypatch.undo()
    full = build_index(corpus, embedder=fast_embedder)
    _same_content(rebuilt, full)
    _same_content(load_index(tmp_path / "index"), full)  # as saved: a new version, loaded and checked
    assert load_index(tmp_path / "index").path != before.path
    assert "more/note-1.md" not in rebuilt.documents


def test_nothing_is_reused_from_an_index_of_other_split_settings(tmp_path, fast_embedder, capsys):
    from qa.ingest.split import SplitSettings

    corpus = write_corpus(tmp_path / "corpus")
    previous = build_index(corpus, embedder=fast_embedder)
    other = SplitSettings(max_tokens=16, overlap=0, model_max_tokens=fast_embedder.max_tokens)
    rebuilt = build_index(corpus, embedder=fast_embedder, settings=other, previous=previous)
    assert "embedded 3 of 3 documents, reused 0" in capsys.readouterr().err
    _same_content(rebuilt, build_index(corpus, embedder=fast_embedder, settings=other))


def test_qa_index_over_an_existing_index_reuses_it(tmp_path, fast_embedder, capsys):
    from qa.cli import main

    corpus = write_corpus(tmp_path / "corpus")
    assert main(["index", str(corpus), "--index", str(tmp_path / "index")]) == 0
    assert "reused" not in capsys.readouterr().err
    (corpus / "weather.txt").write_text("Snow fell on Porto on Friday.\n", encoding="utf-8")
    assert main(["index", str(corpus), "--index", str(tmp_path / "index")]) == 0
    assert "embedded 1 of 3 documents, reused 2" in capsys.readouterr().err
    _same_content(load_index(tmp_path / "index"), build_index(corpus, embedder=fast_embedder))
