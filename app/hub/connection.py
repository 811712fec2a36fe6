"""One websocket connection's outgoing side: a bounded queue drained by a writer task,
so one slow or broken peer never holds up a broadcast to the others."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from websockets.asyncio.connection import Connection
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import PerMessageDeflate, ServerPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.typing import Data

from app.protocol import CloseCode
from app.protocol.codec import encode_bytes

log = logging.getLogger("frontline.hub")

FLUSH_TIMEOUT_S = 5.0
WRITE_BATCH = 64  # frames written to the socket together at most
DIRECT_WRITE_MAX = 64 * 1024  # bytes the transport may hold for a frame to skip the queue
SLOW_CLOSE_GRACE_S = 1.0


FAST_INFLIGHT_MAX = 32  # hot commands of one connection in flight at most (then: the reader)


class HubConnection(ServerConnection):
    """A websockets server connection whose complete text messages can be taken, as
    they are parsed, by a synchronous handler (``fast``) instead of the reading task.

    The hub's hot commands (a customer's message, an operator's reply) take this lane:
    no queue, no task wake-up, no coroutine per frame, and several of one connection
    may be in flight at once (an operator answering 50 chats does not wait for each
    reply's commit before the next one is read). Order is kept both ways:

    - a message is offered to ``fast`` only while the reading task has nothing (no
      message waiting for it and none it is still handling: ``slow_open``), so a hot
      command never overtakes an earlier ordinary one;
    - the reading task waits for the connection's hot commands in flight
      (:meth:`Conn.settled`) before it handles an ordinary command, so an ordinary
      command never overtakes an earlier hot one.

    ``fast`` returns False to leave a message to the reading task (not a hot command,
    a bad frame, too many in flight)."""

    fast: Callable[[bytes], bool] | None = None
    slow_open = 0  # messages given to the reading task and not yet handled by it
    _slow_current = False  # the reading task holds (handles) a message now

    def process_event(self, event: Any) -> None:
        if isinstance(event, Frame) and event.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
            if event.fin and self.request is not None:
                fast = self.fast
                if fast is not None and self.slow_open == 0 and event.opcode is Opcode.TEXT:
                    try:
                        if fast(bytes(event.data)):
                            return
                    except Exception:  # a bug in a taker must not break the connection
                        log.exception("%s: the fast lane failed; the reading task takes the frame", self.id)
                self.slow_open += 1
        super().process_event(event)

    async def recv(self, decode: bool | None = None) -> Data:  # type: ignore[override]
        # asking for the next message means the reading task is done with the last one
        if self._slow_current:
            self._slow_current = False
            self.slow_open -= 1
        message = await super().recv(decode)
        self._slow_current = True
        return message


COMPRESS_MIN_BYTES = 1024  # messages shorter than this go uncompressed (see SmallFramesPlain)


class SmallFramesPlain(PerMessageDeflate):
    """permessage-deflate that sends short messages uncompressed.

    RFC 7692 lets a sender choose per message (a message without the RSV1 bit is not
    compressed, and leaves the compression context alone); every conforming client —
    browsers, websockets, Qt — reads both. Deflating a 300-700-byte chat event costs more
    CPU than it saves bytes worth having (a few hundred bytes on a connection that is
    already open), and it was the largest single item of the hub's event loop under
    load (docs/performance.md); large frames (a sync page, a history page, a KB article)
    are still compressed. Node's ``ws`` server draws the same line by default (its
    ``threshold``, 1024 bytes)."""

    def __init__(self, *args: Any, min_bytes: int = COMPRESS_MIN_BYTES, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.min_bytes = min_bytes

    def encode(self, frame: Frame) -> Frame:
        if frame.fin and frame.opcode is not Opcode.CONT and len(frame.data) < self.min_bytes:
            return frame  # (control frames are short too: never compressed anyway)
        return super().encode(frame)


class SmallFramesPlainFactory(ServerPerMessageDeflateFactory):
    """websockets' server permessage-deflate with its default parameters (12-bit
    windows, memLevel 5), making :class:`SmallFramesPlain` extensions."""

    def __init__(self, min_bytes: int = COMPRESS_MIN_BYTES) -> None:
        super().__init__(server_max_window_bits=12, client_max_window_bits=12, compress_settings={"memLevel": 5})
        self.min_bytes = min_bytes

    def process_request_params(self, params: Any, accepted_extensions: Any) -> tuple[Any, PerMessageDeflate]:
        response, ext = super().process_request_params(params, accepted_extensions)
        assert isinstance(ext, PerMessageDeflate)
        plain = SmallFramesPlain(
            ext.remote_no_context_takeover,
            ext.local_no_context_takeover,
            ext.remote_max_window_bits,
            ext.local_max_window_bits,
            self.compress_settings,
            min_bytes=self.min_bytes,
        )
        return response, plain


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
        self._queue: deque[tuple[bytes | _Close | object, bool]] = deque()
        self._sending = False  # the writer task holds frames it is writing
        self._flush_due = False  # frames framed by _write_now wait for the end of the loop turn
        self.fast_inflight = 0  # hot commands taken by the fast lane and not yet answered
        self._settled: asyncio.Future[None] | None = None
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
        self.send_text(encode_bytes(frame), sheddable=sheddable)

    def send_text(self, text: bytes, *, sheddable: bool = False) -> None:
        """``send`` of a frame already encoded as UTF-8 JSON (a broadcast encodes it once
        for all). Only operator connections get broadcasts; held (customer) connections
        use send."""
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

    def _write_now(self, text: bytes) -> bool:
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
        ws.protocol.send_text(text)
        if not self._flush_due:  # written once at the end of this loop turn, with the
            self._flush_due = True  # other frames for this peer framed meanwhile
            ws.loop.call_soon(self._flush)
        return True

    def _flush(self) -> None:
        """Write what ``_write_now`` framed in this loop turn: one write for all of it."""
        self._flush_due = False
        ws = self.ws
        assert isinstance(ws, Connection)
        chunks = ws.protocol.data_to_send()
        if chunks and not ws.transport.is_closing():
            _write_chunks(ws, chunks)

    # ---------------------------------------------------------------- the fast lane

    def fast_begin(self) -> None:
        self.fast_inflight += 1

    def fast_end(self) -> None:
        self.fast_inflight -= 1
        if not self.fast_inflight and self._settled is not None:
            settled, self._settled = self._settled, None
            if not settled.done():
                settled.set_result(None)

    async def settled(self) -> None:
        """Wait until this connection's hot commands in flight are answered."""
        if self.fast_inflight:
            if self._settled is None:
                self._settled = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._settled)

    def _shed_one(self) -> bool:
        """Drop the oldest waiting sheddable frame; False if there is none."""
        for i, (_item, sheddable) in enumerate(self._queue):
            if sheddable:
                del self._queue[i]
                self.shed += 1
                return True
        return False

    def _put(self, item: bytes | _Close | object, sheddable: bool = False) -> None:
        self._queue.append((item, sheddable))
        self._ready.set()

    async def _get(self) -> bytes | _Close | object:
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
                assert isinstance(item, bytes)
                texts = [item]
                # what else is queued meanwhile goes out in the same write (frames stay
                # whole and in order; one syscall instead of one per frame), at most
                # WRITE_BATCH frames, so the send queue still bounds what is in flight
                while len(texts) < WRITE_BATCH and self._queue and isinstance(self._queue[0][0], bytes):
                    texts.append(self._queue.popleft()[0])  # type: ignore[arg-type]
                self._sending = True
                try:
                    await self._send_texts(texts)
                finally:
                    self._sending = False
        except ConnectionClosed:
            return

    async def _send_texts(self, texts: list[bytes]) -> None:
        """Frame ``texts`` (one websocket text message each) and write them to the
        socket together, inside one websockets send context (which checks the state,
        writes, and waits while the peer's TCP window is full)."""
        ws = self.ws
        if not isinstance(ws, Connection):  # (test doubles: one by one, as text)
            for text in texts:
                await ws.send(text.decode())
            return
        async with ws.send_context():
            for text in texts:
                ws.protocol.send_text(text)
            _write_chunks(ws, ws.protocol.data_to_send())

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


def _write_chunks(ws: Connection, chunks: list[bytes]) -> None:
    """Write a protocol's outgoing data: one write, unless an end-of-stream marker (an
    empty chunk: the connection is closing) is among it."""
    if all(chunks):
        ws.transport.write(chunks[0] if len(chunks) == 1 else b"".join(chunks))
        return
    for chunk in chunks:  # pragma: no cover - a close in the middle
        if chunk:
            ws.transport.write(chunk)
        elif ws.transport.can_write_eof():
            ws.transport.write_eof()
