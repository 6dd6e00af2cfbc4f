"""The on-disk index: passages and sentences with offsets, FAISS vectors, BM25, and a manifest; written atomically."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..ingest.corpus import corpus_hash, load_corpus, read_corpus_meta
from .embed import Embedder, model_fingerprint
from ..errors import QAError
from ..text.lexical import terms
from ..records import Document, Passage, Sentence
from ..ingest.split import SplitSettings, Splitter
from .vectors import build_vector_index
from .vectors import describe as describe_vectors

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
    bm25: object  # over passage terms: bm25s.BM25 when built, qa.bm25.SavedBM25 (same scores, no scipy) when loaded
    sentence_df: dict[str, int] = field(default_factory=dict)  # in how many sentences each term occurs
    path: Path | None = None
    # Set by build_index until saved: the ONNX question encoder (qa.encoder) and its tokenizer.json text.
    encoder_model: bytes | None = None
    tokenizer_json: str | None = None

    @property
    def corpus_dir(self) -> str:
        return self.manifest.get("corpus_dir", "")


def rebuild_hint(index_dir: Path, corpus_dir: str | None = None) -> str:
    return f"rebuild it with: qa index {corpus_dir or 'CORPUS_DIR'} --index {index_dir}"


# ---------------------------------------------------------------- build

def build_index(corpus_dir: str | os.PathLike, model: str | None = None, settings: SplitSettings | None = None,
                embedder: Embedder | None = None, progress: bool = False) -> Index:
    """Read, split, embed and index a corpus folder, in memory."""
    import bm25s

    started = time.perf_counter()
    docs = load_corpus(corpus_dir)
    embedder = embedder or Embedder(model)
    settings = settings or SplitSettings(model_max_tokens=embedder.max_tokens)
    splitter = Splitter(settings, model_count=embedder.count_tokens)
    sentences: list[Sentence] = []
    passages: list[Passage] = []
    for doc in docs:
        s, p = splitter.split(doc, first_row=len(sentences), first_passage=len(passages))
        sentences += s
        passages += p
    if not passages:
        raise QAError(f"no text to index in {corpus_dir}")
    passage_vectors = embedder.encode([p.text for p in passages], progress=progress)
    sentence_vectors = embedder.encode([s.text for s in sentences], progress=progress)
    dense = build_vector_index(passage_vectors)  # exact up to vectors.EXACT_LIMIT passages, IVF above
    # Lucene's idf, log(1 + (N - df + .5) / (df + .5)), stays positive on a corpus of a few dozen
    # passages, where Robertson's classic idf goes to zero or below for common words.
    bm25 = bm25s.BM25(method="lucene")
    bm25.index([terms(p.text) or ["\x00"] for p in passages], show_progress=False)
    sentence_df = Counter(t for s in sentences for t in set(terms(s.text)))
    # Stand-in embedders (tests of the eval harness) have no export: their index has no encoder and its
    # Retriever must be given the embedder.
    export = getattr(embedder, "export_onnx", None)
    encoder_model, tokenizer_json = export() if export else (None, None)
    manifest = {
        "format": FORMAT,
        "qa_version": __version__,
        "model": embedder.name,
        "model_fingerprint": model_fingerprint(embedder.folder),
        "dimension": int(passage_vectors.shape[1]),
        "vectors": describe_vectors(dense),
        "split": settings.to_dict(),
        "bm25": {"method": "lucene", "k1": 1.5, "b": 0.75},
        "encoder": ({"file": ENCODER_FILE, "tokenizer": TOKENIZER_FILE, "runtime": "onnxruntime",
                     "precision": "float32", "max_tokens": embedder.max_tokens} if encoder_model else None),
        "corpus_dir": str(Path(corpus_dir).resolve()),
        "corpus_hash": corpus_hash(docs),
        "corpus_meta": read_corpus_meta(corpus_dir),
        "documents": len(docs),
        "passages": len(passages),
        "sentences": len(sentences),
        "build_seconds": round(time.perf_counter() - started, 3),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return Index(manifest, {d.id: d for d in docs}, sentences, passages, dense, sentence_vectors, bm25,
                 dict(sentence_df), encoder_model=encoder_model, tokenizer_json=tokenizer_json)


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
    """Write `index` as a new version folder, then switch CURRENT to it in one atomic rename."""
    import faiss

    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    previous = (root / CURRENT).read_text(encoding="utf-8").strip() if (root / CURRENT).is_file() else ""
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
    # that read CURRENT a moment ago can still finish loading it.
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


def load_index(index_dir: str | os.PathLike, verify: bool = True) -> Index:
    """Load the current version of an index folder, checking every file against the manifest's checksums."""
    import faiss

    from .bm25 import SavedBM25

    root = Path(index_dir)
    try:
        version, manifest = read_manifest(root)
    except FileNotFoundError:
        raise QAError(f"no index at {root}; build one with: qa index CORPUS_DIR --index {root}") from None
    hint = rebuild_hint(root, manifest.get("corpus_dir"))
    if verify:
        for rel, digest in manifest.get("files", {}).items():
            path = version / rel
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
        dense = faiss.read_index(str(version / "passages.faiss"))
        sentence_vectors = np.load(version / "sentences.npy", allow_pickle=False)
        bm25 = SavedBM25(version / "bm25")
        sentence_df = json.loads((version / "terms.json").read_text(encoding="utf-8"))
    except QAError:
        raise
    except Exception as err:  # anything unreadable past the checksums is still corruption to the user
        raise QAError(f"index at {root} is corrupt ({err.__class__.__name__}: {str(err)[:120]}); {hint}") from None
    if not (dense.ntotal == len(passages) == manifest.get("passages")
            and len(sentence_vectors) == len(sentences) == manifest.get("sentences")
            and dense.d == manifest.get("dimension") == sentence_vectors.shape[-1]):
        raise QAError(f"index at {root} is corrupt (row counts or dimensions disagree); {hint}")
    return Index(manifest, docs, sentences, passages, dense, sentence_vectors, bm25, sentence_df, version)


def stale_reason(manifest: dict, corpus_dir: str | os.PathLike, model: str | None,
                 settings: SplitSettings | None) -> str | None:
    """Why an index no longer matches its corpus, model or settings; None when it does."""
    from .embed import resolve_model

    if Path(corpus_dir).resolve() != Path(manifest.get("corpus_dir", "")):
        return f"it was built from {manifest.get('corpus_dir')}"
    if corpus_hash(load_corpus(corpus_dir)) != manifest.get("corpus_hash"):
        return "the corpus changed"
    if model is not None and resolve_model(model)[0] != manifest.get("model"):
        return f"it was built with model {manifest.get('model')}"
    if settings is not None and settings.to_dict() != manifest.get("split"):
        return "the split settings changed"
    if manifest.get("qa_version") != __version__:
        return f"it was built by qa {manifest.get('qa_version')}"
    if not manifest.get("encoder"):
        return "it has no ONNX question encoder (it was built by an older qa)"
    return None


def open_index(index_dir: str | os.PathLike, corpus_dir: str | os.PathLike | None = None,
               model: str | None = None, settings: SplitSettings | None = None, quiet: bool = False) -> Index:
    """Load an index, building it first when missing and rebuilding it when stale; says so on stderr."""
    root = Path(index_dir)
    try:
        _, manifest = read_manifest(root)
    except FileNotFoundError:
        if corpus_dir is None:
            raise QAError(f"no index at {root}; build one with: qa index CORPUS_DIR --index {root}") from None
        reason, manifest = "it is missing", None
    else:
        source = corpus_dir if corpus_dir is not None else manifest.get("corpus_dir")
        reason = stale_reason(manifest, source, model, settings) if source and Path(source).is_dir() else None
        corpus_dir = source
    if reason:
        if not quiet:
            print(f"qa: index {root} is being rebuilt from {corpus_dir}: {reason}", file=sys.stderr)
        if settings is None and manifest and model is None:  # keep the split settings the index was built with
            try:
                settings = SplitSettings(**manifest["split"])
            except (KeyError, TypeError):
                settings = None
        index = build_index(corpus_dir, model=model or (manifest or {}).get("model"), settings=settings)
        save_index(index, root)
        return index
    return load_index(root)
