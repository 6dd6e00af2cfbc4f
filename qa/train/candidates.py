"""Stage 1 of `qa train`: candidates. Every question is asked through qa's own retrieval and hand-set sentence
ranking; the sentences it would read become positives (they hold a gold answer) and hard negatives."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import QAError

SEED = 20250601
NEGATIVES = 3  # hardest wrong candidates kept per question


@dataclass(frozen=True)
class Example:
    """One (question, candidate sentence in context) pair with its label and, for a positive, the answer span."""

    article: str
    question: str
    sentence: str
    before: str
    after: str
    label: int
    span: tuple[int, int] | None  # gold answer's offsets inside `sentence`


def article_of(doc: str) -> str:
    """The article a document belongs to: SQuAD contexts are written as NNNN-Title-PPP.txt (one per paragraph)."""
    stem = doc.rsplit(".", 1)[0]
    head, _, tail = stem.rpartition("-")
    return head if head and tail.isdigit() else stem


def held_out(question, held_articles: set[str], share: float) -> bool:
    """Whether a question is on the calibration side: its article is held out, or (one-document sets) its id
    falls in the held-out share."""
    if held_articles:
        return article_of(question.doc or "") in held_articles
    return int(hashlib.sha256(f"{SEED}:{question.id}".encode()).hexdigest(), 16) % 1000 < share * 1000


def split_articles(articles: list[str], share: float, seed: int = SEED) -> tuple[set[str], set[str]]:
    """(training articles, held-out articles): a seeded, order-independent draw of whole articles."""
    ranked = sorted(articles, key=lambda a: hashlib.sha256(f"{seed}:{a}".encode()).hexdigest())
    n_out = max(1, round(share * len(ranked))) if len(ranked) > 1 else 0
    return set(ranked[n_out:]), set(ranked[:n_out])


def _rows_by_doc(index) -> dict[str, list[int]]:
    by_doc: dict[str, list[int]] = {}
    for row, s in enumerate(index.sentences):
        by_doc.setdefault(s.doc, []).append(row)
    return by_doc


def _gold_rows(index, by_doc, question) -> tuple[set[int], set[int]]:
    """(sentence rows that hold a gold answer span whole, rows that touch one)."""
    whole, touching = set(), set()
    for span in question.answer_spans:
        for row in by_doc.get(span.doc, []):
            s = index.sentences[row]
            if s.start < span.end and span.start < s.end:
                touching.add(row)
                if s.start <= span.start and span.end <= s.end:
                    whole.add(row)
    return whole, touching


def candidate_examples(assistant, questions, negatives: int = NEGATIVES) -> list[Example]:
    """Positives and hard negatives for `questions` from the assistant's own retrieval and sentence ranking."""
    from ..retrieve.retriever import check_query

    index = assistant.index
    by_doc = _rows_by_doc(index)
    examples = []
    for q in questions:
        question = check_query(q.question)
        depth, read = assistant.settings.pool, assistant.settings.read
        scored = assistant.retriever.score(question, depth)
        pool = assistant.retriever.rank(scored, depth, "hybrid")
        weights = assistant.facts.weights(question)
        ranked = [c.rows[0] for c in assistant.chooser.rank_rows(question, scored.vector, pool, weights)[:read]]
        gold, touching = _gold_rows(index, by_doc, q)
        rows = [r for r in ranked if r in gold] or sorted(gold)[:1]
        rows += [r for r in ranked if r not in touching][:negatives]
        items = assistant.chooser.reading_items(rows)
        for row, (sentence, before, after) in zip(rows, items):
            s = index.sentences[row]
            span = None
            if row in gold:
                inside = [g for g in q.answer_spans if g.doc == s.doc and s.start <= g.start and g.end <= s.end]
                span = (inside[0].start - s.start, inside[0].end - s.start)
            examples.append(Example(article_of(s.doc), question, sentence, before, after, int(row in gold), span))
    return examples


def index_for(evalset, embedder, folder: Path):
    """The assistant (model off) over a question file's corpus, its index built once into `folder` and reused."""
    from ..answer.assistant import Assistant
    from ..index.encoder import for_index
    from ..index.build import build_index
    from ..index.store import load_index, save_index
    from ..retrieve.retriever import Retriever

    from ..ingest.corpus import corpus_hash, load_corpus

    try:
        index = load_index(folder)
        if index.manifest.get("corpus_hash") != corpus_hash(load_corpus(evalset.corpus_dir)):
            raise QAError("the saved index is of another corpus")
    except QAError:
        save_index(build_index(evalset.corpus_dir, embedder=embedder, progress=False), folder)
        index = load_index(folder)
    return Assistant(Retriever(index, embedder=for_index(index)), reader=None)
