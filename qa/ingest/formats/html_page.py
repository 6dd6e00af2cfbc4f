"""HTML to Markdown with trafilatura: the page's main content with its headings, without navigation or boilerplate."""
from __future__ import annotations


def convert(data: bytes) -> tuple[str, dict]:
    """The main text of a page as Markdown (headings as `#`, lists, tables), and its title when it has one."""
    import trafilatura

    text = trafilatura.extract(data, output_format="markdown", include_comments=False, include_links=False,
                               include_images=False, include_tables=True) or ""
    metadata = trafilatura.extract_metadata(data) if text else None
    title = (metadata.title or "").strip() if metadata else ""
    return text, ({"title": title} if title else {})
