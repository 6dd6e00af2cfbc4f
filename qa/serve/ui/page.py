"""The chat's Gradio Blocks: its layout, which event runs which handler (qa.serve.ui.events) on which components,
and the Gradio API's two public endpoints, `ask` and `search` (qa.serve.tools); every other event is private."""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from ...ingest.corpus import SUFFIXES
from ...retrieve.retriever import MAX_QUERY_CHARS
from ..corpora import DEFAULT
from ..tools import make_tools, refusals_as
from .components import conversation as conversation_log, source_view
from .events import Events
from .html import header_html

CSS = (Path(__file__).parent / "chat.css").read_text("utf-8")
# Gradio's default theme, its fonts served by the app itself (a GoogleFont would be fetched from Google). Its font
# with the bold face (700) instead of the semibold one: the SemiBold file Gradio ships holds capitals only, so
# semibold words came out in two fonts.
SANS = [gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"]
THEME = gr.themes.Default(primary_hue="amber", neutral_hue="slate", font=SANS)
# Runs in the browser before a question goes to the server: the conversation shows it at once (conversation.js).
ECHO = """(message, ...rest) => {
  const text = message && !(message.files || []).length ? (message.text || "").trim() : "";
  if (text) window.dispatchEvent(new CustomEvent("qa-asking", { detail: text }));
  return [message, ...rest];
}"""
CONCURRENCY = 4  # turns answered at once (each corpus answers one at a time; an upload's indexing holds one)
QUEUE = 256  # events waiting beyond which the server says it is busy
SESSIONS = 256  # sessions whose state (the previous turn) is kept, least recently used forgotten first


def build(corpora) -> gr.Blocks:
    """The chat over `corpora` (qa.serve.corpora.Corpora). Long because it lays out the page and wires its events."""
    events = Events(corpora)
    default = corpora.describe(DEFAULT)
    # not in the API; no Gradio spinner on the outputs (the conversation says when it waits, the upload has its bar)
    private = {"api_visibility": "private", "show_progress": "hidden"}
    with gr.Blocks(title=f"qa · {default['title']}", analytics_enabled=False, delete_cache=(600, 3600)) as blocks:
        previous = gr.State(None)
        with gr.Row(elem_id="qa-header", equal_height=True):
            header = gr.HTML(header_html(default), elem_id="qa-brand")
            picker = gr.Dropdown(choices=[(default["title"], DEFAULT)], value=DEFAULT, label="Corpus", show_label=False,
                                 elem_id="qa-corpus", visible=False, scale=0, min_width=140, interactive=True,
                                 container=False)
            clear = gr.Button("Clear", elem_id="qa-clear", size="sm", scale=0, min_width=70)
        conversation = conversation_log(elem_id="qa-conversation")
        examples = gr.Dataset(label="Examples", components=[gr.Textbox(render=False)], samples=[], type="values",
                              elem_id="qa-examples")
        status = gr.HTML("", elem_id="qa-upload")
        with gr.Row(elem_id="qa-input"):
            box = gr.MultimodalTextbox(show_label=False, elem_id="qa-question", file_count="multiple",
                                       file_types=list(SUFFIXES), max_plain_text_length=MAX_QUERY_CHARS,
                                       submit_btn="Ask", autofocus=True, placeholder=f"Ask the {default['noun']}")
        with gr.Accordion("Options", open=False, elem_id="qa-options"):
            k = gr.Slider(1, 10, value=5, step=1, label="Sources per answer", elem_id="qa-k")
        with gr.Sidebar(label="Source", position="right", open=False, width=560, elem_id="qa-panel") as sidebar:
            source = source_view(elem_id="qa-panel-body")

        # the public API first, so that its names are theirs (Gradio renames a later endpoint of the same name)
        for tool in make_tools(corpora.default):
            # gr.Error: Gradio sends its message to the client (other errors it hides, show_error=False)
            said = refusals_as(tool, lambda message: gr.Error(message, print_exception=False))
            gr.api(said, api_name=tool.__name__)
        outputs = [conversation, previous, box, examples, status, picker, header, sidebar]
        blocks.load(events.load, None, outputs, **private)
        # one submit, two listeners: a question (a plain function, see Events.turn), or documents (a generator)
        box.submit(events.turn, [box, picker, previous, k], outputs, js=ECHO, **private)
        box.submit(events.submit_documents, [box, previous, k], outputs, **private)
        examples.click(events.example, [examples, picker, previous, k], outputs, **private)
        # select, not input: Gradio's dropdown also sends input when it loses focus, and a blur must not clear the chat
        picker.select(events.pick, None, outputs, **private)
        clear.click(events.show, picker, outputs, **private)
        conversation.select(events.source, picker, [source, sidebar], **private)
        source.close(events.close_source, None, sidebar, **private)

    blocks.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE)
    # Gradio keeps a session's state (here the previous turn, and its copy of the components' settings, ~40 KB) for
    # its 10,000 most recent sessions, and a message queue for each of its 2,000 most recent: every call through its
    # API is a new session. Both are bounded alike; a session is forgotten after SESSIONS newer ones.
    blocks.state_session_capacity = SESSIONS
    pending = getattr(getattr(blocks, "_queue", None), "pending_messages_per_session", None)
    if pending is not None and hasattr(pending, "max_size"):
        pending.max_size = SESSIONS
    return blocks

