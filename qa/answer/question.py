"""The part of a typed question the assistant reads: its last sentence, when the asker first says who they are or
why they ask ("I am a journalist and missed the opening. Who delivered this speech?"). Measured on two held-out sets
written for it (eval/preambles-dev.md): of 40 answerable questions with a preamble, 21 were answered right as typed
and 29 read this way (the bare questions: 29)."""
from __future__ import annotations

import re

from ..text.words import AUX, WH
from ..ingest.split import sentence_spans

# a pronoun that may point back into the sentences before ("Is the flu jab safe in pregnancy? How long does it
# protect the child?"): then the question is read whole
_BACK = frozenset("it they them he she".split())
_WORD = re.compile(r"[a-z']+")
# the sentence before ends on a word, not on an initial or a title ("L.A.", "Ae.", "Dr.") the splitter cut after
_ENDS_ON_A_WORD = re.compile(r"(?:\b[a-z]{2,}|[A-Za-z]{3,}|\d[a-z]*)[.?!][\"'”’)]*$")


def last_sentence(question: str) -> str:
    """The question's last sentence when it asks on its own after other sentences, else "". Asking on its own: it
    ends with "?", holds a question word or an auxiliary, has no pronoun that may point back, and the sentence
    before ends on a word, so a split after an initial ("the L.A. Mayer Institute", "Ae. aegypti") keeps the
    question whole."""
    spans = sentence_spans(question, 0, len(question))
    if len(spans) < 2:
        return ""
    last = question[spans[-1][0]:spans[-1][1]]
    words = set(_WORD.findall(last.lower()))
    if not last.endswith("?") or not words & (WH | AUX) or words & _BACK:
        return ""
    return last if _ENDS_ON_A_WORD.search(question[:spans[-1][0]].rstrip()) else ""
