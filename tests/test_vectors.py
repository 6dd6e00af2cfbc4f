"""The vector index chooser: exact below the size limit, IVF above it, and an IVF index that saves, loads and finds."""
from __future__ import annotations

import numpy as np
import pytest

import qa.index.vectors
from qa.index.build import build_index
from qa.index.store import load_index, save_index
from qa.index.vectors import build_vector_index, describe, ivf_lists, kind_for


def clustered(n: int, seed: int = 0, dim: int = 32) -> np.ndarray:
    """n unit vectors around 20 random centres: neighbourhoods for an IVF index to find."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, dim)).astype(np.float32)
    x = centres[rng.integers(0, 20, n)] + 0.3 * rng.standard_normal((n, dim)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_kind_follows_the_limit():
    assert kind_for(10, exact_limit=10) == "flat"
    assert kind_for(11, exact_limit=10) == "ivf"
    assert kind_for(qa.index.vectors.EXACT_LIMIT) == "flat"
    assert kind_for(qa.index.vectors.EXACT_LIMIT + 1) == "ivf"


def test_flat_below_and_ivf_above():
    x = clustered(600)
    assert describe(build_vector_index(x, exact_limit=600))["type"] == "flat"
    ivf = describe(build_vector_index(x, exact_limit=599))
    assert ivf["type"] == "ivf" and ivf["vectors"] == 600
    assert ivf["lists"] == ivf_lists(600) and 1 <= ivf["nprobe"] <= ivf["lists"]


def test_ivf_saves_loads_and_agrees_with_exact(tmp_path):
    import faiss

    x, queries = clustered(3000), clustered(50, seed=1)
    exact = build_vector_index(x, exact_limit=len(x))
    approx = build_vector_index(x, exact_limit=100)
    faiss.write_index(approx, str(tmp_path / "v.faiss"))
    loaded = faiss.read_index(str(tmp_path / "v.faiss"))
    assert describe(loaded) == describe(approx)  # nprobe travels with the file

    _, truth = exact.search(queries, 10)
    scores, found = loaded.search(queries, 10)
    np.testing.assert_array_equal(found, approx.search(queries, 10)[1])
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])
    assert recall >= 0.95
    # the scores are the exact inner products of the rows found
    np.testing.assert_allclose(scores[:, 0], np.einsum("ij,ij->i", queries, x[found[:, 0]]), rtol=1e-5)


def test_index_built_above_the_limit_round_trips(tmp_path, tiny_corpus, embedder, monkeypatch):
    monkeypatch.setattr(qa.index.vectors, "EXACT_LIMIT", 1)
    built = build_index(tiny_corpus, embedder=embedder)
    assert built.manifest["vectors"]["type"] == "ivf"
    save_index(built, tmp_path / "index")
    loaded = load_index(tmp_path / "index")
    assert loaded.manifest["vectors"] == built.manifest["vectors"]

    query = embedder.encode(["Which mine expanded its output?"])
    n = len(loaded.passages)
    _, rows = loaded.dense.search(query, n)
    _, exact_rows = build_vector_index(
        embedder.encode([p.text for p in loaded.passages]), exact_limit=n).search(query, n)
    assert rows[0][0] == exact_rows[0][0]
    assert "Yulong" in loaded.passages[rows[0][0]].text


@pytest.mark.parametrize("n", [1, 39, 40, 1000, 1_000_000])
def test_ivf_lists_stay_trainable(n):
    lists = ivf_lists(n)
    assert lists >= 1 and (lists == 1 or n // lists >= qa.index.vectors.TRAIN_PER_LIST)
