"""Plain HTTP on the hub port: /healthz, /healthz/channels, the customer web widget's files,
attachments (/files/<id> with a signed URL, app/hub/files.py) and public knowledge-base
articles (/kb/<id>-<slug>, app/hub/kb_pages.py)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

WS_PATHS = frozenset({"/ws/operator", "/ws/customer"})
WIDGET_ENV = "FRONTLINE_WIDGET_DIR"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
}

PLACEHOLDER = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Frontline chat</title></head>
<body><p>The Frontline web chat widget is not installed on this hub.</p></body></html>
"""


def default_widget_dir() -> Path:
    """``FRONTLINE_WIDGET_DIR`` if set, else ``resources/widget`` next to the package."""
    env = os.environ.get(WIDGET_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "resources" / "widget"


def _response(status: int, reason: str, body: bytes, content_type: str) -> Response:
    headers = Headers(
        [
            ("Date", formatdate(usegmt=True)),
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-cache"),
            ("X-Content-Type-Options", "nosniff"),
            ("Connection", "close"),
        ]
    )
    return Response(status, reason, headers, body)


def not_found() -> Response:
    return _response(404, "Not Found", b"not found\n", "text/plain; charset=utf-8")


def safe_file(root: Path, rel: str) -> Path | None:
    """The file ``rel`` inside ``root``, or None if it is outside, hidden or missing."""
    rel = unquote(rel)
    if not rel or "\x00" in rel or "\\" in rel or rel.startswith("/"):
        return None
    parts = PurePosixPath(rel).parts
    if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return None
    try:
        base = root.resolve()
        full = (base / Path(*parts)).resolve()
    except (OSError, ValueError):
        return None
    if not full.is_relative_to(base) or not full.is_file():
        return None
    return full


class HttpRoutes:
    """The ``process_request`` hook of the websockets server."""

    def __init__(
        self,
        widget_dir: Path | None,
        channel_states: Callable[[], dict[str, str]] | None = None,
        files: Callable[[str, str], Awaitable[Response]] | None = None,
        kb: Callable[[str], Awaitable[Response]] | None = None,
    ) -> None:
        self.widget_dir = widget_dir or default_widget_dir()
        self.channel_states = channel_states or dict
        self.files = files  # GET /files/<id>?exp=…&sig=… (app/hub/files.py: FileRoute)
        self.kb = kb  # GET /kb/<id>-<slug>: public articles (app/hub/kb_pages.py: KbPageRoute)

    async def __call__(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        path = parts.path
        if path in WS_PATHS:
            return None
        if path.startswith("/files/") and self.files is not None:
            return await self.files(path, parts.query)
        if path.startswith("/kb/") and self.kb is not None:
            return await self.kb(path)
        if path == "/healthz":
            return _response(200, "OK", b"ok", "text/plain; charset=utf-8")
        if path == "/healthz/channels":
            # state names only (up / retrying / down / starting): the errors are for admins
            # (frontline-hub channel status), not for anyone who can reach the port
            body = json.dumps({"channels": self.channel_states()}).encode()
            return _response(200, "OK", body, "application/json")
        if path in ("/", "/index.html"):
            return await self._file("index.html", placeholder=True)
        if path.startswith("/widget/"):
            return await self._file(path[len("/widget/") :])
        return not_found()

    async def _file(self, rel: str, placeholder: bool = False) -> Response:
        full = safe_file(self.widget_dir, rel)
        if full is None:
            if placeholder:
                return _response(200, "OK", PLACEHOLDER, CONTENT_TYPES[".html"])
            return not_found()
        try:
            body = await asyncio.to_thread(full.read_bytes)
        except OSError:
            return not_found()
        ctype = CONTENT_TYPES.get(full.suffix.lower(), "application/octet-stream")
        return _response(200, "OK", body, ctype)
