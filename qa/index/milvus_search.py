"""Searching the Milvus store: dense and BM25 scores, or the server's fused ranking; sentence vectors by passage."""
from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from ..errors import QAError
from .milvus_store import IDENTITY, SCHEMA, _identity, _vector_index
from .milvus_uri import StoreURI, connect, parse_store

if TYPE_CHECKING:
    from .store import Index


def _hits(result, field: str) -> dict[int, float]:
    # Milvus Lite 3.2 reports a BM25 function match as a negative distance (smaller is nearer), Milvus itself as
    # the positive score; a BM25 score is never negative, so its magnitude is the score on both. Cosine and the
    # inner product of qa's own BM25 weights come back as they are.
    if field == "bm25":
        return {int(hit["pid"]): abs(float(hit["distance"])) for hit in result[0]}
    return {int(hit["pid"]): float(hit["distance"]) for hit in result[0]}


class SentenceVectors:
    """The sentence vectors the answer step reads, as `sentence_vectors[rows]` reads an array: fetched from the
    sentences collection by the passages that hold the rows asked for, and kept."""

    def __init__(self, client, uri: StoreURI, index: "Index", dimension: int):
        self.client, self.uri, self.index = client, uri, index
        self.shape = (len(index.sentences), dimension)
        self.cache: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return self.shape[0]

    def _fetch(self, rows: list[int]) -> None:
        missing = [r for r in rows if r not in self.cache]
        if not missing:
            return
        passages = sorted({self.index.sentences[r].passage for r in missing})
        found = self.client.query(self.uri.sentences, filter=f"passage in {passages}", output_fields=["row", "vector"])
        for hit in found:
            self.cache[int(hit["row"])] = np.asarray(hit["vector"], dtype=np.float32)
        lost = [r for r in missing if r not in self.cache]
        if lost:
            raise QAError(f"Milvus collection {self.uri.sentences} lacks sentence rows {lost[:3]}; re-index with: "
                          f"qa index CORPUS_DIR --store {self.uri.text}")

    def __getitem__(self, rows):
        if isinstance(rows, (int, np.integer)):
            self._fetch([int(rows)])
            return self.cache[int(rows)]
        rows = [int(r) for r in rows]
        self._fetch(rows)
        return np.stack([self.cache[r] for r in rows]) if rows else np.zeros((0, self.shape[1]), np.float32)


class MilvusStore:
    """The retriever's contract on a Milvus collection: a query in, passage rows out with their dense and BM25
    scores (`score`), or with the score of the server's own hybrid ranker (`fused`)."""

    def __init__(self, client, uri: StoreURI, index: "Index"):
        self.client, self.uri, self.index = client, uri, index
        self.vocab = index.bm25.vocab_dict if index.bm25 is not None else {}
        _, _, self.search_params = _vector_index(len(index.passages))
        self.sentence_vectors = SentenceVectors(client, uri, index, int(index.manifest["dimension"]))
        index.sentence_vectors = self.sentence_vectors  # the answer step reads them from the store from now on

    def _search(self, field: str, data, limit: int, filter_: str = "", params: dict | None = None) -> dict[int, float]:
        if limit <= 0 or data in ({}, ""):
            return {}
        return _hits(self.client.search(self.uri.collection, data=[data], anns_field=field, limit=limit,
                                        filter=filter_, search_params={"params": params or {}},
                                        output_fields=["pid"]), field)

    def _lexical_query(self, q_terms: list[str], text: str):
        if self.uri.bm25 == "milvus":
            return "bm25", text
        counts = Counter(self.vocab[t] for t in q_terms if t in self.vocab)
        return "qa_bm25", {term: float(n) for term, n in counts.items()}

    def score(self, vector: np.ndarray, q_terms: list[str], text: str, depth: int
              ) -> tuple[dict[int, float], dict[int, float]]:
        """The dense top `depth` (cosine) and the BM25 scores of the BM25 top `depth` and of the dense top: every
        score qa's z-score mix reads, for the same candidates the local index gives it."""
        dense = self._search("vector", [float(x) for x in vector], depth, params=self.search_params)
        field, query = self._lexical_query(q_terms, text)
        # twice as deep, so that passages tied at the cut-off are all there for the retriever's own tie-break
        lexical = self._search(field, query, min(len(self.index.passages), 2 * depth))
        missing = sorted(set(dense) - set(lexical))
        if missing:  # the dense top's own BM25 scores; a passage none of whose terms match is not returned: 0
            lexical.update(self._search(field, query, len(missing), f"pid in {missing}"))
        return dense, lexical

    def fused(self, vector: np.ndarray, q_terms: list[str], text: str, depth: int) -> dict[int, float]:
        """The server's hybrid ranking of the two searches: RRF (k=60) or an equal-weight WeightedRanker."""
        from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker

        field, query = self._lexical_query(q_terms, text)
        requests = [AnnSearchRequest(data=[[float(x) for x in vector]], anns_field="vector",
                                     param={"params": self.search_params}, limit=depth)]
        if query not in ({}, ""):
            requests.append(AnnSearchRequest(data=[query], anns_field=field, param={}, limit=depth))
        ranker = RRFRanker(60) if self.uri.ranker == "rrf" else WeightedRanker(*[0.5] * len(requests))
        result = self.client.hybrid_search(self.uri.collection, requests, ranker, limit=depth, output_fields=["pid"])
        return {int(hit["pid"]): float(hit["distance"]) for hit in result[0]}

    def close(self) -> None:
        self.client.close()


def open_store(store: StoreURI | str, index: "Index") -> MilvusStore:
    """Connect to the store and check that its collections hold this index (same build, model and dimension);
    the index's sentence vectors then come from the store. One-line QAError otherwise."""
    uri = parse_store(store) if isinstance(store, str) else store
    client = connect(uri)
    redo = f"write it with: qa index {index.manifest.get('corpus_dir') or 'CORPUS_DIR'} --store {uri.text}"
    for name in (uri.collection, uri.sentences):
        if not client.has_collection(name):
            client.close()
            raise QAError(f"no Milvus collection {name} at {uri.address}; {redo}")
    try:
        held = json.loads(client.describe_collection(uri.collection).get("properties", {}).get(IDENTITY) or "{}")
    except ValueError:
        held = {}
    want = _identity(index)
    problem = None
    if held.get("qa_store_schema") != SCHEMA:
        problem = "it was not written by this qa"
    elif held.get("dimension") != want["dimension"]:
        problem = f"it holds {held.get('dimension')}-d vectors and the index's model gives {want['dimension']}-d"
    elif (held.get("model"), held.get("model_fingerprint")) != (want["model"], want["model_fingerprint"]):
        problem = f"it was embedded with model {held.get('model')}, the index with {want['model']}"
    elif held != want:
        problem = f"it holds another build of the index ({held.get('build')}, the index is {want['build']})"
    if problem:
        client.close()
        raise QAError(f"Milvus collection {uri.collection} at {uri.address} does not match the index ({problem}); "
                      f"{redo}")
    client.load_collection(uri.collection)
    client.load_collection(uri.sentences)
    return MilvusStore(client, uri, index)


def open_stored(index_dir, corpus_dir, store: StoreURI | str, quiet: bool = False) -> tuple["Index", MilvusStore]:
    """The index folder's light part (documents, sentences, passages, manifest, encoder) and its Milvus store.

    A missing or stale index is rebuilt whole, as qa.index.build.open_index does, and written to the store again;
    a current one is loaded without its vectors and BM25 postings, which the store serves."""
    from pathlib import Path

    from .build import open_index, stale_reason
    from .store import load_index, read_manifest

    uri = parse_store(store) if isinstance(store, str) else store
    try:
        _, manifest = read_manifest(index_dir)
    except FileNotFoundError:
        manifest = None
    source = corpus_dir if corpus_dir is not None else (manifest or {}).get("corpus_dir")
    if manifest is None or (source and Path(source).is_dir() and stale_reason(manifest, source, None, None)):
        index = open_index(index_dir, corpus_dir, quiet=quiet)  # builds and says why on stderr
        from .milvus_store import write_store

        write_store(index, uri)
    else:
        index = load_index(index_dir, vectors=False)
    return index, open_store(uri, index)
