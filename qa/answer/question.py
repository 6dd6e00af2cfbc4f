"""The part of a typed question the reader reads: its last sentence, when the asker first says who they are or why
they ask ("I am a journalist and missed the opening. Who delivered this speech?")."""
from __future__ import annotations

from ..ingest.split import sentence_spans


def last_sentence(question: str) -> str:
    """The question's last sentence, or "" when it has only one."""
    spans = sentence_spans(question, 0, len(question))
    return question[spans[-1][0]:spans[-1][1]] if len(spans) > 1 else ""
