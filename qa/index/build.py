"""Building an index: read, split, embed and index a corpus folder; rebuild an index that is missing or stale."""
from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

from .. import __version__
from ..errors import QAError
from ..ingest.corpus import corpus_hash, load_corpus, read_corpus_meta, source_hash
from ..ingest.split import SplitSettings, Splitter
from ..records import Passage, Sentence
from ..text.lexical import terms
from .embed import Embedder, model_fingerprint
from .store import ENCODER_FILE, FORMAT, TOKENIZER_FILE, Index, load_index, read_manifest, save_index
from .vectors import build_vector_index
from .vectors import describe as describe_vectors

# Passed to bm25s and recorded in the manifest, so the manifest says what was built (bm25s's defaults: the other
# settings measured no better, see qa.retrieve.fusion)
BM25_SETTINGS = {"method": "lucene", "k1": 1.5, "b": 0.75}


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
        "model_fingerprint": model_fingerprint(embedder.folder),
        "dimension": int(passage_vectors.shape[1]),
        "vectors": describe_vectors(dense),
        "split": settings.to_dict(),
        "bm25": dict(BM25_SETTINGS),
        "encoder": ({"file": ENCODER_FILE, "tokenizer": TOKENIZER_FILE, "runtime": "onnxruntime",
                     "precision": "float32", "max_tokens": embedder.max_tokens} if encoder_model else None),
        "corpus_dir": str(Path(corpus_dir).resolve()),
        "corpus_hash": corpus_hash(docs),
        "source_hash": source_hash(corpus_dir),
        "corpus_meta": read_corpus_meta(corpus_dir),
        "documents": len(docs),
        "passages": len(passages),
        "sentences": len(sentences),
        "build_seconds": round(time.perf_counter() - started, 3),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return Index(manifest, {d.id: d for d in docs}, sentences, passages, dense, sentence_vectors, bm25,
                 dict(sentence_df), encoder_model=encoder_model, tokenizer_json=tokenizer_json)


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
