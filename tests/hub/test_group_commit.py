"""Group commit: customer and operator messages that wait for the database thread at the
same moment are stored in one transaction. Each still gets its own answer, a refused
command in the group fails alone, and a retry in the same group is stored once."""

from __future__ import annotations

import asyncio
import threading

from app.protocol import ErrorCode
from tests.conftest import TestHub
from tests.helpers import CommandFailed, CustomerClient, OperatorClient, txn, wait_until


def test_writes_queued_together_are_each_stored_and_a_refused_one_fails_alone(hub: TestHub) -> None:
    a, b = hub.accounts.operator, hub.accounts.operator2
    gate = threading.Event()

    async def scenario() -> None:
        async with (
            OperatorClient.connected(hub.ws_url) as op_a,
            OperatorClient.connected(hub.ws_url) as op_b,
            CustomerClient.connected(hub.ws_url) as c1,
            CustomerClient.connected(hub.ws_url) as c2,
        ):
            await op_a.login(a.username, a.password)
            await op_a.sync()
            conv1 = (await c1.send("first")).conversation_id
            conv2 = (await c2.send("first")).conversation_id
            for conv in (conv1, conv2):
                await op_a.wait_conversation(lambda c, conv=conv: c.id == conv and c.status == "open")
            await op_b.login(b.username, b.password)  # signs in after both went to op_a
            await op_b.sync()

            # c1 in a second tab (or reconnected while a send waited): the same customer
            c1_again = await CustomerClient.connect(hub.ws_url, visitor_token=c1.visitor_token)
            # hold the database thread so the next writes queue up together
            assert hub.hub._executor is not None
            hub.hub._executor.submit(gate.wait)
            # the same command twice in one group (the widget retried on a new connection
            # while the first try waited): stored once, both answered with it
            retried = txn()
            sends = [
                asyncio.ensure_future(c1.send("second from 1", txn_id=retried)),
                asyncio.ensure_future(c1_again.send("second from 1", txn_id=retried)),
                asyncio.ensure_future(op_b.send_message(conv1, "not my chat")),
                asyncio.ensure_future(c2.send("second from 2")),
                asyncio.ensure_future(op_a.send_message(conv2, "answer to 2")),
            ]
            await wait_until(lambda: len(hub.hub._batch) == 5, message="5 writes queued")
            gate.set()
            s1, s1_again, refused, s2, answer = await asyncio.gather(*sends, return_exceptions=True)
            assert not isinstance(s1_again, BaseException), s1_again
            assert s1_again.id == s1.id  # type: ignore[union-attr]
            await c1_again.close()

            assert isinstance(refused, CommandFailed)
            assert refused.code == ErrorCode.FORBIDDEN
            for sent in (s1, s2, answer):
                assert not isinstance(sent, BaseException), sent
            got = await c2.wait_message(lambda m: m.text == "answer to 2")
            assert got.id == answer.id  # type: ignore[union-attr]
            seen = [
                await op_a.wait_message(lambda m, t=t: m.text == t)
                for t in ("second from 1", "second from 2", "answer to 2")
            ]
            assert {e.message.id for e in seen} == {s1.id, s2.id, answer.id}  # type: ignore[union-attr]
            seqs = [e.seq for e in op_a.events]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
            texts1 = [m["text"] for m in (await op_a.history(conv1))["messages"]]
            assert texts1 == ["first", "second from 1"]

    try:
        asyncio.run(scenario())
    finally:
        gate.set()
