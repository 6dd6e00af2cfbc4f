"""End to end in a real browser: `qa serve` (the Gradio chat) on the speech in a subprocess, driven in headless Debian
Chromium by Playwright, as a person would use it: ask, open the citation in its document, copy, follow up, be refused,
drop and pick a PDF, an HTML page and a hostile Markdown file and ask them, and the same on a phone; nothing is
fetched from outside 127.0.0.1. The answers' wording is the answer layer's: the checks are on structure (a quote, a
citation whose offsets cut the quote from its document, confidence in words, a refusal for an off-topic question).

Screenshots go to a temporary folder, or to $QA_SCREENSHOT_DIR when set (`make screenshots` sets it to docs/).
Playwright's own browser download is never used: the test runs Debian's chromium (`apt-get install chromium`).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
from pathlib import Path

import pytest

from conftest import SPEECH_CORPUS
from serving import contacting_nothing, speech_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
COPPER = "When did the DRC announce the suspension of cobalt exports?"  # the first example question
OFF_TOPIC = "Who won the 2022 FIFA World Cup final?"
TIMEOUT_MS = 30_000


def _chromium() -> str | None:
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


pytestmark = pytest.mark.skipif(_chromium() is None,
                                reason="chromium not found (install it with: apt-get install -y chromium)")


@pytest.fixture(scope="module")
def served(speech_index_dir, tmp_path_factory):
    """`qa serve` on the speech index, uploads in a temporary folder (tests/serving.py)."""
    yield from speech_server(speech_index_dir, tmp_path_factory, "--uploads", str(tmp_path_factory.mktemp("uploads")))


@pytest.fixture
def server(served):
    """The server's base URL; after the test, the server has contacted no host but this one (nor has the page)."""
    yield from contacting_nothing(served)


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



def api_chat(url: str, message: str, previous: dict | None = None) -> dict:
    """What POST /api/chat says of `message`: the turn the chat page shows, as JSON (its `display`)."""
    body = {"message": message, "previous": previous}
    request = urllib.request.Request(url + "api/chat", data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.loads(r.read())


class Browser:
    """One Chromium page on the server, with every request recorded and any not for the server refused."""

    def __init__(self, p, server: str, **context):
        from playwright.sync_api import expect

        self.server, self.requests, self.outside, self.errors = server, [], [], []
        self.browser = p.chromium.launch(executable_path=_chromium(), args=ARGS)
        self.context = self.browser.new_context(service_workers="block", **context)
        self.context.route("**/*", self._gate)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.errors.append(d.message), d.dismiss()))
        self.page.goto(server, wait_until="load")
        # the page's load event has filled the examples: the app is wired and answering
        expect(self.page.locator("#qa-examples")).to_be_visible(timeout=TIMEOUT_MS)

    def local(self, address: str) -> bool:
        return address.startswith(self.server) or address.startswith(("data:", "blob:", "about:"))

    def _gate(self, route):
        if self.local(route.request.url):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    @property
    def replies(self):
        return self.page.locator("#qa-conversation .qa-reply")

    def ask(self, question: str):
        from playwright.sync_api import expect

        before = self.replies.count()
        box = self.page.locator("#qa-question textarea")
        box.fill(question)
        box.press("Enter")
        expect(self.replies).to_have_count(before + 1, timeout=TIMEOUT_MS)
        return self.replies.nth(before)

    def set_sources(self, k: int) -> None:
        """Type k into the options' number box until the slider holds it.

        Why a retry: on a loaded CI machine the box typed into while the accordion was still opening
        was re-rendered and the value lost (stop 29's CI: the slider stayed at 5 after 5 s)."""
        from playwright.sync_api import expect

        self.page.locator("#qa-options").get_by_text("Options").click()
        slider = self.page.locator("#qa-k input[type=range]")
        for _ in range(4):
            number = self.page.locator("#qa-k input[type=number]")
            number.fill(str(k))
            number.press("Tab")  # the slider takes the typed value on blur
            try:
                expect(slider).to_have_value(str(k), timeout=3000)
                return
            except AssertionError:
                continue
        expect(slider).to_have_value(str(k))

    def pick_corpus(self, label: str) -> None:
        self.page.locator("#qa-corpus input").click()
        self.page.locator("li.item", has_text=label).click()

    def close(self) -> None:
        self.browser.close()
        assert self.requests and all(self.local(u) for u in self.requests), [u for u in self.requests if not self.local(u)]
        assert not self.outside, f"requests outside the server: {self.outside}"
        assert not self.errors, self.errors


def shot(page, path: Path, locator=None) -> None:
    if locator is not None:
        locator.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(250)
    page.screenshot(path=str(path))


def source_of(doc: str) -> str:
    return (SPEECH_CORPUS / doc).read_bytes().decode("utf-8")


def test_ask_open_the_citation_copy_follow_up_and_be_refused(server, shots):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        b = Browser(p, server, viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"])
        page = b.page
        expect(page.locator("#qa-title")).to_have_text("Ask the speech")
        assert "/api/" not in page.locator("#qa-header").inner_text()  # no HTTP routes shown to end users

        # an answer: short answer, the answer marked in the quote, the citation in words, confidence in words
        expected = api_ask(server, COPPER)
        cited = expected["citations"][0]
        assert source_of(cited["doc"])[cited["start"]:cited["end"]] == cited["text"]
        page.locator("#qa-examples button", has_text=COPPER).click()  # the example questions are clickable
        expect(b.replies).to_have_count(1, timeout=TIMEOUT_MS)
        expect(page.locator("#qa-examples")).to_be_hidden()
        reply = b.replies.first
        expect(reply.locator(".qa-short")).to_have_text(expected["answer"])
        expect(reply.locator(".qa-quote mark.qa-answer")).to_have_text(expected["answer"])
        assert reply.locator(".qa-quote").inner_text().strip() == expected["quote"].strip()
        expect(reply.locator(".qa-cite").first).to_contain_text(f"characters {cited['start']}–{cited['end']}")
        expect(reply.locator(".qa-cite").first).to_contain_text("§" + cited["heading"].split(" › ")[-1])
        conf = reply.locator(".qa-conf")
        assert conf.inner_text() in ("likely answer", "possible answer", "unsure")
        assert conf.get_attribute("title") == f"calibrated probability {expected['confidence']:.2f}"
        expect(reply.locator(".qa-conf-note")).to_contain_text("in 100")

        # the sources: folded, overlapping passages merged, headings shown without their # marks
        sources = reply.locator("details.qa-sources")
        assert sources.get_attribute("open") is None
        sources.locator("summary").click()
        expect(sources.locator("mark.qa-cited").first).to_be_visible()
        assert sources.locator("li").count() < len(expected["passages"])  # neighbours overlap: merged
        assert "#" not in " ".join(sources.locator(".qa-src-heading").all_inner_texts())
        shot(page, shots / "chat-answer.png", page.locator("#qa-conversation .qa-user").first)

        # the citation opens the document at the cited range, highlighted in its context, in the sidebar
        panel = page.locator("#qa-panel")
        expect(panel).to_be_hidden()
        reply.locator(".qa-cite-line .qa-cite").first.click()
        expect(panel).to_be_visible()
        expect(panel.locator("mark.qa-cited")).to_have_text(cited["text"])
        expect(panel.locator("#qa-panel-where")).to_contain_text(cited["heading"])
        expect(panel.locator("#qa-panel-where")).to_contain_text(f"characters {cited['start']}–{cited['end']}")
        page.wait_for_timeout(500)  # the sidebar slides in
        assert panel.locator("mark.qa-cited").evaluate(
            "m => { const r = m.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
        shot(page, shots / "chat-source.png")
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()

        # copy gives plain text: answer, quote, citation; never HTML
        reply.locator(".qa-copy").click()
        expect(reply.locator(".qa-copy")).to_have_text("Copied")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.splitlines()[0] == expected["answer"] and expected["quote"] in copied
        assert f"characters {cited['start']}–{cited['end']}" in copied and "<" not in copied and "&#" not in copied

        # a follow-up answered from the conversation, saying what it answered
        b.ask("How dependent is China on imported cobalt?")
        follow = b.ask("And for nickel?")
        expect(follow.locator(".qa-resolved")).to_have_text("Answering: How dependent is China on imported nickel?")
        # a question with a preamble about the asker is answered as its last sentence, and says so
        told = b.ask("I am a journalist and I missed the opening of the conference. Who delivered this speech?")
        expect(told.locator(".qa-resolved")).to_have_text("Answering: Who delivered this speech?")
        expect(told.locator(".qa-short")).to_have_text("Ge Honglin")
        # a follow-up read with the previous question's topic names that question, not the bracket the reader reads
        b.ask(COPPER)
        then = b.ask("How long was it?")
        expect(then.locator(".qa-resolved")).to_have_text(f"Answering: How long was it? (after: {COPPER})")
        shot(page, shots / "chat-follow-up.png", then)

        # a refusal says so first, its nearest passages folded
        refusal = b.ask(OFF_TOPIC)
        first = refusal.locator(":scope > *").first
        expect(first).to_have_class(re.compile("qa-verdict"))
        expect(first).to_contain_text("The speech does not say.")
        assert refusal.locator("details.qa-sources").get_attribute("open") is None
        expect(refusal.locator("details.qa-sources summary")).to_contain_text("none of them answers")
        assert refusal.locator(".qa-short, mark.qa-answer").count() == 0
        assert refusal.locator(".qa-conf").inner_text() in ("not found", "unsure")  # words about the refusal
        shot(page, shots / "chat-abstain.png", page.locator("#qa-conversation .qa-user").last)

        # what the user types is shown as text; a reply's accessible label is its plain copy text, not markup
        hostile = "<img src=x onerror=alert(1)> **bold** [link](http://example.com)"
        b.ask(hostile)
        expect(page.locator("#qa-conversation .qa-question").last).to_have_text(hostile)
        assert page.locator("#qa-conversation img, #qa-conversation a, #qa-conversation script").count() == 0
        assert reply.get_attribute("aria-label") == api_chat(server, COPPER)["display"]["copy"]
        assert b.replies.last.get_attribute("aria-label") == api_chat(server, hostile)["display"]["copy"]
        labels = page.locator("#qa-conversation [aria-label]").evaluate_all(
            "es => es.map(e => e.getAttribute('aria-label'))")
        assert len(labels) > 5 and not [x for x in labels if "class=" in x or "&lt;" in x or "&#" in x or "<mark" in x]

        # sources per answer, and clear
        b.set_sources(1)
        one = b.ask("How much did the price of refined cobalt rise in two months?")
        expect(one.locator("details.qa-sources li")).to_have_count(1)
        page.locator("#qa-clear").click()
        expect(b.replies).to_have_count(0)
        expect(page.locator("#qa-examples")).to_be_visible()
        b.close()


HOSTILE = ("# Notes\n\nThe guard said <script>window.pwned=1</script> was the password. "
           "The *second* guard said **never** and [clicked](javascript:alert(1)).\n")
DROP = """(files) => {
  const dt = new DataTransfer();
  for (const [name, b64] of files) dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name));
  return dt;
}"""


def test_drop_and_pick_a_pdf_an_html_page_and_a_hostile_file_ask_them_and_see_the_cited_page(server, shots, tmp_path):
    import base64

    from playwright.sync_api import expect, sync_playwright

    from test_formats import FERRY_PAGE, TWO_PAGES, pdf_bytes

    picked = {"mill.pdf": pdf_bytes(TWO_PAGES), "ferry.html": FERRY_PAGE}
    for name, data in picked.items():
        (tmp_path / name).write_bytes(data)
    with sync_playwright() as p:
        b = Browser(p, server, viewport={"width": 1280, "height": 900})
        page = b.page
        expect(page.locator("#qa-title")).to_have_text("Ask the speech")
        expect(page.locator("#qa-corpus")).to_be_hidden()  # one corpus: no picker
        # two files by the picker, one dropped onto the question box
        page.locator("#qa-question input[type=file]").set_input_files([str(tmp_path / n) for n in picked])
        dropped = page.evaluate_handle(DROP, [["guards.md", base64.b64encode(HOSTILE.encode()).decode()]])
        target = page.locator("#qa-question [role=group]")
        for event in ("dragenter", "dragover", "drop"):
            target.dispatch_event(event, {"dataTransfer": dropped})
        expect(page.locator("#qa-question .thumbnail-item")).to_have_count(3)
        page.locator("#qa-question textarea").press("Enter")
        expect(page.locator("#qa-progress")).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.locator("#qa-upload-status")).to_contain_text("Indexed 3 file(s)", timeout=180_000)
        assert page.locator("#qa-progress").evaluate("e => e.value") == 1
        expect(page.locator("#qa-title")).to_have_text("Ask the documents")
        # named after a file, the new corpus is chosen in the picker, which lists both corpora
        expect(page.locator("#qa-corpus input")).to_have_value(re.compile(r"^(mill|ferry|guards) \(3 files\)$"))
        page.locator("#qa-corpus input").click()
        expect(page.locator("li.item")).to_have_count(2)
        page.keyboard.press("Escape")

        # its example questions are ones it answers (the mill's PDF has no headings and still gets some)
        examples = page.locator("#qa-examples button")
        expect(examples.first).to_be_visible()
        assert examples.count() >= 1 and not [q for q in examples.all_inner_texts() if "say about" in q]
        shot(page, shots / "chat-upload.png")
        examples.first.click()
        expect(b.replies).to_have_count(1, timeout=TIMEOUT_MS)
        first = b.replies.first
        assert first.locator(".qa-short").count() == 1 and "qa-refusal" not in first.get_attribute("class")

        reply = b.ask("When did the mill close?")
        expect(reply.locator(".qa-cite").first).to_contain_text("mill.pdf, page 2")
        reply.locator(".qa-cite-line .qa-cite").first.click()
        panel = page.locator("#qa-panel")
        expect(panel.locator("#qa-panel-where")).to_contain_text("page 2 of 2")
        expect(panel.locator("mark.qa-cited")).to_contain_text("1961")
        assert "1820" not in panel.locator("#qa-panel-text").inner_text()  # page 2 alone
        page.wait_for_timeout(500)  # the sidebar slides in
        shot(page, shots / "chat-pdf-source.png")
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()

        ferry = b.ask("How much do adult tickets cost?")
        expect(ferry.locator(".qa-cite").first).to_contain_text("ferry.html")
        # a hostile document's markup is shown as its characters, and runs nothing
        guards = b.ask("What did the guard say was the password?")
        expect(guards.locator(".qa-quote")).to_contain_text("<script>window.pwned=1</script>")
        assert page.evaluate("window.pwned === undefined")
        assert page.locator("#qa-conversation script, #qa-conversation a, #qa-conversation em").count() == 0

        # the picker switches back
        b.pick_corpus("Shaping a New Development Pattern")
        expect(page.locator("#qa-title")).to_have_text("Ask the speech")
        expect(b.replies).to_have_count(0)
        b.close()


def test_on_a_phone_the_header_is_slim_and_the_chat_one_column(server, shots):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        b = Browser(p, server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = b.page
        expect(page.locator("#qa-title")).to_have_text("Ask the speech")
        assert page.locator("#qa-header").bounding_box()["height"] <= 110
        for question in (COPPER, "How dependent is China on imported cobalt?", OFF_TOPIC):
            b.ask(question)
        width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], width  # no horizontal scroll
        # one scrolling column: the page scrolls, the conversation inside it does not scroll on its own
        assert page.evaluate("document.documentElement.scrollHeight > innerHeight")
        assert page.locator("#qa-conversation .qa-log").evaluate("e => e.scrollHeight <= e.clientHeight + 1")
        box = page.locator("#qa-input").bounding_box()
        assert box["y"] + box["height"] <= 844 + 1 and box["y"] > 650  # the question box stays at the bottom
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, shots / "chat-phone.png")
        page.locator("#qa-conversation .qa-cite").first.click()
        expect(page.locator("#qa-panel")).to_be_visible()
        page.wait_for_timeout(500)  # the sidebar slides in
        assert page.locator("#qa-panel").bounding_box()["width"] >= 389  # a full overlay
        b.close()
