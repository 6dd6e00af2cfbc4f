"""The README's results table, from the `qa eval` results in eval/results/ (`make eval` writes them).

    python eval/results_table.py            # print it
    python eval/results_table.py --check    # exit 1 when README.md's table differs (tests/test_readme_table.py)

Each cell is the reader on / off (`hybrid` / `hybrid-no-model`); the reader-on figure carries its 95% bootstrap
interval. The short answer is check-answers' rule (it holds a gold answer, in few words) on the curated sets and
SQuAD's token F1 on the public ones; the quote is "holds a gold answer" except on COVID-QA, whose golds are often
whole sentences: there it is "overlaps the gold span".
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "eval" / "results"
START, END = "<!-- results-table: python eval/results_table.py -->", "<!-- /results-table -->"
# (results file, label, quote metric, short-answer metric)
SETS = (
    ("speech", "the sample speech, 130 curated questions (31 unanswerable)", "quote_hit", "contains"),
    ("people", "people's phrasings of speech questions, 30 (6 unanswerable)", "quote_hit", "contains"),
    ("squad2-small", "SQuAD 2.0 dev, 2 articles, 626 questions (333 unanswerable)", "quote_hit", "f1"),
    ("xquad-unseen", "XQuAD-en, 32 unseen articles, 838 questions", "quote_hit", "f1"),
    ("covid-perdoc", "COVID-QA, each of 98 papers alone, 1,380 questions", "quote_overlap", "f1"),
)


def _cell(on: dict, off: dict, ci: dict, key: str, interval: bool = True) -> str:
    if on.get(key) is None:
        return "–"
    low_high = ci.get(key)
    band = f" [{low_high[0]:.2f}-{low_high[1]:.2f}]" if interval and low_high else ""
    return f"{on[key]:.3f}{band} / {off[key]:.3f}" if off.get(key) is not None else f"{on[key]:.3f}{band}"


def table() -> str:
    lines = ["| question set | quote (on / off) | short answer (on / off) | abstention F1 (on / off) | "
             "false abstains (on / off) | ECE / AUC of the confidence (on) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, label, quote, short in SETS:
        data = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
        on, off = data["systems"]["hybrid"], data["systems"].get("hybrid-no-model", {})
        ci = data.get("ci95", {}).get("hybrid", {})
        auc = f"{on['auc']:.2f}" if on.get("auc") is not None else "–"
        lines.append(f"| {label} | {_cell(on, off, ci, quote)} | {_cell(on, off, ci, short)} | "
                     f"{_cell(on, off, ci, 'abstain_f1')} | {_cell(on, off, ci, 'false_abstain_rate', False)} | "
                     f"{on['ece']:.2f} / {auc} |")
    return "\n".join(lines)


def readme_table(text: str) -> str:
    return text[text.index(START) + len(START):text.index(END)].strip()


if __name__ == "__main__":
    if "--check" in sys.argv:
        shown = readme_table((ROOT / "README.md").read_text(encoding="utf-8"))
        sys.exit(0 if shown == table() else "README.md's results table differs from eval/results: "
                 "paste python eval/results_table.py")
    print(table())
