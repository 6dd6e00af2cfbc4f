"""ASGI middleware in front of Gradio's own routes: no URL fetched for a client, and upload requests bounded.

Gradio's file route serves an http(s) URL by fetching it from the server (`/gradio_api/file=https://...`), and its
proxy route forwards to the hosts an app lists: this server contacts no other host, so both are refused (403).
Gradio checks each uploaded file against `max_file_size`, but not how many one request carries: a request larger
than `upload_limit` bytes is refused (413) before Gradio writes any of it to disk.
"""
from __future__ import annotations

import json
import re
from urllib.parse import unquote

_FILE_ROUTES = ("/gradio_api/file=", "/file=", "/gradio_api/file/", "/file/")
_PROXY_ROUTES = ("/gradio_api/proxy=", "/proxy=")
_URL = re.compile(r"\s*(?:[a-z][a-z0-9+.-]*:|[/\\]{2})", re.I)  # a scheme (https:, ftp:) or a network path (//host)


class GradioGuard:
    def __init__(self, app, upload: str, upload_limit: int):
        self.app, self.upload, self.upload_limit = app, upload, upload_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = unquote(scope.get("path", ""))
        remote = any(path.startswith(r) and _URL.match(path[len(r):]) for r in _FILE_ROUTES)
        if remote or path.startswith(_PROXY_ROUTES):
            return await _refuse(send, 403, "this server fetches no URL for a client")
        if path.rstrip("/") == self.upload:
            declared = dict(scope["headers"]).get(b"content-length")
            if declared is None or not declared.isdigit():
                return await _refuse(send, 411, "an upload must say its length (Content-Length)")
            if int(declared) > self.upload_limit:
                return await _refuse(send, 413, f"upload too large: the limit is {self.upload_limit:,} bytes a request")
            receive = _capped(receive, int(declared))
        return await self.app(scope, receive, send)


def _capped(receive, limit: int):
    """`receive`, ending the request as a disconnect once more than `limit` bytes (its declared length) came."""
    seen = 0

    async def capped():
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            return {"type": "http.disconnect"}
        return message

    return capped


async def _refuse(send, status: int, detail: str) -> None:
    body = (json.dumps({"detail": detail}) + "\n").encode("ascii")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
