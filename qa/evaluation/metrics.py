"""Evaluation metrics as pure functions: retrieval ranks, answer matching, span overlap, abstention, faithfulness
(the confidence's calibration and the bootstrap intervals are in qa.evaluation.confidence)."""
from __future__ import annotations

import math
import re
import string
from collections import Counter
from typing import Iterable, Mapping, Sequence

from .confidence import confidence_auc, expected_calibration_error
from .datasets import Question, Span

RECALL_KS = (1, 3, 5, 10)
DOC_RECALL_KS = (1, 5)  # document-level hit rates reported (those up to the ranking depth k)
NDCG_K = 10

# ---------------------------------------------------------------- text normalisation

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = frozenset(string.punctuation)


def squad_normalize(text: str) -> str:
    """SQuAD's official normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def loose_normalize(text: str) -> str:
    """The normalisation of ../shared/tools/check-answers (white space kept as a space first, so lines don't glue)."""
    text = re.sub(r"[^a-z0-9%$ ]", "", re.sub(r"\s", " ", text.lower()))
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------- short answers

def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 when the prediction equals some gold answer after SQuAD normalisation."""
    pred = squad_normalize(prediction)
    return float(any(pred == squad_normalize(g) for g in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD token F1: the best bag-of-tokens F1 against any gold answer."""
    pred = squad_normalize(prediction).split()
    best = 0.0
    for gold in golds:
        ref = squad_normalize(gold).split()
        if not pred or not ref:  # SQuAD's rule: two empty answers agree, one empty agrees with nothing
            best = max(best, float(pred == ref))
            continue
        common = sum((Counter(pred) & Counter(ref)).values())
        if common:
            p, r = common / len(pred), common / len(ref)
            best = max(best, 2 * p * r / (p + r))
    return best


def contains_hit(answer: str, golds: Sequence[str]) -> bool:
    """check-answers' short-answer rule: contains a gold answer and has at most max(2*gold words+4, 12) words."""
    words = len(answer.split())
    norm = loose_normalize(answer)
    return any(loose_normalize(g) and loose_normalize(g) in norm and words <= max(2 * len(g.split()) + 4, 12)
               for g in golds)


def quote_hit(quote: str, golds: Sequence[str]) -> bool:
    """A gold answer appears inside the quote, after loose normalisation."""
    norm = loose_normalize(quote)
    return any(loose_normalize(g) and loose_normalize(g) in norm for g in golds)


# ---------------------------------------------------------------- spans

def overlap(a: Span, b: Span) -> int:
    """Characters shared by two spans; 0 when they are in different documents."""
    return max(0, min(a.end, b.end) - max(a.start, b.start)) if a.doc == b.doc else 0


def span_f1(prediction: Span | None, golds: Sequence[Span]) -> float:
    """Character-overlap F1 of a predicted span against the best-matching gold span; 0 with no prediction."""
    best = 0.0
    if prediction is None or prediction.end <= prediction.start:
        return best
    for gold in golds:
        shared = overlap(prediction, gold)
        if shared and gold.end > gold.start:
            p, r = shared / (prediction.end - prediction.start), shared / (gold.end - gold.start)
            best = max(best, 2 * p * r / (p + r))
    return best


# ---------------------------------------------------------------- retrieval

def relevance(retrieved: Sequence[Span], gold: Sequence[Span]) -> list[bool]:
    """Whether each retrieved passage overlaps some gold span."""
    return [any(overlap(p, g) for g in gold) for p in retrieved]


def first_hit_rank(relevant: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant passage, None when none is."""
    return next((n for n, rel in enumerate(relevant, 1) if rel), None)


def gold_docs(question: Question) -> set[str]:
    """The documents a retrieved passage must come from: those of the gold spans, else the question's `doc`."""
    docs = {g.doc for g in question.gold_spans}
    return docs or ({question.doc} if question.doc else set())


def doc_relevance(retrieved: Sequence[Span], docs: set[str]) -> list[bool]:
    """Whether each retrieved passage comes from a gold document (document-level: any passage of it counts)."""
    return [p.doc in docs for p in retrieved]


def recall_at(rank: int | None, k: int) -> float:
    """Hit rate at k for one question: 1.0 when some relevant passage is in the top k."""
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / rank


def ndcg_at(relevant: Sequence[bool], n_relevant: int, k: int = NDCG_K) -> float | None:
    """Binary-relevance nDCG@k; `n_relevant` is how many passages of the whole index are relevant (None if 0)."""
    dcg = sum(1.0 / math.log2(i + 2) for i, rel in enumerate(relevant[:k]) if rel)
    ideal = min(k, max(n_relevant, sum(bool(r) for r in relevant[:k])))
    if ideal == 0:
        return None
    return dcg / sum(1.0 / math.log2(i + 2) for i in range(ideal))


# ---------------------------------------------------------------- abstention, faithfulness, latency

def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def abstention(abstained: Sequence[bool], answerable: Sequence[bool]) -> dict:
    """Abstention precision/recall/F1 on unanswerable questions, and the false-abstain rate on answerable ones."""
    pairs = list(zip(abstained, answerable))
    right = sum(a and not g for a, g in pairs)
    wrong = sum(a and g for a, g in pairs)
    precision = _ratio(right, right + wrong)
    recall = _ratio(right, sum(not g for _, g in pairs))
    if recall is None:
        f1 = None
    elif not precision or not recall:  # never abstaining (precision undefined) scores 0, like abstaining wrongly
        f1 = 0.0
    else:
        f1 = 2 * precision * recall / (precision + recall)
    return {"abstain_precision": precision, "abstain_recall": recall, "abstain_f1": f1,
            "false_abstain_rate": _ratio(wrong, sum(g for _, g in pairs))}


def faithful_citations(citations: Iterable[Mapping], sources: Mapping[str, str]) -> tuple[int, int]:
    """(citations whose text is exactly source[start:end], citations)."""
    ok = total = 0
    for c in citations:
        total += 1
        src = sources.get(c.get("doc"))
        ok += src is not None and src[c.get("start", 0):c.get("end", 0)] == c.get("text")
    return ok, total


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between closest ranks, as numpy's default."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


# ---------------------------------------------------------------- one question, one system

def score_retrieval(question: Question, passages: Sequence[Span], n_relevant: int) -> dict:
    """Rank of the first passage overlapping the gold, and nDCG; None fields when the gold span is unknown.

    `doc_rank` is the rank of the first passage from a gold document (`gold_docs`), for answerable questions
    whose document is known, gold span or not.
    """
    docs = gold_docs(question) if question.answerable else set()
    doc = {"has_gold_doc": bool(docs), "doc_rank": first_hit_rank(doc_relevance(passages, docs)) if docs else None}
    gold = question.gold_spans
    if not question.answerable or not gold:
        return {"has_gold_span": False, "rank": None, f"ndcg@{NDCG_K}": None, **doc}
    rel = relevance(passages, gold)
    ndcg = ndcg_at(rel, n_relevant, NDCG_K) or 0.0  # no relevant passage anywhere: nothing could be found
    return {"has_gold_span": True, "rank": first_hit_rank(rel), f"ndcg@{NDCG_K}": round(ndcg, 4), **doc}


def score_answer(question: Question, answer: Mapping, sources: Mapping[str, str]) -> dict:
    """Answer metrics for one product answer (Answer.to_dict()); answer metrics are None on unanswerable gold."""
    abstained = not answer.get("answerable", False)
    ok, total = faithful_citations(answer.get("citations", []), sources)
    span = answer.get("answer_span")
    pred = Span(span["doc"], span["start"], span["end"]) if span else None
    span_ok = None if pred is None else sources.get(pred.doc, "")[pred.start:pred.end] == answer.get("answer")
    row = {"abstained": abstained, "citations_ok": ok, "citations_total": total, "answer_span_ok": span_ok,
           "quote_hit": None, "exact_match": None, "f1": None, "contains": None, "span_f1": None,
           "quote_overlap": None}
    if question.answerable:
        golds, text = question.answers, "" if abstained else answer.get("answer", "")
        row.update(quote_hit=float(not abstained and quote_hit(answer.get("quote", ""), golds)),
                   exact_match=exact_match(text, golds),
                   f1=round(token_f1(text, golds), 4) if text else 0.0,
                   contains=float(bool(text) and contains_hit(text, golds)))
        if question.answer_spans:
            row["span_f1"] = round(span_f1(None if abstained else pred, question.answer_spans), 4)
            # COVID-QA's golds are often whole sentences: does the quote overlap the gold span at all?
            cited = [Span(c["doc"], c["start"], c["end"]) for c in answer.get("citations", [])]
            row["quote_overlap"] = float(not abstained and any(overlap(c, g) for c in cited
                                                               for g in question.answer_spans))
    return row


# ---------------------------------------------------------------- many questions

def aggregate(rows: Sequence[Mapping], ks: Sequence[int] = RECALL_KS) -> dict:
    """Means over the rows of one system (rows from score_retrieval and score_answer plus `answerable`)."""
    ranked = [r for r in rows if r.get("answerable") and r.get("has_gold_span")]
    doc_ranked = [r for r in rows if r.get("answerable") and r.get("has_gold_doc")]
    answerable = [r for r in rows if r.get("answerable")]
    ok = sum(r["citations_ok"] for r in rows)
    total = sum(r["citations_total"] for r in rows)
    spans = [r["answer_span_ok"] for r in rows if r["answer_span_ok"] is not None]
    out = {"questions": len(rows), "answerable": len(answerable), "unanswerable": len(rows) - len(answerable),
           "with_gold_span": len(ranked), "with_gold_doc": len(doc_ranked)}
    for k in ks:
        out[f"recall@{k}"] = mean(recall_at(r["rank"], k) for r in ranked)
    out["mrr"] = mean(reciprocal_rank(r["rank"]) for r in ranked)
    out[f"ndcg@{NDCG_K}"] = mean(r[f"ndcg@{NDCG_K}"] for r in ranked)
    for k in (k for k in DOC_RECALL_KS if k <= max(ks, default=0)):
        out[f"doc_recall@{k}"] = mean(recall_at(r["doc_rank"], k) for r in doc_ranked)
    out["doc_mrr"] = mean(reciprocal_rank(r["doc_rank"]) for r in doc_ranked)
    for key in ("quote_hit", "exact_match", "f1", "contains", "span_f1", "quote_overlap"):
        out[key] = mean(r.get(key) for r in answerable)
    out.update(abstention([r["abstained"] for r in rows], [bool(r["answerable"]) for r in rows]))
    out["ece"] = expected_calibration_error(rows)
    out["auc"] = confidence_auc(rows)
    out["citation_faithfulness"] = _ratio(ok, total)
    out["citations"] = total
    out["answer_span_exact"] = _ratio(sum(spans), len(spans))
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}
