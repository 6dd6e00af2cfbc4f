"""Building an index: read, split, embed and index a corpus folder; rebuild an index that is missing or stale."""
from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np

from .. import __version__
from ..errors import QAError
from ..ingest.corpus import corpus_hash, load_corpus, read_corpus, read_corpus_meta, source_hash
from ..ingest.split import SplitSettings, Splitter
from ..records import Passage, Sentence
from ..text.lexical import terms
from .embed import model_fingerprint
from .lock import build_lock
from .reuse import Previous
from .store import ENCODER_FILE, FORMAT, TOKENIZER_FILE, Index, load_index, read_manifest, save_index
from .vectors import build_vector_index
from .vectors import describe as describe_vectors

# Passed to bm25s and recorded in the manifest, so the manifest says what was built (bm25s's defaults: the other
# settings measured no better, see qa.retrieve.fusion)
BM25_SETTINGS = {"method": "lucene", "k1": 1.5, "b": 0.75}


def build_index(corpus_dir: str | os.PathLike, model: str | None = None, settings: SplitSettings | None = None,
                embedder=None, progress: bool = False, previous: Index | None = None,
                quiet: bool = False, warn: Callable[[str], None] | None = None, strict: bool = False) -> Index:
    """Read, split, embed and index a corpus folder, in memory.

    Args:
        embedder: what embeds passages and sentences; default qa.index.fast.FastEmbedder (the model's cached
            ONNX export, no torch), or the reference qa.index.embed.Embedder, or a stand-in with their interface.
        previous: the index version this build replaces: the documents it holds unchanged are taken from it,
            vectors and all, and only the others embedded (qa.index.reuse); says how many on stderr.
        quiet: leave that line out.
        warn: where each file left out is said (default: a warning line on stderr); strict: it is also an error.
    """
    import bm25s

    started = time.perf_counter()
    docs, files_hash = read_corpus(corpus_dir, warn=warn, strict=strict)
    embedder = embedder or _fast_embedder(model)
    settings = settings or SplitSettings(model_max_tokens=embedder.max_tokens)
    fingerprint = model_fingerprint(embedder.folder)
    sentences, passages, sentence_vectors, passage_vectors, embedded = _split_and_embed(
        docs, embedder, settings, Previous(previous, embedder.name, fingerprint, settings.to_dict()), progress)
    if not passages:
        raise QAError(f"no text to index in {corpus_dir}")
    if previous is not None and not quiet:
        print(f"qa: embedded {embedded} of {len(docs)} document{'s' * (len(docs) != 1)}, reused "
              f"{len(docs) - embedded} unchanged from the previous version", file=sys.stderr, flush=True)
    dense = build_vector_index(passage_vectors)  # exact up to vectors.EXACT_LIMIT passages, IVF above
    # Lucene's idf, log(1 + (N - df + .5) / (df + .5)), stays positive on a corpus of a few dozen
    # passages, where Robertson's classic idf goes to zero or below for common words.
    bm25 = bm25s.BM25(**BM25_SETTINGS)
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
        "model_fingerprint": fingerprint,
        "dimension": int(passage_vectors.shape[1]),
        "vectors": describe_vectors(dense),
        "split": settings.to_dict(),
        "bm25": dict(BM25_SETTINGS),
        "encoder": ({"file": ENCODER_FILE, "tokenizer": TOKENIZER_FILE, "runtime": "onnxruntime",
                     "precision": "float32", "max_tokens": embedder.max_tokens} if encoder_model else None),
        "corpus_dir": str(Path(corpus_dir).resolve()),
        "corpus_hash": corpus_hash(docs),
        "source_hash": files_hash,
        "corpus_meta": read_corpus_meta(corpus_dir),
        "documents": len(docs),
        "passages": len(passages),
        "sentences": len(sentences),
        "build_seconds": round(time.perf_counter() - started, 3),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return Index(manifest, {d.id: d for d in docs}, sentences, passages, dense, sentence_vectors, bm25,
                 dict(sentence_df), encoder_model=encoder_model, tokenizer_json=tokenizer_json)


def _fast_embedder(model: str | None):
    from .fast import FastEmbedder

    return FastEmbedder(model)


def _split_and_embed(docs, embedder, settings: SplitSettings, previous: Previous, progress: bool):
    """(sentences, passages, sentence vectors, passage vectors, documents embedded): each document's rows taken
    from `previous` when it holds them unchanged, else split and embedded, all new texts in one batched call."""
    splitter = Splitter(settings, model_count=embedder.count_tokens)
    sentences: list[Sentence] = []
    passages: list[Passage] = []
    parts = []  # per document: its vectors (sentences, passages), or None for those still to embed
    for doc in docs:
        taken = previous.take(doc, first_row=len(sentences), first_passage=len(passages))
        s, p = taken[:2] if taken else splitter.split(doc, first_row=len(sentences), first_passage=len(passages))
        parts.append(taken[2:] if taken else None)
        sentences += s
        passages += p
    new_s = [s.text for s, part in _by_document(sentences, docs, parts) if part is None]
    new_p = [p.text for p, part in _by_document(passages, docs, parts) if part is None]
    vectors = embedder.encode(new_p + new_s, progress=progress)  # one call: batches span documents
    fresh_p, fresh_s = iter(vectors[:len(new_p)]), iter(vectors[len(new_p):])
    sentence_vectors = _assemble(sentences, docs, parts, 0, fresh_s)
    passage_vectors = _assemble(passages, docs, parts, 1, fresh_p)
    return sentences, passages, sentence_vectors, passage_vectors, sum(part is None for part in parts)


def _by_document(rows, docs, parts):
    """(row, its document's reused vectors or None) for sentences or passages, which run in document order."""
    part_of = {d.id: part for d, part in zip(docs, parts)}
    return ((row, part_of[row.doc]) for row in rows)


def _assemble(rows, docs, parts, which: int, fresh) -> np.ndarray:
    """The vectors of `rows` in order: a reused document's from its part, the others' from `fresh`, in turn."""
    out, done = [], set()
    for row, part in _by_document(rows, docs, parts):
        if part is None:
            out.append(next(fresh))
        elif row.doc not in done:
            out.extend(part[which])
            done.add(row.doc)
    return np.ascontiguousarray(np.vstack(out), dtype=np.float32) if out else np.zeros((0, 0), np.float32)


def stale_reason(manifest: dict, corpus_dir: str | os.PathLike, model: str | None,
                 settings: SplitSettings | None) -> str | None:
    """Why an index no longer matches its corpus, model or settings; None when it does."""
    from .embed import resolve_model

    if Path(corpus_dir).resolve() != Path(manifest.get("corpus_dir", "")):
        return f"it was built from {manifest.get('corpus_dir')}"
    # the files' bytes unchanged: the documents too, without converting a PDF again; else their texts decide
    if (source_hash(corpus_dir) != manifest.get("source_hash")
            and corpus_hash(load_corpus(corpus_dir, quiet=True)) != manifest.get("corpus_hash")):
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
        if settings is None and manifest and model is None:  # keep the split settings the index was built with
            try:
                settings = SplitSettings(**manifest["split"])
            except (KeyError, TypeError):
                settings = None
        with build_lock(root):  # held from the start: a second build fails now, not after embedding
            if not quiet:
                print(f"qa: index {root} is being rebuilt from {corpus_dir}: {reason}", file=sys.stderr)
            index = build_index(corpus_dir, model=model or (manifest or {}).get("model"), settings=settings,
                                previous=previous_version(root) if manifest else None, quiet=quiet)
            save_index(index, root)
        return index
    return load_index(root)


def previous_version(index_dir: str | os.PathLike) -> Index | None:
    """The current version of an index folder, for a rebuild to reuse; None when there is none or it is damaged
    (the rebuild is then a full one)."""
    from .store import has_index

    try:
        return load_index(index_dir) if has_index(index_dir) else None
    except QAError:
        return None
