"""`qa serve`: one server with the chat (Gradio) at / and the HTTP API under /api/, over one loaded Assistant.

`Service` owns the Assistant and a lock, so that the API's and the chat's worker threads take turns with
the model and the index, and picks up a rebuilt index (`qa index` run while serving); `create_app` puts the
API and the chat into one FastAPI app; `run` serves it.
"""
from __future__ import annotations

import errno
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import QAError
from ..chat.followup import Resolved, Turn, resolve, similarity
from ..records import Answer, Hit
from ..chat.render import answer_html, corpus_noun, corpus_title, error_html

MAX_CHAT_BODY_BYTES = 4 * 1024 * 1024  # any request outside /api/ (those have api.MAX_BODY_BYTES)
CHAT_SESSIONS = 256  # conversations whose turns the server remembers, least recently used forgotten first


@dataclass(frozen=True)
class Reply:
    """One chat turn's outcome: the HTML to show, the turn to remember, and how the question was resolved."""

    html: str
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
        meta = self.index.manifest.get("corpus_meta") or {}
        self.noun = meta.get("noun") or corpus_noun(self.index.documents)
        self.title = corpus_title(self.index.documents)
        # follow-ups like "And for nickel?" swap a word for one of its kind: the corpus's lists and the encoder say which
        self.similar = similarity(assistant.retriever.embedder, [d.text for d in self.index.documents.values()])

    def _current_version(self) -> str:
        try:
            return (self.index_dir / "CURRENT").read_text(encoding="utf-8").strip()
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

        try:
            index = load_index(self.index_dir)  # checksums verified; a version that changed again loads whole
            assistant = Assistant(Retriever(index))  # with the new version's own question encoder
        except Exception as err:  # noqa: BLE001 - a bad rebuild must never take the server down
            print(f"qa: not switching to the rebuilt index at {self.index_dir}: {' '.join(str(err).split())}",
                  file=sys.stderr, flush=True)
            with self.lock:
                self._refused, self._loading = version, None
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
                answer = self.assistant.ask(resolved.question, k=k)
                documents, noun = self.index.documents, self.noun
        except QAError as err:
            return Reply(error_html(str(err)), previous, resolved)
        turn = Turn(resolved.question, answer.answer if answer.answerable else "")
        return Reply(answer_html(answer, documents, noun, resolved), turn, resolved, answer)

    def examples(self) -> list[str]:
        """Questions to click: the corpus's own (corpus.toml), else one per section heading."""
        examples = (self.index.manifest.get("corpus_meta") or {}).get("examples")
        if examples:
            return list(examples)
        sections = []
        for p in self.index.passages:
            if p.start < self.index.documents[p.doc].body_start:
                continue  # the front matter's passage
            last = p.heading.split(" › ")[-1].strip() if p.heading else ""
            if last and last not in sections:
                sections.append(last)
        verb = "do the documents say" if self.noun == "documents" else f"does the {self.noun} say"
        return [f"What {verb} about {s}?" for s in sections[:4]]


def create_app(service: Service):
    """The FastAPI app: the API routes first, then the Gradio chat mounted at /."""
    import gradio as gr

    from .api import BodyLimit, create_api
    from .ui import CSS, THEME, build_ui

    app = create_api(service)
    # Gradio reads any body it is sent; the chat's carry the question and the conversation so far (a few KB
    # a turn), so they get a limit of their own, roomier than the API's.
    app.add_middleware(BodyLimit, limit=MAX_CHAT_BODY_BYTES, prefix="/")
    blocks = build_ui(service)
    # Gradio keeps ~40 KB per chat session (a copy of the page's component settings, and the turns) for its
    # 10,000 most recent sessions: memory grew by that much with every new conversation. The turns only serve
    # follow-ups, so the least recently used sessions beyond CHAT_SESSIONS are let go.
    blocks.state_session_capacity = CHAT_SESSIONS
    app = gr.mount_gradio_app(app, blocks, path="/", theme=THEME, css=CSS, ssr_mode=False, show_error=False,
                              footer_links=[], mcp_server=False, pwa=False, enable_monitoring=False)
    # Gradio's queue also keeps a message queue for each of its 2,000 most recent sessions (an LRU it does not
    # let callers size), and every call through its HTTP API is a new session: memory crept up for the first
    # 2,000 chat turns. Bound it like the session state; a session is only evicted after 256 newer ones.
    pending = getattr(getattr(blocks, "_queue", None), "pending_messages_per_session", None)
    if pending is not None and hasattr(pending, "max_size"):
        pending.max_size = CHAT_SESSIONS
    return app


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or a one-line QAError (port in use, unknown host, no permission)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as err:
        raise QAError(f"cannot listen on {host}:{port}: {err.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise QAError(f"port {port} on {host} is in use; choose another with --port") from None
        raise QAError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def run(service: Service, sock: socket.socket, log_level: str = "warning") -> None:
    """Serve the app on an already listening socket until interrupted."""
    import uvicorn

    app = create_app(service)
    url = url_of(sock)
    print(f"qa: the chat on the {service.noun} “{service.title}” is at {url} "
          f"(HTTP API: {url}api/ask, {url}api/search, {url}api/health; schema: {url}openapi.json). "
          "Ctrl-C stops it.", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level=log_level, access_log=False, timeout_graceful_shutdown=2,
                            server_header=False)
    uvicorn.Server(config).run(sockets=[sock])


def prepare_environment() -> None:
    """Nothing leaves the machine: no analytics, no update checks, no hub look-ups; bounded in-memory records."""
    for key, value in (("GRADIO_ANALYTICS_ENABLED", "False"), ("HF_HUB_OFFLINE", "1"),
                       ("HF_HUB_DISABLE_TELEMETRY", "1"), ("GRADIO_SSR_MODE", "False"),
                       ("DO_NOT_TRACK", "1")):
        os.environ[key] = value
    # Gradio's queue keeps timing records of its last 10,000 events by default (for ETAs and its monitoring
    # page, which is off here); a few hundred will do, and they cannot add up.
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "200")
