"""Bad input, limits and close codes: the hub answers, keeps the connection when it can,
and never lets one bad client disturb another."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from app.hub.embedded import EmbeddedHub
from app.protocol import MAX_FRAME_BYTES, MAX_TEXT_CHARS
from app.protocol.messages import CustomerHello, Error, Hello, History, MessageCreated, OperatorUpdated, Sync
from tests.conftest import TestHub, create_test_accounts
from tests.helpers import CommandFailed, CustomerClient, OperatorClient, ProtoClient, txn

BAD_FRAMES = [
    ("{not json", "bad_json"),
    (b"\x00\x01binary", "bad_json"),
    ('{"type": "no_such_thing", "txn_id": "x"}', "unknown_type"),
    ('{"type": "send_message", "txn_id": "x"}', "invalid_frame"),  # missing fields
    ('{"type": "take", "txn_id": "x", "conversation_id": "seven"}', "invalid_frame"),  # wrong type
    ("[1, 2, 3]", "invalid_frame"),  # not an object
    ('"just a string"', "invalid_frame"),
    ('{"no_type": 1}', "invalid_frame"),
]


def test_malformed_frames_get_errors_and_the_connection_keeps_working(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op, CustomerClient.connected(hub.ws_url) as cust:
            await op.login(acc.username, acc.password)
            for raw, code in BAD_FRAMES:
                before = len(op.frames(Error))
                await op.send_raw(raw)
                await op.wait_frame(Error, lambda e, n=before: len(op.frames(Error)) > n)
                err = op.frames(Error)[-1]
                assert (err.code, err.txn_id) == (code, None), raw
                assert op.is_open
                # the other client is served all the while
                sent = await cust.send(f"still here after {code}")
                await op.wait_message(lambda m, i=sent.id: m.id == i)
            state = await op.sync()  # same connection, still fine
            assert state["seq"] > 0
            # the customer endpoint treats bad frames the same way
            await cust.send_raw("{oops")
            err = await cust.wait_frame(Error)
            assert err.code == "bad_json" and err.txn_id is None
            assert (await cust.send("and me too")).text == "and me too"

    asyncio.run(scenario())


def test_ten_bad_frames_in_a_row_close_4102_others_unaffected(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as good, OperatorClient.connected(hub.ws_url) as bad:
            await good.login(acc.username, acc.password)
            for i in range(9):
                await bad.send_raw(f"garbage {i}")
            await bad.wait_frame(Error, lambda e: len(bad.frames(Error)) == 9)
            answer = await bad.request_frame(Sync(txn_id=txn()))  # a readable frame resets the count
            assert isinstance(answer, Error) and answer.code == "not_authenticated"
            for i in range(9):
                await bad.send_raw(f"garbage {i}")
            await bad.wait_frame(Error, lambda e: len(bad.frames(Error)) == 18)
            assert bad.is_open
            await bad.send_raw("the tenth in a row")
            assert await bad.wait_closed() == 4102
            assert "seq" in await good.sync()

    asyncio.run(scenario())


def test_frame_over_the_limit_closes_1009(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as good, OperatorClient.connected(hub.ws_url) as big:
            await good.login(acc.username, acc.password)
            await big.send_raw('{"type": "sync", "txn_id": "' + "x" * MAX_FRAME_BYTES + '"}')
            assert await big.wait_closed() == 1009
            assert "seq" in await good.sync()

    asyncio.run(scenario())


def test_text_limits(hub: TestHub) -> None:
    async def scenario() -> None:
        async with CustomerClient.connected(hub.ws_url) as cust:
            with pytest.raises(CommandFailed) as exc:
                await cust.send("   \n ")
            assert exc.value.code == "empty_text"
            with pytest.raises(CommandFailed) as exc:
                await cust.send("ы" * (MAX_TEXT_CHARS + 1))
            assert exc.value.code == "text_too_long"
            assert len((await cust.send("ы" * MAX_TEXT_CHARS)).text) == MAX_TEXT_CHARS

    asyncio.run(scenario())


def test_protocol_mismatch_closes_4100(hub: TestHub) -> None:
    async def scenario() -> None:
        op = await ProtoClient.open(hub.ws_url, "/ws/operator")
        await op.send_frame(Hello(protocol=99))
        assert await op.wait_closed() == 4100
        assert [e.code for e in op.frames(Error)] == ["protocol_mismatch"]

        cust = await ProtoClient.open(hub.ws_url, "/ws/customer")
        cust.outbound = CustomerClient.outbound
        await cust.send_frame(CustomerHello(protocol=2))
        assert await cust.wait_closed() == 4100

    asyncio.run(scenario())


def test_first_frame_must_be_hello(hub: TestHub) -> None:
    async def scenario() -> None:
        op = await ProtoClient.open(hub.ws_url, "/ws/operator")
        answer = await op.request_frame(Sync(txn_id="first"))
        assert isinstance(answer, Error) and answer.code == "hello_required"
        assert await op.wait_closed() == 1008

        cust = await ProtoClient.open(hub.ws_url, "/ws/customer")
        await cust.send_frame(Hello(protocol=1))  # the operator hello on the customer endpoint
        assert await cust.wait_closed() == 1008
        assert [e.code for e in cust.frames(Error)] == ["hello_required"]

    asyncio.run(scenario())


def test_no_hello_in_time_closes_4002(tmp_path: Path) -> None:
    with EmbeddedHub(f"sqlite:///{tmp_path / 'h.db'}", hello_timeout_s=0.3) as hub:

        async def scenario() -> None:
            silent = await ProtoClient.open(hub.ws_url, "/ws/customer")
            assert await silent.wait_closed() == 4002

        asyncio.run(scenario())


def test_html_is_stored_and_delivered_verbatim(hub: TestHub) -> None:
    acc = hub.accounts.operator
    nasty = "<script>alert('x')</script> <b>bold</b> &amp; &lt;tag&gt; \" ' `${1+1}` {{7*7}}"

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op, CustomerClient.connected(hub.ws_url) as cust:
            await op.login(acc.username, acc.password)
            sent = await cust.send(nasty)
            assert sent.text == nasty
            seen = await op.wait_message(lambda m: m.id == sent.id)
            assert seen.message.text == nasty
            reply = await op.send_message(sent.conversation_id, nasty + " <img src=x onerror=alert(1)>")
            got = await cust.wait_message(lambda m: m.id == reply.id)
            assert got.text == nasty + " <img src=x onerror=alert(1)>"
            page = await op.history(sent.conversation_id)
            assert [m["text"] for m in page["messages"]] == [nasty, got.text]

    asyncio.run(scenario())


def test_client_that_never_reads_is_dropped_others_unaffected(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'h.db'}"
    accounts = create_test_accounts(db_url)
    with EmbeddedHub(db_url, send_queue_max=50) as hub:

        async def scenario() -> None:
            good = await OperatorClient.connect(hub.ws_url)
            await good.login(accounts.operator.username, accounts.operator.password)
            # the client library buffers one message, then stops reading the socket; a small
            # receive buffer keeps the kernel from soaking up megabytes on its behalf
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", hub.port))
            slow = await OperatorClient.connect(hub.ws_url, max_queue=1, sock=sock, compression=None)
            # a supervisor: receives every message, also of the conversation `good` holds
            await slow.login(accounts.supervisor.username, accounts.supervisor.password)
            slow_id = slow.operator_id
            slow._reader.cancel()  # and the application never reads again
            dropped = False
            async with CustomerClient.connected(hub.ws_url) as cust:
                big = "ы" * MAX_TEXT_CHARS
                sent = []
                for _ in range(1000):
                    sent.append(await cust.send(big))
                    dropped = any(
                        o.operator.id == slow_id and o.operator.status == "offline"
                        for o in good.frames(OperatorUpdated)
                    )
                    if dropped:
                        break
                assert dropped, "the hub kept a connection that never reads"
                last = sent[-1]
                await good.wait_message(lambda m: m.id == last.id, timeout=10)
            # the good operator got every message, in order
            ids = [e.message.id for e in good.frames(MessageCreated)]
            assert ids == sorted(ids) and set(m.id for m in sent) <= set(ids)
            slow.ws.transport.abort()
            await good.close()

        asyncio.run(scenario())


def test_handler_bug_answers_internal_and_connection_survives(hub: TestHub) -> None:
    acc = hub.accounts.operator

    def broken(*args: object) -> None:
        raise RuntimeError("simulated bug")

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            original = hub.hub.store.history
            hub.hub.store.history = broken  # type: ignore[method-assign]
            try:
                answer = await op.request_frame(History(txn_id="bug-1", conversation_id=1))
            finally:
                hub.hub.store.history = original  # type: ignore[method-assign]
            assert isinstance(answer, Error) and (answer.code, answer.txn_id) == ("internal", "bug-1")
            assert "simulated bug" not in answer.text  # internals stay in the log
            assert "seq" in await op.sync()

    asyncio.run(scenario())


def test_graceful_stop_closes_with_1001(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        op = await OperatorClient.connect(hub.ws_url)
        await op.login(acc.username, acc.password)
        cust = await CustomerClient.connect(hub.ws_url)
        await asyncio.to_thread(hub.stop)
        assert await op.wait_closed() == 1001
        assert await cust.wait_closed() == 1001

    asyncio.run(scenario())
    hub.start()  # same port, same database: the operator was marked offline on the way down

    async def after() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(hub.accounts.operator2.username, hub.accounts.operator2.password)
            state = await op.sync()
            assert next(o for o in state["operators"] if o["username"] == acc.username)["status"] == "offline"

    asyncio.run(after())
