"""The chat's events in Python: a turn, a citation's source, documents added, a corpus picked, the conversation
cleared. Answers, sources and examples come from the server's corpora (qa.serve.corpora), never from here.

Every turn sends the conversation its newest turn alone (qa.serve.ui.components.conversation appends it), and the
follow-up context (the previous turn) lives in the session's gr.State.
"""
from __future__ import annotations

import itertools
import sys
import time
from dataclasses import asdict
from pathlib import Path

import gradio as gr

from ...chat.followup import Turn
from ...errors import QAError
from ..corpora import DEFAULT, free_name
from .html import header_html, source_error_html, source_html, status_html

# Each turn's number: Gradio tells the page of a value only when it changes, and the same question twice is two turns.
_SEQ = itertools.count(1)
POLL_SECONDS = 0.3  # how often a build's progress is sent to the page
MAX_SOURCES = 10
CLEAR = {"kind": "clear"}


def _clear() -> dict:
    return dict(CLEAR, seq=next(_SEQ))


def _error_line(err: Exception) -> str:
    return " ".join(str(err).split()) if isinstance(err, QAError) else f"internal error ({type(err).__name__})"


class Events:
    """The chat's event handlers over the server's corpora (qa.serve.corpora.Corpora)."""

    def __init__(self, corpora):
        self.corpora = corpora

    # ---------------------------------------------------------------- what a corpus shows

    def picker(self, value: str = DEFAULT):
        """The corpus picker: every ready corpus, `value` chosen; shown when there is more than one."""
        choices = [(f"{c['name']} ({c['documents']} file{'' if c['documents'] == 1 else 's'})" if c["uploaded"]
                    else c["title"], c["name"]) for c in self.corpora.list() if c["status"] == "ready"]
        return gr.Dropdown(choices=choices, value=value, visible=len(choices) > 1)

    def header(self, name: str) -> str:
        return header_html(self.corpora.describe(name))

    def examples(self, name: str, visible: bool = True):
        """Questions to click: ones the corpus answers (qa.chat.examples)."""
        questions = self.corpora.service(name).examples()
        return gr.Dataset(samples=[[q] for q in questions], visible=visible and bool(questions))

    def box(self, name: str, **value):
        noun = self.corpora.describe(name).get("noun") or "documents"
        return gr.MultimodalTextbox(placeholder=f"Ask the {noun} a question, or drop documents here", **value)

    def show(self, name: str) -> tuple:
        """A corpus chosen: the conversation cleared, its header, examples and question box; the sidebar closed."""
        return (_clear(), None, self.box(name, value=None), self.examples(name), "", self.picker(name),
                self.header(name), gr.Sidebar(open=False))

    def pick(self, evt: gr.SelectData) -> tuple:
        """A corpus picked in the picker: `show` it."""
        return self.show(str(evt.value))

    def load(self) -> tuple:
        """The page opened: the default corpus, and the picker listing every corpus (uploads since included). What
        was typed meanwhile stays, and a question asked meanwhile is answered after this (the queue keeps order)."""
        return (gr.skip(), gr.skip(), self.box(DEFAULT), self.examples(DEFAULT), gr.skip(), self.picker(DEFAULT),
                self.header(DEFAULT), gr.skip())

    # ---------------------------------------------------------------- a turn

    def answer(self, text: str, name: str, previous: dict | None, k) -> tuple[dict, dict | None]:
        """(the conversation's new turn, the session's new previous turn) for the message `text`."""
        try:
            service = self.corpora.service(name)
            reply = service.chat(text, Turn(**previous) if previous else None, max(1, min(MAX_SOURCES, int(k))))
        except Exception as err:  # noqa: BLE001 - a turn that fails is a line in the conversation, never a crash
            if not isinstance(err, QAError):
                print(f"qa: a chat turn failed: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
            return {"kind": "error", "message": text, "error": _error_line(err), "seq": next(_SEQ)}, previous
        if "error" in reply.data:
            return {"kind": "error", "message": text, "error": reply.data["error"], "seq": next(_SEQ)}, previous
        turn = {"kind": "reply", "message": text, "question": reply.resolved.question, "display": reply.data,
                "seq": next(_SEQ)}
        # the whole turn, phrase and topic included: "What about tin?" after "And for platinum group metals?" swaps
        # the phrase the last fragment put in only if the session keeps it
        return turn, asdict(reply.turn)

    def turn(self, message: dict | None, name: str, previous: dict | None, k) -> tuple:
        """The question box sent without documents: the question answered (see qa.serve.ui.page.OUTPUTS). A plain
        function, not a generator: Gradio ignores a submit while the previous one's event is still open, and a
        generator's stays open a moment after its answer is shown, long enough to drop a quick next question."""
        text, files = _parts(message)
        if files or not text:
            return (gr.skip(),) * 8
        turn, previous = self.answer(text, name or DEFAULT, previous, k)
        return turn, previous, gr.MultimodalTextbox(value=None), gr.Dataset(visible=False), *(gr.skip(),) * 4

    def submit_documents(self, message: dict | None, previous: dict | None, k):
        """The question box sent with documents: `add` them (and then ask the text, if any, of them)."""
        text, files = _parts(message)
        if files:
            yield from self.add(files, text, previous, k)
        else:
            yield (gr.skip(),) * 8

    def example(self, sample: list, name: str, previous: dict | None, k):
        turn, previous = self.answer(str(sample[0]), name or DEFAULT, previous, k)
        return turn, previous, gr.skip(), gr.Dataset(visible=False), *(gr.skip(),) * 4

    # ---------------------------------------------------------------- documents added

    def add(self, files: list[str], text: str, previous: dict | None, k):
        """Store the uploaded files as a new corpus, index it in the background and report its progress; then switch
        the chat to it. Gradio's copies of the files are removed whatever happens, so its file route has none.

        Only files in Gradio's upload folder are taken: a message is the client's to write, and Gradio refuses a path
        it did not upload only in an app it launched itself, not in one mounted on FastAPI as this one is."""
        skip = (gr.skip(),) * 8
        name = free_name(Path(files[0]).stem, {c["name"] for c in self.corpora.list()})
        try:
            foreign = [Path(f).name for f in files if not _uploaded(f)]
            if foreign:
                raise QAError(f"{foreign[0]}: not uploaded to this chat")
            for i, path in enumerate(files):
                yield *skip[:4], status_html(0.5 * i / len(files), f"Uploading {Path(path).name}"), *skip[5:]
                self.corpora.put(name, Path(path).name, Path(path).read_bytes())
            self.corpora.build(name)
            while (state := self.corpora.describe(name))["status"] == "building":
                yield *skip[:4], status_html(0.5 + 0.5 * state["fraction"], f"Indexing: {state['stage']}"), *skip[5:]
                time.sleep(POLL_SECONDS)
            if state["status"] != "ready":
                raise QAError(state["error"] or f"indexing ended {state['status']}")
        except Exception as err:  # noqa: BLE001 - reported on the page; the corpus keeps what was stored
            refused = status_html(0.0, f"Not added: {_error_line(err)}", error=True)
            yield *skip[:2], gr.MultimodalTextbox(value=None), skip[3], refused, self.picker(DEFAULT), *skip[6:]
            return
        finally:
            _remove(files)
        notes = "".join(f" Note: {w}" for w in state["warnings"])
        done = status_html(1.0, f"Indexed {len(files)} file(s) into “{name}”; the chat now asks them.{notes}")
        conversation, _, box, examples, _, picker, header, sidebar = self.show(name)
        yield conversation, None, box, examples, done, picker, header, sidebar
        if text:
            turn, previous = self.answer(text, name, None, k)
            yield turn, previous, *skip[2:]

    # ---------------------------------------------------------------- the source of a citation

    def source(self, name: str, evt: gr.EventData) -> tuple:
        """A citation clicked: its range in its document, in the sidebar, opened. The range comes from the page and
        is checked like any request's (qa.chat.source.source_view: a document of the index, a range inside it)."""
        data = getattr(evt, "_data", None) or {}
        try:
            doc, start, end = str(data.get("doc", ""))[:1000], int(data.get("start", -1)), int(data.get("end", -1))
            view = self.corpora.service(name or DEFAULT).source(doc, start, end)
            return source_html(view), gr.Sidebar(open=True)
        except (QAError, TypeError, ValueError) as err:
            message = _error_line(err) if isinstance(err, QAError) else "not a citation"
            return source_error_html(message), gr.Sidebar(open=True)

    @staticmethod
    def close_source():
        return gr.Sidebar(open=False)


def _parts(message: dict | None) -> tuple[str, list[str]]:
    """A MultimodalTextbox value as (its text, stripped; the paths of its files)."""
    return ((message or {}).get("text") or "").strip(), [str(f) for f in (message or {}).get("files") or []]


def _uploaded(path: str) -> bool:
    """Whether `path` is a file inside Gradio's upload folder (links resolved)."""
    resolved = Path(path).resolve()
    return Path(gr.utils.get_upload_folder()).resolve() in resolved.parents and resolved.is_file()


def _remove(files: list[str]) -> None:
    """Remove Gradio's uploaded copies, and the folders it made for them, inside its upload folder only."""
    root = Path(gr.utils.get_upload_folder()).resolve()
    for path in (Path(f).resolve() for f in files if _uploaded(f)):
        path.unlink(missing_ok=True)
        if path.parent != root and path.parent.is_dir() and not any(path.parent.iterdir()):
            path.parent.rmdir()
