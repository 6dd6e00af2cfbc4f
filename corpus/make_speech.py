"""Rebuild corpus/ge-honglin-2025-mining-speech.md from the web page in ../shared/seed/ (drops the page's chrome)."""
import pathlib
import sys

SEED = pathlib.Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_bde10971aa597c7e.txt"
OUT = pathlib.Path(__file__).resolve().parent / "ge-honglin-2025-mining-speech.md"

FRONT_MATTER = """---
title: "Shaping a New Development Pattern for the Non-Ferrous Mining Industry that is Innovative, Green, Digital, Intelligent, and Win-Win"
speaker: "Ge Honglin, Party Secretary and Chairman, China Non-Ferrous Metals Industry Association"
event: "2025 (21st) China Non-Ferrous Metals Mining Conference"
date: "2025-06-16"
source: "SMM (Shanghai Metals Market) Metal News, published Jun 16, 2025 09:45; seed file 000_bde10971aa597c7e.txt"
---
"""

# Lines of the page that are the speech's headings, with their Markdown level; the page's
# breadcrumb, dateline, contact lines and event links are dropped.
HEADINGS = {
    "Shaping a New Paradigm for the Development of Non-Ferrous Mining Industry": 1,
    "New Changes in the Global Non-Ferrous Metals Mining Industry": 2,
    "New Development Trends in China's Non-Ferrous Metals Industry": 2,
    "China's Non-Ferrous Metal Mining Industry": 2,
    "New Challenges in High-Quality Development": 3,
    "Four Pillars for High-Quality Development": 3,
}
CHROME_PREFIXES = ("Home\u00a0/", "Ge Honglin: ", "icon", "Source:", "For queries,", "For more information",
                   "SMM Events", "All")


def speech_blocks(seed_text: str) -> list[str]:
    """Return the speech's headings (as Markdown) and paragraphs, in order, words unchanged."""
    blocks = []
    for line in seed_text.split("\n"):
        line = line.strip()  # the page pads some lines; the words themselves are kept unchanged
        if not line or line.startswith(CHROME_PREFIXES):
            continue
        level = next((lvl for head, lvl in HEADINGS.items() if line.startswith(head)), 0)
        blocks.append("#" * level + " " + line if level else line)
    return blocks


def main() -> int:
    text = SEED.read_bytes().decode("utf-8")
    OUT.write_text(FRONT_MATTER + "\n" + "\n\n".join(speech_blocks(text)) + "\n", encoding="utf-8", newline="\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
