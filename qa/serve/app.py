"""`qa serve`'s server: the HTTP API, the chat's JSON routes and the Gradio chat in one FastAPI app over a `Service`,
on a socket; the MCP server too when asked."""
from __future__ import annotations

import atexit
import errno
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from ..errors import QAError
from .service import Service

GRADIO_BODY_BYTES = 1024 * 1024  # Gradio's JSON routes carry a question (20,000 characters) and a few small values
GRADIO_UPLOAD = "/gradio_api/upload"


def create_app(service: Service, uploads: str | os.PathLike | None = None, mcp: bool = False,
               host: str = "127.0.0.1"):
    """The FastAPI app: the API routes, the chat's JSON routes over `service`'s corpus and those uploaded under
    `uploads` (None: no uploads), the Gradio chat at / (its own routes under /gradio_api/), and with `mcp` the MCP
    server at /mcp (`host`: the address the server listens on, which MCP requests must name)."""
    from . import chat_api
    from .api import MAX_BODY_BYTES, BodyLimit, create_api
    from .corpora import MAX_FILE_BYTES, MAX_FILES, Corpora
    from .gradio_guard import GradioGuard

    app = create_api(service, body_limit=False)
    # an uploaded file may be larger than any JSON body: its route has a limit of its own
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES, prefix="/api/", skip="/api/corpora/")
    app.add_middleware(BodyLimit, limit=MAX_FILE_BYTES, prefix="/api/corpora/")
    app.add_middleware(BodyLimit, limit=GRADIO_BODY_BYTES, prefix="/gradio_api/", skip=GRADIO_UPLOAD)
    # one upload request carries at most a corpus's files; Gradio checks each file against max_file_size below
    app.add_middleware(GradioGuard, upload=GRADIO_UPLOAD, upload_limit=MAX_FILES * MAX_FILE_BYTES + 1024 * 1024)
    app.state.corpora = corpora = Corpora(service, Path(uploads) if uploads is not None else None)
    chat_api.install(app, corpora)
    _mount_chat(app, corpora, MAX_FILE_BYTES)
    if mcp:
        from .mcp_tools import mount

        mount(app, service, host)
    return app


def _mount_chat(app, corpora, max_file_size: int) -> None:
    """The Gradio chat at /, its file routes kept off the index and the uploaded corpora."""
    import gradio as gr

    from .ui.page import CSS, THEME, build

    index_dir = corpora.default.index_dir
    blocked = [str(p) for p in (corpora.root, index_dir) if p is not None]
    blocks = build(corpora)
    gr.mount_gradio_app(app, blocks, path="/", theme=THEME, css=CSS, ssr_mode=False, show_error=False,
                        footer_links=[], run_history=False, mcp_server=False, pwa=False, enable_monitoring=False,
                        max_file_size=max_file_size, allowed_paths=[], blocked_paths=blocked)
    # Gradio checks that a file a client's message names was uploaded through it only once an app has "launched",
    # which a mounted one never does: say so, or a crafted message could name any file of the server (the chat's
    # events check it again: qa.serve.ui.events.Events.add)
    blocks.has_launched = True


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or a one-line QAError (port in use, unknown host, no permission)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as err:
        raise QAError(f"cannot listen on {host}:{port}: {err.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise QAError(f"port {port} on {host} is in use; choose another with --port") from None
        raise QAError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def run(service: Service, sock: socket.socket, log_level: str = "warning", uploads=None, mcp: bool = False) -> None:
    """Serve the app on an already listening socket until interrupted."""
    import uvicorn

    app = create_app(service, uploads, mcp, host=sock.getsockname()[0])
    url = url_of(sock)
    print(f"qa: the chat on the {service.noun} “{service.title}” is at {url} "
          f"(HTTP API: {url}api/ask, {url}api/search, {url}api/health; schema: {url}openapi.json; "
          f"Gradio API: {url}gradio_api/info; MCP: {url + 'mcp' if mcp else 'off'}; uploads: {uploads or 'off'}). "
          "Ctrl-C stops it.", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level=log_level, access_log=False, timeout_graceful_shutdown=2,
                            server_header=False)
    uvicorn.Server(config).run(sockets=[sock])


def prepare_environment() -> None:
    """Nothing leaves the machine: no telemetry, no hub look-ups, no Gradio analytics; and Gradio's uploads in a
    folder of this server's own (removed when it stops), so that its file route serves no other app's files."""
    for key, value in (("HF_HUB_OFFLINE", "1"), ("HF_HUB_DISABLE_TELEMETRY", "1"), ("DO_NOT_TRACK", "1"),
                       ("GRADIO_ANALYTICS_ENABLED", "False")):
        os.environ[key] = value
    if not os.environ.get("GRADIO_TEMP_DIR"):
        folder = tempfile.mkdtemp(prefix="qa-gradio-")
        os.environ["GRADIO_TEMP_DIR"] = folder
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
