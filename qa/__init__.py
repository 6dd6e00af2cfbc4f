"""qa: ask questions of documents; answers are verbatim with exact character-offset citations.

The public API is imported on first use (PEP 562), so that `import qa` and `qa --help` stay light:

    import qa
    assistant = qa.Assistant.load("index/")
    answer = assistant.ask("Which copper mine in Tibet is mentioned?")
"""
from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "Assistant": "qa.answer.assistant",
    "Retriever": "qa.retrieve.retriever",
    "rrf": "qa.retrieve.fusion",
    "Index": "qa.index.store",
    "build_index": "qa.index.build",
    "save_index": "qa.index.store",
    "load_index": "qa.index.store",
    "open_index": "qa.index.build",
    "load_corpus": "qa.ingest.corpus",
    "Splitter": "qa.ingest.split",
    "SplitSettings": "qa.ingest.split",
    "Embedder": "qa.index.embed",
    "OnnxEncoder": "qa.index.encoder",
    "Answer": "qa.records",
    "Citation": "qa.records",
    "Hit": "qa.records",
    "Passage": "qa.records",
    "Sentence": "qa.records",
    "Document": "qa.records",
    "QAError": "qa.errors",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qa' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
