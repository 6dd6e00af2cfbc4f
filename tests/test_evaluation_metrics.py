"""The evaluation metrics on cases worked out by hand."""
from __future__ import annotations

import math

import pytest

from qa.evaluation.datasets import Question, Span
from qa.evaluation.metrics import (abstention, aggregate, contains_hit, doc_relevance, exact_match,
                                   faithful_citations, first_hit_rank, gold_docs, loose_normalize, ndcg_at,
                                   percentile, quote_hit,
                                   reciprocal_rank, recall_at, relevance, score_answer, score_retrieval,
                                   span_f1, squad_normalize, token_f1)


def test_squad_normalisation_exact_match_and_f1():
    assert squad_normalize("The  Eiffel Tower!") == "eiffel tower"
    assert exact_match("the Eiffel tower.", ["Eiffel Tower"]) == 1.0
    assert exact_match("Eiffel", ["Eiffel Tower"]) == 0.0
    # pred {in, paris, france} vs gold {paris}: p = 1/3, r = 1 -> F1 = 0.5
    assert token_f1("in Paris, France", ["Paris"]) == pytest.approx(0.5)
    # the best gold counts: {paris, france} matches the second gold fully
    assert token_f1("Paris France", ["Lyon", "Paris, France"]) == 1.0
    assert token_f1("", ["Paris"]) == 0.0
    assert token_f1("a", ["the"]) == 1.0  # both normalise to nothing: SQuAD counts that as agreement


def test_loose_normalisation_quote_and_contains_hits():
    assert loose_normalize("Jun 16,\n2025") == "jun 16 2025"
    assert quote_hit("It was published Jun 16, 2025 09:45.", ["jun 16 2025"])
    assert not quote_hit("It was published in June.", ["Jun 16, 2025"])
    assert not quote_hit("anything", ["—"])  # a gold that normalises to nothing never matches
    assert contains_hit("over 4,000 green mines", ["over 4,000"])
    # one-word gold: at most max(2*1+4, 12) = 12 words
    assert contains_hit("w " * 11 + "cobalt", ["cobalt"])
    assert not contains_hit("w " * 12 + "cobalt", ["cobalt"])
    # eight-word gold: at most 2*8+4 = 20 words
    gold = "one two three four five six seven eight"
    assert contains_hit(gold + " x" * 12, [gold]) and not contains_hit(gold + " x" * 13, [gold])


def test_span_f1():
    gold = [Span("d", 5, 15)]
    assert span_f1(Span("d", 0, 10), gold) == pytest.approx(0.5)  # 5 shared of 10 and 10
    assert span_f1(Span("d", 5, 15), gold) == 1.0
    assert span_f1(Span("other", 5, 15), gold) == 0.0
    assert span_f1(None, gold) == 0.0
    # 4 shared chars: p = 4/4, r = 4/10 -> 2*0.4/1.4
    assert span_f1(Span("d", 6, 10), gold + [Span("d", 100, 110)]) == pytest.approx(0.8 / 1.4)


def test_ranks_recall_mrr():
    gold = [Span("a", 10, 20)]
    rel = relevance([Span("a", 0, 10), Span("b", 10, 20), Span("a", 19, 40)], gold)
    assert rel == [False, False, True]  # touching at 10 is no overlap; another doc is no overlap
    rank = first_hit_rank(rel)
    assert rank == 3
    assert [recall_at(rank, k) for k in (1, 3, 5)] == [0.0, 1.0, 1.0]
    assert reciprocal_rank(rank) == pytest.approx(1 / 3)
    assert first_hit_rank([False, False]) is None and reciprocal_rank(None) == 0.0 and recall_at(None, 10) == 0.0


def test_document_level_ranks():
    # SQuAD-like: the gold is an answer span; any passage of its document is a document-level hit
    q = Question("q", "Where?", ("Cornwall",), (), (Span("a", 14, 22),), "a")
    assert gold_docs(q) == {"a"}
    retrieved = [Span("b", 0, 50), Span("a", 100, 150), Span("a", 0, 60)]
    assert doc_relevance(retrieved, gold_docs(q)) == [False, True, True]
    row = score_retrieval(q, retrieved, n_relevant=1)
    assert (row["rank"], row["doc_rank"], row["has_gold_doc"]) == (3, 2, True)  # passage rank 3, document rank 2
    # curated/generic: the evidence's documents (either of two); no span at all: the question's `doc` field
    two = Question("t", "Which?", ("x",), (Span("a", 0, 5), Span("c", 0, 5)), (), None)
    assert gold_docs(two) == {"a", "c"}
    assert score_retrieval(two, [Span("b", 0, 9), Span("c", 40, 60)], 2)["doc_rank"] == 2
    bare = Question("n", "What?", ("y",), (), (), "b")
    assert score_retrieval(bare, retrieved, 0) == {"has_gold_span": False, "rank": None, "ndcg@10": None,
                                                   "has_gold_doc": True, "doc_rank": 1}
    # unanswerable: no gold document, even when the question names one
    assert score_retrieval(Question("u", "Who?", (), (), (), "a"), retrieved, 0)["has_gold_doc"] is False
    # aggregate over q (doc rank 2), two (2), bare (1), and q again with no document hit in the top k
    no_answer = {"citations_ok": 0, "citations_total": 0, "answer_span_ok": None, "abstained": False,
                 "quote_hit": None, "exact_match": None, "f1": None, "contains": None, "span_f1": None}
    rows = [dict(answerable=True, **no_answer, **r)
            for r in (row, score_retrieval(two, [Span("b", 0, 9), Span("c", 40, 60)], 2),
                      score_retrieval(bare, retrieved, 0), score_retrieval(q, [Span("b", 0, 50)], 1))]
    agg = aggregate(rows, (1, 3, 5))
    assert agg["with_gold_doc"] == 4 and agg["with_gold_span"] == 3
    assert agg["doc_recall@1"] == 0.25  # only `bare` has its document first
    assert agg["doc_recall@5"] == 0.75
    assert agg["doc_mrr"] == round((1 / 2 + 1 / 2 + 1 + 0) / 4, 4)
    assert agg["recall@1"] == 0.0 and agg["mrr"] == round((1 / 3 + 0 + 0) / 3, 4)  # passage level, unchanged
    assert "doc_recall@1" in aggregate(rows, (1, 3)) and "doc_recall@5" not in aggregate(rows, (1, 3))  # k = 3


def test_ndcg():
    assert ndcg_at([False, True, False], 1) == pytest.approx(1 / math.log2(3))
    # two hits at ranks 1-2 with three relevant passages in the index
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at([True, True], 3) == pytest.approx((1 + 1 / math.log2(3)) / ideal)
    assert ndcg_at([True], 1) == 1.0
    assert ndcg_at([False, False], 0) is None
    assert ndcg_at([False] * 10 + [True], 1, k=10) == 0.0  # beyond k does not count


def test_abstention_scores():
    abstained = [True, True, False, False, True]
    answerable = [False, True, True, False, False]
    s = abstention(abstained, answerable)
    # right abstentions: 0 and 4; wrong: 1; unanswerable: 0, 3, 4; answerable: 1, 2
    assert s["abstain_precision"] == pytest.approx(2 / 3)
    assert s["abstain_recall"] == pytest.approx(2 / 3)
    assert s["abstain_f1"] == pytest.approx(2 / 3)
    assert s["false_abstain_rate"] == pytest.approx(1 / 2)
    never = abstention([False, False], [True, False])
    assert never == {"abstain_precision": None, "abstain_recall": 0.0, "abstain_f1": 0.0, "false_abstain_rate": 0.0}
    assert abstention([False], [True])["abstain_recall"] is None  # no unanswerable questions: undefined


def test_faithfulness_and_percentiles():
    sources = {"d": "Hello brave new world."}
    cites = [{"doc": "d", "start": 6, "end": 11, "text": "brave"}, {"doc": "d", "start": 0, "end": 5, "text": "Hullo"},
             {"doc": "missing", "start": 0, "end": 1, "text": "H"}]
    assert faithful_citations(cites, sources) == (1, 3)
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48.0)
    assert percentile([], 50) is None


def _answer(answerable, answer="", quote="", start=-1, doc="d"):
    return {"answerable": answerable, "answer": answer, "quote": quote,
            "answer_span": {"doc": doc, "start": start, "end": start + len(answer)} if answer else None,
            "citations": [{"doc": doc, "start": 0, "end": len(quote), "text": quote}] if quote else []}


def test_score_one_question_and_aggregate():
    source = "Copper output rose 12% in May."
    sources = {"d": source}
    q = Question("q", "How much did copper output rise?", ("12%",), (Span("d", 0, 30),), (Span("d", 19, 22),), "d")
    u = Question("u", "Who won the cup?", (), (), (), "d")
    good = score_answer(q, _answer(True, "12%", source, 19), sources)
    assert (good["quote_hit"], good["exact_match"], good["f1"], good["contains"], good["span_f1"]) == (1, 1, 1, 1, 1)
    assert good["citations_ok"] == 1 and good["answer_span_ok"] is True
    wide = score_answer(q, _answer(True, "rose 12%", source, 14), sources)
    # 8 predicted chars hold the 3 gold ones: p = 3/8, r = 1 -> F1 = 6/11
    assert wide["exact_match"] == 0.0 and wide["contains"] == 1.0 and wide["span_f1"] == round(6 / 11, 4)
    missed = score_answer(q, _answer(False), sources)
    assert missed["abstained"] and missed["quote_hit"] == 0.0 and missed["span_f1"] == 0.0
    right = score_answer(u, _answer(False), sources)
    assert right["quote_hit"] is None and right["f1"] is None
    r_hit = score_retrieval(q, [Span("d", 40, 50), Span("d", 0, 30)], n_relevant=1)
    assert r_hit == {"has_gold_span": True, "rank": 2, "ndcg@10": round(1 / math.log2(3), 4),
                     "has_gold_doc": True, "doc_rank": 1}  # the first passage is from the gold doc, elsewhere
    r_none = score_retrieval(u, [Span("d", 0, 30)], n_relevant=0)
    rows = [dict(answerable=True, **r_hit, **good), dict(answerable=True, **r_hit, **missed),
            dict(answerable=False, **r_none, **right)]
    agg = aggregate(rows, (1, 3))
    assert agg["questions"] == 3 and agg["answerable"] == 2 and agg["with_gold_span"] == 2
    assert agg["recall@1"] == 0.0 and agg["recall@3"] == 1.0 and agg["mrr"] == 0.5
    assert agg["quote_hit"] == 0.5 and agg["exact_match"] == 0.5
    assert agg["abstain_precision"] == 0.5 and agg["abstain_recall"] == 1.0 and agg["false_abstain_rate"] == 0.5
    assert agg["citation_faithfulness"] == 1.0 and agg["citations"] == 1 and agg["answer_span_exact"] == 1.0


# ---------------------------------------------------------------- calibration and intervals

def _calibration_rows(pairs):
    return [{"answerable": right, "quote_hit": float(right), "abstained": False, "confidence": c}
            for c, right in pairs]


def test_ece_is_zero_when_confidence_matches_the_share_answered_right():
    from qa.evaluation.confidence import expected_calibration_error, reliability

    rows = _calibration_rows([(0.25, True)] + [(0.25, False)] * 3 + [(0.95, True)] * 20)
    bins = reliability(rows)
    assert [b["questions"] for b in bins] == [4, 20]
    assert expected_calibration_error(_calibration_rows([(0.5, True), (0.5, False)])) == 0.0
    # always 0.9 sure, right half the time: 0.4 off
    assert expected_calibration_error(_calibration_rows([(0.9, True), (0.9, False)])) == pytest.approx(0.4)


def test_bootstrap_intervals_are_deterministic_and_hold_the_point_estimate():
    from qa.evaluation.confidence import bootstrap
    from qa.evaluation.metrics import aggregate

    rows = [{"answerable": i % 3 != 0, "abstained": i % 5 == 0, "quote_hit": float(i % 2 == 0) if i % 3 else None,
             "quote_overlap": None, "f1": None, "contains": None, "confidence": 0.5, "citations_ok": 0,
             "citations_total": 0, "answer_span_ok": None, "rank": None, "doc_rank": None,
             "has_gold_span": False, "has_gold_doc": False, "ndcg@10": None, "exact_match": None, "span_f1": None}
            for i in range(90)]
    first, again = bootstrap(rows), bootstrap(rows)
    assert first == again
    point = aggregate(rows)
    for key in ("quote_hit", "abstain_f1", "false_abstain_rate"):
        lo, hi = first[key]
        assert lo <= point[key] <= hi and lo < hi


def test_the_confidence_auc_ranks_right_answers_against_the_rest():
    from qa.evaluation.confidence import confidence_auc

    right = {"answerable": True, "quote_hit": 1.0}
    wrong = {"answerable": True, "quote_hit": 0.0}
    refused = {"answerable": False, "quote_hit": None}
    assert confidence_auc([dict(right, confidence=0.9), dict(wrong, confidence=0.2),
                           dict(refused, confidence=0.1)]) == 1.0
    assert confidence_auc([dict(right, confidence=0.2), dict(wrong, confidence=0.9)]) == 0.0
    assert confidence_auc([dict(right, confidence=0.5), dict(wrong, confidence=0.5)]) == 0.5
    assert confidence_auc([dict(right, confidence=0.5)]) is None
