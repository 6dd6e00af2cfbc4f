"""Lexical analysis shared by BM25 and answer scoring: lower-cased word and number tokens, stemmed, stopwords dropped."""
from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
# Words that say how a question is asked, not what it is about: they carry no evidence.
QUESTION_WORDS = frozenset(
    "what which who whom whose when where why how much many does did do is are was were the speech "
    "say says said mention mentioned mentions according document text talk talks tell tells give given "
    "name named list kind sort type".split())
# Words about the document itself ("the speaker", "this article"): kept, but they weigh little, since a
# question that names them is about the content, not about the byline where they occur.
META_WORDS = frozenset("speaker speakers author article paper report".split())


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The words qa's terms leave out (bm25s's English list and a few more); the Milvus store's analyser uses them."""
    # bm25s.stopwords is a plain data module, but importing it runs bm25s/__init__, which imports scipy and
    # tqdm (0.3 s or more of a one-shot `qa ask`); so the file is run on its own, found without importing bm25s.
    import importlib.util
    from pathlib import Path

    package = importlib.util.find_spec("bm25s")
    spec = importlib.util.spec_from_file_location("qa._bm25s_stopwords",
                                                  Path(package.origin).with_name("stopwords.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    STOPWORDS_EN = module.STOPWORDS_EN  # a plain tuple of English stopwords

    # bm25s's list lacks some function words that carry no evidence
    return frozenset(STOPWORDS_EN) | {"from", "into", "onto", "upon", "within", "without", "via", "than", "also",
                                      "its", "their", "would", "could", "should", "may", "might", "shall"}


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: Snowball English

    return Stemmer.Stemmer("english")


def raw_tokens(text: str) -> list[str]:
    """Lower-cased words and numbers; thousands separators dropped so that 4,000 matches 4000."""
    out = []
    for tok in _TOKEN.findall(text.lower()):
        if tok[0].isdigit():
            tok = re.sub(r",(?=\d{3}\b)", "", tok).rstrip(".,")
        out.append(tok)
    return out


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return word if word[0].isdigit() else _stemmer().stemWord(word)


def terms(text: str, drop: frozenset[str] = frozenset()) -> list[str]:
    """Stemmed content terms of `text`, in order, for indexing and matching."""
    stop = stopwords()
    return [_stem(t) for t in raw_tokens(text) if t not in stop and t not in drop]


def question_terms(question: str) -> list[str]:
    """A question's key terms: its content words minus the words that only say how it is asked."""
    return list(dict.fromkeys(terms(question, QUESTION_WORDS)))
