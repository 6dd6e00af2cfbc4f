"""`qa serve`'s server: the HTTP API and the Gradio chat in one FastAPI app over a `Service`, on a socket."""
from __future__ import annotations

import errno
import os
import socket
import sys

from ..errors import QAError
from .service import Service

MAX_CHAT_BODY_BYTES = 4 * 1024 * 1024  # any request outside /api/ (those have api.MAX_BODY_BYTES)
CHAT_SESSIONS = 256  # conversations whose turns the server remembers, least recently used forgotten first


def create_app(service: Service):
    """The FastAPI app: the API routes first, then the Gradio chat mounted at /."""
    import gradio as gr

    from .api import BodyLimit, create_api
    from .ui import CSS, THEME, build_ui

    app = create_api(service)
    # Gradio reads any body it is sent; the chat's carry the question and the conversation so far (a few KB
    # a turn), so they get a limit of their own, roomier than the API's.
    app.add_middleware(BodyLimit, limit=MAX_CHAT_BODY_BYTES, prefix="/")
    blocks = build_ui(service)
    # Gradio keeps ~40 KB per chat session (a copy of the page's component settings, and the turns) for its
    # 10,000 most recent sessions: memory grew by that much with every new conversation. The turns only serve
    # follow-ups, so the least recently used sessions beyond CHAT_SESSIONS are let go.
    blocks.state_session_capacity = CHAT_SESSIONS
    app = gr.mount_gradio_app(app, blocks, path="/", theme=THEME, css=CSS, ssr_mode=False, show_error=False,
                              footer_links=[], mcp_server=False, pwa=False, enable_monitoring=False)
    # Gradio's queue also keeps a message queue for each of its 2,000 most recent sessions (an LRU it does not
    # let callers size), and every call through its HTTP API is a new session: memory crept up for the first
    # 2,000 chat turns. Bound it like the session state; a session is only evicted after 256 newer ones.
    pending = getattr(getattr(blocks, "_queue", None), "pending_messages_per_session", None)
    if pending is not None and hasattr(pending, "max_size"):
        pending.max_size = CHAT_SESSIONS
    return app


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


def run(service: Service, sock: socket.socket, log_level: str = "warning") -> None:
    """Serve the app on an already listening socket until interrupted."""
    import uvicorn

    app = create_app(service)
    url = url_of(sock)
    print(f"qa: the chat on the {service.noun} “{service.title}” is at {url} "
          f"(HTTP API: {url}api/ask, {url}api/search, {url}api/health; schema: {url}openapi.json). "
          "Ctrl-C stops it.", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level=log_level, access_log=False, timeout_graceful_shutdown=2,
                            server_header=False)
    uvicorn.Server(config).run(sockets=[sock])


def prepare_environment() -> None:
    """Nothing leaves the machine: no analytics, no update checks, no hub look-ups; bounded in-memory records."""
    for key, value in (("GRADIO_ANALYTICS_ENABLED", "False"), ("HF_HUB_OFFLINE", "1"),
                       ("HF_HUB_DISABLE_TELEMETRY", "1"), ("GRADIO_SSR_MODE", "False"),
                       ("DO_NOT_TRACK", "1")):
        os.environ[key] = value
    # Gradio's queue keeps timing records of its last 10,000 events by default (for ETAs and its monitoring
    # page, which is off here); a few hundred will do, and they cannot add up.
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "200")
