"""The hub's webhook listener: plain HTTP/1.1 for the channels' services to POST to.

It is a port of its own (``frontline-hub serve --webhook-port``), not the websocket port:
the websockets server reads request heads only and refuses any request with a body. A
TLS-terminating reverse proxy forwards ``https://hub.example.com/channels/`` to it
(docs/admin.md). Routes:

- ``POST /channels/<name>/<secret path>`` → that channel's adapter (404 for any other
  path, so the URL itself is a secret); ``GET`` too, with the query string, for a
  service's verification handshake (WhatsApp: ``/channels/whatsapp/webhook``, whose
  requests are signed instead);
- ``GET /healthz`` → ``{"ok": true, "channels": {"telegram": "up"}}``.

Requests are bounded (head 16 KiB, body 1 MiB, 30 s to send one), answered with a small
JSON body, keep-alive is honoured. A request that breaks the rules gets its 4xx and a
close; nothing a peer sends can stop the listener or disturb another connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from app.hub.channels.base import WebhookRequest, WebhookResponse

log = logging.getLogger("frontline.hub.webhooks")

MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024
REQUEST_TIMEOUT_S = 30.0
IDLE_TIMEOUT_S = 60.0

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
}

Dispatch = Callable[[str, str, WebhookRequest], Awaitable[WebhookResponse]]


class _BadRequest(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class WebhookServer:
    def __init__(
        self, dispatch: Dispatch, states: Callable[[], dict[str, str]], host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self._dispatch = dispatch
        self._states = states
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=MAX_HEAD_BYTES)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._conns):
                task.cancel()
            for task in list(self._conns):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            while True:
                try:
                    async with asyncio.timeout(IDLE_TIMEOUT_S):
                        first = await reader.readuntil(b"\r\n")
                except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                    return
                except asyncio.LimitOverrunError:
                    await self._write(writer, WebhookResponse(431, {"ok": False}), close=True)
                    return
                try:
                    async with asyncio.timeout(REQUEST_TIMEOUT_S):
                        method, target, headers, body = await self._read_request(first, reader)
                except TimeoutError:
                    await self._write(writer, WebhookResponse(408, {"ok": False}), close=True)
                    return
                except _BadRequest as exc:
                    log.info("webhook listener: bad request refused (%d %s)", exc.status, exc.text)
                    await self._write(
                        writer, WebhookResponse(exc.status, {"ok": False, "description": exc.text}), close=True
                    )
                    return
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                response = await self._route(method, target, headers, body)
                close = headers.get("connection", "").lower() == "close"
                await self._write(writer, response, close=close)
                if close:
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook listener: connection failed")
        finally:
            self._conns.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _read_request(
        self, first: bytes, reader: asyncio.StreamReader
    ) -> tuple[str, str, dict[str, str], bytes]:
        try:
            line = first.decode("ascii").rstrip("\r\n")
        except UnicodeDecodeError:
            raise _BadRequest(400, "the request line is not ASCII") from None
        parts = line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(400, "not an HTTP/1.x request line")
        method, target = parts[0], parts[1]
        headers: dict[str, str] = {}
        size = len(first)
        while True:
            try:
                raw = await reader.readuntil(b"\r\n")
            except asyncio.LimitOverrunError:
                raise _BadRequest(431, "a header line is too long") from None
            size += len(raw)
            if size > MAX_HEAD_BYTES:
                raise _BadRequest(431, "the request head is too large")
            text = raw.decode("latin-1").rstrip("\r\n")
            if not text:
                break
            name, sep, value = text.partition(":")
            if not sep or not name.strip():
                raise _BadRequest(400, "a malformed header line")
            headers[name.strip().lower()] = value.strip()
        if "transfer-encoding" in headers:
            raise _BadRequest(501, "send the body with Content-Length")
        body = b""
        if method in ("POST", "PUT"):
            if "content-length" not in headers:
                raise _BadRequest(411, "Content-Length is required")
        if "content-length" in headers:
            value = headers["content-length"]
            if not value.isdigit():
                raise _BadRequest(400, "Content-Length is not a number")
            length = int(value)
            if length > MAX_BODY_BYTES:
                raise _BadRequest(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
            body = await reader.readexactly(length)
        return method, target, headers, body

    async def _route(self, method: str, target: str, headers: dict[str, str], body: bytes) -> WebhookResponse:
        path = urlsplit(target).path
        if path == "/healthz":
            if method != "GET":
                return WebhookResponse(405, {"ok": False})
            return WebhookResponse(200, {"ok": True, "channels": self._states()})
        pieces = path.split("/")
        # "", "channels", name, segment
        if len(pieces) != 4 or pieces[1] != "channels" or not pieces[2] or not pieces[3]:
            return WebhookResponse(404, {"ok": False, "description": "not found"})
        name, segment = unquote(pieces[2]), unquote(pieces[3])
        query = dict(parse_qsl(urlsplit(target).query, keep_blank_values=True))
        try:
            return await self._dispatch(name, segment, WebhookRequest(method, segment, headers, body, query))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook for channel %s failed", name)
            return WebhookResponse(500, {"ok": False, "description": "internal error"})

    async def _write(self, writer: asyncio.StreamWriter, response: WebhookResponse, close: bool) -> None:
        if response.text is not None:
            body, ctype = response.text.encode(), "text/plain; charset=utf-8"
        else:
            body, ctype = json.dumps(response.body).encode(), "application/json"
        head = (
            f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'Error')}\r\n"
            f"Content-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
        ).encode("ascii")
        with contextlib.suppress(ConnectionError):
            writer.write(head + body)
            await writer.drain()
