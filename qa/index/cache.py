"""The export cache: the model's ONNX graph and tokenizer.json, exported once per model fingerprint and reused.

A build that finds its export here imports neither torch nor sentence-transformers (qa.index.fast embeds with
onnxruntime); a miss loads the reference model once to export it. An entry is a folder named by the fingerprint,
written whole under a temporary name and renamed into place, with a manifest holding the SHA-256 of each file, so
a partial or damaged entry is detected and exported again, never used.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import uuid
from pathlib import Path
from typing import Callable

from .. import __version__
from .export import ONNX_OPSET

ENV = "QA_CACHE_DIR"
GRAPH, TOKENIZER, MANIFEST = "encoder.onnx", "tokenizer.json", "manifest.json"
LAYOUT = 1  # the entry layout; a change makes every older entry a miss


def cache_dir() -> Path:
    """$QA_CACHE_DIR, else $XDG_CACHE_HOME/qa, else ~/.cache/qa (XDG's base directory rule)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache") / "qa"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_dir(fingerprint: str) -> Path:
    return cache_dir() / "onnx" / f"{fingerprint}-opset{ONNX_OPSET}"


def read_entry(fingerprint: str) -> tuple[bytes, str] | None:
    """(ONNX graph, tokenizer.json text) of a complete, intact entry for `fingerprint`; None on a miss."""
    folder = entry_dir(fingerprint)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        graph, tokenizer = (folder / GRAPH).read_bytes(), (folder / TOKENIZER).read_bytes()
    except (OSError, ValueError):
        return None
    expected = {"layout": LAYOUT, "fingerprint": fingerprint, "onnx_opset": ONNX_OPSET,
                GRAPH: _digest(graph), TOKENIZER: _digest(tokenizer)}
    if not isinstance(manifest, dict) or any(manifest.get(k) != v for k, v in expected.items()):
        return None  # partial, damaged, or of another layout: export again
    try:
        return graph, tokenizer.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _check_loads(graph: bytes, tokenizer_json: str) -> None:
    """Raise unless onnxruntime loads the graph and tokenizers the tokenizer: a broken export is never cached."""
    from .encoder import OnnxEncoder

    OnnxEncoder(graph, tokenizer_json, max_tokens=8).encode(["check"])


def write_entry(fingerprint: str, graph: bytes, tokenizer_json: str) -> bool:
    """Store an export atomically (a temporary folder renamed into place); False, after one warning line on stderr,
    when the cache folder cannot be written (the build goes on with the export in memory)."""
    final = entry_dir(fingerprint)
    tmp = final.parent / f".{final.name}.{uuid.uuid4().hex[:8]}.partial"
    try:
        tmp.mkdir(parents=True)
        (tmp / GRAPH).write_bytes(graph)
        (tmp / TOKENIZER).write_text(tokenizer_json, encoding="utf-8", newline="")
        manifest = {"layout": LAYOUT, "fingerprint": fingerprint, "qa_version": __version__,
                    "onnx_opset": ONNX_OPSET, "loads": True, GRAPH: _digest(graph),
                    TOKENIZER: _digest(tokenizer_json.encode("utf-8"))}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        for name in (GRAPH, TOKENIZER, MANIFEST):
            with open(tmp / name, "rb") as f:
                os.fsync(f.fileno())
        if final.exists():  # a damaged entry (or one a concurrent build just wrote): the new one replaces it
            shutil.rmtree(final, ignore_errors=True)
        try:
            os.replace(tmp, final)
        except OSError:
            if read_entry(fingerprint) is None:  # not a concurrent build's intact entry: a real failure
                raise
        return True
    except OSError as err:
        print(f"qa: warning: cannot write the model export cache at {cache_dir()} ({err.strerror or err}); "
              f"exporting in memory (set {ENV} to a writable folder)", file=sys.stderr, flush=True)
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cached_export(fingerprint: str, export: Callable[[], tuple[bytes, str]]) -> tuple[bytes, str]:
    """(ONNX graph, tokenizer.json text) of a model: from the cache, else `export()`ed, checked and cached.

    Args:
        fingerprint: qa.index.embed.model_fingerprint of the model's folder, the cache key.
        export: makes the export on a miss (qa.index.embed.Embedder.export_in_memory, which loads torch).
    """
    hit = read_entry(fingerprint)
    if hit is not None:
        return hit
    graph, tokenizer_json = export()
    _check_loads(graph, tokenizer_json)
    write_entry(fingerprint, graph, tokenizer_json)
    return graph, tokenizer_json
