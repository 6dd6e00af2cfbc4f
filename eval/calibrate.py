"""Fit the abstention model (qa/abstain_model.json) on a question set; report its cross-validated figures.

The threshold is the highest that keeps false abstentions on answerable questions at or under --max-false
(5% by default), so the model trades abstention recall for never refusing what the document answers.
Usage: python eval/calibrate.py [eval/questions.jsonl] [--corpus corpus] [--write]
"""
import argparse
import json
import sys

import numpy as np

from qa import abstain
from qa.assistant import Assistant
from qa.index import build_index
from qa.retrieve import Retriever

DEFAULT_FEATURES = ("sentence_cosine", "coverage", "unknown_terms", "type_match", "missing_specifics", "key_coverage",
                    "rarest_in_quote")  # the best subset by 5-fold cross-validation on eval/questions.jsonl


def signals_for(questions: list[dict], corpus: str) -> tuple[np.ndarray, np.ndarray]:
    assistant = Assistant(Retriever(build_index(corpus)))
    rows, labels = [], []
    for q in questions:
        found, _ = assistant.signals(q["question"])
        rows.append([found.get(name, 0.0) for name in abstain.FEATURES])
        labels.append(1.0 if q["answers"] else 0.0)
    return np.array(rows), np.array(labels)


def cut_for(z: np.ndarray, labels: np.ndarray, max_false: float) -> float:
    """The largest logit threshold under which at most `max_false` of answerable questions fall."""
    answerable = np.sort(z[labels == 1])
    i = int(max_false * len(answerable))  # answerable[:i] may fall under the cut, answerable[i] may not
    return float(answerable[0]) - 1.0 if i == 0 else float(answerable[i - 1] + answerable[i]) / 2


def figures(z: np.ndarray, cut: float, labels: np.ndarray) -> str:
    abstained = z < cut
    unanswerable = labels == 0
    return (f"abstain recall {(abstained & unanswerable).sum()}/{unanswerable.sum()}, "
            f"false abstain {(abstained & ~unanswerable).sum()}/{(~unanswerable).sum()}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", nargs="?", default="eval/questions.jsonl")
    ap.add_argument("--corpus", default="corpus")
    ap.add_argument("--features", default=",".join(DEFAULT_FEATURES))
    ap.add_argument("--max-false", type=float, default=0.05)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--write", action="store_true", help="save the model fitted on all questions")
    args = ap.parse_args()
    questions = [json.loads(line) for line in open(args.questions, encoding="utf-8") if line.strip()]
    names = args.features.split(",")
    rows, labels = signals_for(questions, args.corpus)
    rows = rows[:, [abstain.FEATURES.index(n) for n in names]]
    z_cv = np.zeros(len(labels))  # folds by question order modulo k: deterministic
    cuts = []
    for fold in range(args.folds):
        test = np.arange(len(labels)) % args.folds == fold
        w, b = abstain.fit(rows[~test], labels[~test])
        cuts.append(cut_for(rows[~test] @ w + b, labels[~test], args.max_false))
        z_cv[test] = rows[test] @ w + b - cuts[-1]
    print(f"{args.folds}-fold cross-validated: {figures(z_cv, 0.0, labels)}")
    w, b = abstain.fit(rows, labels)
    cut = cut_for(rows @ w + b, labels, args.max_false)
    print(f"in-sample: {figures(rows @ w + b, cut, labels)}")
    print("weights:", {n: round(float(x), 3) for n, x in zip(names, w)}, "bias", round(b, 3))
    if args.write:
        threshold = 1.0 / (1.0 + np.exp(-cut))  # the logit cut as a probability
        abstain.save_model(names, w, b, float(threshold),
                           f"{args.questions}: {len(questions)} questions, {int(labels.sum())} answerable; "
                           f"false abstain <= {args.max_false:.0%}; python eval/calibrate.py --write")
    return 0


if __name__ == "__main__":
    sys.exit(main())
