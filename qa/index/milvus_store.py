"""Writing the Milvus store: passages (vector, text for Milvus BM25, qa BM25 weights, offsets) and sentence vectors."""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import numpy as np

from ..text.lexical import stopwords
from . import vectors
from .milvus_uri import StoreURI, connect, parse_store

if TYPE_CHECKING:
    from .store import Index

SCHEMA = 1  # bumped when the collections' fields change: an older collection is refused with the re-index command
BATCH = 1000  # rows per insert call: well under gRPC's 64 MiB message limit at 384-d plus text
TEXT_MAX = 65535  # Milvus's VARCHAR limit (bytes); a passage is a few hundred tokens
NAME_MAX = 4096
IDENTITY = "qa.identity"  # the collection property holding _identity's JSON (Milvus Lite keeps no description)
# Milvus's BM25 full-text function analyses `text` on the server. Standalone and clusters apply every filter
# (lowercase, qa's stopword list, English Snowball stemming, as qa's own terms); Milvus Lite 3.2 applies the stop
# list only, so there it scores unstemmed words (docs/milvus.md).
ANALYZER = {"tokenizer": "standard",
            "filter": ["lowercase", {"type": "stop", "stop_words": sorted(stopwords())},
                       {"type": "stemmer", "language": "english"}]}


def _bm25_columns(bm25) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """qa's BM25 as (data, indices, indptr, vocab): column t of the CSC matrix holds term t's weight per passage.
    A built index holds bm25s.BM25 (its `scores` dict), a loaded one qa.index.bm25.SavedBM25 (its arrays)."""
    if hasattr(bm25, "scores"):
        s = bm25.scores
        return s["data"], s["indices"], s["indptr"], bm25.vocab_dict
    return bm25.data, bm25.indices, bm25.indptr, bm25.vocab_dict


def qa_sparse(bm25, passages: int) -> list[dict[int, float]]:
    """Each passage's qa BM25 weights as a sparse vector {term id: weight}: the inner product with a query's term
    counts is bm25s's score for that query (qa.index.bm25.SavedBM25.get_scores), computed on the server."""
    data, indices, indptr, _ = _bm25_columns(bm25)
    rows: list[dict[int, float]] = [{} for _ in range(passages)]
    for term in range(len(indptr) - 1):
        for j in range(int(indptr[term]), int(indptr[term + 1])):
            rows[int(indices[j])][term] = float(data[j])
    return rows


def _passage_vectors(dense) -> np.ndarray:
    """Every passage vector back out of the FAISS index (an IVF index needs its direct map for that)."""
    import faiss

    ivf = faiss.try_extract_index_ivf(dense) if not isinstance(dense, faiss.IndexFlat) else None
    if ivf is not None:
        ivf.make_direct_map()
    return dense.reconstruct_n(0, dense.ntotal)


def _identity(index: "Index") -> dict:
    """What a collection records of the index it was written from, checked when it is opened."""
    m = index.manifest
    return {"qa_store_schema": SCHEMA, "build": m.get("built_at"), "corpus_hash": m.get("corpus_hash"),
            "model": m.get("model"), "model_fingerprint": m.get("model_fingerprint"),
            "dimension": m.get("dimension"), "passages": len(index.passages), "sentences": len(index.sentences)}


def _vector_index(n: int) -> tuple[str, dict, dict]:
    """qa's own choice (qa.index.vectors): exact up to EXACT_LIMIT passages, IVF with its lists and probes above."""
    if vectors.kind_for(n) == "flat":
        return "FLAT", {}, {}
    lists = vectors.ivf_lists(n)
    return "IVF_FLAT", {"nlist": lists}, {"nprobe": min(vectors.NPROBE, lists)}


def _schemas(client, dimension: int):
    from pymilvus import DataType, Function, FunctionType

    p = client.create_schema(auto_id=False)
    p.add_field("pid", DataType.INT64, is_primary=True)  # the passage's row in the index (passages.jsonl line)
    p.add_field("passage_id", DataType.VARCHAR, max_length=NAME_MAX)  # e.g. speech.md#7
    p.add_field("doc", DataType.VARCHAR, max_length=NAME_MAX)
    p.add_field("start", DataType.INT64)
    p.add_field("end", DataType.INT64)
    p.add_field("heading", DataType.VARCHAR, max_length=NAME_MAX)
    p.add_field("text", DataType.VARCHAR, max_length=TEXT_MAX, enable_analyzer=True, analyzer_params=ANALYZER)
    p.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)  # written by the server's BM25 function from `text`
    p.add_field("qa_bm25", DataType.SPARSE_FLOAT_VECTOR)  # qa's own BM25 weights (bm25s, Lucene idf)
    p.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    p.add_function(Function(name="text_bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                            output_field_names=["bm25"]))
    s = client.create_schema(auto_id=False)
    s.add_field("row", DataType.INT64, is_primary=True)  # the sentence's row (sentences.jsonl line)
    s.add_field("passage", DataType.INT64)  # the first passage that holds it: how the answer step fetches them
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    return p, s


def _fill(client, name: str, rows, indexes: list[tuple[str, str, str, dict]]) -> None:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            client.insert(name, batch)
            batch = []
    if batch:
        client.insert(name, batch)
    client.flush(name)
    params = client.prepare_index_params()
    for field, kind, metric, extra in indexes:
        params.add_index(field_name=field, index_type=kind, metric_type=metric, params=extra)
    client.create_index(name, params)


def write_store(index: "Index", store: StoreURI | str) -> float:
    """Write the index's passages and sentence vectors to the store's two collections; returns the seconds taken.

    Each is filled under a temporary name and renamed over the old one once complete, so an interrupted upload
    leaves the previous collections answering (the swap itself is two renames, not one atomic step)."""
    uri = parse_store(store) if isinstance(store, str) else store
    started = time.perf_counter()
    client = connect(uri)
    try:
        identity = _identity(index)
        passages_schema, sentences_schema = _schemas(client, int(index.manifest["dimension"]))
        dense = _passage_vectors(index.dense)
        sparse = qa_sparse(index.bm25, len(index.passages))
        kind, build_params, _ = _vector_index(len(index.passages))
        for name, schema in ((uri.collection, passages_schema), (uri.sentences, sentences_schema)):
            tmp = f"{name}__partial"
            if client.has_collection(tmp):
                client.drop_collection(tmp)
            client.create_collection(tmp, schema=schema, consistency_level="Strong",
                                     properties={IDENTITY: json.dumps(identity, sort_keys=True)})
            if schema is passages_schema:
                rows = ({"pid": r, "passage_id": p.id, "doc": p.doc, "start": p.start, "end": p.end,
                         "heading": p.heading, "text": p.text, "qa_bm25": sparse[r], "vector": dense[r]}
                        for r, p in enumerate(index.passages))
                _fill(client, tmp, rows, [("vector", kind, "IP", build_params),
                                          ("bm25", "SPARSE_INVERTED_INDEX", "BM25", {}),
                                          ("qa_bm25", "SPARSE_INVERTED_INDEX", "IP", {})])
            else:
                rows = ({"row": r, "passage": s.passage, "vector": index.sentence_vectors[r]}
                        for r, s in enumerate(index.sentences))
                _fill(client, tmp, rows, [("vector", "FLAT", "IP", {})])  # fetched by passage, never searched
        for name in (uri.collection, uri.sentences):
            if client.has_collection(name):
                client.drop_collection(name)
            client.rename_collection(f"{name}__partial", name)
    finally:
        client.close()
    return time.perf_counter() - started
