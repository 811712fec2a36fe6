"""The main conversation flow against a real hub with real websocket clients."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import TestHub
from tests.helpers import CommandFailed, CustomerClient, OperatorClient


def test_customer_message_is_routed_answered_and_delivered(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            assert op.welcome.epoch == hub.epoch
            me = await op.login(acc.username, acc.password)
            assert me["operator"]["status"] == "online"
            await op.sync()
            async with CustomerClient.connected(hub.ws_url, name="Taras", locale="uk") as cust:
                assert cust.welcome.customer_name == "Taras"
                assert cust.welcome.conversation_id is None
                sent = await cust.send("Де моє замовлення №1042?")
                conv_id = sent.conversation_id
                routed = await op.wait_conversation(lambda c: c.id == conv_id and c.status == "open")
                assert routed.conversation.assignee_id == op.operator_id
                assert routed.conversation.customer.name == "Taras"
                seen = await op.wait_message(
                    lambda m: m.conversation_id == conv_id and m.author == "customer"
                )
                assert seen.message.text == "Де моє замовлення №1042?"
                assert seen.message.author_name == "Taras"

                reply = await op.send_message(conv_id, "Добрий день! Замовлення вже в дорозі.")
                got = await cust.wait_message(lambda m: m.author == "operator")
                assert got.text == "Добрий день! Замовлення вже в дорозі."
                assert got.id == reply.id
                assert got.author_name == acc.display_name
                assert got.operator_id is None  # customers see no operator ids

                # the waiting clock stopped when the operator answered
                state = await op.sync()
                (conv,) = [c for c in state["conversations"] if c["id"] == conv_id]
                assert "waiting_since" not in conv
                assert conv["last_message"]["text"] == reply.text

            # a returning visitor gets the conversation back
            async with CustomerClient.connected(hub.ws_url, visitor_token=cust.visitor_token) as again:
                assert again.welcome.conversation_id == conv_id
                assert [m.text for m in again.welcome.messages] == [
                    "Де моє замовлення №1042?",
                    "Добрий день! Замовлення вже в дорозі.",
                ]

            resolved = await op.resolve(conv_id)
            assert resolved.status == "resolved"
            state = await op.sync()
            assert conv_id not in [c["id"] for c in state["conversations"]]

    asyncio.run(scenario())


def test_queue_take_and_conflict(hub: TestHub) -> None:
    a, b = hub.accounts.operator, hub.accounts.operator2

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op_a, OperatorClient.connected(hub.ws_url) as op_b:
            await op_a.login(a.username, a.password)
            await op_b.login(b.username, b.password)
            assert (await op_a.set_status("away"))["operator"]["status"] == "away"
            await op_b.set_status("away")  # nobody online: new chats wait in the queue
            async with CustomerClient.connected(hub.ws_url) as cust:
                assert cust.welcome.customer_name.startswith("Visitor ")
                sent = await cust.send("Is anybody there?")
                conv_id = sent.conversation_id
                queued = await op_b.wait_conversation(lambda c: c.id == conv_id)
                assert queued.conversation.status == "queued" and queued.conversation.assignee_id is None
                assert queued.conversation.waiting_since is not None
                state = await op_b.sync()
                assert [c["status"] for c in state["conversations"] if c["id"] == conv_id] == ["queued"]

                taken = await op_a.take(conv_id)
                assert taken.status == "open" and taken.assignee_id == op_a.operator_id
                ev = await op_b.wait_conversation(lambda c: c.id == conv_id and c.status == "open")
                assert ev.conversation.assignee_id == op_a.operator_id
                with pytest.raises(CommandFailed) as exc:
                    await op_b.take(conv_id)
                assert exc.value.code == "conflict"
                with pytest.raises(CommandFailed) as exc:
                    await op_b.send_message(conv_id, "me too")
                assert exc.value.code == "forbidden"
                with pytest.raises(CommandFailed) as exc:
                    await op_b.take(999999)
                assert exc.value.code == "not_found"
                assert (await op_a.take(conv_id)).assignee_id == op_a.operator_id  # again: harmless
                reply = await op_a.send_message(conv_id, "Yes, hello!")
                assert (await cust.wait_message(lambda m: m.id == reply.id)).text == "Yes, hello!"

    asyncio.run(scenario())


def test_queued_conversation_goes_to_operator_who_comes_online(hub: TestHub) -> None:
    a, b = hub.accounts.operator, hub.accounts.operator2

    async def scenario() -> None:
        async with CustomerClient.connected(hub.ws_url) as c1, CustomerClient.connected(hub.ws_url) as c2:
            conv1 = (await c1.send("first")).conversation_id
            conv2 = (await c2.send("second")).conversation_id
            async with OperatorClient.connected(hub.ws_url) as op_a:
                await op_a.login(a.username, a.password)
                await op_a.wait_conversation(lambda c: c.id == conv1 and c.status == "open")
                await op_a.wait_conversation(lambda c: c.id == conv2 and c.status == "open")
                state = await op_a.sync()
                mine = {c["id"]: c["assignee_id"] for c in state["conversations"]}
                assert mine == {conv1: op_a.operator_id, conv2: op_a.operator_id}
                me = next(o for o in state["operators"] if o["id"] == op_a.operator_id)
                assert me["active_chats"] == 2 and me["status"] == "online"
                # a second operator comes online: the next chat goes to the less busy one
                async with OperatorClient.connected(hub.ws_url) as op_b:
                    await op_b.login(b.username, b.password)
                    async with CustomerClient.connected(hub.ws_url) as c3:
                        conv3 = (await c3.send("third")).conversation_id
                        ev = await op_a.wait_conversation(lambda c: c.id == conv3 and c.status == "open")
                        assert ev.conversation.assignee_id == op_b.operator_id
                # op_b's last connection closed: everyone sees op_b offline
                await op_a.wait_operator(lambda o: o.id == op_b.operator_id and o.status == "offline")

    asyncio.run(scenario())


def test_capacity_freed_by_resolve_routes_the_queue(hub: TestHub) -> None:
    a = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(a.username, a.password)
            customers = [await CustomerClient.connect(hub.ws_url) for _ in range(4)]
            try:
                convs = [(await c.send(f"question {i}")).conversation_id for i, c in enumerate(customers)]
                for conv in convs[:3]:
                    await op.wait_conversation(lambda c, conv=conv: c.id == conv and c.status == "open")
                await op.wait_conversation(lambda c: c.id == convs[3] and c.status == "queued")
                state = await op.sync()
                assert [c["status"] for c in state["conversations"]] == ["open", "open", "open", "queued"]
                await op.resolve(convs[0])
                ev = await op.wait_conversation(lambda c: c.id == convs[3] and c.status == "open")
                assert ev.conversation.assignee_id == op.operator_id
            finally:
                for c in customers:
                    await c.close()

    asyncio.run(scenario())
