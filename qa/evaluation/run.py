"""Run an evaluation: index the corpus once, ask every question in each retrieval mode and the baseline, score, write."""
from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..index.embed import Embedder
from ..index.encoder import for_index
from ..errors import QAError
from ..index.build import build_index
from ..index.store import Index
from ..retrieve.retriever import MODES, Retriever
from .baseline import Baseline
from .confidence import bootstrap, reliability
from .datasets import EvalSet, Question, Span, load_eval_set, squad_titles
from .metrics import RECALL_KS, aggregate, mean, overlap, percentile, score_answer, score_retrieval
from .report import write_report

BASELINE = "baseline"
ABLATION = "hybrid-no-model"  # the same hybrid retrieval with the reader off: the nearest sentence, whole
DEFAULT_QUESTIONS = "eval/questions.jsonl"


def _default_assistant(retriever: Retriever, reader="shipped"):
    try:
        from ..answer.assistant import Assistant
    except ImportError as err:
        raise QAError(f"the assistant is not available ({err}); qa eval needs qa.assistant") from None
    return Assistant(retriever, reader=reader)


def _ablation_assistant(retriever: Retriever):
    from ..answer.assistant import Assistant

    return Assistant(retriever, reader=None)


def _as_dict(answer) -> dict:
    return answer.to_dict() if hasattr(answer, "to_dict") else dict(answer)


def _spans(passages: Sequence[dict]) -> list[Span]:
    return [Span(p["doc"], p["start"], p["end"]) for p in passages]


def _relevant_count(question: Question, units: dict[str, list[Span]]) -> int:
    """How many retrieval units of the whole index overlap the gold: the ideal for nDCG."""
    gold = question.gold_spans
    return sum(any(overlap(u, g) for g in gold) for doc in sorted({g.doc for g in gold}) for u in units.get(doc, []))


def _row(question: Question, mode: str, passages: list[dict], answer: dict, n_relevant: int, sources: dict) -> dict:
    """One question under one system: what was asked, what came back, and its scores. No timings: rows are stable."""
    return {"id": question.id, "mode": mode, "type": question.type, "question": question.question,
            "answerable": question.answerable, "gold": list(question.answers),
            **score_retrieval(question, _spans(passages), n_relevant),
            **score_answer(question, answer, sources),
            "answer": answer.get("answer", ""), "quote": answer.get("quote", ""),
            "confidence": round(float(answer.get("confidence", 0.0)), 4),
            "top_passages": [p["id"] for p in passages[:3]]}


def _groups(evalset: EvalSet, per_doc: bool) -> list[tuple[str | None, list[Question]]]:
    """Questions to ask together: all against the whole corpus, or each document's against that document alone."""
    if not per_doc:
        return [(None, list(evalset.questions))]
    missing = [q.id for q in evalset.questions if q.doc is None]
    if missing:
        raise QAError(f"--per-doc needs each question's document; {len(missing)} have none "
                      f"(first: {missing[0]}); give evidence or a 'doc' field")
    by_doc: dict[str, list[Question]] = defaultdict(list)
    for q in evalset.questions:
        by_doc[q.doc].append(q)
    return sorted(by_doc.items())


def _doc_corpus(evalset: EvalSet, doc: str, folder: Path) -> Path:
    """A corpus folder holding one document at its own relative path, so doc ids and offsets stay the same."""
    path = folder / doc
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(evalset.sources[doc].encode("utf-8"))
    return folder


def _units(passages) -> dict[str, list[Span]]:
    units: dict[str, list[Span]] = defaultdict(list)
    for p in passages:
        units[p.doc].append(Span(p.doc, p.start, p.end))
    return units


@dataclass(frozen=True)
class Outcome:
    """What one evaluation produced: per-question rows (stable), index sizes (stable) and timings (not)."""

    rows: list
    indexed: dict
    timing: dict


def _stored(index: Index, store: str):
    """The index written to a Milvus store and opened there: `qa eval --store` asks through Milvus."""
    from ..index.milvus_search import open_store
    from ..index.milvus_store import write_store

    write_store(index, store)
    return open_store(store, index)


def evaluate(evalset: EvalSet, modes: Sequence[str], k: int, embedder: Embedder, assistant_factory: Callable,
             scratch: Path, per_doc: bool = False, baseline: bool = True, answer_k: int | None = None,
             progress: bool = True, ablation_factory: Callable | None = None, store: str | None = None) -> Outcome:
    """Ask every question under every mode, the ablation and the baseline; rows sorted by (system, question).

    Long because each group of questions (the corpus, or one document with --per-doc) is indexed once and then
    asked of every system in one loop, so that no index is built twice."""
    from tqdm import tqdm

    ablate = ablation_factory is not None and "hybrid" in modes
    systems = list(modes) + ([ABLATION] if ablate else []) + ([BASELINE] if baseline else [])
    order = {q.id: n for n, q in enumerate(evalset.questions)}
    ask_kwargs = {} if answer_k is None else {"k": answer_k}
    rows: list[dict] = []
    latency: dict[str, list[float]] = {s: [] for s in systems}
    build = {"index_build_seconds": 0.0}
    indexed = {"passages": 0, "sentences": 0}
    bar = tqdm(total=len(evalset.questions) * len(systems), desc="qa eval", unit="answer", disable=not progress,
               file=sys.stderr)
    encoder = None
    for n, (doc, questions) in enumerate(_groups(evalset, per_doc) if modes else []):
        corpus = evalset.corpus_dir if doc is None else _doc_corpus(evalset, doc, scratch / "per-doc" / f"{n:05d}")
        started = time.perf_counter()
        index: Index = build_index(corpus, embedder=embedder, progress=progress and doc is None)
        build["index_build_seconds"] += time.perf_counter() - started
        indexed["passages"] += len(index.passages)
        indexed["sentences"] += len(index.sentences)
        # Questions go through the index's ONNX encoder, as `qa ask` runs them; a stand-in embedder that
        # cannot export one (the harness's own tests) encodes them itself. Every index of a run holds the same
        # export, so one onnxruntime session serves them all (per-doc mode builds one index per document).
        if index.encoder_model is not None:
            encoder = encoder or for_index(index)
        retriever = Retriever(index, embedder=encoder if index.encoder_model is not None else embedder,
                              store=_stored(index, store) if store else None)
        assistant = assistant_factory(retriever)
        ablated = ablation_factory(retriever) if ablate else None
        units = _units(index.passages)
        for q in questions:
            scored = retriever.score(q.question, k)  # embed once; rank under each mode from the same signals
            n_relevant = _relevant_count(q, units)
            for mode in modes:
                passages = [h.to_dict() for h in retriever.rank(scored, k, mode)]
                started = time.perf_counter()
                answer = _as_dict(assistant.ask(q.question, mode=mode, **ask_kwargs))
                latency[mode].append((time.perf_counter() - started) * 1000)
                rows.append(_row(q, mode, passages, answer, n_relevant, evalset.sources))
                bar.update()
            if ablated is not None:
                passages = [h.to_dict() for h in retriever.rank(scored, k, "hybrid")]
                started = time.perf_counter()
                answer = _as_dict(ablated.ask(q.question, mode="hybrid", **ask_kwargs))
                latency[ABLATION].append((time.perf_counter() - started) * 1000)
                rows.append(_row(q, ABLATION, passages, answer, n_relevant, evalset.sources))
                bar.update()
    if baseline:
        started = time.perf_counter()
        naive = Baseline(evalset.sources, embedder, progress=progress)
        build["baseline_build_seconds"] = time.perf_counter() - started
        indexed["baseline_chunks"] = len(naive.chunks)
        units = _units(naive.chunks)
        for q in evalset.questions:
            started = time.perf_counter()
            answer = _as_dict(naive.ask(q.question, k, q.doc if per_doc else None))
            latency[BASELINE].append((time.perf_counter() - started) * 1000)
            rows.append(_row(q, BASELINE, answer["passages"], answer, _relevant_count(q, units), evalset.sources))
            bar.update()
    bar.close()
    rows.sort(key=lambda r: (systems.index(r["mode"]), order[r["id"]]))
    timing = {key: round(value, 3) for key, value in build.items()}
    timing["latency_ms"] = {s: {"p50": _round(percentile(v, 50)), "p95": _round(percentile(v, 95)),
                                "mean": _round(mean(v))} for s, v in latency.items()}
    return Outcome(rows, indexed, timing)


def recall_ks(k: int) -> list[int]:
    """The cut-offs reported for a ranking depth k: 1, 3, 5, 10 up to k, and k itself."""
    return sorted({x for x in RECALL_KS if x <= k} | {k})


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def summarize(evalset: EvalSet, rows: list[dict], indexed: dict, k: int, per_doc: bool) -> dict:
    """The deterministic part of the results: dataset facts and per-system metrics, overall and by question type."""
    ks = recall_ks(k)
    by_system: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_system[row["mode"]].append(row)
    types = sorted({q.type for q in evalset.questions if q.type})
    return {
        "dataset": {"questions_file": evalset.path, "format": evalset.format,
                    "questions": len(evalset.questions),
                    "answerable": sum(q.answerable for q in evalset.questions),
                    "unanswerable": sum(not q.answerable for q in evalset.questions),
                    "documents": len(evalset.sources), "per_doc": per_doc, "k": k, **indexed},
        "systems": {s: aggregate(r, ks) for s, r in by_system.items()},
        "ci95": {s: bootstrap(r) for s, r in by_system.items()},
        "reliability": {s: reliability(r) for s, r in by_system.items() if s != BASELINE},
        "by_type": {s: {t: aggregate([x for x in r if x["type"] == t], ks) for t in types}
                    for s, r in by_system.items()} if types else {},
    }


def rows_path(out: str | os.PathLike) -> Path:
    """Where the per-question rows go beside a results file: results.json -> results.rows.jsonl."""
    return Path(out).with_suffix(".rows.jsonl")


def run_eval(questions_path: str | os.PathLike = DEFAULT_QUESTIONS, corpus_dir: str | os.PathLike | None = None,
             modes: Sequence[str] = MODES, k: int = 10, json_out: str | os.PathLike | None = None,
             report_out: str | os.PathLike | None = None, progress: bool = True, *, per_doc: bool = False,
             baseline: bool = True, answer_k: int | None = None, embedder: Embedder | None = None,
             assistant_factory: Callable | None = None, max_docs: int | None = None,
             ablation: bool | None = None, skip_titles_of: Sequence[str] = (), store: str | None = None) -> dict:
    """Evaluate the assistant on a question file and return the summary (also written as JSON, rows and a report).

    Args:
        questions_path: curated or generic JSONL (documents in `corpus_dir`, default corpus/), or SQuAD JSON
            (each context becomes one document of a temporary corpus).
        modes: retrieval modes to run the assistant in; the naive baseline runs as well unless `baseline=False`.
        k: passages ranked per question for the retrieval metrics (recall@1/3/5/10 up to k, nDCG@10).
        json_out: summary JSON path; per-question rows go beside it as OUT.rows.jsonl.
        report_out: markdown report path; PNG plots go beside it.
        per_doc: ask each question against its own document only, through a one-document index per document.
        answer_k: passages the assistant reads per answer; None keeps the assistant's own default.
        embedder, assistant_factory: stand-ins for tests; default the bundled model and qa.assistant.Assistant.
        max_docs: keep only the questions of the first N documents (sorted by name), for a quicker run.
        ablation: also run hybrid with the reader off (default: when the default assistant is used and
            a reader is shipped).
        store: a Milvus store URI (qa.index.milvus_uri): each index built is written there and asked through it.
        skip_titles_of: SQuAD files whose articles are left out of a SQuAD question file (the model's training
            data, when scoring XQuAD on the articles it never saw).
    """
    if k < 1:
        raise QAError("k must be at least 1")
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise QAError(f"unknown retrieval mode {bad[0]!r}; choose from {', '.join(MODES)}")
    modes = [m for m in MODES if m in modes]  # fixed order, no repeats
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp:
        scratch = Path(tmp)
        skip = frozenset().union(*(squad_titles(f) for f in skip_titles_of))
        evalset = load_eval_set(questions_path, corpus_dir, scratch, skip)
        if max_docs is not None:  # a deterministic subset: the questions of the first N documents by name
            keep = set(sorted({q.doc for q in evalset.questions if q.doc})[:max_docs])
            evalset = dataclasses.replace(evalset, questions=tuple(q for q in evalset.questions if q.doc in keep))
        embedder = embedder or Embedder()
        if ablation is None:
            from ..answer.reader import shipped

            ablation = assistant_factory is None and shipped() is not None
        outcome = evaluate(evalset, modes, k, embedder, assistant_factory or _default_assistant, scratch,
                           per_doc, baseline, answer_k, progress, _ablation_assistant if ablation else None,
                           store=store)
    rows = outcome.rows
    summary = summarize(evalset, rows, outcome.indexed, k, per_doc)
    summary["timing"] = dict(outcome.timing, total_seconds=round(time.perf_counter() - started, 3))
    if json_out:
        Path(json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(json_out).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if json_out or report_out:
        with open(rows_path(json_out or report_out), "w", encoding="utf-8", newline="\n") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    if report_out:
        write_report(summary, rows, report_out)
    return summary
