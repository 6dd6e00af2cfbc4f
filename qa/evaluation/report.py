"""Render evaluation results: a compact terminal table, and a markdown report with PNG plots beside it."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from ..retrieve.fusion import FUSION

FUSION_NOTES = {"zscore": "z-score mix", "rrf": "RRF"}
SYSTEM_NOTES = {"hybrid": f"full system (dense + BM25, {FUSION_NOTES.get(FUSION, FUSION)})", "dense": "dense only",
                "bm25": "BM25 only", "hybrid-no-model": "hybrid with the reader off (the nearest sentence, whole)",
                "baseline": "naive: 500-char chunks, MiniLM, top sentence, never abstains"}


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence], digits: int = 3) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    return lines + ["| " + " | ".join(_fmt(v, digits) for v in row) + " |" for row in rows]


def _recall_keys(metrics: dict, prefix: str = "recall@") -> list[str]:
    return sorted((key for key in metrics if key.startswith(prefix)), key=lambda key: int(key.split("@")[1]))


def summary_table(summary: dict) -> str:
    """A few headline numbers per system, aligned for a terminal."""
    data = summary["dataset"]
    head = ["system", "R@1", "R@5", "MRR", "docR@1", "docR@5", "quote", "EM", "F1", "contains", "abst.F1",
            "false-abst", "p50 ms"]
    lines = [f"{data['questions_file']}: {data['questions']} questions ({data['answerable']} answerable), "
             f"{data['documents']} documents{', per document' if data['per_doc'] else ''}"]
    table = [head]
    for system, m in summary["systems"].items():
        lat = summary.get("timing", {}).get("latency_ms", {}).get(system, {})
        table.append([system, m.get("recall@1"), m.get("recall@5"), m["mrr"], m.get("doc_recall@1"),
                      m.get("doc_recall@5"), m["quote_hit"], m["exact_match"], m["f1"], m["contains"],
                      m["abstain_f1"], m["false_abstain_rate"], lat.get("p50")])
    cells = [[_fmt(v, 1) if i == len(head) - 1 and not isinstance(v, str) else _fmt(v) for i, v in enumerate(row)]
             for row in table]
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
              for row in cells]
    return "\n".join(lines)


def plot_recall(summary: dict, path: Path) -> Path:
    """Recall@k against k, one line per system."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    cutoffs = []
    for system, m in summary["systems"].items():
        keys = _recall_keys(m)
        cutoffs = [int(k.split("@")[1]) for k in keys]
        if keys and m[keys[0]] is not None:
            ax.plot(cutoffs, [m[k] for k in keys], marker="o", label=system)
    ax.set_xticks(cutoffs)
    ax.set(xlabel="k (passages retrieved)", ylabel="recall@k (gold evidence in top k)", ylim=(0, 1.02),
           title=f"Retrieval: {Path(summary['dataset']['questions_file']).name}")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})  # no version stamp: same results, same bytes
    plt.close(fig)
    return path


def plot_confidence(rows: Sequence[dict], system: str, path: Path) -> Path:
    """Confidence of answerable versus unanswerable questions: where an abstention threshold can separate them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    bins = [i / 20 for i in range(21)]
    for answerable, label in ((True, "answerable"), (False, "unanswerable")):
        values = [r["confidence"] for r in rows if r["mode"] == system and r["answerable"] == answerable]
        if values:
            ax.hist(values, bins=bins, alpha=0.6, label=f"{label} ({len(values)})")
    ax.set(xlabel="confidence", ylabel="questions", title=f"Confidence, {system}")
    ax.legend(loc="upper center")
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def plot_reliability(summary: dict, path: Path) -> Path:
    """Mean confidence against the share answered right, per confidence bin: on the diagonal is calibrated."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="calibrated")
    for system, bins in summary.get("reliability", {}).items():
        if bins:
            ax.plot([b["confidence"] for b in bins], [b["right"] for b in bins], marker="o",
                    label=f"{system} (ECE {_fmt(summary['systems'][system].get('ece'))})")
    ax.set(xlabel="confidence", ylabel="share answered right (quote holds a gold answer)", xlim=(0, 1),
           ylim=(0, 1), title="Reliability")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path


def _ci(summary: dict, system: str, key: str) -> str:
    lo_hi = summary.get("ci95", {}).get(system, {}).get(key)
    return f"{lo_hi[0]:.3f}-{lo_hi[1]:.3f}" if lo_hi else "–"


def write_report(summary: dict, rows: Sequence[dict], path: str | os.PathLike) -> list[Path]:
    """Write the markdown report and its plots (PATH.recall.png, PATH.confidence.png); return the files written.

    Long because the report is written top to bottom, one section after another, as it reads."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    systems, data = summary["systems"], summary["dataset"]
    first = next(iter(systems), None)
    written = [plot_recall(summary, path.with_suffix(".recall.png"))]
    lines = [f"# Evaluation: `{data['questions_file']}`", "",
             f"{data['questions']} questions ({data['answerable']} answerable, {data['unanswerable']} unanswerable), "
             f"format {data['format']}, {data['documents']} documents, {data.get('passages', 0)} passages"
             f"{' (one index per document)' if data['per_doc'] else ''}; {data['k']} passages ranked per question.",
             "", "Systems: " + "; ".join(f"**{s}**: {SYSTEM_NOTES.get(s, s)}" for s in systems) + ".", "",
             "Definitions are in `eval/README.md`. Every figure below except the timings is deterministic.", ""]
    if first:
        recall = _recall_keys(systems[first])
        lines += [f"## Retrieval ({systems[first]['with_gold_span']} answerable questions with a gold span)", ""]
        doc_recall = _recall_keys(systems[first], "doc_recall@")
        lines += _table(["system", *(k.replace("recall", "R") for k in recall), "MRR", "nDCG@10",
                         *(k.replace("doc_recall", "doc R") for k in doc_recall), "doc MRR"],
                        [[s, *(m[k] for k in recall), m["mrr"], m["ndcg@10"], *(m[k] for k in doc_recall),
                          m.get("doc_mrr")] for s, m in systems.items()])
        lines += ["", f"R@k, MRR and nDCG: a passage overlapping the gold span. doc R@k and doc MRR "
                  f"({systems[first].get('with_gold_doc', 0)} answerable questions with a known document): "
                  "a passage from the gold document, whichever part of it."]
        lines += ["", f"![recall@k]({written[0].name})", "",
                  f"## Answers ({systems[first]['answerable']} answerable questions; an abstention scores 0)", ""]
        lines += _table(["system", "quote hit", "quote overlap", "exact match", "token F1", "contains", "span F1"],
                        [[s, m["quote_hit"], m.get("quote_overlap"), m["exact_match"], m["f1"], m["contains"],
                          m["span_f1"]]
                         for s, m in systems.items()])
        lines += ["", f"## Abstention ({systems[first]['unanswerable']} unanswerable questions)", ""]
        lines += _table(["system", "precision", "recall", "F1", "false-abstain rate"],
                        [[s, m["abstain_precision"], m["abstain_recall"], m["abstain_f1"], m["false_abstain_rate"]]
                         for s, m in systems.items()])
        if any(r["mode"] == first for r in rows):
            written.append(plot_confidence(rows, first, path.with_suffix(".confidence.png")))
            lines += ["", f"![confidence]({written[-1].name})"]
        lines += ["", "## Uncertainty and calibration", "",
                  "95% bootstrap intervals over questions (1,000 resamples, seed 0); ECE: expected calibration "
                  "error of the confidence as the probability that the shown quote holds a gold answer.", ""]
        lines += _table(["system", "quote hit", "95% CI", "abstention F1", "95% CI", "false abstains", "95% CI",
                         "ECE"],
                        [[s, m["quote_hit"], _ci(summary, s, "quote_hit"), m["abstain_f1"],
                          _ci(summary, s, "abstain_f1"), m["false_abstain_rate"],
                          _ci(summary, s, "false_abstain_rate"), m.get("ece")] for s, m in systems.items()])
        if summary.get("reliability"):
            written.append(plot_reliability(summary, path.with_suffix(".reliability.png")))
            lines += ["", f"![reliability]({written[-1].name})"]
        lines += ["", "## Faithfulness", ""]
        lines += _table(["system", "citations", "exactly source[start:end]", "answer span exact"],
                        [[s, m["citations"], m["citation_faithfulness"], m["answer_span_exact"]]
                         for s, m in systems.items()])
    by_type = summary.get("by_type", {}).get(first, {})
    if by_type:
        lines += ["", f"## By question type ({first})", ""]
        lines += _table(["type", "questions", "R@5", "quote hit", "contains", "token F1", "abstained"],
                        [[t, m["questions"], m.get("recall@5"), m["quote_hit"], m["contains"], m["f1"],
                          _abstained(rows, first, t)] for t, m in by_type.items()])
    timing = summary.get("timing", {})
    lines += ["", "## Timing (varies run to run)", "",
              f"Index build {_fmt(timing.get('index_build_seconds'), 2)} s"
              + (f", baseline build {_fmt(timing['baseline_build_seconds'], 2)} s"
                 if "baseline_build_seconds" in timing else "")
              + f", whole run {_fmt(timing.get('total_seconds'), 1)} s.", ""]
    lines += _table(["system", "p50 ms", "p95 ms", "mean ms"],
                    [[s, v["p50"], v["p95"], v["mean"]] for s, v in timing.get("latency_ms", {}).items()], 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [path, *written]


def _abstained(rows: Sequence[dict], system: str, qtype: str) -> float | None:
    picked = [r["abstained"] for r in rows if r["mode"] == system and r["type"] == qtype]
    return round(sum(picked) / len(picked), 4) if picked else None
