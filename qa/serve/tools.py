"""`ask` and `search` as typed functions over one Service, checked as the HTTP API checks its bodies: the tools the
Gradio API (qa.serve.ui.page) and the MCP server (qa.serve.mcp_tools) expose, returning the JSON of /api/ask and
/api/search."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable

from ..errors import QAError
from ..retrieve.retriever import MAX_QUERY_CHARS, MODES
from .api import MAX_K

if TYPE_CHECKING:
    from .service import Service


def _checked(text: str, k: int, mode: str, what: str) -> tuple[str, int, str]:
    """The arguments as POST /api/ask takes them, or a one-line QAError saying which is wrong."""
    if not isinstance(text, str) or not 1 <= len(text) <= MAX_QUERY_CHARS:
        raise QAError(f"the {what} must be a string of 1 to {MAX_QUERY_CHARS:,} characters")
    if isinstance(k, float) and k.is_integer():  # JSON clients may send 5.0
        k = int(k)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise QAError(f"k must be a whole number from 1 to {MAX_K}")
    if mode not in MODES:
        raise QAError(f"mode must be one of {', '.join(MODES)}")
    return text, k, mode


def make_tools(service: "Service"):
    """(ask, search) over `service`, with the signatures and docstrings the API listings show."""

    def ask(question: str, k: int = 5, mode: str = "hybrid") -> dict[str, Any]:
        """Answer a question from the documents with their own words, or abstain.

        Returns the JSON of POST /api/ask (`qa ask --json`): `answerable`, the short `answer`, the `quote`, and
        `citations` that locate the quote by exact character offsets (`doc`, `start`, `end`: the document's
        text[start:end] is the cited text), with `confidence` and the retrieved `passages`. `answerable` is false
        when the documents do not answer.

        Args:
            question: the question, 1 to 20,000 characters
            k: passages to retrieve, 1 to 100
            mode: retrieval: "hybrid" (dense and BM25 fused), "dense" or "bm25"
        """
        return service.ask(*_checked(question, k, mode, "question")).to_dict()

    def search(query: str, k: int = 5, mode: str = "hybrid") -> list[dict[str, Any]]:
        """The passages that best match a query, best first, with exact character offsets.

        Returns the JSON of POST /api/search (`qa search --json`): each passage's `id`, `doc`, `start`, `end`,
        `score`, `heading` and `text`.

        Args:
            query: the question or search words, 1 to 20,000 characters
            k: passages to return, 1 to 100
            mode: retrieval: "hybrid" (dense and BM25 fused), "dense" or "bm25"
        """
        return [hit.to_dict() for hit in service.search(*_checked(query, k, mode, "query"))]

    return ask, search


def refusals_as(tool: Callable, error: Callable[[str], Exception]) -> Callable:
    """`tool` raising `error(message)` where it refuses (a QAError): the exception its host passes on to the client
    (gr.Error for Gradio, ToolError for MCP), which would otherwise hide the reason. Signature and docstring kept."""
    @functools.wraps(tool)
    def refusing(*args, **kwargs):
        try:
            return tool(*args, **kwargs)
        except QAError as err:
            raise error(" ".join(str(err).split())) from None
    return refusing
