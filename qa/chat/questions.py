"""Questions a sentence answers, made by rule from its date or figure: "When was the mill built?" from "The mill was
built in 1820 by the river.", "How much does the pond hold?" from "The pond holds about 4,000 litres.".

Two shapes of sentence are read, both general English: a passive ("X was built in 1820", "X were suspended for four
months") and a present-tense verb whose object is a figure ("X takes forty minutes"). Anything else gives no
question. The questions are candidates: qa.chat.examples keeps only those the corpus answers.
"""
from __future__ import annotations

import re

from .patterns import DATE_RE, NUMBER_RE
from ..text.lexicon import LEXICON
from ..text.words import ENTITY_PRONOUNS

# Past participles that do not end in -ed or -en: general English, for "was built", "were sold".
IRREGULAR = frozenset("built made sold held set put found bought brought taught caught won run paid laid kept left "
                      "lost met sent spent told cut shut hit led read begun done seen known shown grown drawn given "
                      "taken written chosen broken spoken thrown worn born".split())
_NOT_VERBS = frozenset("is was has does this its his hers theirs ours yours us thus plus bus gas".split())
_TIME = frozenset("years year months month weeks week days day hours hour minutes minute seconds".split())
_MONEY = frozenset(w.lower() for w in LEXICON["currencies"]) | {"$", "€", "£", "¥"}
_PEOPLE = frozenset("people persons times".split())
_SUBJECT = r"(?P<subject>[A-Z][\w'’-]*(?:\s+[\w'’-]+){0,5}?)"
PASSIVE = re.compile(rf"{_SUBJECT}\s+(?P<aux>was|were|is|are)\s+(?P<verb>[a-z]+)\b(?P<rest>[^;:?!]*)")
PRESENT = re.compile(rf"{_SUBJECT}\s+(?P<verb>[a-z]+s)\s+(?P<rest>[^;:?!]*)")
YEAR = re.compile(r"\b(?:in|since|until|by|from)\s+1[0-9]\d\d\b")  # DATE_RE's years start at 1900
MAX_CHARS = 100


def _participle(word: str) -> bool:
    return word.endswith(("ed", "en")) or word in IRREGULAR


def _base(verb: str) -> str:
    """The base form of a present-tense verb in -s: carries -> carry, passes -> pass, takes -> take."""
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    if verb.endswith(("sses", "shes", "ches", "xes", "zes", "oes")):
        return verb[:-2]
    return verb[:-1]


def _how(figure: str) -> str:
    """The question words a figure answers: a span of time "How long", a count "How many" with the counted noun
    ("300 people": "How many people"), else "How much"."""
    words = [w.strip(".,").lower() for w in figure.split()]
    if set(words) & _TIME:
        return "How long"
    noun = words[-1] if len(words) > 1 else ""
    # "300 people", "three keepers": a count, and the noun it counts
    if noun in _PEOPLE or re.fullmatch(r"[a-z]{3,}s", noun) and not re.search(r"\d", figure) and noun not in _MONEY:
        return f"How many {noun}"
    return "How much"


def _subject(subject: str, text: str) -> str:
    """The subject as it reads inside a question: its first word in lower case unless the document writes that word
    capitalised in mid-sentence too (a name: "Hart Heating", "DRC")."""
    first, _, rest = subject.partition(" ")
    proper = first.isupper() and len(first) > 1 or re.search(rf"[a-z,;][ \t]+{re.escape(first)}\b", text)
    return " ".join(filter(None, [first if proper else first.lower(), rest]))


def questions_from(sentence: str, text: str = "") -> list[str]:
    """The questions `sentence` answers by the two rules above (none for most sentences); `text` is its document,
    which says whether its first word is a name."""
    sentence = " ".join(sentence.split())
    if sentence.split(" ", 1)[0].lower() in ENTITY_PRONOUNS:  # "When was it built?" names nothing
        return []
    out = []
    passive = PASSIVE.match(sentence)
    if passive and _participle(passive["verb"]) and "," not in passive["subject"]:
        subject, rest = _subject(passive["subject"], text), passive["rest"]
        figure = NUMBER_RE.search(rest)
        if DATE_RE.search(rest) or YEAR.search(rest):
            out.append(f"When {passive['aux']} {subject} {passive['verb']}?")
        elif figure and _how(figure.group()) == "How long" and re.search(r"\bfor\s+$", rest[:figure.start()]):
            out.append(f"How long {passive['aux']} {subject} {passive['verb']}?")
    present = PRESENT.match(sentence)
    if present and present["verb"] not in _NOT_VERBS and not present["verb"].endswith(("ss", "us", "is")) \
            and "," not in present["subject"]:
        figure = NUMBER_RE.match(present["rest"])
        if figure and figure.group().strip():
            out.append(f"{_how(figure.group())} does {_subject(present['subject'], text)} {_base(present['verb'])}?")
    return [q for q in out if len(q) <= MAX_CHARS]
