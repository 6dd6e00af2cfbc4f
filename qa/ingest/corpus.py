"""Read a corpus folder: every .txt and .md file under it, decoded as UTF-8 exactly, with any front matter as metadata,
and every PDF, HTML and DOCX file, converted to Markdown (qa.ingest.formats)."""
from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path
from typing import Callable

from ..errors import QAError
from ..records import Document
from .formats import CONVERTED, Unreadable, convert

SUFFIXES = (".txt", ".md", *CONVERTED)
# Document formats people keep beside their PDFs that qa cannot read: each is a warning naming the file, so that
# nobody wonders why its content is never found. Other files (images, scripts, data) are not documents: left out quietly.
UNREAD_FORMATS = (".doc", ".rtf", ".odt", ".pages", ".epub", ".ppt", ".pptx", ".odp", ".key", ".xls", ".xlsx", ".ods",
                  ".numbers")
# What the chat says of the corpus (its noun, its example questions): a file beside the documents, never indexed.
CORPUS_META = "corpus.toml"
# Embedding runs at roughly a megabyte of text in ten minutes on a laptop CPU: a bigger single file is more
# likely a dump dropped in by mistake than a document, and would hold a shared server for hours.
MAX_FILE_BYTES = 10 * 1024 * 1024
# A PDF or DOCX is mostly images and layout: its limit is on the file, ten times as high, and on its converted text.
MAX_CONVERTED_FILE_BYTES = 10 * MAX_FILE_BYTES
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)---[ \t]*(?:\r?\n|\Z)", re.S)
_META_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")


def corpus_files(folder: str | os.PathLike, unread: list[Path] | None = None) -> list[Path]:
    """The documents under `folder` (a suffix of SUFFIXES, any case), sorted; symlinks that lead out of the folder are
    skipped. Files in a document format qa does not read (UNREAD_FORMATS) are appended to `unread` when given."""
    root = Path(folder)
    if not root.is_dir():
        raise QAError(f"corpus folder not found: {root}")
    real_root = root.resolve()
    files = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.startswith(".") or path.suffix.lower() not in SUFFIXES:
                if unread is not None and not name.startswith(".") and path.suffix.lower() in UNREAD_FORMATS:
                    unread.append(path)
                continue
            if not path.resolve().is_relative_to(real_root):  # a link out of the corpus is never read
                continue
            files.append(path)
    if not files:
        raise QAError(f"no documents ({', '.join(SUFFIXES)} files) in corpus folder {root}")
    return files


def parse_front_matter(text: str) -> tuple[dict, int]:
    """Return the `key: value` metadata of a leading `---` block and where the body starts."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, 0
    meta = {}
    for line in match.group(1).splitlines():
        kv = _META_LINE.match(line)
        if kv:
            meta[kv.group(1)] = kv.group(2).strip().strip('"').strip("'")
    return meta, match.end()


class SkippedDocument(QAError):
    """A file that cannot be read as a document (empty, binary, not UTF-8, too big, unreadable, a PDF, HTML or DOCX
    file with no text to convert): read_corpus warns and goes on with the others."""


def _size_limit(path: Path, size: int, limit: int, what: str = "the file") -> None:
    if size > limit:
        raise SkippedDocument(f"{path}: left out, {what} is {size:,} bytes, over the {limit:,}-byte limit per "
                              "document; split it into smaller files")


def read_document(path: Path, root: Path, data: bytes | None = None) -> Document:
    """Decode one file strictly: UTF-8 text exactly as it is, or a PDF, HTML or DOCX file converted.

    Args:
        data: the file's bytes, when the caller has read them already (read_corpus hashes them too).

    Raises:
        SkippedDocument: the file cannot be read as a document; the message names it and says why, in one line.
    """
    doc_id = path.relative_to(root).as_posix()
    suffix = path.suffix.lower()
    try:
        _size_limit(path, path.stat().st_size, MAX_CONVERTED_FILE_BYTES if suffix in CONVERTED else MAX_FILE_BYTES)
        data = path.read_bytes() if data is None else data
    except OSError as err:  # a dangling link, a folder named like a document, no permission
        raise SkippedDocument(f"{path}: left out, cannot read it ({err.strerror or err})") from None
    if suffix in CONVERTED:
        try:
            text, meta = convert(suffix, data)
        except Unreadable as err:
            raise SkippedDocument(f"{path}: left out, {err}") from None
        _size_limit(path, len(text.encode("utf-8")), MAX_FILE_BYTES, "its text")  # hours to embed
        return Document(id=doc_id, text=text, meta=meta)
    if b"\x00" in data:
        raise SkippedDocument(f"{path}: left out, binary (it contains NUL bytes), not a text document")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SkippedDocument(f"{path}: left out, not valid UTF-8 (byte {err.start}); re-save it as UTF-8") from None
    meta, body_start = parse_front_matter(text)
    if not text[body_start:].strip():
        raise SkippedDocument(f"{path}: left out, empty document")
    return Document(id=doc_id, text=text, body_start=body_start, meta=meta)


def load_corpus(folder: str | os.PathLike, quiet: bool = False,
                warn: Callable[[str], None] | None = None) -> list[Document]:
    """Every readable document under `folder`, in path order; each file left out is one warning line on stderr.

    Args:
        quiet: leave the warnings out (a check that the index is current reads the corpus again).
    """
    return read_corpus(folder, quiet, warn)[0]


def print_warning(message: str) -> None:
    """The default warn sink: `qa: warning: MESSAGE` on stderr."""
    print(f"qa: warning: {message}", file=sys.stderr, flush=True)


def read_corpus(folder: str | os.PathLike, quiet: bool = False, warn: Callable[[str], None] | None = None,
                strict: bool = False) -> tuple[list[Document], str]:
    """load_corpus's documents and source_hash's digest of the files, each file read once.

    Args:
        warn: where each file left out is said, one line each (default: "qa: warning: ..." on stderr).
        strict: a file left out is an error (after every one is said), not a warning: nothing is indexed.
    """
    root = Path(folder)
    docs, left_out, unread = [], [], []  # left_out: the paths of the files left out
    digest = hashlib.sha256()
    paths = corpus_files(root, unread)
    warn = None if quiet else (warn or print_warning)
    for path in unread:
        left_out.append(path)
        if warn:
            warn(f"{path}: left out, qa does not read {path.suffix.lower()} files (it reads {', '.join(SUFFIXES)}); "
                 "save it as PDF or DOCX")
    for path in paths:
        try:  # an oversized file is not read at all: read_document refuses it by its size
            data = path.read_bytes() if path.stat().st_size <= MAX_CONVERTED_FILE_BYTES else None
        except OSError:
            data = None  # read_document names what is wrong with it
        digest.update(_file_digest(path, root, hashlib.sha256(data).digest() if data is not None else None))
        try:
            docs.append(read_document(path, root, data))
        except SkippedDocument as err:
            left_out.append(path)
            if warn:
                warn(str(err))
    count = f"{len(left_out)} file{'s' * (len(left_out) != 1)}"
    if strict and left_out:
        raise QAError(f"--strict: {count} of {root} left out (the first: {left_out[0]}), so nothing was indexed")
    if not docs:
        raise QAError(f"no readable documents in corpus folder {root}: all {count} left out "
                      f"(the first: {left_out[0]})")
    return docs, digest.hexdigest()


def corpus_hash(docs: list[Document]) -> str:
    """A digest of every document's id and exact text: any edit, addition or removal changes it."""
    digest = hashlib.sha256()
    for doc in docs:
        digest.update(doc.id.encode("utf-8") + b"\0" + doc.text.encode("utf-8") + b"\0")
    return digest.hexdigest()


def _file_digest(path: Path, root: Path, sha256: bytes | None) -> bytes:
    """One file's share of source_hash: its path, then the SHA-256 of its bytes (None: unreadable)."""
    return path.relative_to(root).as_posix().encode("utf-8") + b"\0" + (sha256 if sha256 is not None
                                                                         else b"\0unreadable")


def source_hash(folder: str | os.PathLike) -> str:
    """A digest of every corpus file's path and bytes, as found on disk: same digest, same documents, without
    converting a PDF, HTML or DOCX file again (a check that an index is current runs at every `qa ask`)."""
    root = Path(folder)
    digest = hashlib.sha256()
    for path in corpus_files(root):
        try:
            with open(path, "rb") as f:
                part = hashlib.file_digest(f, "sha256").digest()
        except OSError:  # load_corpus says what is wrong with it
            part = None
        digest.update(_file_digest(path, root, part))
    return digest.hexdigest()


def read_corpus_meta(folder: str | os.PathLike) -> dict:
    """The corpus's own settings from CORPUS_DIR/corpus.toml: `noun` ("speech") and `examples` (questions to
    click in the chat); {} when there is no such file."""
    import tomllib

    path = Path(folder) / CORPUS_META
    if not path.is_file():
        return {}
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise QAError(f"{path} is not valid TOML ({err})") from None
    noun, examples = meta.get("noun", ""), meta.get("examples", [])
    if not isinstance(noun, str) or not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
        raise QAError(f"{path}: 'noun' must be a string and 'examples' a list of strings")
    return {k: v for k, v in (("noun", noun.strip()), ("examples", [e.strip() for e in examples if e.strip()])) if v}
