"""`qa serve` in a subprocess for the tests that need a real server (a browser, gradio_client, an MCP client): started
on a free loopback port, every host it looks up or connects to other than this machine recorded (fixtures/netlog),
stopped at the end."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO

NETLOG = Path(__file__).parent / "fixtures" / "netlog"


class Served:
    """`python -m qa serve --port 0 ARGS`; `url` once it answers /api/health, `contacted()` the other hosts it tried."""

    def __init__(self, args: list[str], folder: Path):
        self.netlog = folder / "contacted.txt"
        env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1",
                   PYTHONPATH=os.pathsep.join([str(NETLOG)] + [p for p in [os.environ.get("PYTHONPATH")] if p]),
                   QA_NETLOG=str(self.netlog))
        # qa serve must keep Gradio offline by itself: none of Gradio's own switches is set here
        for key in ("GRADIO_ANALYTICS_ENABLED", "GRADIO_TEMP_DIR", "HF_HUB_DISABLE_TELEMETRY", "DO_NOT_TRACK"):
            env.pop(key, None)
        self.proc = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--port", "0", *args], cwd=REPO, env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        self.lines: list[str] = []
        self.url = ""
        found = threading.Event()

        def drain():  # keep reading stderr so that the server never blocks on a full pipe
            for line in self.proc.stderr:
                self.lines.append(line)
                if "is at http://" in line:
                    found.set()

        threading.Thread(target=drain, daemon=True).start()
        try:
            if not found.wait(180):
                pytest.fail("qa serve did not start:\n" + self.log())
            self.url = re.search(r"is at (http://127\.0\.0\.1:\d+/)", "".join(self.lines)).group(1)
            self._wait_for_health()
        except BaseException:
            self.stop()
            raise

    def _wait_for_health(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "api/health", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("qa serve is not answering:\n" + self.log())
                time.sleep(0.2)

    def log(self) -> str:
        return "".join(self.lines[-30:])

    def contacted(self) -> list[str]:
        """The hosts other than this machine that the server looked up or connected to so far."""
        return self.netlog.read_text("utf-8").splitlines() if self.netlog.exists() else []

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def speech_server(speech_index_dir: Path, tmp_path_factory, *args: str):
    """For a module fixture: `qa serve` on the speech index with `args`, stopped when the module is done."""
    from conftest import SPEECH_CORPUS

    server = Served(["--index", str(speech_index_dir), "--corpus", str(SPEECH_CORPUS), *args],
                    tmp_path_factory.mktemp("served"))
    yield server
    server.stop()


def contacting_nothing(server: Served):
    """For a test's fixture: the server's URL; after the test, the server has contacted no other host."""
    yield server.url
    assert server.contacted() == [], server.contacted()
