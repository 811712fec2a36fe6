"""Idempotent retries, event sequence numbers and the epoch across restarts."""

from __future__ import annotations

import asyncio
import sqlite3

from app.protocol.messages import ConversationUpdated, MessageCreated, OperatorUpdated
from tests.conftest import TestHub
from tests.helpers import CustomerClient, OperatorClient, txn, wait_until


def _count(hub: TestHub, sql: str) -> int:
    with sqlite3.connect(hub.db_url.removeprefix("sqlite:///")) as db:
        return int(db.execute(sql).fetchone()[0])


def test_retried_commands_store_one_message_and_return_the_same_result(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op, CustomerClient.connected(hub.ws_url) as cust:
            await op.login(acc.username, acc.password)
            t = txn()
            first = await cust.send("Hello, I need help", txn_id=t)
            again = await cust.send("Hello, I need help", txn_id=t)
            assert again == first
            # the retry also survives a reconnect of the visitor
            async with CustomerClient.connected(hub.ws_url, visitor_token=cust.visitor_token) as cust2:
                assert await cust2.send("Hello, I need help", txn_id=t) == first
                assert [m.id for m in cust2.welcome.messages] == [first.id]
            conv = first.conversation_id
            await op.wait_conversation(lambda c: c.id == conv and c.status == "open")

            r = txn()
            reply = await op.send_message(conv, "How can I help?", txn_id=r)
            assert await op.send_message(conv, "How can I help?", txn_id=r) == reply
            async with OperatorClient.connected(hub.ws_url) as op2:  # another device, same operator
                await op2.resume(op.token)
                assert await op2.send_message(conv, "How can I help?", txn_id=r) == reply
            # the customer got the reply exactly once
            await cust.wait_message(lambda m: m.id == reply.id)
            page = await op.history(conv)
            assert [m["text"] for m in page["messages"]] == ["Hello, I need help", "How can I help?"]
            created = [e.message.id for e in op.frames(MessageCreated)]
            assert created.count(first.id) == 1 and created.count(reply.id) == 1
        assert _count(hub, "SELECT count(*) FROM messages") == 2
        # the same txn_id from a different sender is a different message
        async with CustomerClient.connected(hub.ws_url) as other:
            assert (await other.send("Hello, I need help", txn_id=t)).id != first.id

    asyncio.run(scenario())


def test_seq_strictly_increasing_and_persisted_across_restart(hub: TestHub) -> None:
    acc = hub.accounts.operator
    epoch = hub.epoch

    async def traffic(n: int) -> tuple[list[int], int, str]:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            start = (await op.sync())["seq"]
            async with CustomerClient.connected(hub.ws_url) as cust:
                for i in range(n):
                    m = await cust.send(f"message {i}")
                    await op.wait_message(lambda x, mid=m.id: x.id == mid)
                await op.resolve(m.conversation_id)
                await op.wait_conversation(lambda c: c.status == "resolved")
            seqs = [e.seq for e in op.frames((ConversationUpdated, MessageCreated, OperatorUpdated))]
            end = (await op.sync())["seq"]
            return [s for s in seqs if s > start], end, op.welcome.epoch

    seqs1, end1, epoch1 = asyncio.run(traffic(3))
    assert seqs1 == sorted(set(seqs1)), seqs1  # strictly increasing, no repeats
    assert seqs1 == list(range(seqs1[0], seqs1[0] + len(seqs1)))  # one by one, no gaps
    assert epoch1 == epoch

    hub.stop()
    hub.start()
    assert hub.epoch == epoch  # same database, same epoch

    seqs2, end2, epoch2 = asyncio.run(traffic(2))
    assert epoch2 == epoch
    assert seqs2[0] > end1 and end2 > end1
    assert seqs2 == sorted(set(seqs2))
    # after the sync only the operator's own "offline" event follows (written when the
    # hub has seen the connection close, which may be just after the client returned)
    asyncio.run(
        wait_until(
            lambda: _count(hub, f"SELECT status = 'offline' FROM operators WHERE id = {acc.id}"),
            message="operator offline",
        )
    )
    assert _count(hub, "SELECT max(seq) FROM events") == end2 + 1


def test_new_database_gets_new_epoch(hub: TestHub, tmp_path_factory: object) -> None:
    from app.hub.embedded import EmbeddedHub

    other_dir = tmp_path_factory.mktemp("other")  # type: ignore[attr-defined]
    with EmbeddedHub(f"sqlite:///{other_dir / 'x.db'}") as other:
        assert other.epoch and other.epoch != hub.epoch


def test_many_customers_at_once_all_delivered(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)

            async def one(i: int) -> int:
                async with CustomerClient.connected(hub.ws_url, name=f"C{i}") as c:
                    return (await c.send(f"hi {i}")).id

            ids = await asyncio.gather(*(one(i) for i in range(20)))
            await wait_until(lambda: {e.message.id for e in op.frames(MessageCreated)} >= set(ids))
            state = await op.sync()
            open_mine = [c for c in state["conversations"] if c.get("assignee_id") == op.operator_id]
            assert len(open_mine) == 3  # capacity
            assert len(state["conversations"]) == 20

    asyncio.run(scenario())
