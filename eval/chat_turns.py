"""Time chat turns in a real browser: N questions in one conversation, Enter to reply shown, at turns 1-100.

    python eval/chat_turns.py http://127.0.0.1:7860/ [--turns 100] [--json out.json]

Needs Debian's chromium and Playwright; the server is any running `qa serve`. The page's own question box and
reply elements are found by their selectors: --page gradio (the Gradio Blocks chat of qa/serve/ui/), static (the
hand-made page it replaced, on a checkout from before issue 21) or chatbot (the gr.Chatbot page before that, on a
checkout from before 2026-12-02).
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

QUESTIONS = ["Which copper mine in Tibet is mentioned?", "How dependent is China on imported cobalt?",
             "And for nickel?", "How much did the price of refined cobalt rise in two months?",
             "Who won the 2022 FIFA World Cup final?"]
# (question box, a reply, a sign that the page has loaded and can be asked), per page: qa/serve/ui/, the hand-made
# page until issue 21, the gr.Chatbot page until 2026-12-02
PAGES = {"gradio": ("#qa-question textarea", "#qa-conversation .qa-reply", "#qa-examples button"),
         "static": ("#qa-question", "#qa-log .qa-reply", "#qa-examples .qa-example"),
         "chatbot": ("#qa-question textarea", "#qa-chat .qa-reply", "#qa-examples button")}


def measure(url: str, turns: int, page_kind: str) -> dict:
    """Seconds from pressing Enter to the reply in the page, per turn."""
    from playwright.sync_api import expect, sync_playwright

    box_sel, reply_sel, ready = PAGES[page_kind]
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(url, wait_until="load")
        box, replies = page.locator(box_sel), page.locator(reply_sel)
        expect(box).to_be_visible(timeout=60_000)
        expect(page.locator(ready).first).to_be_visible(timeout=60_000)
        for n in range(turns):
            box.fill(QUESTIONS[n % len(QUESTIONS)])
            start = time.perf_counter()
            box.press("Enter")
            expect(replies).to_have_count(n + 1, timeout=120_000)
            times.append(time.perf_counter() - start)
        browser.close()
    marks = [t for t in (1, 10, 25, 50, 100) if t <= turns]
    # a single turn on a shared machine is noisy: each mark also as the median of the five turns that end there
    around = {str(t): round(statistics.median(times[max(0, t - 5):t]), 3) for t in marks}
    return {"page": page_kind, "turns": turns, "seconds": {str(t): round(times[t - 1], 3) for t in marks},
            "median_of_5": around, "all": [round(t, 3) for t in times]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--page", choices=sorted(PAGES), default="gradio")
    parser.add_argument("--json", default=None, help="also write the result here")
    args = parser.parse_args()
    result = measure(args.url, args.turns, args.page)
    print(json.dumps({"seconds": result["seconds"], "median_of_5": result["median_of_5"]}))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
