"""Timing helpers shared by the benchmarks: fresh-process runs with their own peak memory, medians, percentiles."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Run:
    """One finished child process: wall seconds, its own peak resident memory (MiB), exit status and output."""

    seconds: float
    peak_mib: float
    status: int
    stdout: str
    stderr: str


def run(cmd: list[str], cwd: str | None = None, env: dict | None = None, stdin: str | None = None) -> Run:
    """Run `cmd` to the end in a fresh process, timing it from spawn to exit.

    os.wait4 gives the rusage of this one child (ru_maxrss, KiB on Linux), where RUSAGE_CHILDREN would give
    the maximum over every child so far. Output goes to temporary files, so a chatty child cannot block on a
    full pipe while we wait for it.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as inp:
        if stdin is not None:
            inp.write(stdin.encode("utf-8"))
            inp.seek(0)
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=inp, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, out.read().decode("utf-8", "replace"),
                   err.read().decode("utf-8", "replace"))


def run_checked(cmd: list[str], what: str, **kwargs) -> Run:
    """`run`, raising a one-line error naming `what` and the child's last stderr line when it fails."""
    result = run(cmd, **kwargs)
    if result.status != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{what} failed (exit {result.status}): {last}")
    return result


def last_json(text: str) -> dict:
    """The last line of `text` that is a JSON object: what a worker script prints as its result."""
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON result in the output")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks, as numpy's default."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def rss_mib() -> float:
    """This process's resident memory now (MiB), from /proc; 0 where /proc is missing."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (MiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_result(result: dict, path: str) -> None:
    """Write a benchmark's result as indented JSON (creating its folder) and print it on one line."""
    from pathlib import Path

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))
