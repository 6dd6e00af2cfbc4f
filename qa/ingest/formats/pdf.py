"""PDF to text with pypdf: each page's text layer, pages apart by a blank line, with each page's start offset."""
from __future__ import annotations

import io


def convert(data: bytes) -> tuple[str, dict]:
    """The text of every page and `pages`, the offset where each page's text starts (page n at pages[n - 1])."""
    from pypdf import PdfReader

    from . import Unreadable

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):  # an empty user password opens many "protected" PDFs
        raise Unreadable("encrypted PDF (save a copy without the password)")
    parts, starts, pos = [], [], 0
    for page in reader.pages:
        text = "\n".join(line.rstrip() for line in (page.extract_text() or "").strip().splitlines())
        starts.append(pos)
        parts.append(text)
        pos += len(text) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise Unreadable(f"no text layer in its {len(starts)} page(s) (a scan? run OCR on it first)")
    title = str((reader.metadata or {}).get("/Title") or "").strip()
    return text, {"pages": starts, **({"title": title} if title else {})}
