"""The wheel works without the checkout: built from the sources, installed (not editable) into a fresh venv, it
indexes a small corpus and answers `qa ask --json`, run from a folder outside the clone.

The fresh venv gets qa only from the wheel; the dependencies it reuses from this venv through a .pth file holding
this venv's site-packages folder as a plain path (so none of that folder's own .pth files run, the editable
install's among them: the checkout never reaches sys.path)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from conftest import REPO, check_answer, write_corpus

# pyproject.toml's [tool.setuptools.package-data], at any depth under qa/ (the chat's script and CSS under serve/ui/)
DATA_GLOBS = ("*.json", "*.toml", "*.onnx", "*.md", "*.js", "*.css")


def run(args: list, cwd: Path, env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args[:3]}: exit {done.returncode}\n{done.stderr[-3000:]}"
    return done


def test_the_wheel_installed_into_a_fresh_venv_indexes_and_answers_outside_the_checkout(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    # The sources as a build sees them, copied so that the build's own folders stay out of the checkout.
    src = tmp_path / "src"
    shutil.copytree(REPO / "qa", src / "qa", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist",
         src], cwd=tmp_path, env=env)
    (wheel,) = (tmp_path / "dist").glob("qa-*.whl")

    # Every data file under qa/ (the reader, its model card, the lexicon) is in the wheel.
    shipped = set(zipfile.ZipFile(wheel).namelist())
    data = {p.relative_to(src).as_posix() for pattern in DATA_GLOBS for p in (src / "qa").rglob(pattern)}
    assert {"qa/answer/models/reader.json", "qa/answer/models/reader.onnx", "qa/serve/ui/conversation.js",
            "qa/serve/ui/chat.css"} <= data
    assert data <= shipped, sorted(data - shipped)

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path, env=env)
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    cwd=tmp_path, env=env).stdout.strip())
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "dependencies-of-the-test-venv.pth").write_text("".join(f"{p}\n" for p in ours))
    run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", wheel],
        cwd=tmp_path, env=env)

    elsewhere = tmp_path / "elsewhere"
    corpus = write_corpus(elsewhere / "docs")
    probe = run([python, "-c", "import json, sys, qa; print(json.dumps([qa.__file__, sys.path]))"],
                cwd=elsewhere, env=env)
    qa_file, path = json.loads(probe.stdout)
    assert Path(qa_file).is_relative_to(site), qa_file
    assert REPO.resolve() not in {Path(p or elsewhere).resolve() for p in path}, path  # the checkout is not on it

    qa = venv / "bin" / "qa"
    run([qa, "index", "docs", "--index", "idx"], cwd=elsewhere, env=env)
    asked = run([qa, "ask", "--json", "Where did it rain on Tuesday?", "--index", "idx"], cwd=elsewhere, env=env)
    answer = json.loads(asked.stdout)
    check_answer(answer, corpus)
    assert answer["answerable"] and "Lisbon" in answer["answer"], answer
