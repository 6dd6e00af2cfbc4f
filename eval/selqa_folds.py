"""SelQA split by whole articles for `qa train --sentences`: half of the dev set's articles (a fixed hash draw) are
held out to judge on, and every other SelQA question (test, and dev's other half) trains, less any question from a
held-out article, since dev and test share most articles. Usage: python eval/selqa_folds.py SELQA_DIR OUT_DIR"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from selqa_to_squad import convert

SEED = "selqa-fold-2026-12-07"


def held_out(articles: set[str]) -> set[str]:
    """Half the articles, by a seeded hash of the title: the same half whatever order they come in."""
    ranked = sorted(articles, key=lambda a: hashlib.sha256(f"{SEED}:{a}".encode()).hexdigest())
    return set(ranked[:len(ranked) // 2])


def folds(dev: list[dict], test: list[dict]) -> tuple[dict, dict]:
    """(training questions, held-out questions) in SQuAD form, the held-out ones from dev only."""
    judged = held_out({item["article"] for item in dev})
    training = [item for item in dev + test if item["article"] not in judged]
    return convert(training), convert([item for item in dev if item["article"] in judged])


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    dev, test = (json.loads((source / f"selqa-ass-{name}.json").read_text(encoding="utf-8"))
                 for name in ("dev", "test"))
    target.mkdir(parents=True, exist_ok=True)
    for name, data in zip(("selqa-train.json", "selqa-judge.json"), folds(dev, test)):
        (target / name).write_text(json.dumps(data), encoding="utf-8")
        print(f"{target / name}: {sum(len(p['qas']) for a in data['data'] for p in a['paragraphs'])} questions, "
              f"{len(data['data'])} articles")
