"""Answers and hits as text for a terminal: the short answer, the quote with its citation, wrapped to the width."""
from __future__ import annotations

import sys
import textwrap
from typing import TextIO

WIDTH = 100  # readable output wraps here when the terminal does not say its width


def _width() -> int:
    import shutil

    return max(40, min(WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns))


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(" ".join(text.split()), width=_width(), initial_indent=indent, subsequent_indent=indent)


def _last_heading(heading: str) -> str:
    return heading.split(" › ")[-1] if heading else ""


def _emphasise(quote: str, answer: str, offset: int, out: TextIO) -> str:
    """The quote with the answer span in bold when writing to a terminal."""
    if not answer or offset < 0 or not getattr(out, "isatty", lambda: False)():
        return quote
    return quote[:offset] + "\033[1m" + answer + "\033[0m" + quote[offset + len(answer):]


def format_answer(answer, out: TextIO | None = None) -> str:
    """An Answer as text for a terminal: the short answer, the quote, the citation and the confidence."""
    out = out or sys.stdout
    lines = []
    if answer.answerable:
        citation = answer.citations[0]
        lines.append(answer.answer)
        lines.append("")
        offset = answer.answer_start - citation.start if answer.answer_doc == citation.doc else -1
        quote = " ".join(_emphasise(answer.quote, answer.answer, offset, out).split())
        lines.append(textwrap.fill(f"“{quote}”", width=_width(), initial_indent="  ", subsequent_indent="  "))
        for c in answer.citations:
            where = f"  — {c.doc}:{c.start}-{c.end}" + (f", page {c.page}" if c.page is not None else "")
            if c.heading:
                where += f"  ({_last_heading(c.heading)})"
            lines.append(where)
        lines.append(f"  confidence {answer.confidence:.2f}")
    else:
        lines.append(textwrap.fill(f"The document does not say: nothing in the corpus answers "
                                   f"“{answer.question}” (confidence {answer.confidence:.2f}).", width=_width()))
        if answer.passages:
            lines.append("Closest passages:")
            for hit in answer.passages[:3]:
                lines.append(format_hit(hit, snippet=200))
    return "\n".join(lines)


def format_hit(hit, snippet: int | None = None) -> str:
    p = hit.passage
    head = f"{hit.rank + 1:>3}. {p.doc}:{p.start}-{p.end}  score {hit.score:.4f}"
    if p.heading:
        head += f"  ({_last_heading(p.heading)})"
    text = " ".join(p.text.split())
    if snippet and len(text) > snippet:
        text = text[:snippet].rsplit(" ", 1)[0] + " …"
    return head + "\n" + _wrap(text, "     ")


def format_source(view: dict, out: TextIO | None = None) -> str:
    """A source_view as text: where it is (document, page, heading path), then the text around the range with the
    range highlighted (reverse video on a terminal, »…« otherwise), wrapped to the width."""
    out = out or sys.stdout
    tty = getattr(out, "isatty", lambda: False)()
    on, off = ("\033[7m", "\033[0m") if tty else ("»", "«")
    head = f"{view['doc']}:{view['start']}-{view['end']}"
    if "page" in view:
        head += f", page {view['page']} of {view['pages']}"
    if view["heading"]:
        head += f"  ({view['heading']})"
    before = ("… " if view["context_start"] > 0 else "") + view["before"]
    after = view["after"] + (" …" if view["context_end"] < view["length"] else "")
    # wrap the plain text, then put the markers in: wrapping must not count escape codes or split them
    marker_a, marker_b = "\x01", "\x02"
    body = "\n\n".join(textwrap.fill(" ".join(para.split()), width=_width())
                       for para in f"{before}{marker_a}{view['text']}{marker_b}{after}".split("\n\n") if para.strip())
    return head + "\n\n" + body.replace(marker_a, on).replace(marker_b, off)
