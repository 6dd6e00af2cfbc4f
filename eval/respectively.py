"""What pairing "..., respectively" figures is worth (qa/answer/respectively.py): every question asked with the
pairing off, on the reader's span's sentence only ("span") and anywhere in the span's window ("window"), and the
answers that change scored against gold. Writes eval/results/respectively.json (about 15 minutes).

    python eval/respectively.py [--datasets ../shared/datasets]

Sets: the SQuAD 1.1 training paragraphs that say "respectively" (the reader was trained on them, so it is already
right more often there than anywhere: a hard test for a rule that overrides it), the 3 held-out SQuAD 2.0 articles
and SelQA dev (data no reported figure uses), and COVID-QA, each paper its own corpus as `make eval` asks it.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "eval"))
sys.path.insert(0, str(ROOT))

from calibration_shift import held_out_sources  # noqa: E402

from qa.answer.assistant import Assistant  # noqa: E402
from qa.evaluation.datasets import load_eval_set  # noqa: E402
from qa.evaluation.metrics import contains_hit, exact_match, quote_hit, token_f1  # noqa: E402
from qa.evaluation.run import _doc_corpus, _groups  # noqa: E402
from qa.index.build import build_index  # noqa: E402
from qa.index.embed import Embedder  # noqa: E402
from qa.index.encoder import for_index  # noqa: E402
from qa.retrieve.retriever import Retriever  # noqa: E402

PAIRINGS = ("off", "span", "window")


def respectively_paragraphs(squad: Path, out: Path) -> Path:
    """The SQuAD file's paragraphs that say "respectively", with their questions, as a SQuAD file."""
    data = json.loads(squad.read_text(encoding="utf-8"))
    articles = [{"title": a["title"], "paragraphs": kept} for a in data["data"]
                if (kept := [p for p in a["paragraphs"] if "respectively" in p["context"].lower()])]
    out.write_text(json.dumps({"version": "1.1", "data": articles}), encoding="utf-8")
    return out


def score(answer, golds: tuple[str, ...]) -> dict:
    said = answer.answerable and bool(answer.answer)
    return {"answer": answer.answer, "quote": said and quote_hit(answer.quote, golds),
            "em": exact_match(answer.answer, golds) if said else 0.0,
            "f1": token_f1(answer.answer, golds) if said else 0.0,
            "contains": said and contains_hit(answer.answer, golds)}


def ask_set(squad_file: Path, work: Path, per_doc: bool, embedder: Embedder, switch: str = "pairing",
            settings: tuple = PAIRINGS) -> list[dict]:
    """Each answerable question asked with each setting of the assistant's `switch`; rows of those whose answer
    changes with it."""
    evalset = load_eval_set(squad_file, None, work)
    rows = []
    for n, (doc, questions) in enumerate(_groups(evalset, per_doc)):  # as `qa eval --per-doc` asks them
        questions = [q for q in questions if q.answerable]
        if not questions:
            continue
        corpus = evalset.corpus_dir if doc is None else _doc_corpus(evalset, doc, work / "per-doc" / f"{n:05d}")
        index = build_index(corpus, embedder=embedder, progress=False)
        assistant = Assistant(Retriever(index, embedder=for_index(index)))
        for q in questions:
            by = {}
            for setting in settings:
                setattr(assistant, switch, setting)
                by[str(setting)] = score(assistant.ask(q.question), q.answers)
            if len({b["answer"] for b in by.values()}) > 1:
                rows.append({"id": q.id, "question": q.question, "gold": list(q.answers[:3]), **by})
        rows.append({"asked": len(questions)})
    return rows


def summary(rows: list[dict], settings: tuple = PAIRINGS) -> dict:
    """Per setting but the first (the rule off): answers changed, EM wrong -> right and back, gains a question."""
    asked = sum(r["asked"] for r in rows if "asked" in r)
    changed = [r for r in rows if "asked" not in r]
    out = {"questions": asked}
    off = str(settings[0])
    for pairing in map(str, settings[1:]):
        moved = [r for r in changed if r[pairing]["answer"] != r[off]["answer"]]
        delta = Counter()
        for r in moved:
            for metric in ("quote", "em", "f1", "contains"):
                delta[metric] += float(r[pairing][metric]) - float(r[off][metric])
        out[pairing] = {"answers_changed": len(moved),
                        "wrong_to_right_em": sum(r[pairing]["em"] > r[off]["em"] for r in moved),
                        "right_to_wrong_em": sum(r[pairing]["em"] < r[off]["em"] for r in moved),
                        "contains_gained": sum(r[pairing]["contains"] > r[off]["contains"] for r in moved),
                        "contains_lost": sum(r[pairing]["contains"] < r[off]["contains"] for r in moved),
                        **{f"{m}_gain_per_question": round(delta[m] / asked, 4) for m in ("quote", "em", "f1",
                                                                                          "contains")}}
    return out


def measure(sets: dict, out: Path, embedder: Embedder, work: Path, switch: str = "pairing",
            settings: tuple = PAIRINGS) -> dict:
    """Each named (squad file, per_doc) set asked with each setting; the report, rewritten to `out` after each set."""
    report = {}
    for i, (name, (path, per_doc)) in enumerate(sets.items()):
        rows = ask_set(path, work / f"set-{i}", per_doc, embedder, switch, settings)
        report[name] = {"summary": summary(rows, settings), "changed": [r for r in rows if "asked" not in r]}
        print(name, json.dumps(report[name]["summary"]), flush=True)
        out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    ap.add_argument("--json", default=str(ROOT / "eval" / "results" / "respectively.json"))
    args = ap.parse_args()
    data = Path(args.datasets)
    embedder = Embedder()
    with tempfile.TemporaryDirectory(prefix="qa-respectively-") as tmp:
        tmp = Path(tmp)
        sets = {"squad11-train, paragraphs saying respectively":
                (respectively_paragraphs(data / "squad11-train" / "squad11-train.json", tmp / "squad11.json"), False),
                **{name: (path, False) for name, path in held_out_sources(data, tmp).items()},
                "covidqa, per paper": (data / "covidqa" / "covidqa-2020-04-23.json", True)}
        measure(sets, Path(args.json), embedder, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
