"""The general words of lexicon.toml: units, scales, number words and calendar names (see its comment)."""
from __future__ import annotations

import tomllib
from pathlib import Path

LEXICON_FILE = Path(__file__).with_name("lexicon.toml")
LEXICON = tomllib.loads(LEXICON_FILE.read_text(encoding="utf-8"))
