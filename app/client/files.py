"""Attachments on the operator side (no Qt): upload a file to the hub in chunks, send a
reply with files, fetch a file's bytes through a signed URL. ``OperatorSession.files``.

A reply with files goes straight to the hub, not through the durable outbox: its files
live on the hub already, and a reply that could not be sent says so at once and stays in
the composer (text and files), as internal notes do. Fetched bytes are kept in memory
(least recently used go first, ``CACHE_BYTES`` in all) and never written to disk.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import msgspec

from app.client.connection import CommandFailed, ConnectionLost, new_txn_id
from app.domain.files import DEFAULT_MAX_BYTES, human_size
from app.protocol.messages import (
    AttachmentInfo,
    FileUploadBegin,
    FileUploadCancel,
    FileUploadChunk,
    FileUploadEnd,
    FileUrls,
    MessageInfo,
    SendMessage,
)

if TYPE_CHECKING:
    from app.client.session import OperatorSession

CACHE_BYTES = 64 * 1024 * 1024
RESUME_WAIT_S = 60.0  # an upload cut by a lost link waits this long for the link to come back
RESUME_TRIES = 5
FETCH_TIMEOUT_S = 30.0


class UploadCancelled(Exception):
    """The operator cancelled the upload."""


class _Begun(msgspec.Struct):
    upload_id: str
    offset: int = 0
    chunk_bytes: int = 64 * 1024


class _Ended(msgspec.Struct):
    file: AttachmentInfo


class _Urls(msgspec.Struct):
    urls: dict[str, str] = {}


class _Sent(msgspec.Struct):
    message: MessageInfo


def http_base(hub_url: str) -> str:
    """The hub's HTTP address from its websocket address (ws → http, wss → https)."""
    parts = urlsplit(hub_url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, "", "", ""))


class FileClient:
    def __init__(self, session: OperatorSession) -> None:
        self._session = session
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._cached_bytes = 0
        self.max_bytes = DEFAULT_MAX_BYTES  # checked before a byte is sent; the hub checks again

    async def _call(self, command: Any) -> dict[str, Any]:
        conn = self._session._conn
        if conn is None or not conn.is_open:
            raise ConnectionLost(None)
        result: dict[str, Any] = await conn.request(command)
        return result

    async def upload(
        self,
        data: bytes,
        name: str,
        mime: str = "",
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> AttachmentInfo:
        """Upload ``data`` (begin, chunks, end); CommandFailed with the hub's reason
        (file_too_big, file_type_not_allowed, file_broken), UploadCancelled, or
        ConnectionLost."""
        if len(data) > self.max_bytes:
            raise CommandFailed(
                "file_too_big",
                f"the file is too big: {human_size(len(data))}, the limit is {human_size(self.max_bytes)}",
            )
        begin = FileUploadBegin(txn_id=new_txn_id(), name=name, size=len(data), mime=mime)
        begun = msgspec.convert(await self._call(begin), _Begun)
        offset = begun.offset
        cuts = 0
        while True:
            try:
                while offset < len(data):
                    if cancelled is not None and cancelled():
                        raise UploadCancelled()
                    piece = data[offset : offset + begun.chunk_bytes]
                    answer = await self._call(
                        FileUploadChunk(
                            txn_id=new_txn_id(),
                            upload_id=begun.upload_id,
                            offset=offset,
                            data=base64.b64encode(piece).decode(),
                        )
                    )
                    offset = int(answer["offset"])
                    if progress is not None:
                        progress(offset, len(data))
                if cancelled is not None and cancelled():
                    raise UploadCancelled()
                ended = await self._call(FileUploadEnd(txn_id=new_txn_id(), upload_id=begun.upload_id))
                break
            except UploadCancelled:
                with contextlib.suppress(CommandFailed, ConnectionLost):
                    await self._call(FileUploadCancel(txn_id=new_txn_id(), upload_id=begun.upload_id))
                raise
            except ConnectionLost:
                # the link was cut: once the session is back, the same upload goes on where
                # the hub has it (file_upload_begin with the same txn_id answers the offset)
                cuts += 1
                if cuts > RESUME_TRIES or not await self._wait_online(cancelled):
                    raise
                begun = msgspec.convert(await self._call(begin), _Begun)
                offset = begun.offset
        info = msgspec.convert(ended, _Ended).file
        self._remember(info.id, data)  # the operator's own file shows without a download
        return info

    async def _wait_online(self, cancelled: Callable[[], bool] | None) -> bool:
        """Wait (at most ``RESUME_WAIT_S``) until the session is online again."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RESUME_WAIT_S
        while loop.time() < deadline:
            if cancelled is not None and cancelled():
                raise UploadCancelled()
            if self._session.link.state == "ended":
                return False
            conn = self._session._conn
            if self._session.link.state == "online" and conn is not None and conn.is_open:
                return True
            await asyncio.sleep(0.1)
        return False

    async def send(self, conversation_id: int, text: str, file_ids: list[int]) -> MessageInfo:
        """A reply with files, straight to the hub (see the module's docstring)."""
        command = SendMessage(
            txn_id=new_txn_id(), conversation_id=conversation_id, text=text.strip(), attachments=file_ids
        )
        sent = msgspec.convert(await self._call(command), _Sent)
        self._session._on_message(sent.message)
        return sent.message

    def cached(self, file_id: int) -> bytes | None:
        data = self._cache.get(file_id)
        if data is not None:
            self._cache.move_to_end(file_id)
        return data

    async def fetch(self, file_id: int) -> bytes:
        """A file's bytes: from memory, else a signed URL from the hub and an HTTP GET
        (on a worker thread, never blocking the loop). CommandFailed("not_found") when
        the hub gives no URL for it."""
        data = self.cached(file_id)
        if data is not None:
            return data
        urls = msgspec.convert(await self._call(FileUrls(txn_id=new_txn_id(), file_ids=[file_id])), _Urls).urls
        path = urls.get(str(file_id))
        if path is None:
            raise CommandFailed("not_found", "the hub has no such file for this operator")
        url = http_base(self._session.hub_url) + path
        data = await asyncio.get_running_loop().run_in_executor(None, _get, url)
        self._remember(file_id, data)
        return data

    def _remember(self, file_id: int, data: bytes) -> None:
        if file_id in self._cache:
            return
        self._cache[file_id] = data
        self._cached_bytes += len(data)
        while self._cached_bytes > CACHE_BYTES and len(self._cache) > 1:
            _fid, old = self._cache.popitem(last=False)
            self._cached_bytes -= len(old)

    def forget(self) -> None:
        """Sign-out: nothing of it stays in memory."""
        self._cache.clear()
        self._cached_bytes = 0


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as resp:  # noqa: S310 - the hub's own http(s) URL
            data: bytes = resp.read(DEFAULT_MAX_BYTES * 4 + 1)
            return data
    except urllib.error.HTTPError as exc:
        raise CommandFailed("not_found", f"the hub answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise CommandFailed("unreachable", f"the file could not be fetched: {exc}") from None
