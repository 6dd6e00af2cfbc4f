"""The command line, run in process: help, the answer contract of `ask --json`, batches on stdin, and errors."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import types

import pytest

from conftest import REPO, SPEECH_CORPUS, SPEECH_DOC, check_answer, hold_build_lock, write_corpus
from qa.cli import build_parser, main

COPPER = "Which copper mine in Tibet is mentioned?"
OFF_TOPIC = "Who won the 2022 FIFA World Cup final?"
HEAVY = ("torch", "faiss", "sentence_transformers", "transformers", "numpy", "bm25s", "tiktoken", "gradio", "mcp")


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def speech_args(speech_index_dir):
    return ["--index", str(speech_index_dir), "--corpus", str(SPEECH_CORPUS)]


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qa: error: "), err
    return lines[0]


# ---------------------------------------------------------------- help

def test_help_imports_nothing_heavy():
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for argv in (["--help"], ["ask", "--help"], ["index", "--help"], ["--version"]):
        run_ = subprocess.run([sys.executable, "-X", "importtime", "-m", "qa", *argv], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=60)
        assert run_.returncode == 0, run_.stderr
        imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in run_.stderr.splitlines()
                    if line.startswith("import time:")}
        assert not imported & set(HEAVY), f"qa {' '.join(argv)} imported {imported & set(HEAVY)}"


def test_import_qa_is_light_and_the_api_is_there_on_use():
    code = ("import sys, qa; light = not any(m in sys.modules for m in ('torch', 'numpy', 'faiss')); "
            "from qa.records import Answer; print(light, qa.__version__, qa.Answer is Answer, "
            "'Assistant' in dir(qa))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert out.stdout.split() == ["True", "0.1.0", "True", "True"], out.stderr


def test_help_and_version_in_process(capsys):
    status, out, _ = run(capsys, "--help")
    assert status == 0 and "ask" in out and "search" in out and "index" in out and "eval" in out
    status, out, _ = run(capsys, "ask", "--help")
    assert status == 0 and "--json" in out and "blank lines are skipped" in out
    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.strip() == "qa 0.1.0"


def cli_reference_sections() -> dict[str, str]:
    """docs/cli.md cut at its `## ` headings: the text under each heading, keyed by the heading."""
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {heading.strip(): body for heading, body in zip(parts[1::2], parts[2::2])}


def options_of(name: str) -> set[str]:
    """Every option string of `qa NAME`, read from its own --help (eval and train parse their own options)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-m", "qa", name, "--help"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    usage = done.stdout.split("\n\n", 1)[0]  # the usage block names every option once
    return set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", usage)) - {"-h", "--help"}


def documented(option: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def test_every_command_and_option_has_help_and_is_documented():
    docs = "\n".join(p.read_text(encoding="utf-8") for p in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))])
    sections = cli_reference_sections()
    commands = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(commands.choices) == {"index", "search", "ask", "serve", "show", "eval", "train"}
    for name in commands.choices:
        helps = [a.help for a in commands._choices_actions if a.dest == name]
        assert helps and helps[0], f"qa {name} has no help text"
        assert f"qa {name}" in docs, f"qa {name} is not in README.md or docs/"
        section = sections.get(f"`qa {name}`")
        assert section is not None, f"docs/cli.md has no section '## `qa {name}`'"
        options = options_of(name)
        assert options, f"no options found in qa {name} --help"
        missing = sorted(o for o in options if not documented(o, section))
        assert not missing, f"qa {name}: {', '.join(missing)} not documented under its heading in docs/cli.md"


def test_the_option_check_fails_on_an_undocumented_option():
    section = cli_reference_sections()["`qa ask`"]
    assert documented("--reader", section) and documented("-k", section)
    assert not documented("--reader", section.replace("--reader", "--model-reader"))
    assert not documented("-k", "--k K and k-fold")


# ---------------------------------------------------------------- ask

def test_ask_json_keeps_the_answer_contract(capsys, speech_args):
    status, out, err = run(capsys, "ask", COPPER, "--json", *speech_args)
    assert status == 0 and err == ""
    assert len(out.splitlines()) == 1
    answer = json.loads(out)
    check_answer(answer, SPEECH_CORPUS)
    assert answer["question"] == COPPER and answer["answerable"] is True
    assert "Yulong Copper Mine" in answer["quote"] and answer["citations"][0]["doc"] == SPEECH_DOC
    assert 0.0 <= answer["confidence"] <= 1.0 and len(answer["passages"]) == 5


def test_ask_readable_shows_answer_quote_citation_and_confidence(capsys, speech_args):
    status, out, _ = run(capsys, "ask", COPPER, *speech_args, "-k", "2")
    assert status == 0
    assert "Yulong Copper Mine" in out and "confidence" in out
    assert re.search(rf"{re.escape(SPEECH_DOC)}:\d+-\d+", out)


def test_ask_readable_abstention(capsys, speech_args):
    status, out, _ = run(capsys, "ask", OFF_TOPIC, *speech_args)
    assert status == 0
    assert out.startswith("The document does not say") and "Closest passages" in out


def test_ask_json_stdin_answers_every_non_empty_line_in_order(capsys, monkeypatch, speech_args):
    questions = [COPPER, OFF_TOPIC, "What share of the world's cobalt does the DRC supply?"]
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{questions[0]}\n\n   \n{questions[1]}\r\n{questions[2]}"))
    status, out, err = run(capsys, "ask", "--json", "-", *speech_args)
    assert status == 0 and err == ""
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["question"] for a in answers] == questions
    for answer in answers:
        check_answer(answer, SPEECH_CORPUS)
    assert answers[1]["answerable"] is False


def test_a_bad_line_on_stdin_keeps_the_others_aligned(capsys, monkeypatch, speech_args):
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{COPPER}\n{'x' * 30_000}\n{OFF_TOPIC}\n"))
    status, out, err = run(capsys, "ask", "--json", "-", *speech_args)
    answers = [json.loads(line) for line in out.splitlines()]
    assert status == 2 and len(answers) == 3
    assert answers[0]["question"] == COPPER and answers[2]["question"] == OFF_TOPIC
    assert answers[1]["answerable"] is False and "limit" in answers[1]["error"]
    assert "limit" in one_error_line(err)


def test_ask_readable_batch(capsys, monkeypatch, speech_args):
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{COPPER}\n{OFF_TOPIC}\n"))
    status, out, _ = run(capsys, "ask", "-", *speech_args)
    assert status == 0 and out.count("Q: ") == 2 and "Yulong" in out and "does not say" in out


def test_the_default_index_is_built_from_the_default_corpus(capsys, monkeypatch, tmp_path):
    """How ../shared/tools/check-answers runs it: `qa ask --json -` from the project root, no options."""
    write_corpus(tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO("Where did it rain on Tuesday?\n"))
    status, out, err = run(capsys, "ask", "--json", "-")
    assert status == 0 and "rebuilt" in err and "it is missing" in err
    (answer,) = [json.loads(line) for line in out.splitlines()]  # stdout carries only JSON
    check_answer(answer, tmp_path / "corpus")
    assert (tmp_path / "index" / "CURRENT").is_file()
    status, _, err = run(capsys, "search", "Lisbon flood", "--json")  # now up to date: no rebuild
    assert status == 0 and err == ""


# ---------------------------------------------------------------- search and index

def test_search_json(capsys, speech_args):
    status, out, _ = run(capsys, "search", "cobalt export suspension", "--json", "-k", "3", *speech_args)
    assert status == 0
    hits = json.loads(out)
    source = (SPEECH_CORPUS / SPEECH_DOC).read_bytes().decode("utf-8")
    assert len(hits) == 3 and any("cobalt" in h["text"] for h in hits)
    for hit in hits:
        assert {"id", "doc", "start", "end", "score", "heading", "text"} <= set(hit)
        assert source[hit["start"]:hit["end"]] == hit["text"]


@pytest.mark.parametrize("mode", ["dense", "bm25"])
def test_search_readable_modes(capsys, speech_args, mode):
    status, out, _ = run(capsys, "search", "Yulong Copper Mine", "--mode", mode, "-k", "2", *speech_args)
    assert status == 0 and out.lstrip().startswith("1.") and "Yulong" in out


def test_index_builds_with_settings_and_prints_one_line(capsys, tiny_corpus, tmp_path):
    status, out, _ = run(capsys, "index", str(tiny_corpus), "--index", str(tmp_path / "idx"),
                         "--max-tokens", "16", "--overlap", "0")
    assert status == 0 and len(out.splitlines()) == 1
    assert re.match(r"indexed 3 documents from .*: \d+ passages, \d+ sentences in [\d.]+ s", out)
    manifest = json.loads(next((tmp_path / "idx").glob("v-*/manifest.json")).read_text())
    assert manifest["split"]["max_tokens"] == 16 and manifest["split"]["overlap"] == 0
    # the index remembers its corpus and settings: asking needs no --corpus and rebuilds nothing
    status, out, err = run(capsys, "ask", "Where did it rain?", "--index", str(tmp_path / "idx"), "--json")
    assert status == 0 and err == "" and json.loads(out)["question"] == "Where did it rain?"


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("argv, words", [
    (["ask", ""], "empty"),
    (["ask", "   "], "empty"),
    (["ask", "x" * 30_000], "limit"),
    (["search", ""], "empty"),
    (["ask"], "required"),
    (["ask", "q", "-k", "0"], "at least 1"),
    (["ask", "q", "-k", "many"], "whole number"),
    (["ask", "q", "--mode", "sparse"], "invalid choice"),
    (["index", "--max-tokens", "4"], "at least 8"),
    (["index", "--overlap", "-1"], "0 or more"),
    (["frobnicate"], "invalid choice"),
    (["ask", "q", "--no-such-option"], "unrecognized"),
])
def test_bad_usage_is_one_error_line_and_status_2(capsys, argv, words):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert words in one_error_line(err)


def test_no_command_prints_help_and_fails(capsys):
    status, out, err = run(capsys)
    assert status == 2 and "usage" in err


def test_missing_corpus_and_index(capsys, tmp_path):
    status, out, err = run(capsys, "ask", "q", "--index", str(tmp_path / "i"), "--corpus", str(tmp_path / "none"))
    assert status == 2 and out == "" and "corpus folder not found" in one_error_line(err)
    status, _, err = run(capsys, "index", str(tmp_path / "none"), "--index", str(tmp_path / "i"))
    assert status == 2 and "not found" in one_error_line(err)


def bad_files(corpus) -> list[str]:
    """A binary file, a Latin-1 one, a corrupt PDF and an .rtf beside the good ones: what each warning names."""
    (corpus / "old.txt").write_bytes("Café".encode("latin-1"))
    (corpus / "photo.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog")
    (corpus / "letter.rtf").write_bytes(b"{\\rtf1 Dear}")
    return ["broken.pdf", "letter.rtf", "old.txt", "photo.md"]


def test_bad_documents_are_one_warning_each_and_the_summary_counts_them(capsys, tiny_corpus, tmp_path):
    names = bad_files(tiny_corpus)
    status, out, err = run(capsys, "index", str(tiny_corpus), "--index", str(tmp_path / "i"))
    warnings = err.splitlines()
    assert status == 0 and len(warnings) == 4 and all(w.startswith("qa: warning: ") for w in warnings)
    assert sorted(name for w in warnings for name in names if f"/{name}: left out" in w) == names
    assert out.startswith("indexed 3 documents from ") and out.endswith("; 4 files skipped (above)\n")


def test_strict_index_fails_on_a_skipped_file_and_writes_nothing(capsys, tiny_corpus, tmp_path):
    bad_files(tiny_corpus)
    status, out, err = run(capsys, "index", str(tiny_corpus), "--index", str(tmp_path / "i"), "--strict")
    *warnings, error = err.splitlines()
    assert status == 2 and out == "" and len(warnings) == 4
    assert error.startswith("qa: error: --strict: 4 files of ") and "letter.rtf" in error
    assert not (tmp_path / "i").exists()  # not even the folder (the build lock made it, and took it away)


@pytest.mark.parametrize("command", ["ask", "search"])
@pytest.mark.parametrize("where", ["no-such-index", "docs", "corpus/a.txt"])
def test_only_the_default_index_is_built_on_demand(capsys, monkeypatch, tmp_path, command, where):
    """In a folder with corpus/, a mistyped --index (missing, a folder that is no index, a file) is one line naming
    `qa index`: it was built from corpus/ and answered from it."""
    write_corpus(tmp_path / "corpus", {"a.txt": "Copper rose."})
    write_corpus(tmp_path / "docs", {"notes.md": "Not an index."})
    monkeypatch.chdir(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for extra in ([], ["--corpus", "corpus"]):
        status, out, err = run(capsys, command, "copper", "--index", where, *extra)
        assert status == 2 and out == ""
        assert one_error_line(err) == (f"qa: error: no index at {where}; build one with: "
                                       f"qa index {'corpus' if extra else 'CORPUS_DIR'} --index {where}")
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_a_second_build_of_one_index_is_one_line_naming_the_first_and_leaves_its_work(capsys, tiny_corpus, tmp_path):
    index = tmp_path / "i"
    with hold_build_lock(index) as holder:
        work = index / ".v-20260101T000000-0123abcd.partial"  # the other build's version, half written
        work.mkdir()
        status, out, err = run(capsys, "index", str(tiny_corpus), "--index", str(index))
        assert status == 2 and out == "" and work.is_dir()
        assert one_error_line(err) == (f"qa: error: another qa index is building {index} (pid {holder.pid}); "
                                       "wait for it to finish or stop it, then run this again")
    # once it is gone, the next build runs, and clears what it left
    status, out, _ = run(capsys, "index", str(tiny_corpus), "--index", str(index))
    assert status == 0 and out.startswith("indexed 3 documents")
    assert sorted(p.name for p in index.iterdir() if p.name != "CURRENT") == [(index / "CURRENT").read_text().strip()]


def test_a_build_on_demand_while_another_builds_is_one_line(capsys, monkeypatch, tmp_path):
    write_corpus(tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    with hold_build_lock(tmp_path / "index") as holder:
        status, out, err = run(capsys, "ask", "Where did it rain on Tuesday?")
    assert status == 2 and out == "" and f"another qa index is building index (pid {holder.pid})" in one_error_line(err)


def test_a_corrupt_index_is_one_line_with_the_rebuild_command(capsys, tiny_index_dir, tmp_path):
    corpus, index = tiny_index_dir
    shutil.copytree(index, tmp_path / "index")
    version = tmp_path / "index" / (tmp_path / "index" / "CURRENT").read_text().strip()
    (version / "passages.jsonl").write_text("{}\n")
    status, out, err = run(capsys, "ask", "q", "--json", "--index", str(tmp_path / "index"), "--corpus", str(corpus))
    assert status == 2 and out == "" and "qa index" in one_error_line(err)


def test_undecodable_stdin_is_one_error_line(capsys, monkeypatch, speech_args):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"caf\xe9?\n"), encoding="utf-8"))
    status, out, err = run(capsys, "ask", "--json", "-", *speech_args)
    assert status == 2 and out == "" and "UTF-8" in one_error_line(err)


# ---------------------------------------------------------------- eval

def test_eval_is_delegated_to_the_harness(capsys, monkeypatch):
    calls = []
    fake = types.ModuleType("qa.evaluation.command")
    fake.cli_eval = lambda argv: calls.append(argv) or 0
    monkeypatch.setitem(sys.modules, "qa.evaluation.command", fake)
    monkeypatch.setitem(sys.modules, "qa.evaluation", types.ModuleType("qa.evaluation"))
    assert main(["eval", "--set", "x.jsonl", "--help"]) == 0
    assert calls == [["--set", "x.jsonl", "--help"]]


def test_eval_without_the_harness_is_one_error_line(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "qa.evaluation.command", None)  # makes the import fail
    monkeypatch.setitem(sys.modules, "qa.evaluation", types.ModuleType("qa.evaluation"))
    status, _, err = run(capsys, "eval")
    assert status == 2 and "evaluation harness" in one_error_line(err)


def test_no_index_and_no_default_corpus(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "ask", "q")
    assert status == 2 and out == "" and "qa index" in one_error_line(err)
