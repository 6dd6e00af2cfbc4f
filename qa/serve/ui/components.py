"""The chat's own Gradio components, gr.HTML with scripts of their own: the conversation, which appends each turn, and
the source view, which brings the cited range into sight.

They are configured gr.HTML instances rather than subclasses: at import, Gradio writes a .pyi stub beside the module
of any Component subclass (gradio/component_meta.py), which would leave a generated file in the package.
"""
from __future__ import annotations

from pathlib import Path

import gradio as gr

HERE = Path(__file__).parent
# A fixed template: Gradio re-renders a gr.HTML only when its template's output changes, so the turns that
# conversation.js appends stay, and each turn the server sends holds that turn alone (the page's cost per turn stays
# flat however long the conversation). Nothing of the value goes through the template, which Gradio evaluates as a
# JavaScript template string.
LOG = '<div class="qa-log" role="log" aria-live="polite" aria-label="Conversation"></div>'
# The source view's markup is the server's escaped HTML (qa.serve.ui.html.source_html); this script scrolls the
# cited range to the middle of the panel and lets Escape close it (Gradio's sidebar has only its toggle button).
SOURCE_JS = """
watch('value', () => {
  const mark = element.querySelector('mark');
  if (mark) mark.scrollIntoView({ block: 'center' });
});
document.addEventListener('keydown', (e) => {
  const sidebar = element.closest('.sidebar');
  if (e.key === 'Escape' && sidebar && sidebar.classList.contains('open')) trigger('close');
});
"""


def conversation(**kwargs) -> gr.HTML:
    """The conversation: a log that conversation.js fills, one turn per value, and whose citations trigger 'select'
    with the cited {doc, start, end}."""
    return gr.HTML(value=None, html_template=LOG, js_on_load=(HERE / "conversation.js").read_text("utf-8"), **kwargs)


def source_view(**kwargs) -> gr.HTML:
    """A cited range in its document, as the server's escaped HTML; triggers 'close' on Escape."""
    return gr.HTML(value="", js_on_load=SOURCE_JS, **kwargs)
