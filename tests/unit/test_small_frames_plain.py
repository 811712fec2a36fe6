"""permessage-deflate for large messages only (app/hub/connection.py, SmallFramesPlain):
short messages go out uncompressed, long ones compressed, and a client that negotiated
the extension reads every one of them, in any mix, with the compression context shared
across the long ones."""

from __future__ import annotations

import asyncio
import json

from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory, PerMessageDeflate
from websockets.frames import Frame, Opcode

from app.hub.connection import COMPRESS_MIN_BYTES, SmallFramesPlain, SmallFramesPlainFactory
from tests.conftest import TestHub
from tests.helpers import CustomerClient, OperatorClient


def _pair() -> tuple[SmallFramesPlain, PerMessageDeflate]:
    """The hub's side and a client's side of one negotiated connection."""
    factory = SmallFramesPlainFactory()
    offer = ClientPerMessageDeflateFactory(client_max_window_bits=True)
    response, server = factory.process_request_params(offer.get_request_params(), [])
    client = offer.process_response_params(response, [])
    assert isinstance(server, SmallFramesPlain) and isinstance(client, PerMessageDeflate)
    return server, client


def test_short_messages_go_plain_long_ones_compressed_and_all_read_back() -> None:
    server, client = _pair()
    article = json.dumps({"type": "result", "data": {"body": "Refunds take five working days. " * 80}}).encode()
    short = b'{"type":"message_created","seq":7,"message":{"text":"thank you"}}'
    assert len(short) < COMPRESS_MIN_BYTES <= len(article)
    for payload in [article, short, article, short, short, article]:
        sent = server.encode(Frame(Opcode.TEXT, payload))
        if len(payload) < COMPRESS_MIN_BYTES:
            assert not sent.rsv1 and sent.data == payload  # as is
        else:
            assert sent.rsv1 and len(sent.data) < len(payload) // 4  # compressed
        assert client.decode(sent).data == payload  # the shared context stays in step


def test_control_frames_and_fragments_are_left_to_websockets() -> None:
    server, client = _pair()
    ping = server.encode(Frame(Opcode.PING, b"x"))
    assert not ping.rsv1 and ping.data == b"x"
    first = server.encode(Frame(Opcode.TEXT, b"a" * 10, fin=False))  # a fragmented message:
    rest = server.encode(Frame(Opcode.CONT, b"b" * 10))  # compressed whole, as before
    assert first.rsv1
    assert client.decode(first).data + client.decode(rest).data == b"a" * 10 + b"b" * 10


def test_the_hub_sends_chat_events_plain_and_a_long_message_compressed(hub: TestHub) -> None:
    acc = hub.accounts.operator
    long_text = "My policy number is 4411-2093 and the refund has not arrived. " * 40

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op, CustomerClient.connected(hub.ws_url) as cust:
            assert op.ws.response is not None
            assert "permessage-deflate" in op.ws.response.headers.get("Sec-WebSocket-Extensions", "")
            ext = op.ws.protocol.extensions[0]
            seen: list[tuple[bool, int]] = []  # (compressed, bytes on the wire) of each message
            decode = ext.decode

            def spy(frame: Frame, *, max_size: int | None = None) -> Frame:
                if frame.opcode is Opcode.TEXT:
                    seen.append((frame.rsv1, len(frame.data)))
                return decode(frame, max_size=max_size)

            ext.decode = spy  # type: ignore[method-assign]
            await op.login(acc.username, acc.password)
            await op.sync()
            await cust.send("hello")
            await op.wait_message(lambda m: m.text == "hello")
            await cust.send(long_text)
            await op.wait_message(lambda m: m.text == long_text.strip())
            plain = [n for compressed, n in seen if not compressed]
            packed = [n for compressed, n in seen if compressed]
            assert plain and all(n < COMPRESS_MIN_BYTES for n in plain)  # results, short events
            assert packed and all(n < len(long_text) // 4 for n in packed)  # the long message's event

    asyncio.run(scenario())
