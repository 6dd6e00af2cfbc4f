"""End to end in a real browser: `qa serve` on the speech in a subprocess, driven in headless Debian Chromium by
Playwright. The answer, its highlight and its citation appear; sources open; an abstention is plainly worded;
a follow-up is resolved; nothing is fetched from outside 127.0.0.1.

Screenshots go to a temporary folder, or to $QA_SCREENSHOT_DIR when set (`make screenshots` sets it to docs/).
Playwright's own browser download is never used: the test runs Debian's chromium (`apt-get install chromium`).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, SPEECH_CORPUS

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
COPPER = "Which copper mine in Tibet is mentioned?"
OFF_TOPIC = "Who won the 2022 FIFA World Cup final?"
TIMEOUT_MS = 30_000


def _chromium() -> str | None:
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


pytestmark = pytest.mark.skipif(_chromium() is None,
                                reason="chromium not found (install it with: apt-get install -y chromium)")


@pytest.fixture(scope="module")
def server(speech_index_dir):
    """`qa serve --port 0` on the speech index; yields its base URL and stops it afterwards."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--index", str(speech_index_dir),
                             "--corpus", str(SPEECH_CORPUS), "--port", "0"], cwd=REPO, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    found = threading.Event()

    def drain():  # keep reading stderr so that the server never blocks on a full pipe
        for line in proc.stderr:
            lines.append(line)
            if "is at http://" in line:
                found.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        if not found.wait(120):
            pytest.fail("qa serve did not start:\n" + "".join(lines[-20:]))
        url = re.search(r"is at (http://127\.0\.0\.1:\d+/)", "".join(lines)).group(1)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "api/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("qa serve is not answering:\n" + "".join(lines[-20:]))
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("QA_SCREENSHOT_DIR")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


def api_ask(url: str, question: str) -> dict:
    request = urllib.request.Request(url + "api/ask", data=json.dumps({"question": question}).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.loads(r.read())


def top(locator) -> None:
    """Scroll the chat so that `locator` is at the top of its view (for the screenshots)."""
    locator.evaluate("e => { e.scrollIntoView({block: 'start'}); window.scrollTo(0, 0); }")
    locator.page.wait_for_timeout(300)


def test_the_chat_in_a_real_browser(server, shots):
    from playwright.sync_api import expect, sync_playwright

    requests: list[str] = []
    outside: list[str] = []

    def local(address: str) -> bool:
        return address.startswith(server) or address.startswith(("data:", "blob:", "about:"))

    def gate(route):  # record every request; anything not for this server is refused, so nothing leaves
        if local(route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 1300}, service_workers="block")
            context.route("**/*", gate)
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("websocket", lambda ws: requests.append(ws.url))
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(server, wait_until="load")
            box = page.locator("#qa-question textarea")
            expect(box).to_be_visible(timeout=TIMEOUT_MS)
            replies = page.locator("#qa-chat .qa-reply")

            def ask(question: str) -> None:
                before = replies.count()
                box.fill(question)
                box.press("Enter")
                expect(replies).to_have_count(before + 1, timeout=TIMEOUT_MS)

            # an answer: the short answer, the answer marked inside the quote, the citation
            expected = api_ask(server, COPPER)
            cited = expected["citations"][0]
            ask(COPPER)
            reply = replies.nth(0)
            expect(reply.locator(".qa-short")).to_have_text(expected["answer"])
            assert "Yulong Copper Mine" in expected["quote"]
            expect(reply.locator(".qa-quote mark.qa-answer")).to_have_text(expected["answer"])
            assert reply.locator(".qa-quote").inner_text().strip() == expected["quote"].strip()
            citation = reply.locator(".qa-cite")
            expect(citation).to_contain_text(f"{cited['doc']} · characters {cited['start']}–{cited['end']}")
            expect(citation).to_contain_text(cited["heading"].split(" › ")[-1])

            # a follow-up answered from the conversation, saying what it answered
            ask("How dependent is China on imported cobalt?")
            ask("And for nickel?")
            expect(replies.nth(2).locator(".qa-resolved")).to_have_text(
                "Answering: How dependent is China on imported nickel?")
            expect(replies.nth(1).locator(".qa-resolved")).to_have_count(0)
            top(page.locator("#qa-chat .qa-question").nth(1))  # an answer, and the follow-up after it
            page.screenshot(path=str(shots / "chat-answer.png"))

            # the sources, one click away, the cited sentence marked inside its passage
            sources = reply.locator("details.qa-sources")
            expect(sources.locator("li")).to_have_count(5)
            expect(sources.locator("li").first).not_to_be_visible()
            sources.locator("summary").click()
            expect(sources.locator("li").first).to_be_visible()
            expect(sources.locator("mark.qa-cited").first).to_contain_text(cited["text"][:40])
            expect(sources.locator(".qa-tag-cited").first).to_have_text("cited")
            top(reply.locator(".qa-cite"))
            page.screenshot(path=str(shots / "chat-sources.png"))

            # an abstention, plainly worded, with the closest passages marked as not answering
            ask(OFF_TOPIC)
            abstain = replies.nth(3)
            expect(abstain.locator(".qa-abstain")).to_contain_text("The speech does not say.")
            expect(abstain.locator(".qa-abstain")).to_contain_text(OFF_TOPIC)
            expect(abstain.locator(".qa-tag-no").first).to_have_text("does not answer")
            assert abstain.locator(".qa-short, mark.qa-answer").count() == 0
            top(page.locator("#qa-chat .qa-question").nth(3))
            page.screenshot(path=str(shots / "chat-abstain.png"))

            # what the user types is shown as text too
            ask("<img src=x onerror=alert(1)> **bold** [link](http://example.com)")
            expect(page.locator("#qa-chat .qa-question").last).to_have_text(
                "<img src=x onerror=alert(1)> **bold** [link](http://example.com)")
            assert page.locator("#qa-chat img[src=x], #qa-chat a[href^='http://example']").count() == 0

            # the k control and the clear button
            page.locator("#qa-k input[type=number]").fill("2")
            page.locator("#qa-k input[type=number]").press("Enter")
            ask("How much did the price of refined cobalt rise in two months?")
            expect(replies.last.locator("details.qa-sources li")).to_have_count(2)
            page.locator("#qa-clear").click()
            expect(replies).to_have_count(0, timeout=TIMEOUT_MS)
            assert not dialogs
        finally:
            browser.close()

    assert requests and all(local(u) for u in requests), [u for u in requests if not local(u)]
    assert not outside, f"requests outside 127.0.0.1: {outside}"
