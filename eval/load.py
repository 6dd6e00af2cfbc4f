"""Load test of `qa serve`: concurrent clients send /api/ask, chat and Gradio API requests for a fixed time, and every
response is checked against the answer the same server gave when asked one question at a time.

    python eval/load.py --index index --clients 32 --seconds 60

It starts `python -m qa serve --port 0` on 127.0.0.1 over the given index, takes the single-threaded
reference answers (the JSON bytes of /api/ask and /api/chat) for the curated questions, then runs the
clients until the time is up (requests in flight finish), samples the server's resident memory every second,
stops the server and writes eval/results/load.json and eval/results/load.md. Exit status 0 means no errors,
no wrong answers and (for runs of 30 s or more) memory flat; 1 otherwise.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = REPO / "eval" / "questions.jsonl"
RESULTS = REPO / "eval" / "results"
URL_LINE = re.compile(r"is at (http://\S+?/) ")
FLAT_MB = 5.0  # growth over the second half of the run below which memory counts as flat
MIN_SECONDS_FOR_MEMORY = 30  # shorter runs are too short to tell growth from warm-up


# ---------------------------------------------------------------- the server

class Server:
    """`qa serve --port 0` in a subprocess; its URL is read from the line it prints when ready."""

    def __init__(self, index: Path, startup_timeout: float = 600):
        env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1")
        # cwd=REPO: `-m qa` imports this checkout's package, not whatever is installed
        self.proc = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--index", str(index), "--port", "0"],
                                     cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.log: list[str] = []
        self.url = ""
        ready = threading.Event()

        def drain():  # keep reading, so that a chatty server never blocks on a full pipe
            for line in self.proc.stderr:
                self.log.append(line.rstrip("\n"))
                match = URL_LINE.search(line)
                if match and not self.url:
                    self.url = match.group(1)
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        try:
            ready.wait(startup_timeout)
        except BaseException:  # Ctrl-C while it starts: never leave a server behind
            self.stop()
            raise
        if not self.url:
            self.stop()
            raise SystemExit("qa serve did not start:\n" + "\n".join(self.log[-20:]))
        self.process = psutil.Process(self.proc.pid)

    def rss_mb(self) -> float:
        return self.process.memory_info().rss / 2**20

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


# ---------------------------------------------------------------- one request of each kind

async def ask(client: httpx.AsyncClient, question: str) -> bytes:
    r = await client.post("/api/ask", json={"question": question})
    if r.status_code != 200:
        raise RuntimeError(f"/api/ask status {r.status_code}: {r.text[:200]}")
    return r.content


async def gradio_ask(client: httpx.AsyncClient, question: str) -> dict:
    """The Gradio API's `ask` (gradio_client's protocol over plain HTTP: a call, then its event stream), through
    Gradio's queue; returns the answer's JSON as a dict, which must equal /api/ask's."""
    r = await client.post("/gradio_api/call/ask", json={"data": [question, 5, "hybrid"]})
    if r.status_code != 200:
        raise RuntimeError(f"/gradio_api/call/ask status {r.status_code}: {r.text[:200]}")
    stream = await client.get(f"/gradio_api/call/ask/{r.json()['event_id']}")
    event, data = "", ""
    for line in stream.text.splitlines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event in ("complete", "error"):
            data = line.split(":", 1)[1].strip()
            break
    if event != "complete":
        raise RuntimeError(f"Gradio's ask ended with {event or 'nothing'}: {data[:200]}")
    return json.loads(data)[0]


async def chat(client: httpx.AsyncClient, question: str) -> bytes:
    """One chat turn in a fresh conversation through POST /api/chat; returns the reply's JSON bytes."""
    r = await client.post("/api/chat", json={"message": question, "k": 5})
    if r.status_code != 200:
        raise RuntimeError(f"chat status {r.status_code}: {r.text[:200]}")
    return r.content


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) in MB per minute."""
    if len(samples) < 2:
        return 0.0
    xs, ys = [s[0] for s in samples], [s[1] for s in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return 60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0


async def run(server: Server, questions: list[str], clients: int, seconds: float, chat_share: float,
              gradio_share: float, seed: int) -> dict:
    timeout = httpx.Timeout(300.0)
    limits = httpx.Limits(max_connections=clients + 2, max_keepalive_connections=clients + 2)
    async with httpx.AsyncClient(base_url=server.url.rstrip("/"), timeout=timeout, limits=limits) as client:
        started = time.perf_counter()
        reference_ask = {q: await ask(client, q) for q in questions}
        reference_chat = {q: await chat(client, q) for q in questions}
        reference_seconds = time.perf_counter() - started

        latencies: dict[str, list[float]] = {"ask": [], "chat": [], "gradio": []}
        errors: list[str] = []
        wrong: list[str] = []
        rss: list[tuple[float, float]] = []
        rss_before = server.rss_mb()
        begin = time.perf_counter()
        deadline = begin + seconds
        done = asyncio.Event()

        async def sample():
            while not done.is_set():
                rss.append((time.perf_counter() - begin, server.rss_mb()))
                try:
                    await asyncio.wait_for(done.wait(), 1.0)
                except asyncio.TimeoutError:
                    pass

        async def worker(n: int):
            rng = random.Random(seed * 1000 + n)
            while time.perf_counter() < deadline:
                question = rng.choice(questions)
                draw = rng.random()
                kind = "chat" if draw < chat_share else "gradio" if draw < chat_share + gradio_share else "ask"
                t0 = time.perf_counter()
                try:
                    if kind == "ask":
                        ok = await ask(client, question) == reference_ask[question]
                    elif kind == "gradio":
                        ok = await gradio_ask(client, question) == json.loads(reference_ask[question])
                    else:
                        ok = await chat(client, question) == reference_chat[question]
                except Exception as err:  # noqa: BLE001 - every failure is counted and reported
                    errors.append(f"{kind}: {err.__class__.__name__}: {str(err)[:200]}")
                    continue
                latencies[kind].append(time.perf_counter() - t0)
                if not ok:
                    wrong.append(f"{kind}: {question}")

        sampler = asyncio.create_task(sample())
        await asyncio.gather(*(worker(n) for n in range(clients)))
        elapsed = time.perf_counter() - begin
        done.set()
        await sampler
        rss.append((elapsed, server.rss_mb()))

    # Memory: over the second half of the run, once allocator and caches have warmed up.
    steady = [s for s in rss if s[0] >= elapsed * 0.5] or rss
    head = [mb for _, mb in steady[: max(1, len(steady) // 10)]]
    tail = [mb for _, mb in steady[-max(1, len(steady) // 10):]]
    growth = statistics.median(tail) - statistics.median(head)
    every = latencies["ask"] + latencies["chat"] + latencies["gradio"]
    return {
        "clients": clients, "seconds": seconds, "elapsed_seconds": round(elapsed, 2), "chat_share": chat_share,
        "gradio_share": gradio_share,
        "questions": len(questions), "reference_seconds": round(reference_seconds, 2),
        "requests": len(every) + len(errors), "completed": len(every), "errors": len(errors),
        "wrong_answers": len(wrong), "throughput_per_second": round(len(every) / elapsed, 2),
        "latency_seconds": {kind: {"n": len(v), "p50": round(percentile(v, 0.5), 3),
                                   "p95": round(percentile(v, 0.95), 3), "max": round(max(v, default=0.0), 3)}
                            for kind, v in (("all", every), *latencies.items())},
        "memory_mb": {"before": round(rss_before, 1), "start_of_steady": round(statistics.median(head), 1),
                      "end": round(statistics.median(tail), 1), "growth": round(growth, 1),
                      "slope_per_minute": round(slope_per_minute(steady), 2),
                      "max": round(max(mb for _, mb in rss), 1), "samples": len(rss),
                      "flat": abs(growth) < FLAT_MB},
        "rss_samples": [(round(t, 1), round(mb, 1)) for t, mb in rss],
        "error_examples": errors[:10], "wrong_examples": wrong[:10],
    }


def markdown(result: dict) -> str:
    lat, mem = result["latency_seconds"], result["memory_mb"]
    rows = "\n".join(f"| {kind} | {v['n']} | {v['p50']:.3f} | {v['p95']:.3f} | {v['max']:.3f} |"
                     for kind, v in lat.items())
    return f"""# Load test of `qa serve`

`{result['command']}`, {result['date']}, on {result['machine']}.

{result['clients']} concurrent clients for {result['seconds']:g} s (ran {result['elapsed_seconds']:.1f} s), each request
`/api/ask`, a chat turn ({result['chat_share']:.0%}) or the Gradio API's `ask` through Gradio's queue
({result['gradio_share']:.0%}), over {result['questions']} curated questions; every response compared with the server's
single-threaded answer to the same question (byte for byte; the Gradio API's as JSON, equal to /api/ask's).

| | value |
| --- | ---: |
| requests completed | {result['completed']} |
| errors | {result['errors']} |
| wrong answers | {result['wrong_answers']} |
| throughput | {result['throughput_per_second']:.2f} requests/s |
| server RSS at half time / end / max | {mem['start_of_steady']:.0f} / {mem['end']:.0f} / {mem['max']:.0f} MB |
| RSS growth over the second half of the run (slope) | {mem['growth']:+.1f} MB ({mem['slope_per_minute']:+.2f} MB/min) |
| memory flat (growth under {FLAT_MB:g} MB) | {'yes' if mem['flat'] else 'no'} |

| kind | n | p50 s | p95 s | max s |
| --- | ---: | ---: | ---: | ---: |
{rows}

The model and index are shared under one lock, so requests are answered one at a time and throughput is
that of one worker. `/api/ask` requests wait only for that lock; chat turns (POST /api/chat) wait for the
same lock, so with half the clients chatting each turn waits for the ones ahead of it.
Memory is judged over the second half of the run, after the caches have filled (POST /api/chat keeps no
conversation; Gradio keeps each session's state, the chat's previous turn, for its 256 most recent sessions).
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=str(REPO / "index"), help="a built index folder (default: index/)")
    parser.add_argument("--questions", default=str(QUESTIONS), help="JSONL with a 'question' field per line")
    parser.add_argument("--limit", type=int, default=40, help="how many of the questions to use (default 40)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--chat-share", type=float, default=0.4, help="share of requests sent to the chat")
    parser.add_argument("--gradio-share", type=float, default=0.2,
                        help="share of requests sent to the Gradio API's ask (the rest go to /api/ask)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=str(RESULTS / "load.json"))
    parser.add_argument("--md", default=str(RESULTS / "load.md"))
    args = parser.parse_args(argv)
    if not (Path(args.index) / "CURRENT").is_file():
        raise SystemExit(f"no index at {args.index}; build one with: python -m qa index corpus --index {args.index}")
    lines = [json.loads(line) for line in Path(args.questions).read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [row["question"] for row in lines][: args.limit]

    server = Server(Path(args.index))
    try:
        result = asyncio.run(run(server, questions, args.clients, args.seconds, args.chat_share, args.gradio_share,
                                 args.seed))
    finally:
        status = server.stop()
    result.update(
        command="python eval/load.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        machine=f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()} "
                f"(load average {os.getloadavg()[0]:.1f} at the end: the machine is shared)",
        server_exit_status=status, server_log_tail=server.log[-5:])
    for path, text in ((args.json, json.dumps(result, indent=2) + "\n"), (args.md, markdown(result))):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")
    mem_ok = result["memory_mb"]["flat"] or args.seconds < MIN_SECONDS_FOR_MEMORY
    print(f"{result['completed']} requests in {result['elapsed_seconds']:.1f} s "
          f"({result['throughput_per_second']:.2f}/s), errors {result['errors']}, wrong {result['wrong_answers']}, "
          f"p50 {result['latency_seconds']['all']['p50']:.2f} s, p95 {result['latency_seconds']['all']['p95']:.2f} s, "
          f"RSS growth {result['memory_mb']['growth']:+.1f} MB -> {args.json}")
    return 0 if result["errors"] == 0 and result["wrong_answers"] == 0 and mem_ok else 1


if __name__ == "__main__":
    sys.exit(main())
