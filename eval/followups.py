"""Follow-up questions in conversation: does rewriting a turn against the previous one ever do worse than asking
the raw turn alone? Every turn after the first of each conversation in eval/conversations.jsonl is asked both ways.

    python eval/followups.py [--conversations eval/conversations.jsonl] [--json eval/results/followups.json]

A conversation names its corpus: "speech" (corpus/) or a SQuAD file under ../shared/datasets/ by folder name,
whose contexts become one corpus as `qa eval` makes it. A turn counts as answered right when the assistant does
not abstain and its quote holds a gold answer (qa.evaluation.metrics.quote_hit).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from qa.answer.assistant import Assistant  # noqa: E402
from qa.index.embed import Embedder  # noqa: E402
from qa.index.encoder import for_index  # noqa: E402
from qa.evaluation.datasets import load_eval_set  # noqa: E402
from qa.evaluation.metrics import quote_hit  # noqa: E402
from qa.chat.followup import resolve  # noqa: E402
from qa.chat.similar import similarity  # noqa: E402
from qa.chat.turn import keep_better, next_turn  # noqa: E402
from qa.index.build import build_index  # noqa: E402
from qa.retrieve.retriever import Retriever  # noqa: E402

DATASETS = REPO.parent / "shared" / "datasets"


def corpus_folder(name: str, scratch: Path) -> Path:
    if name == "speech":
        return REPO / "corpus"
    squad = sorted((DATASETS / name).glob("*.json"))
    if not squad:
        raise SystemExit(f"no SQuAD file under {DATASETS / name}")
    return load_eval_set(squad[0], None, scratch / name).corpus_dir


def read_jsonl(path: str) -> list[dict]:
    """The records of a JSON-lines file, blank lines skipped."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def save_json(result: dict, path: str | None) -> None:
    """Write an evaluation's summary and rows as indented JSON, creating its folder (nothing when no path)."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def run(conversations: list[dict], reader: str | None) -> dict:
    embedder, assistants = Embedder(), {}
    rows = []
    with tempfile.TemporaryDirectory(prefix="qa-followups-") as tmp:
        for conv in conversations:
            name = conv["corpus"]
            if name not in assistants:
                index = build_index(corpus_folder(name, Path(tmp)), embedder=embedder)
                assistant = Assistant(Retriever(index, embedder=for_index(index)), reader=reader)
                similar = similarity(assistant.retriever.embedder, [d.text for d in index.documents.values()])
                assistants[name] = (assistant, similar)
            assistant, similar = assistants[name]
            previous = None
            for n, turn in enumerate(conv["turns"]):
                resolved = resolve(turn["question"], previous, similar)
                rewritten = assistant.ask(resolved.question)
                raw = assistant.ask(resolved.asked) if n else None
                chosen, kept = keep_better(resolved, rewritten, raw if resolved.rewritten else None,  # as the chat
                                           previous.answer if previous else "")
                if n:
                    rows.append({"id": f"{conv['id']}.{n}", "corpus": name, "asked": turn["question"],
                                 "resolved": resolved.question, "rule": resolved.rule,
                                 "raw": bool(raw.answerable and quote_hit(raw.quote, turn["answers"])),
                                 "rewritten": bool(rewritten.answerable
                                                   and quote_hit(rewritten.quote, turn["answers"])),
                                 "chat": bool(chosen.answerable and quote_hit(chosen.quote, turn["answers"]))})
                previous = next_turn(kept, chosen)
    summary = {}
    for name in sorted({r["corpus"] for r in rows}):
        mine = [r for r in rows if r["corpus"] == name]
        summary[name] = {"follow_ups": len(mine), "raw_right": sum(r["raw"] for r in mine),
                         "rewritten_right": sum(r["rewritten"] for r in mine),
                         "rewriting_worse": sum(r["raw"] and not r["rewritten"] for r in mine),
                         "chat_right": sum(r["chat"] for r in mine),
                         "chat_worse": sum(r["raw"] and not r["chat"] for r in mine)}
    return {"summary": summary, "rows": rows}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conversations", default=str(REPO / "eval" / "conversations.jsonl"))
    ap.add_argument("--json", default=None, help="write summary and rows here")
    ap.add_argument("--no-model", action="store_true", help="answer with the reader off")
    args = ap.parse_args()
    result = run(read_jsonl(args.conversations), None if args.no_model else "shipped")
    for name, s in result["summary"].items():
        print(f"{name}: {s['follow_ups']} follow-ups, right when asked raw {s['raw_right']}, "
              f"rewritten {s['rewritten_right']}, rewriting worse {s['rewriting_worse']}; the chat (the better "
              f"supported of the two) {s['chat_right']}, worse than raw {s['chat_worse']}")
    save_json(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
