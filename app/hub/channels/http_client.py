"""A small HTTP/1.1 client on asyncio streams for the channels' JSON APIs.

The hub has no HTTP client library (aiohttp and httpx are not dependencies), and a
channel's calls must be cancellable (a long poll is cut at once when the hub stops), which
a blocking ``urllib`` call in a thread is not. One request per connection
(``Connection: close``): channel traffic is light, and nothing stale is ever reused.

Errors never carry the URL: a Bot API URL holds the bot token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MAX_RESPONSE_BYTES = 8 * 1024 * 1024
MAX_HEADER_LINES = 100
USER_AGENT = "frontline-hub/0.1"


class HttpFailure(Exception):
    """The request did not get an HTTP response (refused, reset, timed out, not HTTP).
    The text names what happened, never the URL."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON; ValueError if it is not."""
        return json.loads(self.body.decode("utf-8"))


_ssl_context: ssl.SSLContext | None = None


def _tls() -> ssl.SSLContext:
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = ssl.create_default_context()
    return _ssl_context


async def post_json(
    url: str, payload: dict[str, Any], timeout: float, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """POST ``payload`` as JSON; the response (any status). :class:`HttpFailure` when there
    is none within ``timeout`` seconds (connect, send and receive together). ``headers``:
    extra request headers (WhatsApp's ``Authorization: Bearer``; never logged)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return await request("POST", url, body, timeout, headers)


async def get_json(url: str, timeout: float, headers: Mapping[str, str] | None = None) -> HttpResponse:
    """GET ``url``; the response (any status), as :func:`post_json`."""
    return await request("GET", url, None, timeout, headers)


@dataclass(frozen=True)
class FormFile:
    """A file part of a multipart/form-data request."""

    field: str
    name: str
    mime: str
    data: bytes


def multipart(fields: dict[str, str], files: list[FormFile]) -> tuple[bytes, str]:
    """A multipart/form-data body (RFC 7578) and its Content-Type."""
    boundary = "frontline-" + secrets.token_hex(16)
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for f in files:
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(f.field)}"; '
            f'filename="{_quote(f.name)}"\r\nContent-Type: {f.mime}\r\n\r\n'
        ).encode()
        out += f.data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", " ").replace("\n", " ")


async def post_multipart(
    url: str,
    fields: dict[str, str],
    files: list[FormFile],
    timeout: float,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """POST a multipart/form-data upload (Bot API sendPhoto / sendDocument with a file,
    WhatsApp's ``/media``)."""
    body, ctype = multipart(fields, files)
    return await request("POST", url, body, timeout, headers, content_type=ctype)


async def get(
    url: str, timeout: float, max_bytes: int = MAX_RESPONSE_BYTES, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """GET a file; :class:`ResponseTooLarge` when the body is over ``max_bytes``."""
    return await request("GET", url, None, timeout, headers, max_bytes=max_bytes)


class ResponseTooLarge(HttpFailure):
    """The answer is larger than the caller takes (its announced length, or what came)."""

    def __init__(self, size: int | None) -> None:
        super().__init__("the answer is too large")
        self.size = size


async def request(
    method: str,
    url: str,
    body: bytes | None,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    *,
    content_type: str = "application/json",
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> HttpResponse:
    """One HTTP/1.1 request (a body of ``content_type`` when ``body`` is given); the
    response (any status). :class:`HttpFailure` when there is none within ``timeout``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpFailure("the API address must be an http:// or https:// URL")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" if parts.port is None else f"[{host}]:{parts.port}"
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    content = f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n" if body is not None else ""
    head = (
        f"{method} {target} HTTP/1.1\r\n"
        f"Host: {host_header}\r\n"
        f"User-Agent: {USER_AGENT}\r\n"
        "Accept: application/json\r\n"
        f"{content}{extra}"
        "Connection: close\r\n\r\n"
    ).encode("latin-1")
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                host,
                port,
                ssl=_tls() if parts.scheme == "https" else None,
                server_hostname=host if parts.scheme == "https" else None,
                limit=64 * 1024,
            )
            writer.write(head + (body or b""))
            await writer.drain()
            return await _read_response(reader, max_bytes)
    except TimeoutError:
        raise HttpFailure(f"no answer within {timeout:g} s") from None
    except ssl.SSLError as exc:
        raise HttpFailure(f"TLS error: {exc.reason or type(exc).__name__}") from None
    except _TooLarge as exc:
        raise ResponseTooLarge(exc.size) from None
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
        raise HttpFailure(_describe(exc)) from None
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)


class _TooLarge(Exception):
    def __init__(self, size: int | None) -> None:
        self.size = size


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, asyncio.IncompleteReadError):
        return "the connection closed before the answer was complete"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


async def _read_response(reader: asyncio.StreamReader, max_bytes: int = MAX_RESPONSE_BYTES) -> HttpResponse:
    status_line = (await reader.readuntil(b"\r\n")).decode("latin-1").rstrip("\r\n")
    pieces = status_line.split(" ", 2)
    if len(pieces) < 2 or not pieces[0].startswith("HTTP/1.") or not pieces[1].isdigit():
        raise ValueError("the answer is not HTTP")
    status = int(pieces[1])
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_LINES + 1):
        line = (await reader.readuntil(b"\r\n")).decode("latin-1").rstrip("\r\n")
        if not line:
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    else:
        raise ValueError("too many header lines in the answer")
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader, max_bytes)
    elif "content-length" in headers:
        length = int(headers["content-length"])
        if length < 0:
            raise ValueError("a negative Content-Length")
        if length > max_bytes:
            raise _TooLarge(length)
        body = await reader.readexactly(length)
    else:
        body = await reader.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise _TooLarge(None)
    return HttpResponse(status, headers, body)


async def _read_chunked(reader: asyncio.StreamReader, max_bytes: int) -> bytes:
    body = bytearray()
    while True:
        size_line = (await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip()
        size = int(size_line, 16)
        if size == 0:
            # trailers, then the empty line
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return bytes(body)
        if len(body) + size > max_bytes:
            raise _TooLarge(None)
        body += await reader.readexactly(size)
        await reader.readexactly(2)
