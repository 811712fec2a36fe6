"""Ordering races inside the hub, made deterministic by doing the competing write on the
database thread at the worst moment."""

from __future__ import annotations

import asyncio
from typing import Any

from app.protocol.messages import CustomerWelcome
from tests.conftest import TestHub
from tests.helpers import CustomerClient, OperatorClient, txn, wait_until


def test_reply_committed_while_the_customer_reconnects_reaches_the_customer(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            async with CustomerClient.connected(hub.ws_url) as cust:
                first = await cust.send("hello")
                token = cust.visitor_token
            conv = first.conversation_id
            await op.wait_conversation(lambda c: c.id == conv and c.status == "open")

            inner = hub.hub
            store = inner.store
            original = store.find_visitor

            def find_then_reply(*args: Any) -> Any:
                # the reconnecting customer's state is read; the very next write on the
                # DB thread is the operator's reply, published as Hub._tx publishes it
                state = original(*args)
                outcome = store.operator_send(op.operator_id, conv, "reply in the gap", txn())
                assert inner._loop is not None
                inner._loop.call_soon_threadsafe(inner._publish, outcome)
                return state

            store.find_visitor = find_then_reply  # type: ignore[method-assign]
            try:
                async with CustomerClient.connected(hub.ws_url, visitor_token=token) as again:
                    seen = lambda: [m.text for m in again.welcome.messages + again.messages]  # noqa: E731
                    await wait_until(lambda: "reply in the gap" in seen(), 3, f"the customer saw only {seen()}")
                    # the reply came live, after the welcome (never ahead of it)
                    assert isinstance(again.received[0], CustomerWelcome), again.received
                    assert "reply in the gap" not in [m.text for m in again.welcome.messages]
            finally:
                del store.find_visitor

    asyncio.run(scenario())


def test_reply_committed_just_before_the_state_read_arrives_once_in_the_welcome(hub: TestHub) -> None:
    """The connection is registered before the state is read, so a reply committed in
    between is both in the welcome and pushed: the push is dropped, the customer sees
    the reply once."""
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            async with CustomerClient.connected(hub.ws_url) as cust:
                first = await cust.send("hello")
                token = cust.visitor_token
            conv = first.conversation_id
            await op.wait_conversation(lambda c: c.id == conv and c.status == "open")

            inner = hub.hub
            store = inner.store
            original = store.find_visitor

            def reply_then_find(*args: Any) -> Any:
                outcome = store.operator_send(op.operator_id, conv, "reply before the read", txn())
                assert inner._loop is not None
                inner._loop.call_soon_threadsafe(inner._publish, outcome)
                return original(*args)

            store.find_visitor = reply_then_find  # type: ignore[method-assign]
            try:
                async with CustomerClient.connected(hub.ws_url, visitor_token=token) as again:
                    assert [m.text for m in again.welcome.messages] == ["hello", "reply before the read"]
                    del store.find_visitor
                    # a later reply marks the point by which a duplicate would have come
                    await op.send_message(conv, "later reply")
                    await again.wait_message(lambda m: m.text == "later reply")
                    assert [m.text for m in again.messages] == ["later reply"]
                    assert isinstance(again.received[0], CustomerWelcome), again.received
            finally:
                if "find_visitor" in vars(store):
                    del store.find_visitor

    asyncio.run(scenario())
