"""Names the question spells differently from the documents: acronyms the corpus defines ("Democratic Republic of
the Congo (DRC)") and demonyms or other forms of a name it uses ("Congolese" for "Congo"). Both are read off the
corpus itself, so nothing here names any one document's words."""
from __future__ import annotations

import re

from ..text.lexical import terms

# "(DRC)" after the words it abbreviates; the letters are checked against those words' initials below.
_DEFINED = re.compile(r"((?:[\w'’\-]+\s+){1,10}?)\(([A-Z][A-Za-z&]{1,9})\)")
_LINKS = frozenset("of the and for de du la von van in on".split())
_CAPITALISED = re.compile(r"\b[A-Z][a-z]{3,}\b")
MIN_SHARED_PREFIX = 4  # "Chin|ese" and "Chin|a": shorter prefixes join unrelated words
MAX_CACHED_FORMS = 10_000
MIN_SHARED_SHARE = 0.6  # of the shorter word's letters


def _initials(words: list[str]) -> str:
    return "".join(w[0] for part in words for w in part.split("-") if w and w[0].isupper())


def acronyms(text: str) -> dict[str, str]:
    """ABBR -> the words it stands for, for every "Long Name (ABBR)" in `text` whose initials spell ABBR."""
    found: dict[str, str] = {}
    for m in _DEFINED.finditer(text):
        abbr, words = m.group(2), m.group(1).split()
        letters = abbr.replace("&", "").upper()
        if not letters.isalpha() or len(letters) < 2 or abbr in found:
            continue
        for n in range(1, len(words) + 1):  # the shortest run of words before "(" whose capitals spell it
            tail = words[-n:]
            if tail[0].lower() in _LINKS:
                continue
            initials = _initials(tail).upper()
            if initials == letters or (initials.startswith(letters[0]) and _subsequence(letters, initials)
                                       and len(initials) - len(letters) <= 1):
                found[abbr] = " ".join(tail).strip(",;:")
                break
    return found


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class Aliases:
    """Extra words for a question, from one corpus's acronyms and vocabulary."""

    def __init__(self, texts: list[str], vocabulary: dict[str, int]):
        self.acronyms: dict[str, str] = {}
        for text in texts:
            for abbr, long in acronyms(text).items():
                self.acronyms.setdefault(abbr, long)
        # which form the documents use more: a question is given the other form only when the corpus prefers it
        joined = "\n".join(texts)
        self.uses = {form: len(re.findall(rf"\b{re.escape(form)}\b", joined, re.I if form != abbr else 0))
                     for abbr, long in self.acronyms.items() for form in (abbr, long)}
        self.vocabulary = vocabulary  # stemmed term -> sentences holding it
        self._forms: dict[str, str | None] = {}  # each name's form, found once: the search scans the vocabulary

    def _form_of(self, word: str) -> str | None:
        """The corpus's own form of a capitalised word it never uses: the term sharing the longest prefix."""
        if word not in self._forms:
            if len(self._forms) >= MAX_CACHED_FORMS:  # a server hears many names: keep the memory bounded
                self._forms.clear()
            self._forms[word] = self._search_form(word)
        return self._forms[word]

    def _search_form(self, word: str) -> str | None:
        stem = next(iter(terms(word)), "")
        if len(stem) <= MIN_SHARED_PREFIX or stem in self.vocabulary:
            return None
        best, best_key = None, (0, 0)
        for term, df in self.vocabulary.items():
            if term[:1] != stem[:1] or not term.isalpha():
                continue
            shared = _shared_prefix(stem, term)
            if shared >= MIN_SHARED_PREFIX and shared >= MIN_SHARED_SHARE * min(len(stem), len(term)) \
                    and (shared, df) > best_key:
                best, best_key = term, (shared, df)
        return best

    def equivalents(self, word: str, follow: bool = True) -> set[str]:
        """Lower-cased words that stand for `word` in this corpus: an acronym for the words it abbreviates (and
        back), the corpus's own form of a demonym, and that form's acronym ("Congolese" -> congo -> drc)."""
        found = set()
        for abbr, long in self.acronyms.items():
            if word == abbr or word.lower() == abbr.lower():
                found |= {w.lower() for w in long.split()}
            elif word.lower() in {w.lower() for w in long.split()} and word.lower() not in _LINKS:
                found.add(abbr.lower())
        form = self._form_of(word)
        if form:
            found.add(form)
            if follow:
                found |= self.equivalents(form, follow=False)
        return found

    def expand(self, question: str) -> str:
        """`question` with the corpus's spellings of its names added in brackets (unchanged when none apply)."""
        extra = []
        lowered = question.lower()
        for abbr, long in self.acronyms.items():
            has_abbr = re.search(rf"\b{re.escape(abbr)}\b", question) is not None
            has_long = long.lower() in lowered
            if has_long and not has_abbr and self.uses[abbr] >= self.uses[long]:
                extra.append(abbr)
            elif has_abbr and not has_long and self.uses[long] > self.uses[abbr]:
                extra.append(long)
        for word in _CAPITALISED.findall(question):
            form = self._form_of(word)
            if form and form not in extra:
                extra.append(form)
        return f"{question} ({', '.join(extra)})" if extra else question
