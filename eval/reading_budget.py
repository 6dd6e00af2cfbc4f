"""How much the reader must read: quote hit against windows read, for the policies qa.answer.assistant could follow.

Every question is asked once through retrieval, and the reader reads every window of the first 4 passages; the
policies are then replayed on those readings: read the first k passages whole, read at most W windows, and stop
after a passage once a span leads its window's no-answer score by SURE. On data no reported figure uses: the 3
`squad2-dev-half` articles the shipped confidence is fitted on, and SelQA's dev questions (every one answerable;
eval/selqa_to_squad.py). Writes eval/results/reading_budget.json (about 6 minutes).

    python eval/reading_budget.py [--datasets ../shared/datasets]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "eval"))

from calibration_shift import each_held_out_source  # noqa: E402

from qa.answer.assistant import MAX_WINDOWS, POOL, READ, SURE  # noqa: E402

PASSAGES = 4  # read for the replay: one more than READ
POLICIES = [(k, w, t) for k in (1, 2, 3, 4) for w in (99,) for t in (float("inf"),)] + \
           [(READ, w, t) for w in (3, 4, 5, 6) for t in (6.0, 8.0, 10.0, 12.0, float("inf"))]


def readings(squad_file: Path, work: Path) -> list[dict]:
    """Per question: whether it is answerable, and each window read (passage rank, margin, right quote or not)."""
    from qa.answer.assistant import Assistant
    from qa.answer.cite import cite, quote_rows
    from qa.evaluation.datasets import load_eval_set
    from qa.evaluation.metrics import quote_hit
    from qa.index.build import build_index
    from qa.index.embed import Embedder
    from qa.index.encoder import for_index
    from qa.retrieve.retriever import Retriever

    evalset = load_eval_set(squad_file, None, work)
    index = build_index(evalset.corpus_dir, embedder=Embedder(), progress=False)
    assistant = Assistant(Retriever(index, embedder=for_index(index)))
    rows = []
    for q in evalset.questions:
        pool = assistant.retriever.rank(assistant.retriever.score(q.question, POOL), POOL, "hybrid")
        read = [pair for batch in assistant.unread_windows(pool[:PASSAGES]) for pair in batch]
        found = assistant.reader.read(q.question, [(index.documents[h.passage.doc].text, w) for h, w in read])
        windows = []
        for (hit, _), r in zip(read, found):
            quote = cite(index, hit.passage, quote_rows(index, hit.passage, r.start, r.end))
            windows.append({"rank": hit.rank, "margin": r.margin,
                            "right": bool(q.answerable and quote_hit(quote.text, q.answers))})
        rows.append({"answerable": q.answerable, "windows": windows})
    return rows


def replay(rows: list[dict], passages: int, most: int, sure: float) -> dict:
    """Quote hit on the answerable questions and windows read, had the assistant read this way."""
    hits, used = [], []
    for row in rows:
        chosen = []
        for rank in range(passages):
            chosen += [w for w in row["windows"] if w["rank"] == rank]
            if len(chosen) >= most:
                chosen = chosen[:most]
                break
            if chosen and max(w["margin"] for w in chosen) >= sure:
                break
        used.append(len(chosen))
        if row["answerable"]:
            best = max(range(len(chosen)), key=lambda i: (chosen[i]["margin"], -i)) if chosen else None
            hits.append(best is not None and chosen[best]["right"])
    return {"quote_hit": round(float(np.mean(hits)), 4), "windows_mean": round(float(np.mean(used)), 2),
            "windows_p50": float(np.median(used))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    ap.add_argument("--json", default=str(ROOT / "eval" / "results" / "reading_budget.json"))
    args = ap.parse_args()
    sources = each_held_out_source(args.datasets, readings)
    report = {"shipped": {"passages": READ, "max_windows": MAX_WINDOWS, "sure": SURE}, "policies": []}
    for k, w, t in POLICIES:
        entry = {"passages": k, "max_windows": None if w == 99 else w, "sure": None if t == float("inf") else t}
        entry |= {name: replay(rows, k, w, t) for name, rows in sources.items()}
        report["policies"].append(entry)
        print(json.dumps(entry))
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
