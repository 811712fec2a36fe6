"""customer_history: the visitor pages back through their conversation beyond the 200
messages of the welcome, seeing what the welcome would show (no notes, no operator ids)."""

from __future__ import annotations

import asyncio
from typing import Any

from app.protocol import ErrorCode
from app.protocol.codec import convert
from app.protocol.messages import CustomerHistory, Error, MessageInfo, SendMessage
from tests.conftest import TestHub
from tests.helpers import CustomerClient, OperatorClient, txn


async def page(cust: CustomerClient, before_id: int | None, limit: int) -> tuple[list[MessageInfo], bool]:
    data = await cust.request(CustomerHistory(txn_id=txn(), before_id=before_id, limit=limit))
    return [convert(m, MessageInfo) for m in data["messages"]], data["has_more"]


def test_the_customer_pages_back_beyond_the_welcome(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            async with CustomerClient.connected(hub.ws_url) as cust:
                first = await cust.send("message 0")
                conv = first.conversation_id
                await op.wait_conversation(lambda c: c.id == conv and c.status == "open")
                await op.send_message(conv, "reply")
                await op.request(SendMessage(txn_id=txn(), conversation_id=conv, text="secret note", internal=True))
                for i in range(1, 201):
                    await cust.send(f"message {i}")
                token = cust.visitor_token
            async with CustomerClient.connected(hub.ws_url, visitor_token=token) as again:
                welcome = again.welcome.messages
                assert len(welcome) == 200
                assert welcome[0].text == "message 1" and welcome[-1].text == "message 200"
                # the page before the welcome's oldest message: what the welcome left out
                older, more = await page(again, welcome[0].id, 50)
                assert [m.text for m in older] == ["message 0", "reply"]
                assert more is False
                assert older[1].author_name and older[1].operator_id is None
                # the newest page without before_id, then walk back in small pages
                seen: list[str] = []
                before: int | None = None
                while True:
                    msgs, more = await page(again, before, 64)
                    assert 1 <= len(msgs) <= 64 and msgs == sorted(msgs, key=lambda m: m.id)
                    seen = [m.text for m in msgs] + seen
                    if not more:
                        break
                    before = msgs[0].id
                assert seen == ["message 0", "reply"] + [f"message {i}" for i in range(1, 201)]
                assert "secret note" not in seen

    asyncio.run(scenario())


def test_history_before_a_first_message_is_empty_and_bad_paging_is_refused(hub: TestHub) -> None:
    async def scenario() -> None:
        async with CustomerClient.connected(hub.ws_url) as cust:
            assert await page(cust, None, 50) == ([], False)
            await cust.send("only one")
            msgs, more = await page(cust, None, 0)  # the limit is clamped to 1..200
            assert [m.text for m in msgs] == ["only one"] and more is False
            await cust.send_raw('{"type": "customer_history", "txn_id": "t1", "before_id": "x"}')
            err: Any = await cust.wait_frame(Error)
            assert err.code == ErrorCode.INVALID_FRAME
            assert "before_id" in err.text
            # the connection still works
            msgs, _ = await page(cust, None, 50)
            assert [m.text for m in msgs] == ["only one"]

    asyncio.run(scenario())
