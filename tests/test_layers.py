"""qa's modules import one way, corpus -> passages -> index -> retrieve -> answer -> chat -> the commands, without
cycles, and stay small: checked on the source with `ast`, imports inside functions included."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

QA = Path(__file__).resolve().parent.parent / "qa"
MAX_LINES = 300
# Modules still over MAX_LINES, each with its size today: the check fails if one grows, and if one shrinks under
# the limit without leaving this list (issue 12: split them).
OVER: dict[str, int] = {}
MAX_FUNCTION_LINES = 60
LONG_REASON = "Long because"  # a longer function says why in its docstring, on a line starting so
# The layers, lowest first. A module may import modules of its own package and of lower layers; the commands
# on the top layer (serve, evaluation, train) do not import one another, and only the CLI imports them.
LAYERS = (
    ("qa", "qa.errors", "qa.records"),
    ("qa.text",),
    ("qa.ingest",),
    ("qa.index",),
    ("qa.retrieve",),
    ("qa.answer",),
    ("qa.chat",),
    ("qa.serve", "qa.evaluation"),
    ("qa.train",),  # scores its held-out articles with the evaluation's metrics
    ("qa.cli_parser",),
    ("qa.cli",),
    ("qa.__main__",),
)


def module_name(path: Path, root: Path = QA) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, name: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of `known` that a module's source imports, at top level or inside functions."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from pkg import mod` imports the module pkg.mod where there is one, else a name of pkg
            targets = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import qa.index.store` names a module; `qa.x.y` its parent
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root: Path = QA) -> dict[str, set[str]]:
    paths = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    known = set(paths)
    return {name: imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", known)
            for name, path in paths.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def layer_of(name: str) -> tuple[int, str]:
    """(layer number, the layer's unit the module belongs to)."""
    best = None
    for number, units in enumerate(LAYERS):
        for unit in units:
            inside = name == unit or (unit != "qa" and name.startswith(unit + "."))  # "qa" is the package root alone
            if inside and (best is None or len(unit) > len(best[1])):
                best = (number, unit)
    if best is None:
        raise AssertionError(f"{name} is in no layer: add its package to LAYERS")
    return best


def against_the_layers(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for name, targets in sorted(graph.items()):
        layer, unit = layer_of(name)
        for target in sorted(targets):
            t_layer, t_unit = layer_of(target)
            if t_unit != unit and t_layer >= layer:
                wrong.append(f"{name} imports {target}")
    return wrong


# ---------------------------------------------------------------- the checks can fail

def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root / "qa"


def test_a_synthetic_cycle_is_found_even_through_an_import_inside_a_function(tmp_path):
    root = _write(tmp_path, {"qa/__init__.py": "", "qa/index/__init__.py": "", "qa/retrieve/__init__.py": "",
                             "qa/index/store.py": "def f():\n    from ..retrieve import retriever\n",
                             "qa/retrieve/retriever.py": "from ..index.store import f\n"})
    graph = import_graph(root)
    assert graph["qa.index.store"] == {"qa.retrieve.retriever"}
    assert find_cycle(graph) in (["qa.index.store", "qa.retrieve.retriever", "qa.index.store"],
                                 ["qa.retrieve.retriever", "qa.index.store", "qa.retrieve.retriever"])
    assert against_the_layers(graph) == ["qa.index.store imports qa.retrieve.retriever"]


def test_an_import_up_the_layers_or_across_the_commands_is_found(tmp_path):
    root = _write(tmp_path, {"qa/__init__.py": "", "qa/answer/__init__.py": "", "qa/serve/__init__.py": "",
                             "qa/evaluation/__init__.py": "",
                             "qa/answer/assistant.py": "import qa.serve.api\n",
                             "qa/serve/api.py": "from qa.evaluation import run\n", "qa/evaluation/run.py": ""})
    graph = import_graph(root)
    assert find_cycle(graph) is None
    assert against_the_layers(graph) == ["qa.answer.assistant imports qa.serve.api",
                                         "qa.serve.api imports qa.evaluation.run"]


def test_a_graph_without_cycles_passes():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]


# ---------------------------------------------------------------- qa itself

def test_qa_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 30 and graph["qa.answer.assistant"], sorted(graph)  # the parse sees qa's imports
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_qa_imports_only_down_the_layers():
    assert against_the_layers(import_graph()) == []


@pytest.mark.parametrize("path", sorted(QA.rglob("*.py")), ids=lambda p: p.relative_to(QA).as_posix())
def test_every_module_is_small_and_says_its_job(path):
    source = path.read_text(encoding="utf-8")
    rel, n = path.relative_to(QA).as_posix(), len(source.splitlines())
    if rel in OVER:
        assert MAX_LINES < n <= OVER[rel], f"{rel}: {n} lines (update OVER: {OVER[rel]})"
    else:
        assert n <= MAX_LINES, f"{rel}: {n} lines"
    docstring = ast.get_docstring(ast.parse(source))
    assert docstring and docstring.strip(), f"{path} has no docstring at the top"


@pytest.mark.parametrize("path", sorted(QA.rglob("*.py")), ids=lambda p: p.relative_to(QA).as_posix())
def test_a_long_function_says_why(path):
    long = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
            doc = ast.get_docstring(node) or ""
            if not any(line.strip().startswith(LONG_REASON) for line in doc.splitlines()):
                long.append(f"{node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert not long, f"{path.name}: over {MAX_FUNCTION_LINES} lines without a reason in the docstring: {long}"
