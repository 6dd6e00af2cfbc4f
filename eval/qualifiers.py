"""What keeping a figure's qualifier in the short answer is worth (qa/answer/qualifiers.py): every answerable
question asked with it off and on, and the answers that change scored against gold. Writes
eval/results/qualifiers.json (about 15 minutes).

    python eval/qualifiers.py [--datasets ../shared/datasets] [--paragraphs 600]

Sets: SQuAD 1.1 training paragraphs where a qualifier comes right before a figure (the first 600 by file order; the
reader was trained on them and learnt their annotators' habit, which keeps the qualifier in about a third of such
answers: counted over all of squad11-train and written too), and the two sources no reported figure uses: the 3
held-out SQuAD 2.0 articles and SelQA dev.
Scored as `make eval` scores: EM and token F1 against the best gold, and check-answers' `contains` rule.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "eval"))
sys.path.insert(0, str(ROOT))

from calibration_shift import held_out_sources  # noqa: E402
from respectively import measure  # noqa: E402

from qa.answer.qualifiers import with_qualifier  # noqa: E402
from qa.answer.respectively import FIGURE  # noqa: E402
from qa.index.embed import Embedder  # noqa: E402

SETTINGS = (False, True)


def qualified_paragraphs(data: dict, out: Path, limit: int) -> Path:
    """The first `limit` paragraphs of `data` where a qualifier comes right before a figure, written to `out`."""
    def qualified(text: str) -> bool:
        return any(with_qualifier(text, m.start(), len(text)) < m.start() for m in FIGURE.finditer(text))

    articles, left = [], limit
    for a in data["data"]:
        kept = [p for p in a["paragraphs"] if qualified(p["context"])][:left]
        if kept:
            articles.append({"title": a["title"], "paragraphs": kept})
            left -= len(kept)
        if not left:
            break
    out.write_text(json.dumps({"version": "1.1", "data": articles}), encoding="utf-8")
    return out


def annotator_habit(data: dict) -> dict:
    """Of the SQuAD answers at a figure with a qualifier right before it, how many the annotator kept it in."""
    kept = dropped = 0
    for a in data["data"]:
        for p in a["paragraphs"]:
            text = p["context"]
            for q in p["qas"]:
                start = q["answers"][0]["answer_start"]
                end = start + len(q["answers"][0]["text"])
                figure = FIGURE.search(text, start, end)
                if figure and figure.start() == start:
                    dropped += with_qualifier(text, start, end) < start
                elif figure:
                    kept += with_qualifier(text, figure.start(), end) == start
    return {"qualifier_kept": kept, "qualifier_dropped": dropped}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    ap.add_argument("--paragraphs", type=int, default=600)
    ap.add_argument("--json", default=str(ROOT / "eval" / "results" / "qualifiers.json"))
    args = ap.parse_args()
    data = Path(args.datasets)
    squad11 = json.loads((data / "squad11-train" / "squad11-train.json").read_text(encoding="utf-8"))
    embedder = Embedder()
    with tempfile.TemporaryDirectory(prefix="qa-qualifiers-") as tmp:
        tmp = Path(tmp)
        sets = {f"squad11-train, {args.paragraphs} paragraphs with a qualified figure":
                (qualified_paragraphs(squad11, tmp / "squad11.json", args.paragraphs), False),
                **{name: (path, False) for name, path in held_out_sources(data, tmp).items()}}
        report = measure(sets, Path(args.json), embedder, tmp, "qualifiers", SETTINGS)
    report["squad11-train answers, annotators' habit"] = annotator_habit(squad11)
    Path(args.json).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
