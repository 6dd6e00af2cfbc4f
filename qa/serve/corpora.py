"""The corpora one server holds: the one `qa serve` was started on, and folders uploaded from the chat, each indexed
in a background thread into a corpus of its own under the upload root (bounded in size, count and names)."""
from __future__ import annotations

import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import QAError
from ..ingest.corpus import SUFFIXES
from .service import Service

DEFAULT = "default"  # the corpus `qa serve --index` was started on
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILES = 50  # per corpus
MAX_CORPORA = 20  # uploaded corpora, besides the default one
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()+-]+")


class Refused(QAError):
    """A request the corpora refuse, with the HTTP status to answer it with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def corpus_name(name: str) -> str:
    if name == DEFAULT or not _NAME.fullmatch(name):
        raise Refused(400, f"invalid corpus name {name[:60]!r}: 1-40 of a-z, 0-9, '-' and '_', not {DEFAULT!r}")
    return name


def file_name(name: str) -> str:
    """A safe base name for an uploaded file: the last path component, odd characters replaced by '_', no leading
    dots (no dotfiles, no '..'); its suffix must be one qa reads. Refused (400/415) otherwise."""
    base = re.split(r"[\\/]", name)[-1]
    base = _UNSAFE.sub("_", base).strip(" ").lstrip(".")[:120]
    if not base.strip("_ ."):
        raise Refused(400, f"invalid file name {name[:80]!r}")
    if Path(base).suffix.lower() not in SUFFIXES:
        raise Refused(415, f"{base}: not a document qa reads (it reads {', '.join(SUFFIXES)})")
    return base


def free_name(stem: str, taken) -> str:
    """A valid corpus name made from `stem` (a file's name without its suffix) and not in `taken`: "Mill Report" ->
    "mill-report", then "mill-report-2"."""
    base = re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_")[:30] or "upload"
    name, n = (f"{base}-1" if base == DEFAULT else base), 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


@dataclass
class Uploaded:
    """An uploaded corpus: its folder (files/ and index/), and where its indexing stands."""

    name: str
    folder: Path
    status: str = "empty"  # empty, uploaded, building, ready, failed
    stage: str = ""
    fraction: float = 0.0
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    service: Service | None = None

    @property
    def files(self) -> Path:
        return self.folder / "files"

    @property
    def index(self) -> Path:
        return self.folder / "index"


class Corpora:
    """Every corpus the server answers from, by name; uploaded ones live in `root` (None: no uploads)."""

    def __init__(self, default: Service, root: Path | None = None):
        self.default, self.root = default, Path(root).resolve() if root is not None else None
        self.lock = threading.Lock()
        self.uploaded: dict[str, Uploaded] = {}
        self._embedder = None
        self._building = threading.Lock()  # one build at a time: they share the model and the CPU
        if self.root is not None:
            for folder in sorted(p for p in self.root.glob("*") if p.is_dir() and _NAME.fullmatch(p.name)):
                up = Uploaded(folder.name, folder)
                up.status = "ready" if (up.index / "CURRENT").exists() else ("uploaded" if up.files.is_dir() else "empty")
                self.uploaded[up.name] = up

    def _get(self, name: str) -> Uploaded:
        up = self.uploaded.get(name)
        if up is None:
            raise Refused(404, f"no corpus named {name[:60]!r}")
        return up

    def service(self, name: str | None) -> Service:
        """The Service of corpus `name` (the default one for None), loading a ready uploaded index on first use."""
        if not name or name == DEFAULT:
            return self.default
        up = self._get(name)
        if up.status != "ready":
            raise Refused(409, f"corpus {name!r} is not ready ({up.status})")
        with self.lock:
            if up.service is None:
                from ..answer.assistant import Assistant

                up.service = Service(Assistant.load(up.index))
            return up.service

    def describe(self, name: str) -> dict:
        if name == DEFAULT:
            s = self.default
            return {"name": DEFAULT, "title": s.title, "noun": s.noun, "documents": len(s.index.documents),
                    "status": "ready", "stage": "", "fraction": 1.0, "warnings": [], "error": "", "uploaded": False}
        up = self._get(name)
        files = sorted(p.name for p in up.files.glob("*")) if up.files.is_dir() else []
        service = up.service
        return {"name": name, "title": service.title if service else name, "noun": service.noun if service else "documents",
                "documents": len(files), "files": files, "status": up.status, "stage": up.stage,
                "fraction": round(up.fraction, 3), "warnings": list(up.warnings), "error": up.error, "uploaded": True}

    def list(self) -> list[dict]:
        return [self.describe(DEFAULT)] + [self.describe(n) for n in sorted(self.uploaded)]

    def put(self, name: str, filename: str, body: bytes) -> dict:
        """Store one uploaded file in corpus `name` (created on its first file); refused when too large, too many
        or the corpus is being indexed."""
        if self.root is None:
            raise Refused(403, "this server takes no uploads (qa serve --uploads DIR)")
        name, base = corpus_name(name), file_name(filename)
        if len(body) > MAX_FILE_BYTES:
            raise Refused(413, f"{base}: {len(body):,} bytes; the limit is {MAX_FILE_BYTES:,} bytes a file")
        with self.lock:
            up = self.uploaded.get(name)
            if up is None:
                if len(self.uploaded) >= MAX_CORPORA:
                    raise Refused(409, f"the server holds {MAX_CORPORA} uploaded corpora, its limit")
                up = self.uploaded[name] = Uploaded(name, self.root / name)
            if up.status == "building":
                raise Refused(409, f"corpus {name!r} is being indexed; upload after it is done")
            up.files.mkdir(parents=True, exist_ok=True)
            target = up.files / base
            if not target.exists() and sum(1 for _ in up.files.iterdir()) >= MAX_FILES:
                raise Refused(413, f"corpus {name!r} holds {MAX_FILES} files, its limit")
            if target.resolve().parent != up.files.resolve():  # file_name keeps it in; this says so again
                raise Refused(400, f"invalid file name {filename[:80]!r}")
            partial = up.files / f".{base}.part"
            partial.write_bytes(body)
            partial.replace(target)
            up.status, up.error = "uploaded", ""
        return {"name": name, "file": base, "bytes": len(body)}

    def build(self, name: str) -> dict:
        """Start indexing corpus `name` in a background thread; its progress is in `describe(name)`."""
        up = self._get(corpus_name(name))
        with self.lock:
            if up.status == "building":
                raise Refused(409, f"corpus {name!r} is already being indexed")
            if not up.files.is_dir() or not any(up.files.iterdir()):
                raise Refused(409, f"corpus {name!r} has no files to index")
            up.status, up.stage, up.fraction, up.warnings, up.error = "building", "waiting", 0.0, [], ""
        threading.Thread(target=self._build, args=(up,), daemon=True, name=f"qa-build-{name}").start()
        return self.describe(name)

    def _build(self, up: Uploaded) -> None:
        from ..answer.assistant import Assistant
        from ..index.build import build_index
        from ..index.fast import FastEmbedder
        from ..index.store import save_index

        try:
            with self._building:
                up.stage, up.fraction = "reading, embedding and indexing", 0.1
                if self._embedder is None:
                    self._embedder = FastEmbedder()  # the cached ONNX export: uploads never load torch
                # a file that cannot be read is a warning on the corpus, and the rest indexes
                index = build_index(up.files, embedder=self._embedder,
                                    warn=lambda message: up.warnings.append(" ".join(message.split())))
                up.stage, up.fraction = "saving", 0.85
                save_index(index, up.index)  # atomic: CURRENT switches to the complete version
                up.stage, up.fraction = "loading", 0.92
                service = Service(Assistant.load(up.index))
            with self.lock:
                up.service, up.status, up.stage, up.fraction = service, "ready", "ready", 1.0
        except Exception as err:  # noqa: BLE001 - a failed build is reported on the corpus, never raised
            message = " ".join(str(err).split()) if isinstance(err, QAError) else f"internal error ({type(err).__name__})"
            print(f"qa: indexing the uploaded corpus {up.name!r} failed: {message}", file=sys.stderr, flush=True)
            up.status, up.stage, up.error = "failed", "", message
