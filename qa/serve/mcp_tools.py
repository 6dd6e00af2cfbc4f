"""`qa serve --mcp`: the Model Context Protocol at /mcp (the `mcp` SDK's streamable HTTP), with two tools, `ask` and
`search` (qa.serve.tools), so that an agent asks the documents and gets the quote with its exact offsets.

The SDK's own server, not Gradio's `mcp_server`: Gradio's "mcp" extra caps pydantic below the version the lock pins.
"""
from __future__ import annotations

import contextlib
import inspect

from .. import __version__
from .tools import make_tools, refusals_as

INSTRUCTIONS = ("Answers questions from a fixed set of documents with the documents' own words. `ask` returns the "
                "answering sentence (`quote`), the short `answer` inside it and `citations` by exact character offsets "
                "(document text[start:end] == the cited text), or `answerable: false` when the documents do not say; "
                "`search` returns the best matching passages with their offsets.")


def mount(app, service, host: str = "127.0.0.1") -> None:
    """Serve the MCP tools over `service` at /mcp on the FastAPI `app` (before any app mounted at /, such as
    Gradio's), its session manager running with the app. `host` is the address the server listens on: on loopback
    the SDK refuses requests whose Host or Origin header names another host (DNS rebinding)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer(name="qa", title="qa: ask the documents", version=__version__, instructions=INSTRUCTIONS,
                       log_level="WARNING")
    for tool in make_tools(service):
        # structured: the client gets the JSON object itself (structuredContent) besides its text
        server.add_tool(refusals_as(tool, ToolError), description=inspect.cleandoc(tool.__doc__),
                        structured_output=True)
    routes = server.streamable_http_app(streamable_http_path="/mcp", host=host).routes
    app.router.routes[:0] = routes  # ahead of the Gradio app, which is mounted at / and would take /mcp
    before = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application):
        async with before(application) as state, server.session_manager.run():
            yield state

    app.router.lifespan_context = lifespan
