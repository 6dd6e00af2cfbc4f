"""The Milvus store on Milvus Lite: same passages, offsets and answers as the local index; URIs; checked opening."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import SPEECH_CORPUS, answer_differences, check_answer

pytest.importorskip("pymilvus", reason="pymilvus is not installed (pip install pymilvus milvus-lite)")
pytest.importorskip("milvus_lite", reason="milvus-lite cannot be imported on this platform")

from qa.answer.assistant import Assistant  # noqa: E402
from qa.errors import QAError  # noqa: E402
from qa.index.milvus_search import open_store, open_stored  # noqa: E402
from qa.index.milvus_store import write_store  # noqa: E402
from qa.index.milvus_uri import DEFAULT_COLLECTION, parse_store  # noqa: E402
from qa.index.store import load_index  # noqa: E402
from qa.retrieve.retriever import MODES, Retriever  # noqa: E402

QUESTIONS = Path(__file__).resolve().parents[1] / "eval" / "questions.jsonl"
SEARCHES = ["cobalt export suspension", "Which copper mine in Tibet is mentioned?", "lithium price",
            "What did the speaker say about green development?", "zzzz unknownword"]


@pytest.fixture(scope="module")
def stored(tmp_path_factory, speech_index_dir):
    """The speech index written once to a Milvus Lite file, and opened from its light part, as `qa ask --store`."""
    db = tmp_path_factory.mktemp("milvus") / "store.db"
    write_store(load_index(speech_index_dir), str(db))
    index, store = open_stored(speech_index_dir, None, str(db))
    yield db, index, store
    store.close()


def _hits(hits):
    return [(h.passage.id, h.passage.doc, h.passage.start, h.passage.end, h.rank) for h in hits]


def test_search_gives_the_local_passages_offsets_and_scores(stored, speech_index_dir):
    db, index, store = stored
    here, there = Retriever(load_index(speech_index_dir)), Retriever(index, store=store)
    assert index.dense is None  # the store serves the vectors: the folder's FAISS file is not even read
    for query in SEARCHES:
        for mode in MODES:
            a, b = here.search(query, k=8, mode=mode), there.search(query, k=8, mode=mode)
            assert _hits(a) == _hits(b), (query, mode)
            assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-4)
            for h in b:
                assert index.documents[h.passage.doc].text[h.passage.start:h.passage.end] == h.passage.text


def test_ask_answers_as_the_local_index_on_curated_questions(stored, speech_assistant):
    _, index, store = stored
    there = Assistant(Retriever(index, store=store))
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()[::9]]
    assert len(questions) >= 14
    for q in questions:
        a, b = speech_assistant.ask(q).to_dict(), there.ask(q).to_dict()
        assert not answer_differences(a, b), q
        check_answer(b, SPEECH_CORPUS)


def test_sentence_vectors_come_back_from_the_store_by_passage(stored, speech_index_dir):
    _, index, store = stored
    local = load_index(speech_index_dir).sentence_vectors
    rows = [0, 5, len(local) - 1]
    np.testing.assert_allclose(store.sentence_vectors[rows], local[rows], atol=1e-6)
    np.testing.assert_allclose(store.sentence_vectors[7], local[7], atol=1e-6)
    assert index.sentence_vectors is store.sentence_vectors and store.sentence_vectors.shape == local.shape


def test_server_rankers_and_milvus_bm25_answer_from_the_same_passages(stored):
    db, index, _ = stored
    for options in ("?ranker=rrf", "?ranker=weighted", "?bm25=milvus", "?ranker=rrf&bm25=milvus"):
        store = open_store(f"{db}{options}", index)
        try:
            hits = Retriever(index, store=store).search("cobalt export suspension", k=5)
            assert len(hits) == 5 and all(h.passage.id.startswith("ge-honglin") for h in hits)
            assert any("cobalt" in h.passage.text for h in hits[:2]), options
            if "bm25=milvus" in options:  # the server's own BM25 full-text function scores the words
                _, lexical = store.score(np.zeros(384, np.float32), [], "cobalt export suspension", 10)
                assert lexical and min(lexical.values()) > 0
        finally:
            store.close()


def test_reopening_the_file_finds_the_same_collections(stored, speech_index_dir):
    db, index, store = stored
    first = Retriever(index, store=store).search("lithium price", k=3)
    again_index, again = open_stored(speech_index_dir, None, str(db))
    try:
        assert _hits(Retriever(again_index, store=again).search("lithium price", k=3)) == _hits(first)
    finally:
        again.close()


def test_a_missing_collection_or_another_build_is_one_line_naming_the_command(stored, tiny_index):
    db, index, _ = stored
    with pytest.raises(QAError, match=r"no Milvus collection nothere at .*qa index .* --store"):
        open_store(f"{db}#nothere", index)
    with pytest.raises(QAError, match="does not match the index .*another build"):
        open_store(str(db), tiny_index)


@pytest.mark.parametrize("change, message", [
    ({"dimension": 768}, "holds 384-d vectors and the index's model gives 768-d"),
    ({"model": "other-model"}, "embedded with model all-MiniLM-L6-v2"),
])
def test_a_dimension_or_model_mismatch_is_one_line(stored, change, message):
    import dataclasses

    db, index, _ = stored
    with pytest.raises(QAError, match=message):
        open_store(str(db), dataclasses.replace(index, manifest=dict(index.manifest, **change)))


@pytest.mark.parametrize("text, address, collection", [
    ("milvus://db.example:19531/passages", "http://db.example:19531", "passages"),
    ("milvus://db.example/passages?ranker=rrf", "http://db.example:19530", "passages"),
    ("milvus+https://cloud.example:443/docs", "https://cloud.example:443", "docs"),
])
def test_server_uris(text, address, collection):
    uri = parse_store(text)
    assert (uri.address, uri.collection, uri.lite) == (address, collection, False)


def test_lite_paths_and_options():
    uri = parse_store("data/qa.db?bm25=milvus#speech")
    assert uri.lite and uri.address.endswith("data/qa.db") and (uri.collection, uri.bm25) == ("speech", "milvus")
    assert parse_store("x.db").collection == DEFAULT_COLLECTION and parse_store("x.db").ranker == "zscore"


@pytest.mark.parametrize("text, message", [
    ("", "empty"), ("postgres://h/x", "cannot use --store"), ("index/", "cannot use --store"),
    ("milvus:///c", "no host"), ("milvus://h:99999/c", "bad port"), ("milvus://h/9bad", "collection name"),
    ("x.db?ranker=best", "unknown ranker"), ("x.db?bm25=lucene", "unknown bm25"), ("x.db?fast=1", "unknown option"),
])
def test_bad_uris_are_one_line(text, message):
    with pytest.raises(QAError, match=message):
        parse_store(text)


def test_an_unreachable_server_is_one_line(speech_index_dir):
    with pytest.raises(QAError, match=r"cannot reach Milvus at http://127.0.0.1:9"):
        open_store("milvus://127.0.0.1:9/qa", load_index(speech_index_dir))


def test_cli_index_then_ask_with_the_store_answers_as_the_local_index(tmp_path, capsys):
    from qa.cli import main

    corpus = Path(__file__).parent / "fixtures" / "mini_corpus"
    db, folder = tmp_path / "m.db", tmp_path / "index"
    assert main(["index", str(corpus), "--index", str(folder), "--store", str(db)]) == 0
    assert str(db) in capsys.readouterr().out
    question = "When was the harbour wall rebuilt?"
    assert main(["ask", question, "--index", str(folder), "--json"]) == 0
    here = json.loads(capsys.readouterr().out)
    assert main(["ask", question, "--index", str(folder), "--store", str(db), "--json"]) == 0
    there = json.loads(capsys.readouterr().out)
    assert not answer_differences(here, there)
    assert main(["search", "harbour", "--index", str(folder), "--store", f"{db}#other"]) == 2
    assert "no Milvus collection other" in capsys.readouterr().err
    assert main(["index", str(corpus), "--index", str(folder), "--store", "nowhere/"]) == 2
    assert "cannot use --store nowhere/" in capsys.readouterr().err


def test_a_server_on_the_store_switches_to_a_rebuild_and_stays_on_the_store(tmp_path, capsys):
    from qa.cli import main
    from qa.serve.service import Service

    corpus = Path(__file__).parent / "fixtures" / "mini_corpus"
    db, folder = tmp_path / "m.db", tmp_path / "index"
    assert main(["index", str(corpus), "--index", str(folder), "--store", str(db)]) == 0
    index, store = open_stored(folder, None, str(db))
    service = Service(Assistant(Retriever(index, store=store)))
    before = service.version
    assert main(["index", str(corpus), "--index", str(folder), "--store", str(db)]) == 0
    assert service.reload_if_changed(wait=True) and service.version != before
    assert service.assistant.retriever.store is not None and service.index.dense is None
    answer = service.ask("When was the harbour wall rebuilt?")
    assert answer.answerable and "1958" in answer.quote
    capsys.readouterr()
