"""Answering: choose the quote, extract the short answer, decide whether to answer or abstain."""
