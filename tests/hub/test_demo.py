"""Demo data and the customer simulator against a real hub."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.hub.demo import DEMO_PASSWORD, seed_demo
from app.hub.embedded import EmbeddedHub
from app.hub.simulator import CustomerSimulator
from app.protocol import convert
from app.protocol.messages import (
    ConversationInfo,
    ConversationOffered,
    ConversationUpdated,
    CustomerConversations,
    CustomerGet,
    CustomerProfile,
)
from tests.conftest import TestHub
from tests.helpers import OperatorClient, txn, wait_until


def test_demo_seed_is_idempotent_and_usable(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    first = seed_demo(db)
    assert first.password == DEMO_PASSWORD == "demo"
    # 20 customers' conversations and 3 earlier ones of returning customers
    assert first.operators_created == 4 and first.conversations_created == 23
    again = seed_demo(db)
    assert again.operators_created == 0 and again.conversations_created == 0

    with EmbeddedHub(db) as hub:

        async def scenario() -> None:
            async with OperatorClient.connected(hub.ws_url) as op:
                me = await op.login("olena", DEMO_PASSWORD)
                assert me["operator"]["display_name"] == "Olena Koval"
                # olena had two open chats; coming online she is offered one chat from the
                # first line (capacity 3): the VIP customer's, though others waited longer
                offer = await op.wait_frame(ConversationOffered, lambda e: e.operator_id == op.operator_id)
                assert offer.conversation.customer.name == "Anna Schmidt"
                assert offer.conversation.customer.vip is True
                state = await op.sync()
                convs = state["conversations"]
                mine = [c for c in convs if c.get("assignee_id") == op.operator_id]
                queued = [c for c in convs if c["status"] == "queued"]
                assert len(mine) == 2 and len(queued) == 3
                # pending offers count against capacity: one chat offered (an offer is
                # must-deliver, so this client, which never acks, may get it again)
                assert {f.conversation.id for f in op.frames(ConversationOffered)} == {offer.conversation.id}
                lines = {q["name"]: q for q in state["queues"]}
                assert set(lines) == {"first line", "billing", "legal", "technical"}
                assert lines["first line"]["kind"] == "first"
                assert lines["legal"]["strategy"] == "manual" and lines["legal"]["timezone"] == "Europe/Kyiv"
                assert {c["customer"]["locale"] for c in convs} == {"ru", "uk", "en"}
                assert all(c["last_message"]["text"] for c in convs)
                roles = {o["username"]: o["role"] for o in state["operators"]}
                assert roles == {
                    "olena": "operator",
                    "taras": "operator",
                    "dmytro": "operator",
                    "maria": "supervisor",
                }
                # a resolved past conversation keeps its whole history
                page = await op.history(1)
                assert len(page["messages"]) >= 3
                assert {m["author"] for m in page["messages"]} == {"customer", "operator"}
                # some cards are filled in (stored normalised), with the demo's custom fields;
                # a returning customer has an earlier conversation on the same card
                anna = offer.conversation.customer.id
                data = await op.request(CustomerGet(txn_id=txn(), customer_id=anna))
                card = convert(data["customer"], CustomerProfile)
                assert card.phones == ["+4915123456789"] and card.emails == ["anna.schmidt@example.de"]
                assert card.tags == ["home insurance", "Papaya"] and card.vip
                assert card.fields == {"policy_no": "PX-778-1020", "customer_since": "2019-04-01"}
                assert [f["key"] for f in data["fields"]] == ["policy_no", "customer_since"]  # type: ignore[index]
                assert [i.label for i in card.identities] == ["", "mobile browser"]
                timeline = await op.request(CustomerConversations(txn_id=txn(), customer_id=anna))
                statuses = [c["status"] for c in timeline["conversations"]]  # type: ignore[index]
                assert statuses == ["queued", "resolved"]
                assert card.first_seen < convert(timeline["conversations"][1], ConversationInfo).created_at  # type: ignore[index]

        asyncio.run(scenario())


def test_simulator_plan_is_deterministic() -> None:
    a = CustomerSimulator("ws://x", seed=7)
    b = CustomerSimulator("ws://x", seed=7)
    plans_a = [a.plan() for _ in range(10)]
    assert plans_a == [b.plan() for _ in range(10)]
    assert {p[0] for p in plans_a} <= {"ru", "uk", "en"}
    assert a.url == "ws://x/ws/customer"


def test_simulator_opens_conversations_through_the_protocol(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            sim = CustomerSimulator(
                hub.ws_url,
                seed=3,
                mean_interval=0.05,
                first_delay=(0.0, 0.05),
                follow_up_delay=(0.0, 0.05),
                max_conversations=4,
            )
            stop = asyncio.Event()
            runner = asyncio.create_task(sim.run(stop))

            def new_conversations() -> set[int]:
                return {e.conversation.id for e in op.frames(ConversationUpdated)}

            await wait_until(lambda: len(new_conversations()) == 4, timeout=10)
            await op.wait_message(lambda m: m.author == "customer" and m.text != "")
            stop.set()
            await asyncio.wait_for(runner, 10)
            assert sim.stats.conversations == 4 and sim.stats.failures == 0
            state = await op.sync()
            assert len(state["conversations"]) == 4
            names = {c["customer"]["name"] for c in state["conversations"]}
            assert not any(n.startswith("Visitor ") for n in names)

    asyncio.run(scenario())


def test_simulator_in_its_own_thread(hub: TestHub) -> None:
    sim = CustomerSimulator(
        hub.ws_url, seed=1, mean_interval=0.05, first_delay=(0.0, 0.05), max_conversations=2
    )

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(hub.accounts.operator.username, hub.accounts.operator.password)
            sim.start_in_thread()
            await wait_until(
                lambda: len({e.conversation.id for e in op.frames(ConversationUpdated)}) == 2, 10
            )
            assert len((await op.sync())["conversations"]) == 2

    try:
        asyncio.run(scenario())
    finally:
        sim.stop()
    assert sim.stats.conversations == 2 and sim.stats.failures == 0
