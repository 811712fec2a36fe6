"""The fault proxy itself: it forwards, and each fault does what it says."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tests.faults.proxy import FaultProxy
from tests.helpers import wait_until

QUIET_S = 0.3  # how long "nothing arrives" is watched for


class Upstream:
    """An echo server that also keeps what it received per connection."""

    def __init__(self) -> None:
        self.received: list[bytearray] = []
        self.eofs = 0
        self.server: asyncio.Server | None = None
        self.port = 0

    async def _handle(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        buf = bytearray()
        self.received.append(buf)
        try:
            while data := await r.read(65536):
                buf.extend(data)
                w.write(data)
                await w.drain()
            self.eofs += 1
        except OSError:
            pass
        finally:
            w.close()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]


@contextlib.asynccontextmanager
async def proxied() -> AsyncIterator[tuple[Upstream, FaultProxy]]:
    up = Upstream()
    await up.start()
    async with FaultProxy("127.0.0.1", up.port) as proxy:
        yield up, proxy
    assert up.server is not None
    up.server.close()


async def read_exactly(r: asyncio.StreamReader, n: int) -> bytes:
    return await asyncio.wait_for(r.readexactly(n), 5)


def test_forwards_both_ways_and_passes_an_orderly_close_on() -> None:
    async def scenario() -> None:
        async with proxied() as (up, proxy):
            r, w = await asyncio.open_connection("127.0.0.1", proxy.port)
            payload = bytes(range(256)) * 1000  # bigger than one chunk
            w.write(payload)
            assert await read_exactly(r, len(payload)) == payload
            w.write_eof()
            await wait_until(lambda: up.eofs == 1)
            assert await asyncio.wait_for(r.read(), 5) == b""  # the echo server closed: EOF back
            w.close()

    asyncio.run(scenario())


def test_cut_closes_both_sides_and_new_connections_work() -> None:
    async def scenario() -> None:
        async with proxied() as (up, proxy):
            r, w = await asyncio.open_connection("127.0.0.1", proxy.port)
            w.write(b"ping")
            assert await read_exactly(r, 4) == b"ping"
            assert proxy.cut() == 1
            with contextlib.suppress(ConnectionError):
                assert await asyncio.wait_for(r.read(), 5) == b""
            await wait_until(lambda: up.server is not None and len(up.received) == 1 and not proxy.live)
            w.close()
            r2, w2 = await asyncio.open_connection("127.0.0.1", proxy.port)
            w2.write(b"again")
            assert await read_exactly(r2, 5) == b"again"
            w2.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("direction", ["up", "down", "both"])
def test_stall_holds_bytes_until_resume_then_delivers_them_in_order(direction: str) -> None:
    async def scenario() -> None:
        async with proxied() as (up, proxy):
            r, w = await asyncio.open_connection("127.0.0.1", proxy.port)
            w.write(b"a")
            assert await read_exactly(r, 1) == b"a"
            assert proxy.stall(direction) == 1
            for chunk in (b"b", b"c", b"d"):
                w.write(chunk)
                await w.drain()
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(r.read(1), QUIET_S)
            # "down" only: the hub side still receives what the client sends
            if direction == "down":
                await wait_until(lambda: bytes(up.received[0]) == b"abcd")
            else:
                assert bytes(up.received[0]) == b"a"
            assert proxy.resume() == 1
            assert await read_exactly(r, 3) == b"bcd"
            assert bytes(up.received[0]) == b"abcd"
            w.close()

    asyncio.run(scenario())


def test_half_open_gives_the_client_silence_not_a_close() -> None:
    async def scenario() -> None:
        async with proxied() as (up, proxy):
            r, w = await asyncio.open_connection("127.0.0.1", proxy.port)
            w.write(b"x")
            assert await read_exactly(r, 1) == b"x"
            assert proxy.half_open() == 1
            w.write(b"lost")
            await w.drain()  # the write "succeeds": the socket is open
            with pytest.raises(TimeoutError):  # no data, and no EOF or reset either
                await asyncio.wait_for(r.read(1), QUIET_S)
            assert bytes(up.received[0]) == b"x"
            assert not w.is_closing()
            assert proxy.resume() == 0  # a half-open link does not come back
            # a new connection is served normally
            r2, w2 = await asyncio.open_connection("127.0.0.1", proxy.port)
            w2.write(b"y")
            assert await read_exactly(r2, 1) == b"y"
            w2.close()
            w.close()

    asyncio.run(scenario())


def test_websocket_keepalive_detects_half_open_within_ping_interval_plus_timeout() -> None:
    async def handler(ws: ServerConnection) -> None:
        async for msg in ws:
            await ws.send(msg)

    async def scenario() -> None:
        async with serve(handler, "127.0.0.1", 0, ping_interval=None) as server:
            port = server.sockets[0].getsockname()[1]
            async with FaultProxy("127.0.0.1", port) as proxy:
                ws = await connect(proxy.url, ping_interval=0.2, ping_timeout=0.3, close_timeout=0.3)
                await ws.send("hi")
                assert await ws.recv() == "hi"
                loop = asyncio.get_running_loop()
                start = loop.time()
                proxy.half_open()
                with pytest.raises(ConnectionClosed) as info:
                    await asyncio.wait_for(ws.recv(), 5)
                assert loop.time() - start < 2.0
                assert info.value.rcvd is None  # nothing came from the other side
                assert ws.close_code == 1006 or (info.value.sent and info.value.sent.code == 1011)

    asyncio.run(scenario())
