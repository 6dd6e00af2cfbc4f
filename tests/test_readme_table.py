"""The README's results table is the one eval/results_table.py makes from the committed eval/results/*.json."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module():
    spec = importlib.util.spec_from_file_location("results_table", ROOT / "eval" / "results_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_shows_the_measured_results_table():
    table = _module()
    assert table.readme_table((ROOT / "README.md").read_text(encoding="utf-8")) == table.table()


def test_every_row_reports_the_reader_on_and_off():
    rows = _module().table().splitlines()[2:]
    assert len(rows) == 5
    for row in rows:
        assert row.count(" / ") >= 4, row
