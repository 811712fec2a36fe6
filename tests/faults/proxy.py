"""A TCP proxy for fault tests: client ⇄ proxy (127.0.0.1, port 0) ⇄ upstream (the hub).

Controls act on the connections open at the moment of the call; connections made later
are forwarded normally (a client that reconnects gets a working link):

- ``cut()``        close both sides of every connection now (the peers see EOF/reset);
- ``stall(d)``     stop forwarding in direction ``"up"`` (client → hub), ``"down"``
                   (hub → client) or ``"both"``; sockets stay open, bytes wait in the
                   kernel buffers and go on after ``resume()``;
- ``half_open()``  silently drop the client side: stop reading and writing it, no FIN, no
                   RST, the socket stays open (what a dead Wi-Fi or a crashed NAT looks
                   like to the client). The hub side stops too. Only keepalive pings can
                   notice it;
- ``resume()``     forward again on stalled connections (half-open ones stay dead).

``stop()`` closes everything, including the half-open sockets it was keeping.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

CHUNK = 65536
DIRECTIONS = ("up", "down", "both")


@dataclass
class _Pipe:
    """One client connection and its upstream connection."""

    n: int
    client_r: asyncio.StreamReader
    client_w: asyncio.StreamWriter
    up_r: asyncio.StreamReader
    up_w: asyncio.StreamWriter
    flowing: dict[str, asyncio.Event] = field(default_factory=dict)
    half_open: bool = False
    closed: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    ended: set[str] = field(default_factory=set)
    bytes: dict[str, int] = field(default_factory=lambda: {"up": 0, "down": 0})

    def __post_init__(self) -> None:
        for d in ("up", "down"):
            ev = asyncio.Event()
            ev.set()
            self.flowing[d] = ev


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: list[_Pipe] = []
        self._counter = 0
        self.accepted = 0
        self.cuts = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def live(self) -> list[_Pipe]:
        """Connections that are open and not half-open."""
        return [p for p in self._pipes if not p.closed and not p.half_open]

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for pipe in list(self._pipes):
            self._close(pipe, abort=True)
        for pipe in list(self._pipes):
            for t in pipe.tasks:
                t.cancel()
            for t in pipe.tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
        self._pipes.clear()

    async def __aenter__(self) -> FaultProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ controls

    def cut(self) -> int:
        """Close both sides of every open connection; how many were cut."""
        pipes = [p for p in self._pipes if not p.closed]
        for pipe in pipes:
            self._close(pipe, abort=True)
        self.cuts += len(pipes)
        return len(pipes)

    def stall(self, direction: str = "both") -> int:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
        pipes = self.live
        for pipe in pipes:
            for d in ("up", "down") if direction == "both" else (direction,):
                pipe.flowing[d].clear()
        return len(pipes)

    def half_open(self) -> int:
        """Drop every open connection silently; the sockets are kept until stop()."""
        pipes = self.live
        for pipe in pipes:
            pipe.half_open = True
            for ev in pipe.flowing.values():
                ev.clear()
            for t in pipe.tasks:  # stop reading either side; write nothing more
                t.cancel()
            # the client socket stays open (no FIN, no RST); the hub side is stopped too
            pipe.client_w.transport.pause_reading()
            pipe.up_w.transport.pause_reading()
        return len(pipes)

    def resume(self) -> int:
        pipes = self.live
        for pipe in pipes:
            for ev in pipe.flowing.values():
                ev.set()
        return len(pipes)

    # ------------------------------------------------------------------ forwarding

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_r, up_w = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        except OSError:
            client_w.transport.abort()
            return
        self._counter += 1
        pipe = _Pipe(self._counter, client_r, client_w, up_r, up_w)
        self._pipes.append(pipe)
        pipe.tasks = [
            asyncio.create_task(self._pump(pipe, "up", client_r, up_w)),
            asyncio.create_task(self._pump(pipe, "down", up_r, client_w)),
        ]

    async def _pump(
        self, pipe: _Pipe, direction: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        flowing = pipe.flowing[direction]
        try:
            while True:
                await flowing.wait()  # a stall stops reading, so data waits in the kernel
                data = await reader.read(CHUNK)
                if not data:
                    break
                await flowing.wait()
                writer.write(data)
                pipe.bytes[direction] += len(data)
                await writer.drain()
        except OSError:  # a reset on one side resets the other
            if not pipe.half_open:
                self._close(pipe, abort=True)
            return
        except asyncio.CancelledError:
            if pipe.half_open or pipe.closed:
                return
            raise
        if pipe.half_open or pipe.closed:
            return
        # this side ended: pass the EOF on; when both directions ended, close
        pipe.ended.add(direction)
        with contextlib.suppress(OSError):
            if writer.can_write_eof():
                writer.write_eof()
        if len(pipe.ended) == 2:
            self._close(pipe, abort=False)

    def _close(self, pipe: _Pipe, *, abort: bool) -> None:
        if pipe.closed:
            return
        pipe.closed = True
        for w in (pipe.client_w, pipe.up_w):
            if abort:
                w.transport.abort()
            else:
                w.close()
        try:
            current = asyncio.current_task()
        except RuntimeError:  # called from outside the loop
            current = None
        for t in pipe.tasks:
            if t is not current:
                t.cancel()
