"""The hub's per-connection send queue: sheddable frames go first, a peer that never
reads is closed with 4001 (tests/hub/test_robustness.py covers it over a real socket)."""

from __future__ import annotations

import asyncio

from app.hub.connection import Conn
from app.protocol import CloseCode, decode
from app.protocol.messages import Error, OperatorOutbound


class StuckWs:
    """A websocket whose peer reads only when ``flowing`` is set."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.flowing = asyncio.Event()
        self.closed_with: int | None = None
        self.transport = self

    async def send(self, raw: str) -> None:
        await self.flowing.wait()
        self.sent.append(raw)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed_with = code

    def abort(self) -> None:  # transport.abort()
        self.closed_with = self.closed_with or -1


def frame(n: int) -> Error:
    return Error(code="x", text=str(n))


def texts(ws: StuckWs) -> list[str]:
    return [decode(raw, OperatorOutbound).text for raw in ws.sent]  # type: ignore[union-attr]


def test_sheddable_frames_are_dropped_first_and_the_rest_arrives_in_order() -> None:
    async def scenario() -> None:
        ws = StuckWs()
        conn = Conn(ws, 6, "test")  # type: ignore[arg-type]
        conn.send(frame(1))
        conn.send(frame(100), sheddable=True)
        conn.send(frame(2))
        conn.send(frame(101), sheddable=True)  # queue half full (3 of 6): shed at once
        conn.send(frame(3))
        conn.send(frame(4))
        conn.send(frame(5))
        assert conn.queued == 6 and conn.shed == 1
        conn.send(frame(6))  # full: the waiting sheddable 100 makes room
        assert not conn.closing
        assert conn.shed == 2
        ws.flowing.set()
        await asyncio.wait_for(conn.finish(), 5)
        assert texts(ws) == ["1", "2", "3", "4", "5", "6"]

    asyncio.run(scenario())


def test_a_peer_that_never_reads_is_closed_with_4001_without_blocking_the_sender() -> None:
    async def scenario() -> None:
        ws = StuckWs()
        conn = Conn(ws, 3, "test")  # type: ignore[arg-type]
        for n in range(10):
            conn.send(frame(n))  # never blocks
        assert conn.closing
        ws.flowing.set()  # lets the fake writer finish instead of waiting for the flush timeout
        await asyncio.wait_for(conn.finish(), 10)
        assert ws.closed_with == CloseCode.SLOW_CONSUMER

    asyncio.run(scenario())


