"""Attachments on the hub: uploads over the websocket in chunks (resumable, bounded
memory), signed download URLs, and the ``GET /files/<id>`` answer of the HTTP handler.
docs/protocol.md "Files" is the contract; docs/architecture.md "Files" says why.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from websockets.datastructures import Headers
from websockets.http11 import Response

from app.domain.errors import DomainError, InvalidValue, NotFound
from app.domain.files import FileRejected, check_head
from app.protocol import ErrorCode
from app.protocol.messages import AttachmentInfo
from app.storage.files import FileStore

log = logging.getLogger("frontline.hub.files")

CHUNK_BYTES = 64 * 1024  # raw bytes per chunk: base64 ~87 KiB, under the 128 KiB frame limit
UPLOADS_PER_OWNER = 4  # unfinished uploads one operator or visitor may hold at once
UPLOAD_IDLE_S = 3600.0  # an upload nobody touched this long is dropped (its bytes deleted)
URL_TTL_S = 3600  # download URLs are valid this long

Owner = tuple[str, int]  # ("op", operator id) | ("cust", customer id)


class UploadOffset(DomainError):
    code = ErrorCode.UPLOAD_OFFSET


@dataclass
class Upload:
    id: str
    owner: Owner
    txn_id: str
    name: str
    size: int
    mime: str
    spool: Path
    received: int = 0
    touched: float = field(default_factory=time.monotonic)
    result: AttachmentInfo | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


DbCall = Callable[..., Awaitable[Any]]


class Uploads:
    """Unfinished uploads, kept by owner (not by connection: a visitor or operator whose
    link was cut resumes with ``file_upload_begin`` and the same txn_id). The bytes go
    to a spool file chunk by chunk (one chunk in memory at a time); the hub keeps no
    upload across a restart (the client starts again)."""

    def __init__(self, files: FileStore, db: DbCall) -> None:
        self.files = files
        self._db = db
        self._by_id: dict[str, Upload] = {}
        self._by_txn: dict[tuple[Owner, str], Upload] = {}

    def _get(self, owner: Owner, upload_id: str) -> Upload:
        up = self._by_id.get(upload_id)
        if up is None or up.owner != owner:
            raise NotFound(f"no upload {upload_id[:40]} (it expired or the hub restarted): start it again")
        up.touched = time.monotonic()
        return up

    def _drop(self, up: Upload) -> None:
        self._by_id.pop(up.id, None)
        self._by_txn.pop((up.owner, up.txn_id), None)
        up.spool.unlink(missing_ok=True)

    async def begin(self, owner: Owner, txn_id: str, name: str, size: int, mime: str) -> dict[str, Any]:
        up = self._by_txn.get((owner, txn_id))
        if up is None:
            self.files.policy.check_size(size)
            mine = [u for u in self._by_id.values() if u.owner == owner and u.result is None]
            if len(mine) >= UPLOADS_PER_OWNER:
                raise FileRejected(
                    ErrorCode.CONFLICT, f"at most {UPLOADS_PER_OWNER} uploads at once: wait for one to finish"
                )
            spool = self.files.new_spool()
            await asyncio.to_thread(_create, spool)
            up = Upload(secrets.token_urlsafe(16), owner, txn_id, name[:255], size, mime[:128], spool)
            self._by_id[up.id] = up
            self._by_txn[(owner, txn_id)] = up
        up.touched = time.monotonic()
        return {"upload_id": up.id, "offset": up.received, "chunk_bytes": CHUNK_BYTES}

    async def chunk(self, owner: Owner, upload_id: str, offset: int, data_b64: str) -> dict[str, Any]:
        up = self._get(owner, upload_id)
        try:
            data = base64.b64decode(data_b64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidValue("the chunk's data is not base64") from None
        if len(data) > CHUNK_BYTES:
            raise InvalidValue(f"a chunk holds at most {CHUNK_BYTES} bytes")
        async with up.lock:
            if up.result is not None:
                return {"offset": up.received}
            if offset < up.received and offset + len(data) <= up.received:
                return {"offset": up.received}  # a retry of a chunk the hub has
            if offset != up.received:
                raise UploadOffset(f"the hub has {up.received} bytes of this upload: send from offset {up.received}")
            if up.received + len(data) > up.size:
                self._drop(up)
                raise FileRejected(ErrorCode.FILE_TOO_BIG, f"more bytes than the {up.size} announced")
            if offset == 0:
                try:
                    check_head(data[:64], up.name, up.mime, self.files.policy)
                except FileRejected as exc:
                    log.info("upload refused (%s): %s", up.owner[0], exc.text)
                    self._drop(up)
                    raise
            await asyncio.to_thread(_append, up.spool, data)
            up.received += len(data)
            up.touched = time.monotonic()
            return {"offset": up.received}

    async def end(self, owner: Owner, upload_id: str) -> AttachmentInfo:
        up = self._get(owner, upload_id)
        async with up.lock:
            if up.result is not None:
                return up.result
            if up.received != up.size:
                raise UploadOffset(f"the hub has {up.received} of {up.size} bytes: send from offset {up.received}")
            try:
                kept = await asyncio.to_thread(self.files.keep_spooled, up.spool, up.name, up.mime)
            except FileRejected as exc:
                log.info("upload refused (%s, %d bytes): %s", up.owner[0], up.size, exc.text)
                self._drop(up)
                raise
            kind, who = owner
            info: AttachmentInfo = await self._db(
                self.files.add,
                kept,
                operator_id=who if kind == "op" else None,
                customer_id=who if kind == "cust" else None,
            )
            up.result = info
            up.spool.unlink(missing_ok=True)
            log.info("file %d kept: %s, %d bytes (%s)", info.id, info.mime, info.size, kind)
            return info

    def cancel(self, owner: Owner, upload_id: str) -> None:
        up = self._by_id.get(upload_id)
        if up is not None and up.owner == owner:
            self._drop(up)

    def expire(self, now: float | None = None) -> int:
        """Drop uploads idle for ``UPLOAD_IDLE_S`` (done ones are kept as long, so a
        retried ``file_upload_end`` answers the same file)."""
        now = time.monotonic() if now is None else now
        old = [u for u in self._by_id.values() if now - u.touched > UPLOAD_IDLE_S]
        for up in old:
            self._drop(up)
        return len(old)


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def _append(path: Path, data: bytes) -> None:
    with path.open("ab") as f:
        f.write(data)


# --------------------------------------------------------------------------- signed URLs


def sign(secret: bytes, file_id: int, expires: int) -> str:
    mac = hmac.new(secret, f"file:{file_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def signed_path(secret: bytes, file_id: int, ttl_s: int = URL_TTL_S, now: float | None = None) -> tuple[str, int]:
    expires = int((time.time() if now is None else now) + ttl_s)
    return f"/files/{file_id}?exp={expires}&sig={sign(secret, file_id, expires)}", expires


def check_signature(secret: bytes, file_id: int, query: str, now: float | None = None) -> str | None:
    """None when the URL is good, else why not (``expired``, ``bad signature``)."""
    q = parse_qs(query)
    exp_s, sig = (q.get("exp") or [""])[0], (q.get("sig") or [""])[0]
    if not exp_s.isdigit() or not sig:
        return "bad signature"
    if not hmac.compare_digest(sig.encode(), sign(secret, file_id, int(exp_s)).encode()):
        return "bad signature"
    if int(exp_s) < (time.time() if now is None else now):
        return "expired"
    return None


def _plain(status: int, reason: str, text: str) -> Response:
    body = (text + "\n").encode()
    headers = Headers(
        [
            ("Date", formatdate(usegmt=True)),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Connection", "close"),
        ]
    )
    return Response(status, reason, headers, body)


class FileRoute:
    """``GET /files/<id>?exp=…&sig=…``: the bytes of a hub file, for a URL the hub signed
    (``file_urls``) and that has not expired. No session token in the URL: the signature
    is the permission, given only to those who may read the file, for a short time."""

    def __init__(self, files: FileStore, secret: bytes, db: DbCall) -> None:
        self.files = files
        self.secret = secret
        self._db = db

    async def __call__(self, path: str, query: str) -> Response:
        raw = path[len("/files/") :]
        if not raw.isdigit() or len(raw) > 18:
            return _plain(404, "Not Found", "no such file")
        file_id = int(raw)
        why = check_signature(self.secret, file_id, query)
        if why is not None:
            return _plain(403, "Forbidden", f"this link is {why}: ask the hub for a new one")
        rec = await self._db(self.files.get, file_id)
        if rec is None:
            return _plain(404, "Not Found", "no such file")
        try:
            body = await asyncio.to_thread(rec.path.read_bytes)
        except OSError:
            log.error("file %d: its bytes are missing from the files directory (%s)", file_id, rec.sha256)
            return _plain(404, "Not Found", "the file's bytes are missing on the hub")
        info = rec.info
        disposition = "inline" if info.mime.startswith("image/") else "attachment"
        headers = Headers(
            [
                ("Date", formatdate(usegmt=True)),
                ("Content-Type", info.mime),
                ("Content-Length", str(len(body))),
                ("Content-Disposition", f"{disposition}; filename*=UTF-8''{quote(info.name, safe='')}"),
                # the content never changes (content-addressed), the URL expires
                ("Cache-Control", "private, max-age=3600, immutable"),
                ("ETag", f'"{rec.sha256}"'),
                ("X-Content-Type-Options", "nosniff"),
                ("Content-Security-Policy", "default-src 'none'; img-src 'self'; sandbox"),
                ("Cross-Origin-Resource-Policy", "same-site"),
                ("Connection", "close"),
            ]
        )
        return Response(200, "OK", headers, body)
