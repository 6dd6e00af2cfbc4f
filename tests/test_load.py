"""eval/load.py, short: `qa serve` (the Gradio app mounted) on loopback under 8 concurrent clients for 5 s of /api/ask,
chat and Gradio API requests, every response equal to the single-threaded one, figures written. (The 32-client, 60-second run is in
docs/reliability.md.)"""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO


def test_a_short_load_run_has_no_errors_and_no_wrong_answers(speech_index_dir, tmp_path):
    out_json, out_md = tmp_path / "load.json", tmp_path / "load.md"
    run = subprocess.run([sys.executable, str(REPO / "eval" / "load.py"), "--index", str(speech_index_dir),
                          "--clients", "8", "--seconds", "5", "--limit", "6", "--json", str(out_json),
                          "--md", str(out_md)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(out_json.read_text())
    assert result["errors"] == 0 and result["wrong_answers"] == 0
    assert result["completed"] > 0 and result["latency_seconds"]["ask"]["n"] > 0
    assert result["latency_seconds"]["chat"]["n"] > 0  # every kind of request was made
    assert result["latency_seconds"]["gradio"]["n"] > 0
    assert result["memory_mb"]["samples"] >= 2 and result["server_exit_status"] is not None
    assert "| wrong answers | 0 |" in out_md.read_text()
