"""The examples in README.md and docs/*.md show what qa prints: each is run (docs/examples.py) and compared."""
from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import REPO

_spec = importlib.util.spec_from_file_location("doc_examples", REPO / "docs" / "examples.py")
examples = sys.modules["doc_examples"] = importlib.util.module_from_spec(_spec)  # dataclasses look it up there
_spec.loader.exec_module(examples)
SHOWN = examples.collect()


@pytest.fixture(scope="module")
def printed(fast_embedder) -> dict:
    """Every example, run once in one workspace (the session's export cache is warm: the shown build exports
    nothing), by name."""
    workspace = examples.Workspace()
    try:
        ran = examples.collect()
        examples.run_all(ran, workspace)
    finally:
        workspace.close()
    return {example.name: example for example in ran}


@pytest.mark.parametrize("name", [example.name for example in SHOWN])
def test_an_example_shows_what_qa_prints(printed, name):
    diff = examples.drift(printed[name])
    assert not diff, f"the docs show other output than qa prints now (python docs/examples.py --update):\n{diff}"


def test_every_console_and_python_block_in_the_docs_is_a_checked_example():
    assert SHOWN and [b for path in examples.markdown_files() for b in examples.unmarked_blocks(path)] == []


# ---------------------------------------------------------------- the machinery, on a page of its own

PAGE = """# A page

<!-- example: first -->
```console
$ qa index
indexed 1 document from corpus: 65 passages, 139 sentences in 3.9 s -> index
$ qa ask "Why?"
because
  confidence 0.81
  score 4.273800
```
<!-- /example -->

Prose stays.

<!-- example -->
```python
print("hi")
```

prints:

```
hello
```
<!-- /example -->
"""


def test_drift_ignores_build_times_and_last_digits_but_not_answers(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(PAGE, encoding="utf-8")
    index, python = examples.find_examples(page)
    assert (index.options, index.kind, python.kind) == ({"first": ""}, "console", "python")
    assert examples.console_steps(index.body) == [("qa index", [index.body[2]]), ('qa ask "Why?"', index.body[4:7])]
    index.printed = [line.replace("3.9 s", "24.2 s").replace("0.81", "0.82").replace("4.273800", "4.273799")
                     for line in index.body]
    assert examples.drift(index) == ""
    for changed in ("0.83", "0.8"):  # two digits off, or another precision
        index.printed = [line.replace("0.81", changed) for line in index.body]
        assert f"+  confidence {changed}" in examples.drift(index)
    index.printed = [line.replace("because", "for no reason") for line in index.body]
    assert "-because\n+for no reason" in examples.drift(index)


def test_an_update_rewrites_what_drifted_and_keeps_the_rest(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(PAGE, encoding="utf-8")
    index, python = examples.find_examples(page)
    index.printed = [line.replace("3.9 s", "24.2 s").replace("because", "since") for line in index.body]
    code, opens, closes = examples.python_parts(python.body)
    assert code == ['print("hi")']
    python.printed = python.body[:opens + 1] + ["hi"] + python.body[closes:]
    examples.rewrite(page, [index, python])
    assert page.read_text(encoding="utf-8") == PAGE.replace("because", "since").replace("hello", "hi")


def test_a_command_is_read_as_the_shell_reads_it():
    assert examples.words('qa ask "#1 exporter?" --store qa.db#other   # a comment') == [
        "qa", "ask", "#1 exporter?", "--store", "qa.db#other"]


def test_json_is_shown_cut_short_or_by_the_keys_asked_for():
    line = ('{"question": "Q?", "answerable": true, "quote": "' + "word " * 20 + '", '
            '"citations": [{"doc": "a-long-document-name-of-a-file.md", "text": "' + "more text " * 5 + '"}, {}]}')
    assert examples.shown_json([line, "not json"], "short") == [
        '{"question": "Q?",',
        ' "answerable": true,',
        ' "quote": "' + "word " * 10 + 'word ...",',
        ' "citations": [{"doc": "a-long-document-name-of-a-file.md", "text": "more text more text ..."}, ...]}',
        "not json"]
    assert examples.shown_json([line], "question,answerable") == ['{"question": "Q?", "answerable": true, ...}']
