"""The customer card's timeline against a real hub: ``customer_conversations`` pages a
customer's conversations newest first (any status, each with its last message), keyset
paging by ``before_id``, refused ids, and the desktop service method. No sleeps."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest

from app.client.connection import CommandFailed as ClientCommandFailed
from app.client.secrets import MemorySecretStore
from app.client.session import OperatorSession
from app.protocol import ErrorCode, convert
from app.protocol.messages import ConversationInfo, CustomerConversations, Error
from app.storage import Store, make_engine
from app.storage.models import Conversation, Message
from app.storage.repo import utcnow
from tests.conftest import TestHub
from tests.helpers import CommandFailed, CustomerClient, OperatorClient, txn, wait_until


async def page(op: OperatorClient, customer_id: int, before_id: int | None = None, limit: int = 20) -> tuple[
    list[ConversationInfo], bool
]:
    data = await op.request(
        CustomerConversations(txn_id=txn(), customer_id=customer_id, before_id=before_id, limit=limit)
    )
    convs = [convert(c, ConversationInfo) for c in data["conversations"]]  # type: ignore[union-attr]
    return convs, bool(data["has_more"])


async def signed_in(hub: TestHub, who: str = "operator") -> OperatorClient:
    acc = getattr(hub.accounts, who)
    op = await OperatorClient.connect(hub.ws_url)
    await op.login(acc.username, acc.password)
    await op.sync()
    return op


def test_a_customers_conversations_newest_first_paged(hub: TestHub) -> None:
    async def body() -> None:
        op = await signed_in(hub)  # the only one online: routing gives every chat to op
        async with CustomerClient.connected(hub.ws_url, name="Iryna", locale="uk") as cust:
            ids = []
            for n in range(3):  # three conversations: each resolved before the next one starts
                sent = await cust.send(f"question {n}")
                ids.append(sent.conversation_id)
                ev = await op.wait_conversation(lambda c, i=sent.conversation_id: c.id == i and c.status == "open")
                if n < 2:
                    await op.send_message(sent.conversation_id, f"answer {n}")
                    await op.resolve(sent.conversation_id)
            assert len(set(ids)) == 3
            cid = ev.conversation.customer.id
            other = await signed_in(hub, "operator2")
            async with CustomerClient.connected(hub.ws_url, name="Petro") as someone_else:
                other_conv = (await someone_else.send("not Iryna's")).conversation_id

                convs, more = await page(other, cid)  # any operator may read it
                assert [c.id for c in convs] == ids[::-1] and not more
                assert [c.status for c in convs] == ["open", "resolved", "resolved"]
                assert [c.last_message.text for c in convs if c.last_message] == [
                    "question 2",
                    "answer 1",
                    "answer 0",
                ]
                assert all(c.customer.id == cid for c in convs)

                first, more = await page(other, cid, limit=2)
                assert [c.id for c in first] == ids[:0:-1] and more
                rest, more = await page(other, cid, before_id=first[-1].id, limit=2)
                assert [c.id for c in rest] == [ids[0]] and not more

                for bad in (
                    CustomerConversations(txn_id=txn(), customer_id=987654),
                    CustomerConversations(txn_id=txn(), customer_id=cid, before_id=other_conv),
                ):
                    with pytest.raises(CommandFailed) as exc:
                        await other.request(bad)
                    assert exc.value.code == ErrorCode.NOT_FOUND
        async with OperatorClient.connected(hub.ws_url) as anon:
            answer = await anon.request_frame(CustomerConversations(txn_id=txn(), customer_id=cid))
            assert isinstance(answer, Error) and answer.code == ErrorCode.NOT_AUTHENTICATED
        for c in (op, other):
            await c.close()

    asyncio.run(body())


def add_conversations(db_url: str, customer_id: int, count: int) -> None:
    """``count`` old resolved conversations of one customer, written straight into the
    database, in an order whose ids do not follow their start times (as an import)."""
    engine = make_engine(db_url)
    try:
        store = Store(engine)
        now = utcnow()
        with store._sessions.begin() as s:
            for n in range(count):
                at = now - timedelta(days=1 + (n * 7919) % count, minutes=n)
                c = Conversation(
                    customer_id=customer_id, channel="web", status="resolved", created_at=at, updated_at=at
                )
                s.add(c)
                s.flush()
                s.add(
                    Message(
                        conversation_id=c.id,
                        author="customer",
                        sender_key=f"cust:{customer_id}",
                        text=f"old {n}",
                        created_at=at,
                    )
                )
    finally:
        engine.dispose()


def test_thousands_of_conversations_page_by_start_time_quickly(hub: TestHub, tmp_path: Path) -> None:
    async def body() -> None:
        session = OperatorSession(MemorySecretStore(), "dev", data_dir=tmp_path / "client")
        acc = hub.accounts.operator
        await session.login(hub.ws_url, acc.username, acc.password)
        async with CustomerClient.connected(hub.ws_url, name="Regular") as cust:
            conv_id = (await cust.send("hello again")).conversation_id
            await wait_until(lambda: conv_id in session.conversations)
            cid = session.conversations[conv_id].customer.id
            await asyncio.get_running_loop().run_in_executor(None, add_conversations, hub.db_url, cid, 3000)

            seen: list[ConversationInfo] = []
            before: int | None = None
            slowest = 0.0
            while True:
                start = time.perf_counter()
                convs, more = await session.customer_conversations(cid, before_id=before, limit=50)
                slowest = max(slowest, time.perf_counter() - start)
                seen.extend(convs)
                if not more:
                    break
                before = convs[-1].id
            assert len(seen) == 3001 and len({c.id for c in seen}) == 3001
            assert seen[0].id == conv_id  # the live one is the newest
            starts = [(c.created_at, c.id) for c in seen]
            assert starts == sorted(starts, reverse=True)
            assert slowest < 1.0, f"a page took {slowest:.3f} s"
            with pytest.raises(ClientCommandFailed) as exc:
                await session.customer_conversations(987654)
            assert exc.value.code == "not_found"
        await session.close()

    asyncio.run(body())
