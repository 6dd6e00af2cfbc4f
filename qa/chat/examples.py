"""Example questions for the chat: the corpus's own (corpus.toml), else one per section heading."""
from __future__ import annotations

EXAMPLES = 4  # section questions offered when corpus.toml names none


def example_questions(index, noun: str) -> list[str]:
    """Questions to click: the corpus's own (corpus.toml), else one per section heading of `index`."""
    examples = (index.manifest.get("corpus_meta") or {}).get("examples")
    if examples:
        return list(examples)
    sections = []
    for p in index.passages:
        if p.start < index.documents[p.doc].body_start:
            continue  # the front matter's passage
        last = p.heading.split(" › ")[-1].strip() if p.heading else ""
        if last and last not in sections:
            sections.append(last)
    verb = "do the documents say" if noun == "documents" else f"does the {noun} say"
    return [f"What {verb} about {s}?" for s in sections[:EXAMPLES]]
