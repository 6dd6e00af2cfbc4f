"""Retrieval: rank and z-score fusion on hand-computed cases, deterministic top-k, and search over a tiny index."""
from __future__ import annotations

import numpy as np
import pytest

from qa.errors import QAError
from qa.retrieve.fusion import FUSION, rrf, top_k, zscore_mix, zscores
from qa.retrieve.retriever import MAX_QUERY_CHARS, Retriever


def test_rrf_matches_hand_computed_scores():
    fused = rrf([[1, 2, 3], [3, 1]], k=60)
    assert fused == pytest.approx({1: 1 / 61 + 1 / 62, 2: 1 / 62, 3: 1 / 63 + 1 / 61})
    assert sorted(fused, key=lambda r: -fused[r]) == [1, 3, 2]


def test_rrf_rewards_agreement_over_one_top_rank():
    # 7 is first in one list and absent from the other; 8 is second in both
    fused = rrf([[7, 8], [9, 8]], k=60)
    assert fused[8] == pytest.approx(2 / 62) and fused[7] == pytest.approx(1 / 61) and fused[8] > fused[7]


def test_rrf_weights_and_small_k():
    fused = rrf([["a", "b"], ["b", "a"]], k=1, weights=[2.0, 1.0])
    assert fused == pytest.approx({"a": 2 / 2 + 1 / 3, "b": 2 / 3 + 1 / 2})
    assert rrf([]) == {} and rrf([[], []]) == {}


def test_zscores_by_hand():
    # mean 2, population sd sqrt(2/3)
    assert zscores([1.0, 2.0, 3.0]) == pytest.approx([-1.5 ** 0.5, 0.0, 1.5 ** 0.5])
    assert zscores([4.0, 4.0]) == [0.0, 0.0] and zscores([]) == []


def test_zscore_mix_matches_hand_computed_scores():
    # pool {1, 2, 3}. 3 is BM25-only, so it takes the lowest cosine seen (0.5); 1 has no BM25 score, so 0.
    # dense [0.8, 0.5, 0.5]: mean 0.6, sd sqrt(0.02)  -> z = [sqrt 2, -1/sqrt 2, -1/sqrt 2]
    # bm25  [0, 3, 6]:       mean 3,   sd sqrt(6)     -> z = [-sqrt 1.5, 0, sqrt 1.5]
    r2, r15 = 2 ** 0.5, 1.5 ** 0.5
    fused = zscore_mix({1: 0.8, 2: 0.5}, {2: 3.0, 3: 6.0}, dense_weight=0.5)
    assert fused == pytest.approx({1: (r2 - r15) / 2, 2: -1 / r2 / 2, 3: (-1 / r2 + r15) / 2})
    assert sorted(fused, key=lambda r: -fused[r]) == [3, 1, 2]
    fused = zscore_mix({1: 0.8, 2: 0.5}, {2: 3.0, 3: 6.0}, dense_weight=0.75)
    assert fused == pytest.approx({1: 0.75 * r2 - 0.25 * r15, 2: -0.75 / r2, 3: -0.75 / r2 + 0.25 * r15})
    assert sorted(fused, key=lambda r: -fused[r]) == [1, 3, 2]  # more weight on the cosine
    assert zscore_mix({}, {}) == {}
    assert zscore_mix({5: 0.3}, {}) == {5: 0.0}  # one candidate: nothing to normalise against


def test_zscore_mix_keeps_score_gaps_that_rrf_throws_away():
    # 1 leads on cosine by a hair and trails on BM25 by a mile; 2 is the opposite. RRF calls it a tie
    # (first in one list, second in the other); the z-score mix sees the BM25 gap.
    dense, bm25 = {1: 0.61, 2: 0.60, 3: 0.10}, {1: 2.0, 2: 9.0, 3: 1.0}
    ranked = rrf([[1, 2, 3], [2, 1, 3]])
    assert ranked[1] == pytest.approx(ranked[2])
    fused = zscore_mix(dense, bm25)
    assert sorted(fused, key=lambda r: -fused[r]) == [2, 1, 3]


def test_top_k_breaks_ties_by_lower_index():
    scores = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    assert top_k(scores, 2) == [1, 2]
    assert top_k(scores, 4) == [1, 2, 4, 3]
    assert top_k(scores, 10) == [1, 2, 4, 3, 0]
    assert top_k(scores, 0) == [] and top_k(np.array([]), 3) == []
    assert top_k(np.zeros(6), 3) == [0, 1, 2]


@pytest.fixture(scope="module")
def retriever(tiny_index, embedder):
    return Retriever(tiny_index, embedder)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_search_returns_ranked_hits_with_exact_offsets(retriever, mode):
    hits = retriever.search("Which mine expanded its copper output?", k=3, mode=mode)
    assert 1 <= len(hits) <= 3
    assert [h.rank for h in hits] == list(range(len(hits)))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for h in hits:
        p = h.passage
        assert retriever.index.documents[p.doc].text[p.start:p.end] == p.text
        d = h.to_dict()
        assert (d["id"], d["doc"], d["start"], d["end"], d["text"]) == (p.id, p.doc, p.start, p.end, p.text)
    assert "Yulong mine" in hits[0].passage.text and hits[0].passage.doc == "metals/copper.md"


def test_modes_score_on_their_own_scales(retriever):
    question = "Why did smelters in Chile cut production?"
    dense = retriever.search(question, k=10, mode="dense")
    assert all(-1.0 <= h.score <= 1.0 for h in dense)  # cosines of normalised vectors
    assert len(dense) == len(retriever.index.passages)  # every passage has a cosine
    lexical = retriever.search(question, k=10, mode="bm25")
    assert lexical and all(h.score > 0 for h in lexical)  # only passages that share a term
    assert all({"smelter", "chile", "cut", "product"} & set(_terms(h.passage.text)) for h in lexical)
    assert FUSION == "zscore"
    hybrid = retriever.search(question, k=10)
    assert hybrid[0].passage.id == "metals/copper.md#3" or "Smelters" in hybrid[0].passage.text
    # z-score mix: centred on the candidate pool, so the best is above 0 and the scores average to 0
    assert hybrid[0].score > 0 and sum(h.score for h in hybrid) == pytest.approx(0, abs=1e-9)
    assert len(hybrid) == len(retriever.index.passages)  # the tiny index is one pool
    by_rank = Retriever(retriever.index, retriever.embedder, fusion="rrf").search(question, k=10)
    assert "Smelters" in by_rank[0].passage.text
    assert all(0 < h.score <= 2 / 61 for h in by_rank)  # RRF: at most first in both rankings


def _terms(text):
    from qa.text.lexical import terms

    return terms(text)


def test_k_limits_the_hits(retriever):
    assert len(retriever.search("copper", k=1)) == 1
    assert len(retriever.search("copper", k=50)) == len(retriever.index.passages)


def test_a_question_with_no_known_word_still_gets_dense_hits(retriever):
    assert retriever.search("zzqx wibble", k=2, mode="bm25") == []
    assert len(retriever.search("zzqx wibble", k=2)) == 2


@pytest.mark.parametrize("query, kwargs, words", [
    ("", {}, "empty"),
    ("   \n", {}, "empty"),
    ("x" * (MAX_QUERY_CHARS + 1), {}, "limit"),
    ("copper", {"k": 0}, "at least 1"),
    ("copper", {"mode": "sparse"}, "mode"),
])
def test_bad_queries_are_clear_errors(retriever, query, kwargs, words):
    with pytest.raises(QAError, match=words):
        retriever.search(query, **kwargs)


def test_question_form_words_do_not_reach_bm25(retriever):
    # "who", "did", "what", "when" say how the question is asked: no BM25 evidence, so only dense hits remain
    assert not retriever.score("Who did what, and when?").bm25.any()
    assert retriever.search("Who did what, and when?", k=2, mode="bm25") == []
    with_form = retriever.score("When did smelters in Chile cut production?").bm25
    assert np.array_equal(with_form, retriever.score("smelters in Chile cut production").bm25)


def test_an_unknown_fusion_is_a_clear_error(tiny_index, embedder):
    with pytest.raises(QAError, match="fusion"):
        Retriever(tiny_index, embedder, fusion="sum")


def test_retriever_load_opens_an_index_folder(tiny_index_dir):
    corpus, index = tiny_index_dir
    hits = Retriever.load(index).search("cobalt exports", k=2)
    assert hits[0].passage.doc == "metals/cobalt.txt"
    assert Retriever.load(index, corpus).index.manifest == Retriever.load(index).index.manifest
