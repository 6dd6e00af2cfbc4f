"""qa: ask questions of documents; answers are verbatim with exact character-offset citations."""

__version__ = "0.1.0"
