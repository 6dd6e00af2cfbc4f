"""The HTML the server writes for the chat's panels (header, a citation's source, documents being added): every
character of a corpus, a file name or an error escaped, so that a document holding `<script>` shows those characters.

Gradio sets a gr.HTML's value as markup; these functions are the only place that markup is made. The conversation
itself is built in the browser from JSON (conversation.js), never from HTML strings.
"""
from __future__ import annotations

from html import escape


def _text(value) -> str:
    return escape(str(value), quote=True)


def header_html(corpus: dict) -> str:
    """The title row: "Ask the speech" and the corpus's title (qa.serve.corpora.Corpora.describe's dict)."""
    noun = corpus.get("noun") or "documents"
    return (f'<div class="qa-brand"><h1 id="qa-title">Ask the {_text(noun)}</h1>'
            f'<p id="qa-subtitle" title="{_text(corpus.get("title", ""))}">{_text(corpus.get("title", ""))}</p></div>')


def _blocks(blocks: list[dict]) -> str:
    """qa.chat.render.pieces's blocks: headings as headings, marked pieces in <mark>."""
    out = []
    for block in blocks:
        parts = "".join(f'<mark class="qa-{_text(p["mark"])}">{_text(p["text"])}</mark>' if p["mark"]
                        else _text(p["text"]) for p in block["parts"])
        out.append(f'<div class="{"qa-src-heading" if block["heading"] else "qa-text"}">{parts}</div>')
    return "".join(out)


def source_html(view: dict) -> str:
    """A cited range in its document (qa.chat.source.source_view's dict): title, where (page, heading path,
    characters), and the text around it with the range marked."""
    doc = view["doc"]
    title = f"{view['title']} ({doc})" if view["title"] and view["title"] != doc else doc
    where = ([f"page {view['page']} of {view['pages']}"] if "page" in view else []) + \
        ([view["heading"]] if view["heading"] else []) + [f"characters {view['start']}–{view['end']}"]
    more = '<div class="qa-more">…</div>'
    return (f'<div class="qa-panel-head"><h2 id="qa-panel-title">{_text(title)}'
            f'</h2></div><p id="qa-panel-where">{_text(" · ".join(where))}</p>'
            f'<div id="qa-panel-text" class="qa-text" tabindex="0">{more if view["context_start"] > 0 else ""}'
            f'{_blocks(view["blocks"])}{more if view["context_end"] < view["length"] else ""}</div>')


def source_error_html(message: str) -> str:
    return f'<p id="qa-panel-where" class="qa-error" role="alert">{_text(message)}</p>'


def status_html(fraction: float, text: str, error: bool = False) -> str:
    """Documents being added: a progress bar (0 to 1) and a line saying what happens."""
    return (f'<progress id="qa-progress" max="1" value="{max(0.0, min(1.0, fraction)):.3f}" '
            f'aria-label="Adding documents"></progress>'
            f'<p id="qa-upload-status" role="status" class="{"qa-error" if error else ""}">{_text(text)}</p>')
