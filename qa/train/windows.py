"""Stage 1 of `qa train`: SQuAD-format files into the reader's training windows, positives and negatives.

Every paragraph is cut into the windows the reader reads at query time (qa.answer.windows.pack). A question
gives its window holding the answer whole; negatives, which teach the no-answer score, are (a) the window of the
same article that qa's BM25 ranks first for the question among those without the answer (the hard negative that
retrieval would hand the reader), (b) its own window with the answer's sentence cut out, (c) for SQuAD 2.0's
unanswerable questions, the best-ranked window of their own paragraph, and (d) with `edits`, the question edited so
that its own window no longer answers it (qa/train/edits.py). Files of answer sentences (`sentence_samples`, e.g.
SelQA) give samples whose answer is a whole sentence: the loss asks only that the span lie inside it. Deterministic
for a seed.
"""
from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..answer.windows import Window, pack
from ..errors import QAError
from ..index.build import BM25_SETTINGS
from ..ingest.split import sentence_spans
from ..text.lexical import terms
from .batches import SEED
from .edits import article_phrases, edited

HARD_NEGATIVE_SHARE = 0.25  # of answerable questions, a BM25-ranked window of the article without the answer
CUT_NEGATIVE_SHARE = 0.10  # of answerable questions, their own window with the answer's sentence cut out


@dataclass(frozen=True)
class Sample:
    """One training input: a question, a window of a text, and the answer's offsets in that text (None: none)."""

    question: str
    text: str
    window: Window
    answer: tuple[int, int] | None
    article: str
    whole: bool = False  # the answer is a whole sentence that holds the span, not the span itself


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[tuple[int, int], ...]  # (start, end) in the paragraph; empty when unanswerable


@dataclass(frozen=True)
class Paragraph:
    text: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[Paragraph, ...]


def read_squad(path: str | Path) -> list[Article]:
    """The articles of a SQuAD v1.1/v2.0 JSON file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError) as err:
        raise QAError(f"cannot read SQuAD file {path}: {err}") from None
    articles = []
    for a, article in enumerate(data):
        paragraphs = []
        for p in article["paragraphs"]:
            text = p["context"]
            qs = []
            for q in p["qas"]:
                spans = () if q.get("is_impossible") else tuple(
                    (x["answer_start"], x["answer_start"] + len(x["text"])) for x in q["answers"]
                    if text[x["answer_start"]:x["answer_start"] + len(x["text"])] == x["text"])
                if spans or q.get("is_impossible"):
                    qs.append(Question(q["id"], q["question"], spans))
            paragraphs.append(Paragraph(text, tuple(qs)))
        articles.append(Article(article.get("title") or f"article-{a}", tuple(paragraphs)))
    return articles


def held_out_titles(articles: list[Article], share: float, seed: int = SEED) -> set[str]:
    """A fixed share of the articles (by a hash of the title), kept out of training to fit the confidence."""
    if share <= 0:
        return set()
    ranked = sorted(articles, key=lambda a: hashlib.sha256(f"{seed}:{a.title}".encode()).hexdigest())
    return {a.title for a in ranked[:max(1, round(share * len(articles)))]}


def _holds(window: Window, span: tuple[int, int]) -> bool:
    return window.start <= span[0] and span[1] <= window.end


def _cut(text: str, window: Window, sentence: tuple[int, int]) -> str:
    """The window's text with one sentence taken out (a negative that keeps the topic and loses the answer)."""
    return (text[window.start:sentence[0]] + text[sentence[1]:window.end]).strip()


def article_samples(article: Article, tokenizer, budget: int, rng: random.Random, edits: float = 0.0,
                    seed: int = SEED, whole: bool = False) -> Iterator[Sample]:
    """The training samples of one article; `edits`: the share of its answerable questions that also give an
    edited, unanswerable twin on their own window; `whole`: its answers are whole sentences."""
    import bm25s

    edit_rng = random.Random(f"{seed}:{article.title}")  # its own stream: edits=0 leaves the other draws as they were
    names, figures = article_phrases([p.text for p in article.paragraphs]) if edits else ([], [])

    cut = [(p, pack(tokenizer, p.text, sentence_spans(p.text, 0, len(p.text)), budget)) for p in article.paragraphs]
    pool = [(p.text, w) for p, windows in cut for w in windows]
    if not pool:
        return
    bm25 = bm25s.BM25(**BM25_SETTINGS)  # as qa index scores passages
    bm25.index([terms(text[w.start:w.end]) or ["\x00"] for text, w in pool], show_progress=False)
    for paragraph, windows in cut:
        for q in paragraph.questions:
            order = None

            def ranked():
                nonlocal order
                if order is None:
                    scores = bm25.get_scores(terms(q.question))
                    order = sorted(range(len(pool)), key=lambda i: (-scores[i], i))
                return order

            if not q.answers:  # unanswerable: its own paragraph's best-ranked window
                own = [i for i in ranked() if pool[i][0] is paragraph.text]
                if own:
                    yield Sample(q.question, paragraph.text, pool[own[0]][1], None, article.title)
                continue
            span = q.answers[0]
            holding = [w for w in windows if _holds(w, span)]
            if not holding:
                continue  # an answer across two windows' cut: rare, and no window can teach it
            window = holding[rng.randrange(len(holding))]
            yield Sample(q.question, paragraph.text, window, span, article.title, whole)
            if edits and edit_rng.random() < edits:
                twin = edited(q.question, paragraph.text[window.start:window.end], names, figures, edit_rng)
                if twin:
                    yield Sample(twin, paragraph.text, window, None, article.title)
            draw = rng.random()
            if draw < HARD_NEGATIVE_SHARE:
                answers = {paragraph.text[s:e].lower() for s, e in q.answers}
                for i in ranked():
                    text, w = pool[i]
                    if not any(a in text[w.start:w.end].lower() for a in answers):
                        yield Sample(q.question, text, w, None, article.title)
                        break
            elif draw < HARD_NEGATIVE_SHARE + CUT_NEGATIVE_SHARE:
                sentences = [s for s in sentence_spans(paragraph.text, window.start, window.end)
                             if s[0] < span[1] and span[0] < s[1]]
                rest = _cut(paragraph.text, window, (sentences[0][0], sentences[-1][1])) if sentences else ""
                if rest and not any(paragraph.text[s:e] in rest for s, e in q.answers):
                    yield Sample(q.question, rest, Window(0, len(rest)), None, article.title)


def training_samples(articles: list[Article], tokenizer, budget: int, seed: int = SEED,
                     limit: int | None = None, edits: float = 0.0) -> list[Sample]:
    """Every article's samples, shuffled in a fixed order; the first `limit` when given."""
    rng = random.Random(seed)
    samples = [s for article in articles for s in article_samples(article, tokenizer, budget, rng, edits, seed)]
    random.Random(seed + 1).shuffle(samples)
    return samples[:limit] if limit else samples


def sentence_samples(articles: list[Article], tokenizer, budget: int, seed: int = SEED) -> list[Sample]:
    """The samples of articles whose answers are whole sentences (SelQA's), with their negatives, in a fixed order:
    they teach which sentence answers a question worded unlike it, and leave the span within it to the reader."""
    rng = random.Random(seed + 2)
    samples = [s for article in articles for s in article_samples(article, tokenizer, budget, rng, whole=True)]
    random.Random(seed + 3).shuffle(samples)
    return samples
