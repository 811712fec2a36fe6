"""One websocket connection's outgoing side: a bounded queue drained by a writer task,
so one slow or broken peer never holds up a broadcast to the others."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import msgspec
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from app.protocol import CloseCode, encode

log = logging.getLogger("frontline.hub")

FLUSH_TIMEOUT_S = 5.0
SLOW_CLOSE_GRACE_S = 1.0


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


_STOP = object()


class Conn:
    """Outgoing frames of one connection. ``send`` never blocks; when more than
    ``max_queue`` frames wait, the peer is too slow and is closed with 4001."""

    def __init__(self, ws: ServerConnection, max_queue: int, label: str) -> None:
        self.ws = ws
        self.label = label
        self.max_queue = max_queue
        self.closing = False
        self.operator_id: int | None = None
        self.token_sha256: str | None = None
        self.customer_id: int | None = None
        self.device_id = ""
        # customer connections: the conversation they write in (typing indicators)
        self.conversation_id: int | None = None
        # operator connections: the conversation open on screen (collision indicator)
        self.viewing: int | None = None
        self.close_after_result: tuple[int, str] | None = None
        self._queue: asyncio.Queue[str | _Close | object] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write(), name=f"writer {label}")
        self._abort: asyncio.Task[None] | None = None

    def send(self, frame: msgspec.Struct, sheddable: bool = False) -> None:
        """Queue a frame. ``sheddable`` frames (typing, viewing: ephemeral, no seq) are
        dropped instead when the queue is already half full, so they never push a
        connection towards the slow-consumer close."""
        if self.closing:
            return
        if sheddable and self._queue.qsize() >= self.max_queue // 2:
            return
        if self._queue.qsize() >= self.max_queue:
            log.warning("%s: %d frames waiting, closing slow consumer", self.label, self._queue.qsize())
            self.closing = True
            self._abort = asyncio.create_task(self._close_now(CloseCode.SLOW_CONSUMER, "slow consumer"))
            return
        self._queue.put_nowait(encode(frame))

    def close(self, code: int, reason: str = "") -> None:
        """Close after the frames already queued have been sent."""
        if self.closing:
            return
        self.closing = True
        self._queue.put_nowait(_Close(code, reason))

    async def _close_now(self, code: int, reason: str) -> None:
        """Close a peer that does not read: it will not read the close frame either,
        so after a short grace period the TCP connection is simply dropped."""
        try:
            async with asyncio.timeout(SLOW_CLOSE_GRACE_S):
                await self.ws.close(code, reason)
        except ConnectionClosed:
            pass
        except TimeoutError:
            self.ws.transport.abort()

    async def _write(self) -> None:
        try:
            while True:
                item = await self._queue.get()
                if item is _STOP:
                    return
                if isinstance(item, _Close):
                    await self.ws.close(item.code, item.reason)
                    return
                assert isinstance(item, str)
                await self.ws.send(item)
        except ConnectionClosed:
            return

    async def finish(self) -> None:
        """Let the writer send what is queued (bounded wait), then stop it."""
        self._queue.put_nowait(_STOP)
        try:
            await asyncio.wait_for(asyncio.shield(self._writer), FLUSH_TIMEOUT_S)
        except TimeoutError:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        if self._abort is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._abort
