"""Where a Milvus store lives: `milvus://host:port/collection`, `milvus+https://...`, or a Milvus Lite `.db` path."""
from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from ..errors import QAError

DEFAULT_COLLECTION = "qa_passages"
DEFAULT_PORT = 19530
TOKEN_ENV = "QA_MILVUS_TOKEN"  # "user:password" or an API key; read from the environment, never from the URI
RANKERS = ("zscore", "rrf", "weighted")  # zscore: qa's own mix of the two raw scores; the others fuse on the server
BM25_SOURCES = ("qa", "milvus")  # qa: qa's own BM25 weights, stored; milvus: the server's BM25 full-text function
COLLECTION_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


@dataclass(frozen=True)
class StoreURI:
    """A parsed --store: the pymilvus connection address, the collection, and how hybrid search fuses."""

    text: str  # as the user wrote it, for messages
    address: str  # what MilvusClient(uri=...) takes: a local .db path or http(s)://host:port
    collection: str
    ranker: str = "zscore"
    bm25: str = "qa"

    @property
    def lite(self) -> bool:
        return not self.address.startswith(("http://", "https://"))

    @property
    def sentences(self) -> str:
        return f"{self.collection}_sentences"


def _check_collection(name: str, text: str) -> str:
    # Milvus's own rule: letters, digits and underscores, starting with a letter or underscore, up to 255
    if not name or len(name) > 200 or not set(name) <= COLLECTION_CHARS or name[0].isdigit():
        raise QAError(f"bad Milvus collection name {name!r} in --store {text}: use letters, digits and underscores, "
                      "not starting with a digit")
    return name


def _options(query: str, text: str) -> dict[str, str]:
    options = {key: values[-1] for key, values in parse_qs(query, keep_blank_values=True).items()}
    unknown = set(options) - {"ranker", "bm25"}
    if unknown:
        raise QAError(f"unknown option {sorted(unknown)[0]!r} in --store {text}; the options are ranker and bm25")
    if options.get("ranker", "zscore") not in RANKERS:
        raise QAError(f"unknown ranker {options['ranker']!r} in --store {text}; choose one of {', '.join(RANKERS)}")
    if options.get("bm25", "qa") not in BM25_SOURCES:
        raise QAError(f"unknown bm25 {options['bm25']!r} in --store {text}; choose one of {', '.join(BM25_SOURCES)}")
    return options


def parse_store(text: str) -> StoreURI:
    """`milvus://host[:port]/collection[?ranker=rrf&bm25=milvus]` (port 19530 by default), `milvus+https://...`
    for TLS, or a Milvus Lite path `PATH.db[?options][#collection]` (collection DEFAULT_COLLECTION by default).
    Anything else is a QAError naming the accepted forms."""
    if not isinstance(text, str) or not text.strip():
        raise QAError("--store is empty; give milvus://host:port/collection or a Milvus Lite file ending in .db")
    text = text.strip()
    if text.startswith(("milvus://", "milvus+http://", "milvus+https://")):
        parts = urlsplit(text)
        scheme = "https" if parts.scheme == "milvus+https" else "http"
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise QAError(f"bad port in --store {text}") from None
        if not parts.hostname:
            raise QAError(f"no host in --store {text}; write milvus://host:port/collection")
        name = _check_collection(parts.path.strip("/") or DEFAULT_COLLECTION, text)
        return StoreURI(text, f"{scheme}://{parts.hostname}:{port}", name, **_options(parts.query, text))
    path, _, name = text.partition("#")
    path, _, query = path.partition("?")
    if path.endswith(".db") and "://" not in path:
        return StoreURI(text, os.path.abspath(path), _check_collection(name or DEFAULT_COLLECTION, text),
                        **_options(query, text))
    raise QAError(f"cannot use --store {text}: give milvus://host:port/collection (a Milvus server or cluster), "
                  "milvus+https://host:port/collection, or a Milvus Lite file ending in .db")


def connect(uri: StoreURI):
    """A pymilvus MilvusClient on the store; one line naming the address when it cannot be reached."""
    try:
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException
    except ImportError as err:
        raise QAError(f"--store needs pymilvus (and milvus-lite for a .db file): pip install pymilvus milvus-lite "
                      f"({err.name or err} cannot be imported)") from None
    token = os.environ.get(TOKEN_ENV, "")
    try:
        return MilvusClient(uri=uri.address, token=token, timeout=10) if not uri.lite else MilvusClient(uri.address)
    except MilvusException as err:
        why = getattr(err, "message", "") or str(err) or err.__class__.__name__
        raise QAError(f"cannot reach Milvus at {uri.address} (--store {uri.text}): {' '.join(why.split())[:200]}"
                      ) from None
