"""One websocket connection's outgoing side: a bounded queue drained by a writer task,
so one slow or broken peer never holds up a broadcast to the others."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import msgspec
from websockets.asyncio.connection import Connection
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from app.protocol import CloseCode, encode

log = logging.getLogger("frontline.hub")

FLUSH_TIMEOUT_S = 5.0
WRITE_BATCH = 64  # frames written to the socket together at most
DIRECT_WRITE_MAX = 64 * 1024  # bytes the transport may hold for a frame to skip the queue
SLOW_CLOSE_GRACE_S = 1.0


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


_STOP = object()


class Conn:
    """Outgoing frames of one connection. ``send`` never blocks.

    The queue is bounded by ``max_queue`` frames. Sheddable frames (typing, ephemeral
    presence: ``send(frame, sheddable=True)``) go first: one is dropped when the queue
    is half full, and waiting ones are dropped to make room for a frame that must go.
    When ``max_queue`` frames that must go are waiting, the peer is too slow and is
    closed with 4001; other connections are not affected."""

    def __init__(self, ws: ServerConnection, max_queue: int, label: str) -> None:
        self.ws = ws
        self.label = label
        self.max_queue = max_queue
        self.closing = False
        self.operator_id: int | None = None
        self.role = ""  # the signed-in operator's role (operator, supervisor, admin)
        self.token_sha256: str | None = None
        self.customer_id: int | None = None
        self.device_id = ""
        # customer connections: the conversation they write in (typing indicators)
        self.conversation_id: int | None = None
        # operator connections: the conversation open on screen (collision indicator)
        self.viewing: int | None = None
        self.close_after_result: tuple[int, str] | None = None
        # frames to send right after the result of the command being answered
        self.after_result: list[msgspec.Struct] = []
        self.shed = 0  # sheddable frames dropped so far
        # while not None, frames are held here (see hold/release)
        self._held: list[tuple[msgspec.Struct, bool]] | None = None
        self._queue: deque[tuple[str | _Close | object, bool]] = deque()
        self._sending = False  # the writer task holds frames it is writing
        self._ready = asyncio.Event()
        self._writer = asyncio.create_task(self._write(), name=f"writer {label}")
        self._abort: asyncio.Task[None] | None = None

    @property
    def queued(self) -> int:
        return len(self._queue)

    def hold(self) -> None:
        """Hold every frame sent from now on until :meth:`release` (a customer connection
        is registered for pushes before its state is read, and pushes must not overtake
        the welcome built from that state)."""
        if self._held is None:
            self._held = []

    def release(self, first: msgspec.Struct, drop: Callable[[msgspec.Struct], bool]) -> None:
        """Send ``first``, then the held frames in order, except those ``drop`` rejects
        (already contained in ``first``)."""
        held, self._held = self._held or [], None
        self.send(first)
        for frame, sheddable in held:
            if not drop(frame):
                self.send(frame, sheddable=sheddable)

    def send(self, frame: msgspec.Struct, *, sheddable: bool = False) -> None:
        if self.closing:
            return
        if self._held is not None:
            self._held.append((frame, sheddable))
            return
        self.send_text(encode(frame), sheddable=sheddable)

    def send_text(self, text: str, *, sheddable: bool = False) -> None:
        """``send`` of a frame already encoded (a broadcast encodes it once for all).
        Only operator connections get broadcasts; held (customer) connections use send."""
        if self.closing:
            return
        if sheddable and len(self._queue) * 2 >= self.max_queue:
            self.shed += 1
            return
        if len(self._queue) >= self.max_queue and not self._shed_one():
            log.warning("%s: %d frames waiting, closing slow consumer", self.label, len(self._queue))
            self.closing = True
            self._abort = asyncio.create_task(self._close_now(CloseCode.SLOW_CONSUMER, "slow consumer"))
            return
        if not self._queue and not self._sending and self._write_now(text):
            return
        self._put(text, sheddable)

    def _write_now(self, text: str) -> bool:
        """Hand a frame straight to the socket when nothing waits before it and the
        socket takes data (what ``websockets``' own ``send`` does before it would have to
        wait): no writer-task round trip for the common case. False (nothing done) when
        the frame must queue: the peer's TCP window is full (the transport holds more
        than ``DIRECT_WRITE_MAX`` bytes), the connection is not open, or a test double."""
        ws = self.ws
        if not isinstance(ws, Connection) or ws.protocol.state is not State.OPEN:
            return False
        transport = ws.transport
        if transport.is_closing() or transport.get_write_buffer_size() > DIRECT_WRITE_MAX:
            return False
        ws.protocol.send_text(text.encode())
        ws.send_data()
        return True

    def _shed_one(self) -> bool:
        """Drop the oldest waiting sheddable frame; False if there is none."""
        for i, (_item, sheddable) in enumerate(self._queue):
            if sheddable:
                del self._queue[i]
                self.shed += 1
                return True
        return False

    def _put(self, item: str | _Close | object, sheddable: bool = False) -> None:
        self._queue.append((item, sheddable))
        self._ready.set()

    async def _get(self) -> str | _Close | object:
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()[0]

    def close(self, code: int, reason: str = "") -> None:
        """Close after the frames already queued have been sent."""
        if self.closing:
            return
        self.closing = True
        self._put(_Close(code, reason))

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
                item = await self._get()
                if item is _STOP:
                    return
                if isinstance(item, _Close):
                    await self.ws.close(item.code, item.reason)
                    return
                assert isinstance(item, str)
                texts = [item]
                # what else is queued meanwhile goes out in the same write (frames stay
                # whole and in order; one syscall instead of one per frame), at most
                # WRITE_BATCH frames, so the send queue still bounds what is in flight
                while len(texts) < WRITE_BATCH and self._queue and isinstance(self._queue[0][0], str):
                    texts.append(self._queue.popleft()[0])  # type: ignore[arg-type]
                self._sending = True
                try:
                    await self._send_texts(texts)
                finally:
                    self._sending = False
        except ConnectionClosed:
            return

    async def _send_texts(self, texts: list[str]) -> None:
        """Frame ``texts`` (one websocket message each) and write them to the socket
        together, inside one websockets send context (which checks the state, writes,
        and waits while the peer's TCP window is full). A lone frame takes the public
        ``send``."""
        ws = self.ws
        if len(texts) == 1 or not isinstance(ws, Connection):  # (test doubles: one by one)
            for text in texts:
                await ws.send(text)
            return
        async with ws.send_context():
            for text in texts:
                ws.protocol.send_text(text.encode())
            chunks = ws.protocol.data_to_send()
            if all(chunks):  # no end-of-stream marker among them (closing): one write
                ws.transport.write(b"".join(chunks))
            else:  # pragma: no cover - a close in the middle
                for chunk in chunks:
                    if chunk:
                        ws.transport.write(chunk)
                    elif ws.transport.can_write_eof():
                        ws.transport.write_eof()

    async def finish(self) -> None:
        """Let the writer send what is queued (bounded wait), then stop it."""
        self._put(_STOP)
        try:
            await asyncio.wait_for(asyncio.shield(self._writer), FLUSH_TIMEOUT_S)
        except TimeoutError:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        if self._abort is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._abort
