"""Who receives which event (docs/protocol.md, "Who receives which event"): an operator
gets the messages of their own conversations, of the queue and of the conversation on
their screen; supervisors get everything; a message that changes its conversation's
turn is one event, live and replayed alike. Real hub, real sockets.

"Not received" is checked after a round trip on the same connection: the hub queues a
broadcast to every recipient at once, and a connection sends in order, so a frame queued
for it before the round trip's result would have arrived before that result."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from app.client.secrets import MemorySecretStore
from app.client.session import OperatorSession
from app.protocol.messages import ConversationUpdated, History, MessageCreated, Transfer, Viewing
from tests.conftest import TestHub
from tests.helpers import CustomerClient, OperatorClient, txn, wait_until


def scenario(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run


def texts(op: OperatorClient) -> list[str]:
    return [f.message.text for f in op.frames(MessageCreated)]


async def round_trip(op: OperatorClient) -> None:
    await op.request_frame(History(txn_id=txn(), conversation_id=1))  # a result or an error


async def signed_in(hub: TestHub, username: str) -> OperatorClient:
    op = await OperatorClient.connect(hub.ws_url)
    await op.login(username, "test-password")
    await op.sync()
    return op


@scenario
async def test_an_operator_gets_own_queued_and_viewed_conversations_supervisors_get_all(hub: TestHub) -> None:
    a, b, sup = hub.accounts.operator, hub.accounts.operator2, hub.accounts.supervisor
    op_a = await signed_in(hub, a.username)  # the only operator online: the chat goes to her
    op_b = await signed_in(hub, b.username)
    op_s = await signed_in(hub, sup.username)
    try:
        async with CustomerClient.connected(hub.ws_url) as cust:
            hello = await cust.send("hello")  # queued first: every operator sees it
            conv_id = hello.conversation_id
            await op_b.wait_message(lambda m: m.text == "hello")
            await op_a.wait_conversation(lambda c: c.id == conv_id and c.assignee_id == a.id)
            await op_b.wait_conversation(lambda c: c.id == conv_id and c.assignee_id == a.id)

            await cust.send("second")  # olena's conversation: not for dmytro
            await op_a.wait_message(lambda m: m.text == "second")
            await op_s.wait_message(lambda m: m.text == "second")
            await round_trip(op_b)
            assert "second" not in texts(op_b)

            await op_b.send_frame(Viewing(conversation_id=conv_id))  # on dmytro's screen now
            await round_trip(op_b)
            await cust.send("third")
            await op_b.wait_message(lambda m: m.text == "third")

            await op_b.send_frame(Viewing(conversation_id=None))
            await round_trip(op_b)
            await cust.send("fourth")
            await op_a.wait_message(lambda m: m.text == "fourth")
            await round_trip(op_b)
            assert "fourth" not in texts(op_b)

            # transferred to dmytro: from now on his, no longer olena's
            await op_a.request(Transfer(txn_id=txn(), conversation_id=conv_id, operator_id=b.id, note="yours"))
            await op_b.wait_conversation(lambda c: c.id == conv_id and c.assignee_id == b.id)
            await cust.send("fifth")
            await op_b.wait_message(lambda m: m.text == "fifth")
            await op_s.wait_message(lambda m: m.text == "fifth")
            await round_trip(op_a)
            assert "fifth" not in texts(op_a)
            assert texts(op_s) == ["hello", "second", "third", "fourth", "yours", "fifth"]
    finally:
        for op in (op_a, op_b, op_s):
            await op.close()


@scenario
async def test_a_reply_that_changes_the_turn_is_one_event_live_and_replayed(hub: TestHub) -> None:
    a = hub.accounts.operator
    op_a = await signed_in(hub, a.username)
    try:
        async with CustomerClient.connected(hub.ws_url) as cust:
            conv_id = (await cust.send("my parcel")).conversation_id
            await op_a.wait_conversation(lambda c: c.id == conv_id and c.assignee_id == a.id)
            first = await op_a.sync()
            n = len(op_a.received)
            await op_a.send_message(conv_id, "Let me check")  # the customer's turn now
            await cust.wait_message(lambda m: m.text == "Let me check")
            await cust.send("thanks")  # the operator's turn again
            ev = await op_a.wait_message(lambda m: m.text == "thanks")
            assert ev.conversation is not None and ev.conversation.state == "open"
            assert ev.conversation.waiting_since is not None and ev.conversation.last_message is None
            live = [  # (the unacknowledged assignment is re-sent after the sync: an older seq)
                f
                for f in op_a.received[n:]
                if isinstance(f, MessageCreated | ConversationUpdated) and f.seq > first["seq"]
            ]
            assert [type(f) for f in live] == [MessageCreated, MessageCreated], "no separate conversation_updated"
            assert live[0].conversation is not None and live[0].conversation.state == "waiting"

            again = await op_a.sync(last_seq=first["seq"], epoch=first["epoch"])
            assert again["recovered"] is True
            replayed = [e for e in again["events"] if e["type"] in ("message_created", "conversation_updated")]
            assert [(e["type"], e["message"]["text"], e["conversation"].get("state", "open")) for e in replayed] == [
                ("message_created", "Let me check", "waiting"),
                ("message_created", "thanks", "open"),
            ]
            assert [e["seq"] for e in replayed] == [f.seq for f in live]
    finally:
        await op_a.close()


@scenario
async def test_the_client_reloads_a_conversation_it_stopped_following(hub: TestHub, tmp_path: Path) -> None:
    """Dmytro's client kept the history of a queued chat; olena got it and the talk went
    on without him. Opening it again shows the whole conversation, with no gap."""
    a, b = hub.accounts.operator, hub.accounts.operator2
    op_a = await signed_in(hub, a.username)
    session = OperatorSession(MemorySecretStore(), "dev-b", data_dir=tmp_path / "data")
    await session.login(hub.ws_url, b.username, b.password)
    try:
        async with CustomerClient.connected(hub.ws_url) as cust:
            conv_id = (await cust.send("hello")).conversation_id
            await wait_until(lambda: conv_id in session.conversations)
            assert [m.text for m in await session.load_history(conv_id)] == ["hello"]
            await wait_until(lambda: session.conversations[conv_id].assignee_id == a.id)
            assert not session.follows(conv_id)
            await session.notify_viewing(None)
            for text in ("second", "third"):
                await cust.send(text)
            await op_a.send_message(conv_id, "answer")
            await cust.wait_message(lambda m: m.text == "answer")
            shown = [m.text for m in await session.load_history(conv_id)]
            assert shown == ["hello", "second", "third", "answer"]
            # now on his screen: live messages reach him
            await cust.send("fourth")
            await wait_until(lambda: [m.text for m in session.messages_of(conv_id)][-1:] == ["fourth"])
    finally:
        await session.close()
        await op_a.close()
