"""The on-disk index: the Index in memory, and its version folders, written atomically and loaded checked."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import QAError
from ..records import Document, Passage, Sentence
from .lock import build_lock

FORMAT = 1
CURRENT = "CURRENT"  # names the complete version folder; replaced atomically, so a reader never sees half an index
MANIFEST = "manifest.json"
# The question encoder lives in the index folder, beside the vectors it must agree with: written atomically and
# checksummed with the rest, so a query never needs torch, never exports anything on first use, and a damaged or
# missing encoder is reported like any other damaged file (with the rebuild command). A cache keyed by model
# outside the index would save ~90 MB per index but could drift from the vectors and need torch to refill.
ENCODER_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"


@dataclass
class Index:
    """Everything retrieval and answering need, in memory. Row i of `passages` is FAISS row i and BM25 doc i."""

    manifest: dict
    documents: dict[str, Document]
    sentences: list[Sentence]
    passages: list[Passage]
    dense: object  # faiss.Index over passage vectors
    sentence_vectors: np.ndarray
    bm25: object  # over passage terms: bm25s.BM25 when built, qa.index.bm25.SavedBM25 (same scores, no scipy) when loaded
    sentence_df: dict[str, int] = field(default_factory=dict)  # in how many sentences each term occurs
    path: Path | None = None
    # Set by build_index until saved: the ONNX question encoder (qa.encoder) and its tokenizer.json text.
    encoder_model: bytes | None = None
    tokenizer_json: str | None = None


def current_version(index_dir: str | os.PathLike) -> str:
    """The name of the version folder CURRENT points to; OSError when there is none (or it is mid-replace)."""
    return (Path(index_dir) / CURRENT).read_text(encoding="utf-8").strip()


def has_index(index_dir: str | os.PathLike) -> bool:
    """Whether the folder holds an index (a CURRENT pointer), without reading it."""
    return (Path(index_dir) / CURRENT).is_file()


def rebuild_hint(index_dir: Path, corpus_dir: str | None = None) -> str:
    return f"rebuild it with: qa index {corpus_dir or 'CORPUS_DIR'} --index {index_dir}"


# ---------------------------------------------------------------- save

def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()  # reads into one reused buffer: the encoder is ~90 MB


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())


def save_index(index: Index, index_dir: str | os.PathLike) -> Path:
    """Write `index` as a new version folder, then switch CURRENT to it in one atomic rename.

    It holds the folder's build lock (qa.index.lock) throughout, so that two builds never write or clear one folder
    at once; QAError when another build holds it."""
    root = Path(index_dir)
    with build_lock(root):
        return _save(index, root)


def _save(index: Index, root: Path) -> Path:
    import faiss

    previous = current_version(root) if has_index(root) else ""
    name = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = root / f".{name}.partial"
    tmp.mkdir()
    try:
        _write_jsonl(tmp / "documents.jsonl", ({"id": d.id, "body_start": d.body_start, "meta": d.meta,
                                                "text": d.text} for d in index.documents.values()))
        _write_jsonl(tmp / "passages.jsonl", ({"id": p.id, "doc": p.doc, "start": p.start, "end": p.end,
                                               "heading": p.heading, "first_sentence": p.first_sentence,
                                               "last_sentence": p.last_sentence, "tokens": p.tokens}
                                              for p in index.passages))
        _write_jsonl(tmp / "sentences.jsonl", ({"doc": s.doc, "start": s.start, "end": s.end,
                                                "passage": s.passage} for s in index.sentences))
        faiss.write_index(index.dense, str(tmp / "passages.faiss"))
        np.save(tmp / "sentences.npy", index.sentence_vectors, allow_pickle=False)
        index.bm25.save(str(tmp / "bm25"), show_progress=False)
        (tmp / "terms.json").write_text(json.dumps(index.sentence_df, ensure_ascii=False), encoding="utf-8")
        if index.encoder_model is not None:
            (tmp / ENCODER_FILE).write_bytes(index.encoder_model)
            (tmp / TOKENIZER_FILE).write_text(index.tokenizer_json, encoding="utf-8", newline="")
        files = {p.relative_to(tmp).as_posix(): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        manifest = dict(index.manifest, files=files)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        _fsync_tree(tmp)
        os.replace(tmp, root / name)
        pointer = root / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
        pointer.write_text(name + "\n", encoding="utf-8")
        with open(pointer, "rb") as f:
            os.fsync(f.fileno())
        os.replace(pointer, root / CURRENT)  # the commit point
    except BaseException:  # CURRENT still names the old version; leftovers go at the next save
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # Older versions and leftovers of interrupted builds go; the one just replaced stays, so a reader
    # that read CURRENT a moment ago can still finish loading it. A temporary folder here is never another live
    # build's: every build writes under the lock this one holds, so what is left was left by a build that died.
    for old in root.iterdir():
        if old.name not in (name, previous) and (old.name.startswith("v-") or old.name.startswith(".v-")):
            shutil.rmtree(old, ignore_errors=True)
        elif old.name.startswith(f".{CURRENT}.") and old.is_file():  # a pointer a killed build never swapped in
            old.unlink(missing_ok=True)
    index.manifest, index.path = manifest, root / name
    return root / name


# ---------------------------------------------------------------- load

def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_manifest(index_dir: str | os.PathLike) -> tuple[Path, dict]:
    """The current version folder and its manifest; QAError when missing, corrupt or of another format."""
    root = Path(index_dir)
    pointer = root / CURRENT
    if not pointer.is_file():
        raise FileNotFoundError(f"no index at {root}")
    version = root / pointer.read_text(encoding="utf-8").strip()
    try:
        manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise QAError(f"index at {root} is corrupt (manifest unreadable: {err.__class__.__name__}); "
                      f"{rebuild_hint(root)}") from None
    if not isinstance(manifest, dict):
        raise QAError(f"index at {root} is corrupt (manifest is not a JSON object); {rebuild_hint(root)}")
    if manifest.get("format") != FORMAT:
        raise QAError(f"index at {root} has format {manifest.get('format')!r}, this qa reads format {FORMAT}; "
                      f"{rebuild_hint(root, manifest.get('corpus_dir'))}")
    return version, manifest


def _vector_file(rel: str) -> bool:
    """Whether a file of the index holds vectors or BM25 postings, which a store outside the folder holds too."""
    return rel in ("passages.faiss", "sentences.npy") or (rel.startswith("bm25/") and rel != "bm25/vocab.index.json")


def load_index(index_dir: str | os.PathLike, verify: bool = True, vectors: bool = True) -> Index:
    """Load the current version of an index folder, checking every file against the manifest's checksums.

    With vectors=False the FAISS index, the sentence vectors and BM25's postings are neither read nor checked
    (`dense` and `sentence_vectors` are None, `bm25` has its vocabulary alone): a Milvus store serves them."""
    import faiss

    from .bm25 import SavedBM25, Vocabulary

    root = Path(index_dir)
    try:
        version, manifest = read_manifest(root)
    except FileNotFoundError:
        raise QAError(f"no index at {root}; build one with: qa index CORPUS_DIR --index {root}") from None
    hint = rebuild_hint(root, manifest.get("corpus_dir"))
    if verify:
        for rel, digest in manifest.get("files", {}).items():
            path = version / rel
            if not vectors and _vector_file(rel):
                continue
            if not path.is_file() or _sha256(path) != digest:
                raise QAError(f"index at {root} is corrupt ({rel} is missing or changed); {hint}")
    try:
        docs = {}
        for row in _read_jsonl(version / "documents.jsonl"):
            docs[row["id"]] = Document(row["id"], row["text"], row["body_start"], row["meta"])
        sentences = [Sentence(r["doc"], r["start"], r["end"], docs[r["doc"]].text[r["start"]:r["end"]], "",
                              r["passage"]) for r in _read_jsonl(version / "sentences.jsonl")]
        passages = [Passage(r["id"], r["doc"], r["start"], r["end"], docs[r["doc"]].text[r["start"]:r["end"]],
                            r["heading"], r["first_sentence"], r["last_sentence"], r["tokens"])
                    for r in _read_jsonl(version / "passages.jsonl")]
        # a sentence's heading is its passage's
        sentences = [Sentence(s.doc, s.start, s.end, s.text, passages[s.passage].heading, s.passage)
                     for s in sentences]
        dense = faiss.read_index(str(version / "passages.faiss")) if vectors else None
        sentence_vectors = np.load(version / "sentences.npy", allow_pickle=False) if vectors else None
        bm25 = SavedBM25(version / "bm25") if vectors else Vocabulary(version / "bm25")
        sentence_df = json.loads((version / "terms.json").read_text(encoding="utf-8"))
    except QAError:
        raise
    except Exception as err:  # anything unreadable past the checksums is still corruption to the user
        raise QAError(f"index at {root} is corrupt ({err.__class__.__name__}: {str(err)[:120]}); {hint}") from None
    if vectors and not (dense.ntotal == len(passages) == manifest.get("passages")
            and len(sentence_vectors) == len(sentences) == manifest.get("sentences")
            and dense.d == manifest.get("dimension") == sentence_vectors.shape[-1]):
        raise QAError(f"index at {root} is corrupt (row counts or dimensions disagree); {hint}")
    return Index(manifest, docs, sentences, passages, dense, sentence_vectors, bm25, sentence_df, version)
