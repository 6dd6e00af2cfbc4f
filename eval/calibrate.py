"""Fit the abstention model (qa/answer/abstain_model.json) on a question set; report its cross-validated figures.

The threshold is the highest that keeps false abstentions on answerable questions at or under --max-false
(5% by default), so the model trades abstention recall for never refusing what the document answers.
Any question file `qa eval` reads works (curated or generic JSONL against --corpus, SQuAD JSON), so the
same script shows how far the signals carry to another corpus: each signal's AUC, and cross-validated
figures with folds over questions or over whole articles (`--folds-by article`: a SQuAD article's
paragraphs are never split between fitting and testing).
Usage: python eval/calibrate.py [QUESTIONS] [--corpus corpus] [--folds-by question|article]
"""
import argparse
import sys
import tempfile

import numpy as np

from qa.answer import abstain
from qa.answer.assistant import Assistant
from qa.evaluation.datasets import load_eval_set
from qa.index.build import build_index
from qa.retrieve.retriever import Retriever

DEFAULT_FEATURES = ("sentence_cosine", "coverage", "unknown_terms", "type_match", "missing_specifics", "key_coverage",
                    "rarest_in_quote")  # the best subset by 5-fold cross-validation on eval/questions.jsonl


def signals_for(questions, corpus) -> tuple[np.ndarray, np.ndarray]:
    assistant = Assistant(Retriever(build_index(corpus)))
    rows, labels = [], []
    for q in questions:
        found, _ = assistant.signals(q.question)
        rows.append([found.get(name, 0.0) for name in abstain.FEATURES])
        labels.append(1.0 if q.answerable else 0.0)
    return np.array(rows), np.array(labels)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Probability that an answerable question scores above an unanswerable one (ties count half)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def cut_for(z: np.ndarray, labels: np.ndarray, max_false: float) -> float:
    """The largest logit threshold under which at most `max_false` of answerable questions fall."""
    answerable = np.sort(z[labels == 1])
    i = int(max_false * len(answerable))  # answerable[:i] may fall under the cut, answerable[i] may not
    return float(answerable[0]) - 1.0 if i == 0 else float(answerable[i - 1] + answerable[i]) / 2


def figures(z: np.ndarray, cut: float, labels: np.ndarray) -> str:
    abstained = z < cut
    unanswerable = labels == 0
    tp, fp = (abstained & unanswerable).sum(), (abstained & ~unanswerable).sum()
    precision, recall = tp / max(tp + fp, 1), tp / max(unanswerable.sum(), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return (f"abstain recall {tp}/{unanswerable.sum()}, false abstain {fp}/{(~unanswerable).sum()}, "
            f"abstention P {precision:.3f} R {recall:.3f} F1 {f1:.3f}")


def fold_of(questions, folds: int, by: str) -> np.ndarray:
    """Each question's fold: by position, or by article (a SQuAD document id starts with its article number)."""
    if by == "question":
        return np.arange(len(questions)) % folds
    articles = sorted({(q.doc or "").split("-")[0] for q in questions})
    if len(articles) < 2:
        raise SystemExit(f"--folds-by article needs at least two articles; found {len(articles)}")
    number = {a: i % folds for i, a in enumerate(articles)}
    return np.array([number[(q.doc or "").split("-")[0]] for q in questions])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", nargs="?", default="eval/questions.jsonl")
    ap.add_argument("--corpus", default=None, help="corpus folder for a JSONL file (default corpus/)")
    ap.add_argument("--features", default=",".join(DEFAULT_FEATURES))
    ap.add_argument("--max-false", type=float, default=0.05)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--folds-by", choices=("question", "article"), default="question")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="qa-calibrate-") as scratch:
        evalset = load_eval_set(args.questions, args.corpus, scratch)
        rows, labels = signals_for(evalset.questions, evalset.corpus_dir)
    print("signal AUC (answerable above unanswerable):",
          {n: round(auc(rows[:, i], labels), 3) for i, n in enumerate(abstain.FEATURES)})
    names = args.features.split(",")
    rows = rows[:, [abstain.FEATURES.index(n) for n in names]]
    folds = fold_of(evalset.questions, args.folds, args.folds_by)
    z_cv = np.zeros(len(labels))  # deterministic folds: no sampling
    for fold in sorted(set(folds.tolist())):
        test = folds == fold
        w, b = abstain.fit(rows[~test], labels[~test])
        z_cv[test] = rows[test] @ w + b - cut_for(rows[~test] @ w + b, labels[~test], args.max_false)
    print(f"{len(set(folds.tolist()))}-fold cross-validated by {args.folds_by}: {figures(z_cv, 0.0, labels)}")
    shipped = abstain.load_model()
    if list(shipped["features"]) == names:  # the model in qa/ on these questions, for comparison
        z = rows @ np.array(shipped["weights"]) + shipped["bias"]
        cut_now = float(np.log(shipped["threshold"] / (1 - shipped["threshold"])))
        print(f"the shipped model: {figures(z, cut_now, labels)}")
    w, b = abstain.fit(rows, labels)
    cut = cut_for(rows @ w + b, labels, args.max_false)
    print(f"in-sample: {figures(rows @ w + b, cut, labels)}")
    print("weights:", {n: round(float(x), 3) for n, x in zip(names, w)}, "bias", round(b, 3))
    # Nothing is written: the shipped confidence models are fitted by `qa train` on held-out training-side
    # articles only, never on a set whose figures are reported (this script is for reading signals).
    return 0


if __name__ == "__main__":
    sys.exit(main())
