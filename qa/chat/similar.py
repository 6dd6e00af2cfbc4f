"""Words of one kind for follow-ups: which word of the previous question a fragment's word can stand in for
("nickel" for "copper"), from the corpus's own enumerations and, failing that, the index's encoder."""
from __future__ import annotations

import re

SIMILAR_COSINE = 0.45  # below this a fragment's word is no kind of thing the previous question named
# "copper, nickel, cobalt and lithium": words a document lists together are things of one kind
_ITEM = r"[A-Za-z][\w\-]*(?: [A-Za-z][\w\-]*)?"
_LAST_ITEM = r"[A-Za-z][\w\-]*"  # one word: after "and" a second word is as likely the verb ("... and tin rose")
_ENUMERATION = re.compile(rf"\b{_ITEM}(?:, {_ITEM}){{1,}},? (?:and|or) {_LAST_ITEM}")


def listed_together(texts: list[str]) -> dict[str, set[str]]:
    """word -> the other words the documents list beside it in enumerations of three or more."""
    peers: dict[str, set[str]] = {}
    for text in texts:
        for m in _ENUMERATION.finditer(text):
            items = [w.lower() for w in re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", m.group()) if w]
            items = [w.split()[-1] for w in items]  # "refined copper" lists "copper"
            for w in items:
                peers.setdefault(w, set()).update(x for x in items if x != w)
    return peers


def similarity(encoder, texts: list[str] = (), minimum: float = SIMILAR_COSINE):
    """A `similar` for resolve(): a word the corpus lists beside the phrase, else the word whose embedding (the
    index's own encoder) is closest to the phrase's, if close enough."""
    peers = listed_together(list(texts))

    def similar(phrase: str, words: list[str]) -> int | None:
        mates = set().union(*(peers.get(w, set()) for w in phrase.lower().split()))
        for i in range(len(words) - 1, -1, -1):
            if words[i].lower() in mates:
                return i
        vectors = encoder.encode([phrase, *words])
        cosines = vectors[1:] @ vectors[0]
        best = max(range(len(words)), key=lambda i: (float(cosines[i]), -i))
        return best if float(cosines[best]) >= minimum else None
    return similar
