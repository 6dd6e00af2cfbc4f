"""Unanswerable questions made from answerable ones, the way SQuAD 2.0's writers made theirs: a named thing or a
figure of the question swapped for another of the same article, or a word turned into its opposite, so that the
question's own window (which still holds the old answer) no longer answers it.

SQuAD 2.0's unanswerables are two-fifths entity swaps and antonyms (Rajpurkar, Jia and Liang, 2018, table 2);
only 2,144 of them may be trained on here, so the reader sees too few of the kind that looks answerable.
"""
from __future__ import annotations

import random
import re

# a run of capitalised words (with the small words names carry inside them), or a figure
WORD = r"[A-Z](?:[\w'’-]|\.(?=\w))*"  # a dot only inside a word (U.S.), never a sentence's full stop
NAME = re.compile(rf"\b{WORD}(?:\s+(?:(?:of|the|de|du|von|van|and|for)\s+)?{WORD})*")
MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"}
YEAR = re.compile(r"1\d{3}|20\d{2}")
FIGURE = re.compile(r"\b\d[\d,.]*\b")
# a question's first word and its like are capitalised without naming anything
NOT_NAMES = {"what", "who", "whom", "whose", "when", "where", "which", "why", "how", "in", "on", "at", "the", "a",
             "an", "did", "does", "do", "is", "was", "are", "were", "according", "during", "after", "before", "by",
             "for", "from", "to", "of", "as", "if", "besides", "other", "than", "along", "i", "can"}
OPPOSITES = {"first": "last", "largest": "smallest", "most": "least", "highest": "lowest", "before": "after",
             "earliest": "latest", "increase": "decrease", "increased": "decreased", "north": "south",
             "east": "west", "maximum": "minimum", "more": "less", "older": "younger", "oldest": "youngest",
             "won": "lost", "longest": "shortest", "best": "worst", "biggest": "smallest", "early": "late",
             "start": "end", "began": "ended", "larger": "smaller", "higher": "lower", "major": "minor",
             "inside": "outside", "northern": "southern", "eastern": "western", "above": "below",
             "strongest": "weakest", "rich": "poor", "ancient": "modern", "private": "public", "accept": "reject",
             "accepted": "rejected", "allowed": "banned", "allow": "ban", "success": "failure", "gain": "loss"}
OPPOSITES |= {b: a for a, b in OPPOSITES.items()}


def _names(text: str, question: bool = True) -> list[str]:
    """Named things of a text: capitalised runs whose first word is not a question word or the like. In an
    article, one capitalised word opening a sentence is no name ("Experts said ...")."""
    found = []
    for m in NAME.finditer(text):
        words = m.group().split()
        while words and words[0].lower() in NOT_NAMES:
            words = words[1:]
        opens = not question and re.search(r"(^|[.!?]\s+|\n\s*)$", text[:m.start()]) is not None
        if words and len(" ".join(words)) > 2 and not (opens and len(words) == 1):
            found.append(" ".join(words))
    return found


def _kind(phrase: str) -> str:
    """A rough type, so a swap stays plausible: a month for a month, a year for a year, a count for a count."""
    if phrase in MONTHS:
        return "month"
    if YEAR.fullmatch(phrase):
        return "year"
    if phrase[0].isdigit():
        return f"figure{sum(c.isdigit() for c in phrase)}"
    return "name"


def _figures(text: str) -> list[str]:
    return [m.group().rstrip(".,") for m in FIGURE.finditer(text)]


def _absent(phrase: str, text: str, lowered: str | None = None) -> bool:
    """No whole-word occurrence of the phrase, case aside (the substring test first: most phrases are absent)."""
    return phrase.lower() not in (lowered or text.lower()) or re.search(
        rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE) is None


def article_phrases(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    """The article's names and figures, each once, in order of first use (deterministic)."""
    names, figures = {}, {}
    for text in paragraphs:
        for n in _names(text, question=False):
            names.setdefault(n, None)
        for f in _figures(text):
            figures.setdefault(f, None)
    return list(names), list(figures)


def edited(question: str, window: str, names: list[str], figures: list[str], rng: random.Random) -> str | None:
    """A question like `question` that `window` cannot answer, or None when no edit is safe. The swapped-in name or
    figure comes from elsewhere in the article (plausible, on topic) and is absent from the window."""
    edits, low = [], window.lower()
    for old in dict.fromkeys(_names(question)):
        if not _absent(old, window):  # the question's anchor in the window: swapping it breaks the link
            others = [n for n in names if n != old and _kind(n) == _kind(old) and _absent(n, window, low)
                      and _absent(n, question)]
            if others:
                edits.append((old, rng.choice(others)))
    for old in dict.fromkeys(_figures(question)):
        if not _absent(old, window):
            others = [f for f in figures if f != old and _kind(f) == _kind(old) and _absent(f, window, low)]
            if others:
                edits.append((old, rng.choice(others)))
    for word in re.findall(r"[A-Za-z]+", question):
        opposite = OPPOSITES.get(word.lower())
        if opposite and _absent(opposite, window):
            edits.append((word, opposite if word.islower() else opposite.capitalize()))
    if not edits:
        return None
    old, new = rng.choice(edits)
    return re.sub(rf"(?<!\w){re.escape(old)}(?!\w)", lambda _: new, question, count=1)
