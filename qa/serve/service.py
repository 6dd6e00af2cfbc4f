"""One corpus's Assistant, shared by the API and the chat: a lock, so their worker threads take turns, and hot reload.

`Service` picks up a rebuilt index (`qa index` run while serving); qa.serve.app puts the API and the chat page
that call it into one FastAPI app and serves it; qa.serve.corpora holds one Service per corpus.
"""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import QAError
from ..index.store import current_version
from ..chat.followup import Resolved, Turn, resolve
from ..chat.similar import similarity
from ..chat.turn import answer_turn, next_turn
from ..records import Answer, Hit
from ..chat.examples import example_questions
from ..chat.render import corpus_noun, corpus_title, reply
from ..chat.source import source_view


@dataclass(frozen=True)
class Reply:
    """One chat turn's outcome: what the page shows (qa.chat.render.reply, or {"error": ...}), the turn to
    send back with the next message, and how the question was resolved."""

    data: dict
    turn: Turn | None
    resolved: Resolved
    answer: Answer | None = None


class Service:
    """One Assistant, shared by the API and the chat; every call into it holds the lock.

    When the Assistant's index was loaded from a folder, a rebuild of that folder (`qa index ... --index DIR`,
    which switches its CURRENT pointer atomically) is noticed within `reload_every` seconds: the new version is
    loaded and checked in a background thread while requests go on being answered from the old one, then
    swapped in under the lock. A new version that does not load is reported once on stderr and the old one
    stays in service.
    """

    def __init__(self, assistant, reload_every: float = 1.0):
        self.lock = threading.Lock()
        self._install(assistant)
        path = getattr(assistant.index, "path", None)
        self.index_dir = Path(path).parent if path is not None else None
        self.version = Path(path).name if path is not None else ""
        self.reload_every = reload_every
        self._checked = time.monotonic()
        self._loading: threading.Thread | None = None
        self._refused = ""  # a version that failed to load: not tried again

    def _install(self, assistant) -> None:
        self.assistant = assistant
        self.index = assistant.index
        self._examples: tuple | None = None  # (index, questions): the example questions of that index
        meta = self.index.manifest.get("corpus_meta") or {}
        self.noun = meta.get("noun") or corpus_noun(self.index.documents)
        self.title = corpus_title(self.index.documents)
        # follow-ups like "And for nickel?" swap a word for one of its kind: the corpus's lists and the encoder say which
        self.similar = similarity(assistant.retriever.embedder, [d.text for d in self.index.documents.values()])

    def _current_version(self) -> str:
        try:
            return current_version(self.index_dir)
        except OSError:  # mid-replace or removed: keep serving what is loaded
            return ""

    def reload_if_changed(self, wait: bool = False) -> bool:
        """Start loading the index folder's current version if it is not the one in service; True if started.
        `wait` blocks until that load has finished (for tests and tools; requests never wait)."""
        if self.index_dir is None:
            return False
        self._checked = time.monotonic()
        started = False
        with self.lock:
            version = self._current_version()
            if version and version not in (self.version, self._refused) and self._loading is None:
                self._loading = threading.Thread(target=self._reload, args=(version,), daemon=True,
                                                 name="qa-index-reload")
                self._loading.start()
                started = True
            loading = self._loading
        if wait and loading is not None:
            loading.join()
        return started

    def _reload(self, version: str) -> None:
        from ..answer.assistant import Assistant
        from ..index.store import load_index
        from ..retrieve.retriever import Retriever

        store = getattr(self.assistant.retriever, "store", None)
        try:
            if store is None:
                index = load_index(self.index_dir)  # checksums verified; a version that changed again loads whole
                assistant = Assistant(Retriever(index))  # with the new version's own question encoder
            else:  # served from Milvus: the new version's light part, and its collections once written
                from ..index.milvus_search import open_store

                index = load_index(self.index_dir, vectors=False)
                assistant = Assistant(Retriever(index, store=open_store(store.uri, index)))
        except Exception as err:  # noqa: BLE001 - a bad rebuild must never take the server down
            print(f"qa: not switching to the rebuilt index at {self.index_dir}: {' '.join(str(err).split())}",
                  file=sys.stderr, flush=True)
            with self.lock:
                # `qa index --store` saves the folder before it writes the collections: until they match, the
                # version is tried again at the next check rather than refused for good
                self._refused = version if store is None or "another build" not in str(err) else self._refused
                self._loading = None
            return
        with self.lock:
            self._install(assistant)
            self.version, self._loading = Path(index.path).name, None
        print(f"qa: now answering from the rebuilt index {index.path}", file=sys.stderr, flush=True)

    def _maybe_reload(self) -> None:
        if self.index_dir is not None and time.monotonic() - self._checked >= self.reload_every:
            self.reload_if_changed()

    def ask(self, question: str, k: int = 5, mode: str = "hybrid") -> Answer:
        self._maybe_reload()
        with self.lock:
            return self.assistant.ask(question, k=k, mode=mode)

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> list[Hit]:
        self._maybe_reload()
        with self.lock:
            return self.assistant.retriever.search(query, k=k, mode=mode)

    def health(self) -> dict:
        self._maybe_reload()
        with self.lock:
            index, title = self.index, self.title
        m = index.manifest
        return {"status": "ok", "qa_version": __version__, "model": m.get("model", ""),
                "documents": len(index.documents), "passages": len(index.passages),
                "sentences": len(index.sentences), "corpus": title, "manifest": m}

    def chat(self, message: str, previous: Turn | None, k: int = 5) -> Reply:
        """Answer a chat message, resolving it against the previous turn when it leans on it."""
        resolved = resolve(message, previous, self.similar)
        self._maybe_reload()
        try:
            with self.lock:  # the answer and the documents it cites come from the same index
                answer, resolved = answer_turn(self.assistant, resolved, k, previous.answer if previous else "")
                documents, noun = self.index.documents, self.noun
        except QAError as err:
            return Reply({"error": " ".join(str(err).split())}, previous, resolved)
        return Reply(reply(answer, documents, noun, resolved), next_turn(resolved, answer), resolved, answer)

    def source(self, doc: str, start: int, end: int, context: int | None = None) -> dict:
        """The cited range in its document (qa.chat.source.source_view), from the index in service."""
        self._maybe_reload()
        with self.lock:
            index = self.index
        return source_view(index, doc, start, end, context)

    def examples(self) -> list[str]:
        """Questions to click: the corpus's own (corpus.toml), else ones made from its sentences that it answers
        (qa.chat.examples), checked once per index version by asking them."""
        with self.lock:
            index, cached = self.index, self._examples
        if cached is not None and cached[0] is index:
            return list(cached[1])
        questions = example_questions(index, self.ask)
        with self.lock:
            self._examples = (index, questions)
        return list(questions)
