"""The chat page (Gradio Blocks only): layout and events. Answers, follow-ups and HTML come from `Service`.

Nothing here is fetched from outside the server: the theme uses system fonts, analytics are off, and
Gradio's own fonts, scripts and styles are served by the app itself.
"""
from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry, no version check

import gradio as gr  # noqa: E402

from ..chat.render import escape, question_html  # noqa: E402
from .service import Service  # noqa: E402

SANS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
        "Noto Sans", "Liberation Sans", "sans-serif"]
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "DejaVu Sans Mono", "monospace"]
THEME = gr.themes.Default(font=SANS, font_mono=MONO, primary_hue="amber", neutral_hue="slate")

CSS = """
.qa-reply { line-height: 1.5; }
.qa-text { white-space: pre-wrap; }
.qa-resolved { font-size: 0.9em; color: var(--body-text-color-subdued); margin-bottom: 0.4em; }
.qa-short { font-size: 1.15em; font-weight: 600; margin-bottom: 0.4em; }
.qa-quote { margin: 0.3em 0 0.4em 0; padding: 0.2em 0 0.2em 0.8em; border-left: 3px solid #d97706;
            font-style: normal; }
.qa-reply mark { padding: 0 0.1em; border-radius: 2px; color: inherit; }
.qa-reply mark.qa-answer { background: #fcd34d; font-weight: 600; }
.qa-reply mark.qa-cited { background: #fde68a; }
.dark .qa-reply mark.qa-answer { background: #b45309; }
.dark .qa-reply mark.qa-cited { background: #78350f; }
.qa-cite, .qa-passage-head { font-size: 0.85em; color: var(--body-text-color-subdued); }
.qa-doc { font-family: var(--font-mono); }
.qa-abstain { margin-bottom: 0.4em; }
.qa-sources { margin-top: 0.6em; }
.qa-sources summary { cursor: pointer; font-weight: 600; font-size: 0.9em; }
.qa-passages { margin: 0.4em 0 0 1.2em; padding: 0; }
.qa-passage { margin-bottom: 0.7em; }
.qa-passage .qa-text { font-size: 0.9em; }
.qa-tag { display: inline-block; font-size: 0.8em; padding: 0 0.4em; margin-right: 0.3em; border-radius: 3px;
          border: 1px solid var(--border-color-primary); }
.qa-tag-cited { background: #fde68a; color: #78350f; border-color: #f59e0b; }
.qa-tag-no { background: #fee2e2; color: #7f1d1d; border-color: #fca5a5; }
.qa-error { color: #b91c1c; }
.qa-header h1 { font-size: 1.4em; margin: 0 0 0.2em 0; }
.qa-header p { margin: 0.1em 0; color: var(--body-text-color-subdued); }
"""


def _header(service: Service) -> str:
    meta = next(iter(service.index.documents.values())).meta if len(service.index.documents) == 1 else {}
    byline = " · ".join(str(meta[k]).strip().strip('"') for k in ("speaker", "event", "date") if meta.get(k))
    parts = [f'<div class="qa-header"><h1>Ask the {escape(service.noun)}</h1>',
             f"<p><strong>{escape(service.title)}</strong></p>"]
    if byline:
        parts.append(f"<p>{escape(byline)}</p>")
    parts.append(f"<p>Answers are the {escape(service.noun)}’s own sentences, with the answer marked and its exact "
                 "place cited; when it does not say, the chat says so. HTTP API: POST /api/ask, POST /api/search, "
                 "GET /api/health (schema at /openapi.json).</p></div>")
    return "".join(parts)


def build_ui(service: Service) -> gr.Blocks:
    """The chat: conversation, question box, examples to click, a k slider and a clear button."""

    def respond(message: str, history: list, turns: list, k: float):
        message = (message or "").strip()
        if not message:
            return "", history, turns
        reply = service.chat(message, turns[-1] if turns else None, int(k))
        history = [*history, {"role": "user", "content": question_html(message)},
                   {"role": "assistant", "content": reply.html}]
        return "", history, ([*turns, reply.turn][-10:] if reply.turn is not None else turns)

    def clear():
        return "", [], []

    with gr.Blocks(title=f"qa · {service.title}", analytics_enabled=False) as blocks:
        gr.HTML(_header(service))
        turns = gr.State([])
        chatbot = gr.Chatbot(label="Conversation", elem_id="qa-chat", height="68vh", min_height=420, sanitize_html=True,
                             render_markdown=True, latex_delimiters=[], feedback_options=None,
                             group_consecutive_messages=False, buttons=["copy"],
                             placeholder=f"Ask a question about the {service.noun}.")
        with gr.Row():
            box = gr.Textbox(placeholder=f"Ask the {service.noun} a question, or follow up on the last answer",
                             show_label=False, scale=6, elem_id="qa-question", max_length=20_000, autofocus=True)
            send = gr.Button("Ask", variant="primary", scale=1, elem_id="qa-ask")
        with gr.Row():
            k = gr.Slider(1, 10, value=5, step=1, label="k: passages shown as sources", scale=3, elem_id="qa-k")
            clear_button = gr.Button("Clear chat", scale=1, elem_id="qa-clear")
        examples = service.examples()
        if examples:
            gr.Markdown("**Examples** (click to ask)")
            with gr.Row(elem_id="qa-examples"):
                for question in examples:
                    button = gr.Button(question, size="sm", variant="secondary")
                    button.click(respond, [button, chatbot, turns, k], [box, chatbot, turns])
        box.submit(respond, [box, chatbot, turns, k], [box, chatbot, turns])
        send.click(respond, [box, chatbot, turns, k], [box, chatbot, turns])
        clear_button.click(clear, None, [box, chatbot, turns])
        chatbot.clear(clear, None, [box, chatbot, turns])  # the chat's own trash button forgets the turns too
    return blocks
