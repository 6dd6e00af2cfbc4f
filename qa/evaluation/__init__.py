"""Evaluation harness: load gold question sets, run the assistant and baselines over them, score and report."""

from .run import cli_eval, run_eval

__all__ = ["cli_eval", "run_eval"]
