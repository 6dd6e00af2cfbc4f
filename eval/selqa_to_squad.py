"""SelQA answer-sentence selection (github.com/emorynlp/selqa, Apache-2.0) as SQuAD JSON: each Wikipedia section is
one paragraph (its candidate sentences joined by spaces) and each gold sentence an answer span, so `qa eval`,
`qa train --sentences` and eval/calibration_shift.py can read it.
Usage: python eval/selqa_to_squad.py SELQA.json OUT.json"""
from __future__ import annotations

import json
import sys
from collections import defaultdict


def convert(items: list[dict]) -> dict:
    sections: dict[tuple[str, str], dict] = {}
    articles: dict[str, list] = defaultdict(list)
    for n, item in enumerate(items):
        key = (item["article"], item["section"])
        if key not in sections:
            sentences = item["candidates"]
            starts, at = [], 0
            for s in sentences:
                starts.append(at)
                at += len(s) + 1
            sections[key] = {"context": " ".join(sentences), "qas": [], "_starts": starts, "_sentences": sentences}
            articles[item["article"]].append(sections[key])
        section = sections[key]
        if section["_sentences"] != item["candidates"]:
            continue  # the same section named twice with other sentences: keep the first
        answers = [{"text": section["_sentences"][i], "answer_start": section["_starts"][i]} for i in item["answers"]]
        section["qas"].append({"id": f"selqa-{n}", "question": item["question"], "answers": answers})
    data = [{"title": title, "paragraphs": [{"context": p["context"], "qas": p["qas"]} for p in paragraphs]}
            for title, paragraphs in articles.items()]
    return {"version": "selqa-ass", "data": data}


if __name__ == "__main__":
    source, target = sys.argv[1:3]
    with open(source, encoding="utf-8") as f:
        converted = convert(json.load(f))
    with open(target, "w", encoding="utf-8") as f:
        json.dump(converted, f)
    print(f"{target}: {sum(len(p['qas']) for a in converted['data'] for p in a['paragraphs'])} questions, "
          f"{sum(len(a['paragraphs']) for a in converted['data'])} sections, {len(converted['data'])} articles")
