"""Documents that are not plain text (PDF, HTML, DOCX) converted to Markdown: that text is what is indexed and cited."""
from __future__ import annotations

import importlib
import logging
import warnings
from contextlib import contextmanager

# Suffix -> format; each format's module here has `convert(data)`, returning (text, meta). The modules are not named
# like the libraries they import (html, docx), so that no reader wonders which one `import docx` means.
CONVERTED = {".pdf": "pdf", ".html": "html", ".htm": "html", ".docx": "docx"}
_MODULES = {"pdf": "pdf", "html": "html_page", "docx": "word"}
# The loggers of the libraries behind the converters: a damaged file makes them log a line per broken object,
# and the reader is told once, in the warning that names the file.
_LIBRARY_LOGGERS = ("pypdf", "trafilatura", "htmldate", "courlan", "docx")


class Unreadable(Exception):
    """A document that cannot be converted (no text layer, encrypted, damaged): the message is one line saying why."""


@contextmanager
def _quiet():
    loggers = [logging.getLogger(name) for name in _LIBRARY_LOGGERS]
    levels = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            logger.setLevel(logging.CRITICAL + 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def convert(suffix: str, data: bytes) -> tuple[str, dict]:
    """The Markdown text of a file's bytes and its metadata (`format`, and `pages` for a PDF).

    Raises:
        Unreadable: the file has no text to convert, or its parser cannot read it.
    """
    kind = CONVERTED[suffix.lower()]
    module = importlib.import_module(f".{_MODULES[kind]}", __name__)  # only indexing imports a parser, and only its own
    with _quiet():
        try:
            text, meta = module.convert(data)
        except Unreadable:
            raise
        except Exception as err:  # parsers of damaged files raise anything (KeyError, zlib.error, BadZipFile...)
            reason = " ".join(str(err).split())[:200] or type(err).__name__
            raise Unreadable(f"cannot read it as {kind.upper()} ({reason})") from None
    if not text.strip():
        raise Unreadable(f"no text in this {kind.upper()}")
    return text, {"format": kind, **meta}
