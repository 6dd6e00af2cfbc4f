"""Questions that open with a preamble about the asker: is the assistant right as often as on the bare question, and
which way of reading past the preamble does best? Each question of eval/preambles-dev.jsonl is asked bare, as typed,
and with each `Assistant.preamble` setting (eval/preambles-dev.md has the rule written before any run).

    python eval/preambles.py [--questions eval/preambles-dev.jsonl] [--json eval/results/preambles-dev.json]

A question is right when answerable and answered with a quote holding a gold answer (qa.evaluation.metrics
.quote_hit), or unanswerable and declined.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "eval"))

from followups import corpus_folder, read_jsonl, save_json  # noqa: E402
from qa.answer.assistant import Assistant  # noqa: E402
from qa.evaluation.metrics import quote_hit  # noqa: E402
from qa.index.build import build_index  # noqa: E402
from qa.index.embed import Embedder  # noqa: E402
from qa.index.encoder import for_index  # noqa: E402
from qa.retrieve.retriever import Retriever  # noqa: E402

SETTINGS = ("keep", "reader", "last", "better")


def right(answer, gold: list[str]) -> bool:
    if not gold:
        return not answer.answerable
    return bool(answer.answerable and quote_hit(answer.quote, gold))


def run(questions: list[dict]) -> dict:
    embedder, assistants, rows = Embedder(), {}, []
    with tempfile.TemporaryDirectory(prefix="qa-preambles-") as tmp:
        for q in questions:
            if q["corpus"] not in assistants:
                index = build_index(corpus_folder(q["corpus"], Path(tmp)), embedder=embedder)
                assistants[q["corpus"]] = Assistant(Retriever(index, embedder=for_index(index)))
            assistant = assistants[q["corpus"]]
            row = {"id": q["id"], "question": q["question"], "answerable": bool(q["answers"])}
            assistant.preamble = "keep"
            row["bare"] = right(assistant.ask(q["bare"]), q["answers"])
            for setting in SETTINGS:
                assistant.preamble = setting
                row[setting] = right(assistant.ask(q["question"]), q["answers"])
            rows.append(row)
    summary = {name: sum(r[name] for r in rows) for name in ("bare",) + SETTINGS}
    summary |= {f"{s}_worse_than_typed": sum(r["keep"] and not r[s] for r in rows) for s in SETTINGS[1:]}
    return {"questions": len(rows), "right": summary, "rows": rows}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", default=str(REPO / "eval" / "preambles-dev.jsonl"))
    ap.add_argument("--json", default=None, help="write summary and rows here")
    args = ap.parse_args()
    result = run(read_jsonl(args.questions))
    print(f"{result['questions']} questions, right: " + ", ".join(f"{k} {v}" for k, v in result["right"].items()))
    save_json(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
