"""Example questions for the chat: the corpus's own (corpus.toml), else questions made from its sentences
(qa.chat.questions) that the corpus answers, each asked once to check."""
from __future__ import annotations

from itertools import chain, zip_longest
from typing import Callable

from ..records import Answer
from .questions import questions_from

EXAMPLES = 4  # questions offered when corpus.toml names none
TRIED = 16  # candidate questions asked at most: each costs one answer
MIN_CONFIDENCE = 0.4  # "possible answer" or better (qa.chat.render.BANDS)


def candidates(index) -> list[tuple[str, object]]:
    """(question, the sentence it was made from) for the index's body sentences, taking each document in turn so
    that the first few come from different documents."""
    per_doc: dict[str, list] = {}
    for s in index.sentences:
        document = index.documents[s.doc]
        if s.start < document.body_start:
            continue  # front matter
        per_doc.setdefault(s.doc, []).extend((q, s) for q in questions_from(s.text, document.text))
    seen, out = set(), []
    for pair in chain.from_iterable(zip_longest(*per_doc.values())):
        if pair is not None and pair[0] not in seen:
            seen.add(pair[0])
            out.append(pair)
    return out


def answered(answer: Answer, question: str, sentence) -> bool:
    """Whether `answer` answers `question` as an example should: confidently enough, citing the sentence the question
    came from, with a short answer that is not the question's own words."""
    short = answer.answer.strip().lower()
    cites = any(c.doc == sentence.doc and c.start <= sentence.start and sentence.end <= c.end for c in answer.citations)
    return (answer.answerable and answer.confidence >= MIN_CONFIDENCE and cites and bool(short)
            and short not in question.lower())


def example_questions(index, ask: Callable[[str], Answer]) -> list[str]:
    """Questions to click: the corpus's own (corpus.toml), else up to EXAMPLES made from its sentences that `ask`
    (the corpus's assistant) answers; none when no sentence gives one."""
    examples = (index.manifest.get("corpus_meta") or {}).get("examples")
    if examples:
        return list(examples)
    found = []
    for question, sentence in candidates(index)[:TRIED]:
        if answered(ask(question), question, sentence):
            found.append(question)
            if len(found) == EXAMPLES:
                break
    return found
