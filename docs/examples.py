"""The examples shown in README.md and docs/*.md, run for real: their outputs checked, or rewritten with --update.

An example is the text between `<!-- example -->` and `<!-- /example -->` in a Markdown file, either

- a ```console block: each line `$ qa ...` is run (in process; `qa serve` in a subprocess, stopped once it says where
  it listens) and the lines after it, up to the next `$ ` line, are its output (stdout and stderr, in order), or
- a ```python block, then some prose, then a plain ``` block: the code is run and the plain block is what it prints.

They run in a temporary copy of the parts of the clone they read (corpus/ and docs/notes/), as from its root: first
the examples marked `<!-- example: first -->` (so the `qa index` shown builds index/ as on a fresh clone), then the
others, README.md first, then docs/*.md by name. Options after `example:`: `first`; `json=short` (each JSON line is
shown cut short: long strings and lists cut, one key a line) or `json=KEY,KEY` (only those keys, then `...`).

What may differ from run to run is not shown as it was printed: the temporary folder is shown as /path/to/qa, its
state folder (qa serve's uploads) as ~/.local/state, and `qa serve` listens on a free port, shown as the port asked
for. When comparing, build times (`in 3.9 s`) are not compared, and a number with decimals may differ by one in its
last printed digit (another CPU may round a score the other way).

    python docs/examples.py            # check: lists each example whose output drifted, with a diff; exit 1 if any
    python docs/examples.py --update   # rewrite the drifted outputs in place (the rest of each file untouched)
"""
from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FILES = ("README.md", "docs/*.md")
COPIED = ("corpus", "docs/notes")  # what the examples read, copied into the workspace
SHOWN_ROOT = "/path/to/qa"
SHOWN_STATE = "~/.local/state"
OPEN = re.compile(r"^<!-- example(?::\s*(.*?))?\s*-->$")
CLOSE = "<!-- /example -->"
FENCE = re.compile(r"^```(\S*)\s*$")
TIME = re.compile(r"\bin \d+(?:\.\d+)? s\b")
DECIMAL = re.compile(r"-?\d+\.\d+")
PORT = re.compile(r"(http://127\.0\.0\.1:)(\d+)")
WIDTH = "100"  # qa wraps its text output to the terminal's width: the examples are shown at qa's own default


@dataclass
class Example:
    """One example: where it is, its options, and its body (the lines between its markers)."""

    file: Path
    line: int  # of the opening marker, from 1
    options: dict[str, str]
    body: list[str]
    printed: list[str] | None = field(default=None)  # the body as printed by this run

    @property
    def name(self) -> str:
        return f"{_shown_path(self.file)}:{self.line}"

    @property
    def kind(self) -> str:
        opening = next((FENCE.match(line) for line in self.body if FENCE.match(line)), None)
        kind = opening.group(1) if opening else ""
        if kind not in ("console", "python"):
            raise ValueError(f"{self.name}: an example is a ```console or a ```python block, not {kind!r}")
        return kind


# ---------------------------------------------------------------- reading and writing the Markdown

def _shown_path(path: Path) -> str:
    return path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else str(path)


def markdown_files(root: Path = REPO) -> list[Path]:
    return [path for pattern in FILES for path in sorted(root.glob(pattern))]


def find_examples(path: Path) -> list[Example]:
    """The examples of one Markdown file, in order."""
    lines, examples, start = path.read_text(encoding="utf-8").splitlines(), [], None
    for i, line in enumerate(lines):
        if OPEN.match(line):
            if start is not None:
                raise ValueError(f"{path}:{i + 1}: an example opens inside the example of line {start + 1}")
            start = i
        elif line == CLOSE:
            if start is None:
                raise ValueError(f"{path}:{i + 1}: {CLOSE} closes no example")
            words = (OPEN.match(lines[start]).group(1) or "").split()
            options = dict(w.split("=", 1) if "=" in w else (w, "") for w in words)
            examples.append(Example(path, start + 1, options, lines[start + 1:i]))
            start = None
    if start is not None:
        raise ValueError(f"{path}:{start + 1}: an example that is never closed")
    return examples


def unmarked_blocks(path: Path) -> list[str]:
    """The blocks outside every example that show output no run checks: a ```console block (commands and what they
    print), or a ```python block followed by a plain block of what it prints. A python block that shows no output
    (client code for a running server, say) claims nothing to check."""
    found, inside, fenced, pending = [], False, False, None
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if OPEN.match(line) or line == CLOSE:
            inside = line != CLOSE
        elif FENCE.match(line):
            kind = FENCE.match(line).group(1)
            if not fenced and not inside:
                if kind == "console":
                    found.append(f"{_shown_path(path)}:{i}")
                elif kind == "" and pending:  # the output a python block above prints
                    found.append(pending)
                pending = f"{_shown_path(path)}:{i}" if kind == "python" else None
            fenced = not fenced
        elif not fenced and line.strip() and not line.lower().startswith(("prints", "it prints")):
            pending = None  # prose between: the next plain block is no python block's output
    return found


def rewrite(path: Path, examples: list[Example]) -> None:
    """Put the printed bodies of `examples` (all of one file, in order) in place of the shown ones."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for example in sorted(examples, key=lambda e: e.line, reverse=True):  # from the end: earlier lines stay put
        lines[example.line:example.line + len(example.body)] = merged(example)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- running

def console_steps(body: list[str]) -> list[tuple[str, list[str]]]:
    """(command, the output shown after it) for each `$ ` line of a console block."""
    steps = []
    for line in body[1:-1]:
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
        else:
            raise ValueError(f"output before the first command: {line!r}")
    return steps


def python_parts(body: list[str]) -> tuple[list[str], int, int]:
    """The code of a python example, and where the block of what it prints opens and closes (indices in body)."""
    fences = [i for i, line in enumerate(body) if FENCE.match(line)]
    if len(fences) != 4 or FENCE.match(body[fences[0]]).group(1) != "python" or FENCE.match(body[fences[2]]).group(1):
        raise ValueError("a python example is a ```python block, prose, and a plain ``` block of what it prints")
    return body[fences[0] + 1:fences[1]], fences[2], fences[3]


class Workspace:
    """A temporary folder holding what the examples read, where they run as from the clone's root."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="qa-examples-")).resolve()
        for rel in COPIED:
            shutil.copytree(REPO / rel, self.root / rel)
        self.state = self.root / ".state"

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def shown(self, text: str) -> list[str]:
        """Printed text as shown: the workspace's paths as a reader's, trailing blanks and blank last lines gone."""
        text = text.replace(str(self.state), SHOWN_STATE).replace(str(self.root), SHOWN_ROOT)
        lines = [line.rstrip() for line in text.splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        return lines

    @contextlib.contextmanager
    def inside(self, stdin: bytes = b""):
        """Run in the workspace with COLUMNS set, stdin given, stdout and stderr captured together."""
        out, cwd, columns = io.StringIO(), os.getcwd(), os.environ.get("COLUMNS")
        saved = sys.stdin, sys.stdout, sys.stderr
        os.chdir(self.root)
        os.environ["COLUMNS"] = WIDTH
        sys.stdin, sys.stdout, sys.stderr = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"), out, out
        try:
            yield out
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved
            os.chdir(cwd)
            if columns is None:
                os.environ.pop("COLUMNS", None)
            else:
                os.environ["COLUMNS"] = columns

    def command(self, command: str) -> list[str]:
        """What `command` prints (stdout and stderr), as shown. `qa ...`, or `SHELL-COMMAND | qa ...`."""
        feed, _, command = command.rpartition(" | ")
        stdin = subprocess.run(["bash", "-c", feed], cwd=self.root, capture_output=True, check=True).stdout \
            if feed else b""
        argv = words(command)
        if argv[:1] != ["qa"]:
            raise ValueError(f"an example runs qa, not {argv[:1]}")
        if argv[1:2] == ["serve"]:
            return self.serve(argv[1:])
        from qa.cli import main

        with self.inside(stdin) as out:
            main(argv[1:])
        return self.shown(out.getvalue())

    def serve(self, args: list[str]) -> list[str]:
        """What `qa serve` prints up to the line that says where it listens; on a free port, shown as the one asked."""
        asked = args[args.index("--port") + 1] if "--port" in args else "7860"
        env = dict(os.environ, XDG_STATE_HOME=str(self.state), COLUMNS=WIDTH, PYTHONPATH=str(REPO))
        server = subprocess.Popen([sys.executable, "-m", "qa", *args, "--port", "0"], cwd=self.root, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines = []
        try:
            for line in server.stderr:
                lines.append(PORT.sub(lambda m: m.group(1) + asked, line))
                if " is at http://" in line:
                    break
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        return self.shown("".join(lines))

    def python(self, code: list[str]) -> list[str]:
        """What `code` prints on stdout, run as a script in the workspace (its stderr is not shown)."""
        with self.inside() as out:
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                exec(compile("\n".join(code) + "\n", "<example>", "exec"), {"__name__": "__main__"})
        return self.shown(out.getvalue())


def words(command: str) -> list[str]:
    """A command line's words as the shell reads them, up to a `#` that starts a word (shlex's comments would also
    end `qa.db#other` at its `#`)."""
    lexer = shlex.shlex(command, posix=False)  # quotes kept: `"#1"` is not a comment
    lexer.whitespace_split, lexer.commenters = True, ""
    kept = itertools.takewhile(lambda word: not word.startswith("#"), lexer)
    return shlex.split(" ".join(kept))


def shown_json(lines: list[str], option: str) -> list[str]:
    """JSON lines as an example shows them: `short` (long strings and lists cut) or only the keys listed."""
    shown = []
    for line in lines:
        try:
            obj = json.loads(line)
        except ValueError:
            shown.append(line)
            continue
        if option == "short":
            items = [f"{json.dumps(k)}: {_short(v, 60)}" for k, v in obj.items()]
            shown += [("{" if i == 0 else " ") + item + ("}" if i == len(items) - 1 else ",")
                      for i, item in enumerate(items)]
        else:
            keys = option.split(",")
            shown.append("{" + ", ".join(f"{json.dumps(k)}: {json.dumps(obj[k])}" for k in keys) + ", ...}")
    return shown


def _short(value, limit: int) -> str:
    """A JSON value cut short: a text (a string with spaces) past `limit` characters at a word, a list to its first
    item; names (doc, id) stay whole."""
    if isinstance(value, str) and len(value) > limit and " " in value:
        cut = value[:limit - 4].rsplit(" ", 1)[0]
        return json.dumps(cut + " ...", ensure_ascii=False)
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[" + _short(value[0], 24) + (", ...]" if len(value) > 1 else "]")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_short(v, 24)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


def run_example(example: Example, workspace: Workspace) -> list[str]:
    """The example's body with the outputs of this run in place of the shown ones."""
    if example.kind == "python":
        code, opens, closes = python_parts(example.body)
        return example.body[:opens + 1] + workspace.python(code) + example.body[closes:]
    body = [example.body[0]]
    for command, _ in console_steps(example.body):
        printed = workspace.command(command)
        if "json" in example.options:
            printed = shown_json(printed, example.options["json"])
        body += [f"$ {command}", *printed]
    return body + [example.body[-1]]


def run_all(examples: list[Example], workspace: Workspace) -> None:
    """Run every example, the `first` ones first, and keep what each printed in its `printed`."""
    for example in sorted(examples, key=lambda e: "first" not in e.options):  # a stable sort: file order otherwise
        example.printed = run_example(example, workspace)


# ---------------------------------------------------------------- comparing

def agree(shown: str, printed: str) -> bool:
    """Whether a shown line says what a printed one does: equal but for a build time (`in 3.9 s`) and numbers with
    decimals, which may differ by one in their last printed digit."""
    shown, printed = TIME.sub("in N s", shown), TIME.sub("in N s", printed)
    if DECIMAL.split(shown) != DECIMAL.split(printed):
        return False
    for a, b in zip(DECIMAL.findall(shown), DECIMAL.findall(printed)):
        places = len(a.split(".")[1])
        if len(b.split(".")[1]) != places or abs(float(a) - float(b)) > 1.5 * 10 ** -places:
            return False
    return True


def drift(example: Example) -> str:
    """A unified diff of what the example shows against what it printed now; empty when they agree."""
    shown, printed = example.body, example.printed
    if len(shown) == len(printed) and all(agree(a, b) for a, b in zip(shown, printed)):
        return ""
    return "\n".join(difflib.unified_diff(shown, printed, f"{example.name} (shown)", f"{example.name} (printed now)",
                                          lineterm=""))


def merged(example: Example) -> list[str]:
    """What --update writes: the printed body, but the shown line wherever the two agree (a build time, a last
    digit), so that an update rewrites what changed and nothing else."""
    shown, printed = example.body, example.printed
    key = lambda lines: [DECIMAL.sub("#", TIME.sub("in N s", line)) for line in lines]  # noqa: E731
    body = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, key(shown), key(printed), autojunk=False).get_opcodes():
        if tag == "equal":
            body += [a if agree(a, b) else b for a, b in zip(shown[i1:i2], printed[j1:j2])]
        else:
            body += printed[j1:j2]
    return body


def collect(root: Path = REPO) -> list[Example]:
    return [example for path in markdown_files(root) for example in find_examples(path)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the outputs that drifted, in place")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    examples, unmarked = collect(), [b for path in markdown_files() for b in unmarked_blocks(path)]
    workspace = Workspace()
    try:
        run_all(examples, workspace)
    finally:
        workspace.close()
    drifted = [e for e in examples if drift(e)]
    for example in drifted:
        print(drift(example) + "\n")
    if args.update:
        for path in {e.file for e in drifted}:
            rewrite(path, [e for e in drifted if e.file == path])
    for block in unmarked:
        print(f"{block}: a console or python block outside <!-- example --> markers: its output is never checked")
    verb = "rewritten" if args.update else "drifted (python docs/examples.py --update rewrites them)"
    print(f"{len(examples)} examples, {len(drifted)} {verb}")
    return 1 if unmarked or (drifted and not args.update) else 0


if __name__ == "__main__":
    sys.exit(main())
