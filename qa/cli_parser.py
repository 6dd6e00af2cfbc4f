"""The `qa` command line's parser: its subcommands, options and help texts, and one-line errors."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from . import __version__

DEFAULT_CORPUS = "corpus"
DEFAULT_INDEX = "index"
# uploaded corpora are state of the server, kept out of the clone: $XDG_STATE_HOME/qa/uploads
DEFAULT_UPLOADS = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "qa" / "uploads"
MODES = ("hybrid", "dense", "bm25")  # qa.retrieve.MODES, repeated here so that --help imports nothing heavy
CORPUS_HELP = (f"corpus to check the index against and rebuild it from when stale (default: the folder the index "
               f"was built from); only the default {DEFAULT_INDEX}/ is built when missing, from {DEFAULT_CORPUS}/")
STORE_HELP = ("keep the passages' vectors and BM25 in Milvus: milvus://host:port/collection (a server or "
              "cluster; token in QA_MILVUS_TOKEN) or a Milvus Lite file ending in .db; see docs/milvus.md")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: `qa: error: ...` and a pointer to --help, no usage block."""

    def error(self, message: str):
        self.exit(2, f"qa: error: {message} (see: {self.prog} --help)\n")


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        wanted = "0 or more" if minimum == 0 else f"at least {minimum}"
        raise argparse.ArgumentTypeError(f"must be {wanted}, got {value}")
    return value


def _positive(text: str) -> int:
    return _whole_number(text, 1)


def _non_negative(text: str) -> int:
    return _whole_number(text, 0)


def _port(text: str) -> int:
    value = _non_negative(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be at most 65535, got {value}")
    return value


def _budget(text: str) -> int:
    value = _positive(text)
    if value < 8:
        raise argparse.ArgumentTypeError(f"must be at least 8 tokens, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The `qa` parser and its subcommands.

    Long because every subcommand's options and help texts are declared here, in the order --help shows them."""
    parser = _Parser(
        prog="qa", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Ask questions of a folder of .txt, .md, PDF, HTML and DOCX documents. Answers are the\n"
                    "documents' own sentences, with the shortest answering span and exact character-offset\n"
                    "citations; when the documents do not answer, qa says so.",
        epilog="examples:\n"
               "  qa index corpus/ --index index/\n"
               "  qa ask \"Which copper mine in Tibet is mentioned?\"\n"
               "  qa ask --json - < questions.txt\n"
               "  qa search \"cobalt export ban\" -k 3\n"
               "  qa serve --port 7860\n"
               "  qa show ge-honglin-2025-mining-speech.md:13264-13495\n"
               "A stale index is rebuilt from its corpus on first use, and a missing index/ from corpus/.")
    parser.add_argument("--version", action="version", version=f"qa {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = commands.add_parser("index", help="build the index of a corpus folder (always rebuilds)",
                            description="Read every .txt and .md file under CORPUS_DIR, and the text of every PDF, HTML "
                                        "and DOCX file (converted to Markdown), split it into sentences "
                                        "and passages, embed and index them, and write the index folder "
                                        "atomically.")
    p.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS, metavar="CORPUS_DIR",
                   help=f"folder of documents (default: {DEFAULT_CORPUS}/)")
    p.add_argument("--index", default=DEFAULT_INDEX, metavar="DIR", help=f"index folder (default: {DEFAULT_INDEX}/)")
    p.add_argument("--model", default=None, metavar="PATH",
                   help="a sentence-transformers model folder (default: the bundled all-MiniLM-L6-v2)")
    p.add_argument("--max-tokens", type=_budget, default=128, metavar="N",
                   help="passage budget in cl100k_base tokens (default: 128)")
    p.add_argument("--overlap", type=_non_negative, default=1, metavar="N",
                   help="sentences repeated between neighbouring passages (default: 1)")
    p.add_argument("--store", default=None, metavar="URI", help=STORE_HELP)
    p.add_argument("--strict", action="store_true",
                   help="fail, indexing nothing, when any file is left out (unreadable, empty, too big, or in a "
                        "format qa does not read); by default each is a warning and the rest is indexed")

    for name, helptext in (("search", "show the passages that best match a question"),
                           ("ask", "answer a question with a verbatim quote and its citation, or abstain")):
        p = commands.add_parser(name, help=helptext, description=helptext[0].upper() + helptext[1:] + ".")
        if name == "ask":
            p.add_argument("question", metavar="QUESTION",
                           help="the question; '-' reads one question per line from standard input and answers "
                                "each non-empty line in order (blank lines are skipped, so with --json output "
                                "line i answers the i-th non-empty input line)")
        else:
            p.add_argument("question", metavar="QUESTION", help="the question or search words")
        p.add_argument("--index", default=DEFAULT_INDEX, metavar="DIR", help=f"index folder (default: {DEFAULT_INDEX}/)")
        p.add_argument("--corpus", default=None, metavar="DIR", help=CORPUS_HELP)
        p.add_argument("--store", default=None, metavar="URI", help=STORE_HELP)
        p.add_argument("-k", type=_positive, default=5, metavar="K", help="passages to show (default: 5)")
        p.add_argument("--mode", choices=MODES, default="hybrid",
                       help="retrieval: dense + BM25 fused by a z-score mix (default), or one of them alone")
        p.add_argument("--json", action="store_true",
                       help="print JSON on one line instead of text"
                            + (" (Answer.to_dict())" if name == "ask" else " (a list of hits)"))
        if name == "ask":
            p.add_argument("--reader", "--answer-model", dest="reader", default=None, metavar="DIR",
                           help="reader model folder made by qa train, or 'off' to quote the sentence nearest the "
                                "question without reading (default: the reader shipped in the package; also "
                                "QA_READER)")

    p = commands.add_parser("serve", help="serve the web chat and the HTTP API (one server, loopback by default)",
                            description="Serve the Gradio chat at / (its API under /gradio_api/) and the HTTP API at "
                                        "/api/ask, /api/search, /api/chat, /api/source, /api/corpora and /api/health "
                                        "(schema at /openapi.json), over one loaded index and the corpora uploaded "
                                        "from the chat; with --mcp, the MCP tools at /mcp. Ctrl-C stops it.")
    p.add_argument("--index", default=DEFAULT_INDEX, metavar="DIR", help=f"index folder (default: {DEFAULT_INDEX}/)")
    p.add_argument("--corpus", default=None, metavar="DIR", help=CORPUS_HELP)
    p.add_argument("--store", default=None, metavar="URI", help=STORE_HELP)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=_port, default=7860, help="port to listen on (default: 7860; 0 picks a free one)")
    p.add_argument("--reader", "--answer-model", dest="reader", default=None, metavar="DIR",
                   help="reader model folder made by qa train, or 'off' (default: the shipped one)")
    p.add_argument("--uploads", default=str(DEFAULT_UPLOADS), metavar="DIR",
                   help="folder for the corpora uploaded from the chat, one subfolder each, or 'off' "
                        f"(default: {DEFAULT_UPLOADS})")
    p.add_argument("--mcp", action="store_true",
                   help="also serve the Model Context Protocol at /mcp: the tools ask and search, for agents "
                        "(default: off)")

    p = commands.add_parser("show", help="show a cited range in its document, highlighted, with page and heading",
                            description="Print the heading path, page (PDF) and text around DOC:START-END, the "
                                        "form qa ask prints citations in, with the cited range highlighted.")
    p.add_argument("citation", metavar="DOC:START-END", help="e.g. notes.md:243-325")
    p.add_argument("--index", default=DEFAULT_INDEX, metavar="DIR", help=f"index folder (default: {DEFAULT_INDEX}/)")
    p.add_argument("--context", type=_non_negative, default=None, metavar="N",
                   help="characters shown either side (default: the whole PDF page, else 600)")
    p.add_argument("--json", action="store_true", help="print the JSON of GET /api/source instead of text")

    commands.add_parser("eval", help="run the evaluation harness (qa eval --help for its options)", add_help=False)
    commands.add_parser("train", help="train the span reader on SQuAD-format files (qa train --help for its options)",
                        add_help=False)
    return parser
