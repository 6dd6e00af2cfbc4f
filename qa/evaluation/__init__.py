"""Evaluation harness: load gold question sets, run the assistant and baselines over them, score and report."""

from .command import cli_eval
from .run import run_eval

__all__ = ["cli_eval", "run_eval"]
