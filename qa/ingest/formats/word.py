"""DOCX to Markdown with python-docx: "Heading N" paragraphs as headings, paragraphs, list items, table rows."""
from __future__ import annotations

import io
import re

_HEADING_STYLE = re.compile(r"Heading ([1-9])$")


def _paragraph(paragraph) -> str:
    """A paragraph as a Markdown block: `#`s before a heading's words, `- ` before a list item."""
    text = paragraph.text.strip()
    style = paragraph.style.name if paragraph.style is not None else ""
    heading = _HEADING_STYLE.match(style)
    if heading or style == "Title":
        return "#" * min(int(heading.group(1)) if heading else 1, 6) + " " + " ".join(text.split())
    numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    if style.startswith("List") or numbered:
        return "- " + text
    return text


def _rows(table) -> list[str]:
    """Each row of a table as one line, its cells apart by ` | ` (a merged cell once)."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


def convert(data: bytes) -> tuple[str, dict]:
    """The body of a Word document in reading order, one block per paragraph or table row, and its title."""
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    blocks = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks += _rows(item)
        elif item.text.strip():
            blocks.append(_paragraph(item))
    title = (document.core_properties.title or "").strip()
    return "\n\n".join(blocks), ({"title": title} if title else {})
