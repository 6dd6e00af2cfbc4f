"""`qa serve`'s server: the HTTP API and the chat page in one FastAPI app over a `Service`, on a socket."""
from __future__ import annotations

import errno
import os
import socket
import sys
from pathlib import Path

from ..errors import QAError
from .service import Service



def create_app(service: Service, uploads: str | os.PathLike | None = None):
    """The FastAPI app: the API routes, the chat's routes over `service`'s corpus and those uploaded under
    `uploads` (None: no uploads), and the chat page at /."""
    from . import chat_api
    from .api import MAX_BODY_BYTES, BodyLimit, create_api
    from .corpora import MAX_FILE_BYTES, Corpora

    app = create_api(service, body_limit=False)
    # an uploaded file may be larger than any JSON body: its route has a limit of its own
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES, prefix="/api/", skip="/api/corpora/")
    app.add_middleware(BodyLimit, limit=MAX_FILE_BYTES, prefix="/api/corpora/")
    app.state.corpora = Corpora(service, Path(uploads) if uploads is not None else None)
    chat_api.install(app, app.state.corpora)
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


def run(service: Service, sock: socket.socket, log_level: str = "warning", uploads=None) -> None:
    """Serve the app on an already listening socket until interrupted."""
    import uvicorn

    app = create_app(service, uploads)
    url = url_of(sock)
    print(f"qa: the chat on the {service.noun} “{service.title}” is at {url} "
          f"(HTTP API: {url}api/ask, {url}api/search, {url}api/health; schema: {url}openapi.json; "
          f"uploads: {uploads or 'off'}). Ctrl-C stops it.", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level=log_level, access_log=False, timeout_graceful_shutdown=2,
                            server_header=False)
    uvicorn.Server(config).run(sockets=[sock])


def prepare_environment() -> None:
    """Nothing leaves the machine: no telemetry, no hub look-ups."""
    for key, value in (("HF_HUB_OFFLINE", "1"), ("HF_HUB_DISABLE_TELEMETRY", "1"), ("DO_NOT_TRACK", "1")):
        os.environ[key] = value
