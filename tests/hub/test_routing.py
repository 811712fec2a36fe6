"""Routing v1 against a real hub: lines, offers and their timeout, strategies, VIP
priority, transfer with internal notes, typing/viewing, conversation states, SLA breaches.

Time: offers use short per-line timeouts; snoozes and SLA clocks use an injected clock
(``ShiftedClock``) that the test moves forward, and ``hub.call(hub.hub.tick())`` to run
one round of the hub's timed work at once. No sleeps: every wait is on a condition.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from app.protocol import convert
from app.protocol.messages import (
    AcceptOffer,
    ConversationInfo,
    ConversationOffered,
    ConversationUpdated,
    CustomerTyping,
    DeclineOffer,
    MessageInfo,
    OfferExpired,
    OperatorTyping,
    SetState,
    SlaBreached,
    Transfer,
    Typing,
    TypingEvent,
    Viewing,
    ViewingEvent,
)
from app.storage import Store, make_engine
from app.storage.repo import utcnow
from tests.conftest import TestAccounts, TestHub, create_test_accounts
from tests.helpers import CommandFailed, CustomerClient, OperatorClient, txn, wait_until


class ShiftedClock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset


class RoutingHub(TestHub):
    __test__ = False
    clock: ShiftedClock
    store: Store


@pytest.fixture
def rhub(hub_db_url: str) -> Iterator[RoutingHub]:
    accounts: TestAccounts = create_test_accounts(hub_db_url)
    clock = ShiftedClock()
    h = RoutingHub(hub_db_url, accounts, tick_s=0.05, clock=clock)
    h.clock = clock
    engine = make_engine(hub_db_url)
    h.store = Store(engine)
    h.start()
    try:
        yield h
    finally:
        h.stop()
        engine.dispose()


def line(h: RoutingHub, name: str, members: list[str], **kw: Any) -> int:
    info = h.store.create_queue(name, **kw).value
    for m in members:
        h.store.add_queue_member(name, m)
    return info.id


async def signed_in(h: RoutingHub, *usernames: str) -> list[OperatorClient]:
    ops = []
    for u in usernames:
        op = await OperatorClient.connect(h.ws_url)
        await op.login(u, "test-password")
        await op.sync()
        ops.append(op)
    return ops


async def accept(op: OperatorClient, conv_id: int) -> ConversationInfo:
    data = await op.request(AcceptOffer(txn_id=txn(), conversation_id=conv_id))
    return convert(data["conversation"], ConversationInfo)


def offers(op: OperatorClient, conv_id: int | None = None) -> list[ConversationOffered]:
    return [f for f in op.frames(ConversationOffered) if conv_id is None or f.conversation.id == conv_id]


def test_ignored_offer_goes_to_the_next_operator_and_the_ignorer_goes_away(rhub: RoutingHub) -> None:
    a, b = rhub.accounts.operator, rhub.accounts.operator2
    line(rhub, "first", [a.username, b.username], kind="first", offer_timeout_s=0.3)

    async def scenario() -> None:
        op_a, op_b = await signed_in(rhub, a.username, b.username)
        async with CustomerClient.connected(rhub.ws_url, name="Iryna") as cust:
            conv_id = (await cust.send("Hello?")).conversation_id
            first = await op_a.wait_frame(ConversationOffered, lambda e: e.conversation.id == conv_id)
            assert first.operator_id == a.id
            assert first.conversation.status == "queued"
            # nobody accepts: after 0.3 s the offer moves on
            second = await op_b.wait_frame(
                ConversationOffered, lambda e: e.conversation.id == conv_id and e.operator_id == b.id
            )
            assert second.seq > first.seq
            expired = await op_a.wait_frame(OfferExpired, lambda e: e.conversation_id == conv_id)
            assert expired.operator_id == a.id
            away = await op_b.wait_operator(lambda o: o.id == a.id and o.status == "away")
            assert away.operator.status_since is not None
            # the late operator can no longer accept it
            with pytest.raises(CommandFailed) as exc:
                await accept(op_a, conv_id)
            assert exc.value.code == "conflict"
            taken = await accept(op_b, conv_id)
            assert (taken.status, taken.assignee_id, taken.offered_to) == ("open", b.id, None)
            await op_b.send_message(conv_id, "Hi, Dmytro here")
            assert (await cust.wait_message(lambda m: m.author == "operator")).text == "Hi, Dmytro here"
        for op in (op_a, op_b):
            await op.close()

    asyncio.run(scenario())


def test_a_waiting_customer_of_an_operator_who_went_offline_goes_back_to_the_line(rhub: RoutingHub) -> None:
    """Olena closed the app with a chat open; the customer writes again and waits. Two
    minutes later (the hub's clock) the chat is offered to Dmytro, with its history; a
    chat nobody waits on stays with her."""
    a, b = rhub.accounts.operator, rhub.accounts.operator2
    line(rhub, "first", [a.username, b.username], kind="first", offer_timeout_s=60)

    async def scenario() -> None:
        (op_a,) = await signed_in(rhub, a.username)
        async with (
            CustomerClient.connected(rhub.ws_url, name="Iryna") as waiting,
            CustomerClient.connected(rhub.ws_url, name="Petro") as answered,
        ):
            conv_w = await _assigned(rhub, op_a, waiting, "My parcel is late")
            conv_a = await _assigned(rhub, op_a, answered, "Thanks, all good")
            await op_a.send_message(conv_a, "Glad to help!")  # Petro waits on nobody
            await op_a.close()  # Olena is gone (offline)
            await wait_until(lambda: rhub.store.operator(a.id).status == "offline", message="olena offline")
            (op_b,) = await signed_in(rhub, b.username)
            await waiting.send("Hello? Anyone?")
            # one minute offline is not enough (a restart, a short network loss)
            assert rhub.store.tick(utcnow() + timedelta(minutes=1)).value.returned == []
            n = len(op_b.frames())
            rhub.clock.offset = timedelta(minutes=3)
            offered = await op_b.wait_frame(
                ConversationOffered, lambda e: e.conversation.id == conv_w and e.operator_id == b.id
            )
            assert offered.conversation.status == "queued" and offered.conversation.assignee_id is None
            assert op_b.received.index(offered) >= n
            taken = await accept(op_b, conv_w)
            assert taken.assignee_id == b.id
            texts = [m["text"] for m in (await op_b.history(conv_w))["messages"]]
            assert texts == ["My parcel is late", "Hello? Anyone?"]
            answered_conv = rhub.store.conversation(conv_a)
            assert (answered_conv.status, answered_conv.assignee_id) == ("open", a.id)
            await op_b.close()

    asyncio.run(scenario())


def test_round_robin_offers_in_member_order(rhub: RoutingHub) -> None:
    accs = rhub.accounts.all
    line(rhub, "first", [x.username for x in accs], kind="first", offer_timeout_s=60)

    async def scenario() -> None:
        ops = await signed_in(rhub, *(x.username for x in accs))
        got = []
        customers = []
        for i in range(4):
            cust = await CustomerClient.connect(rhub.ws_url)
            customers.append(cust)
            conv_id = (await cust.send(f"question {i}")).conversation_id
            ev = await ops[0].wait_frame(ConversationOffered, lambda e, c=conv_id: e.conversation.id == c)
            got.append(ev.operator_id)
        assert got == [accs[0].id, accs[1].id, accs[2].id, accs[0].id]
        for c in customers:
            await c.close()
        for op in ops:
            await op.close()

    asyncio.run(scenario())


def test_decline_offers_it_to_someone_else(rhub: RoutingHub) -> None:
    a, b = rhub.accounts.operator, rhub.accounts.operator2
    line(rhub, "first", [a.username, b.username], kind="first", offer_timeout_s=60)

    async def scenario() -> None:
        op_a, op_b = await signed_in(rhub, a.username, b.username)
        async with CustomerClient.connected(rhub.ws_url) as cust:
            conv_id = (await cust.send("hi")).conversation_id
            await op_a.wait_frame(ConversationOffered, lambda e: e.operator_id == a.id)
            await op_a.request(DeclineOffer(txn_id=txn(), conversation_id=conv_id))
            ev = await op_b.wait_frame(ConversationOffered, lambda e: e.operator_id == b.id)
            assert ev.conversation.id == conv_id
            me = await op_a.sync()
            assert [o["status"] for o in me["operators"] if o["id"] == a.id] == ["online"]  # declining is fine
        for op in (op_a, op_b):
            await op.close()

    asyncio.run(scenario())


def test_least_loaded_offers_to_the_operator_with_fewest_chats(rhub: RoutingHub) -> None:
    a, b = rhub.accounts.operator, rhub.accounts.operator2
    line(rhub, "first", [a.username, b.username], kind="first", strategy="least_loaded", offer_timeout_s=60)

    async def scenario() -> None:
        op_a, op_b = await signed_in(rhub, a.username, b.username)
        await op_b.set_status("away")
        custs = [await CustomerClient.connect(rhub.ws_url) for _ in range(3)]
        for cust in custs[:2]:
            conv_id = (await cust.send("busy day")).conversation_id
            await op_a.wait_frame(ConversationOffered, lambda e, c=conv_id: e.conversation.id == c)
            await accept(op_a, conv_id)
        await op_b.set_status("online")
        conv_id = (await custs[2].send("me too")).conversation_id
        ev = await op_a.wait_frame(ConversationOffered, lambda e: e.conversation.id == conv_id)
        assert ev.operator_id == b.id  # a has 2 chats, b none
        for c in custs:
            await c.close()
        for op in (op_a, op_b):
            await op.close()

    asyncio.run(scenario())


def test_manual_pick_line_offers_nothing_and_operators_take(rhub: RoutingHub) -> None:
    a = rhub.accounts.operator
    line(rhub, "first", [a.username], kind="first", strategy="manual")

    async def scenario() -> None:
        (op_a,) = await signed_in(rhub, a.username)
        async with CustomerClient.connected(rhub.ws_url) as cust:
            conv_id = (await cust.send("anyone?")).conversation_id
            queued = await op_a.wait_conversation(lambda c: c.id == conv_id)
            assert queued.conversation.status == "queued"
            assert queued.conversation.queue_id is not None
            rhub.call(rhub.hub.route())  # a routing pass has certainly run
            assert offers(op_a) == []
            taken = await op_a.take(conv_id)
            assert (taken.status, taken.assignee_id) == ("open", a.id)
        await op_a.close()

    asyncio.run(scenario())


def test_vip_customer_is_offered_first(rhub: RoutingHub) -> None:
    a = rhub.accounts.operator
    line(rhub, "first", [a.username], kind="first", offer_timeout_s=60)

    async def scenario() -> None:
        (op_a,) = await signed_in(rhub, a.username)
        await op_a.set_status("away")
        regular = await CustomerClient.connect(rhub.ws_url, name="Regular")
        vip = await CustomerClient.connect(rhub.ws_url, name="Important")
        r_id = (await regular.send("first in line")).conversation_id
        v_id = (await vip.send("second in line, but VIP")).conversation_id
        vip_conv = await op_a.wait_conversation(lambda c: c.id == v_id)
        rhub.store.set_vip(vip_conv.conversation.customer.id)
        await op_a.set_status("online")
        await op_a.wait_frame(ConversationOffered, lambda e: e.conversation.id == r_id)
        order = [e.conversation.id for e in offers(op_a)]
        assert order == [v_id, r_id]
        assert offers(op_a)[0].conversation.customer.vip is True
        for c in (regular, vip):
            await c.close()
        await op_a.close()

    asyncio.run(scenario())


async def _assigned(h: RoutingHub, op: OperatorClient, cust: CustomerClient, text: str) -> int:
    conv_id = (await cust.send(text)).conversation_id
    await op.wait_frame(ConversationOffered, lambda e: e.conversation.id == conv_id and e.operator_id == op.operator_id)
    await accept(op, conv_id)
    return conv_id


def test_transfer_to_an_operator_with_a_note_the_customer_never_sees(rhub: RoutingHub) -> None:
    a, b = rhub.accounts.operator, rhub.accounts.operator2
    line(rhub, "first", [a.username], kind="first", offer_timeout_s=60)

    async def scenario() -> None:
        op_a, op_b = await signed_in(rhub, a.username, b.username)
        async with CustomerClient.connected(rhub.ws_url, name="Petro") as cust:
            conv_id = await _assigned(rhub, op_a, cust, "My invoice is wrong, order 77")
            await op_a.send_message(conv_id, "Let me pass you to billing")
            transfer = Transfer(
                txn_id=txn(), conversation_id=conv_id, operator_id=b.id, note="Invoice 77 double-charged"
            )
            await op_a.request(transfer)
            moved = await op_b.wait_conversation(lambda c: c.id == conv_id and c.assignee_id == b.id)
            assert moved.conversation.status == "open"
            # a retry (same txn_id) answers the same and stores no second note
            again = await op_a.request(transfer)
            assert again["conversation"]["assignee_id"] == b.id
            hist = await op_b.history(conv_id)
            msgs = [convert(m, MessageInfo) for m in hist["messages"]]
            assert [(m.text, m.internal) for m in msgs] == [
                ("My invoice is wrong, order 77", False),
                ("Let me pass you to billing", False),
                ("Invoice 77 double-charged", True),
            ]
            # the new assignee can answer at once; the customer sees replies, never the note
            await op_b.send_message(conv_id, "Refund is on its way")
            await cust.wait_message(lambda m: m.text == "Refund is on its way")
            assert "double-charged" not in " ".join(m.text for m in cust.messages)
            assert cust.undecodable == []
        async with CustomerClient.connected(rhub.ws_url, visitor_token=cust.visitor_token) as again:
            assert [m.text for m in again.welcome.messages] == [
                "My invoice is wrong, order 77",
                "Let me pass you to billing",
                "Refund is on its way",
            ]
        for op in (op_a, op_b):
            await op.close()

    asyncio.run(scenario())


def test_transfer_to_a_line_offers_it_to_that_line(rhub: RoutingHub) -> None:
    a, b = rhub.accounts.operator, rhub.accounts.operator2
    line(rhub, "first", [a.username], kind="first", offer_timeout_s=60)
    billing = line(rhub, "billing", [b.username], offer_timeout_s=60)

    async def scenario() -> None:
        op_a, op_b = await signed_in(rhub, a.username, b.username)
        async with CustomerClient.connected(rhub.ws_url) as cust:
            conv_id = await _assigned(rhub, op_a, cust, "Refund please")
            await op_a.request(Transfer(txn_id=txn(), conversation_id=conv_id, queue_id=billing, note="refund"))
            ev = await op_b.wait_frame(
                ConversationOffered, lambda e: e.conversation.id == conv_id and e.conversation.queue_id == billing
            )
            assert ev.operator_id == b.id
            got = await accept(op_b, conv_id)
            assert got.assignee_id == b.id
            # bad input: neither or both targets
            with pytest.raises(CommandFailed) as exc:
                await op_b.request(Transfer(txn_id=txn(), conversation_id=conv_id, note="x"))
            assert exc.value.code == "invalid_frame"
        for op in (op_a, op_b):
            await op.close()

    asyncio.run(scenario())


def test_internal_note_reaches_operators_only(rhub: RoutingHub) -> None:
    a = rhub.accounts.operator
    line(rhub, "first", [a.username], kind="first", offer_timeout_s=60)

    async def scenario() -> None:
        (op_a,) = await signed_in(rhub, a.username)
        async with CustomerClient.connected(rhub.ws_url) as cust:
            conv_id = await _assigned(rhub, op_a, cust, "hello")
            from app.protocol.messages import SendMessage

            note = await op_a.request(
                SendMessage(txn_id=txn(), conversation_id=conv_id, text="secret: VIP upsell", internal=True)
            )
            assert note["message"]["internal"] is True
            await op_a.wait_message(lambda m: m.text == "secret: VIP upsell" and m.internal)
            await op_a.send_message(conv_id, "public answer")
            await cust.wait_message(lambda m: m.text == "public answer")
            assert [m.text for m in cust.messages] == ["public answer"]
            # a note does not stop the customer's clock
            state = await op_a.sync()
            (conv,) = [c for c in state["conversations"] if c["id"] == conv_id]
            assert conv["state"] == "waiting"
        await op_a.close()

    asyncio.run(scenario())


def test_typing_and_viewing_reach_the_other_side(rhub: RoutingHub) -> None:
    a, b = rhub.accounts.operator, rhub.accounts.operator2
    line(rhub, "first", [a.username], kind="first", offer_timeout_s=60)

    async def scenario() -> None:
        op_a, op_b = await signed_in(rhub, a.username, b.username)
        async with CustomerClient.connected(rhub.ws_url) as cust:
            conv_id = await _assigned(rhub, op_a, cust, "hello")
            await op_a.send_frame(Typing(conversation_id=conv_id, typing=True))
            assert (await cust.wait_frame(OperatorTyping)).typing is True
            seen = await op_b.wait_frame(TypingEvent, lambda e: e.who == "operator")
            assert (seen.conversation_id, seen.operator_id) == (conv_id, a.id)
            await cust.send_frame(CustomerTyping(typing=True))
            ev = await op_a.wait_frame(TypingEvent, lambda e: e.who == "customer")
            assert (ev.conversation_id, ev.typing) == (conv_id, True)
            # collision: both operators have the conversation open
            await op_a.send_frame(Viewing(conversation_id=conv_id))
            await op_b.send_frame(Viewing(conversation_id=conv_id))
            both = await op_a.wait_frame(ViewingEvent, lambda e: len(e.operator_ids) == 2)
            assert both.operator_ids == sorted([a.id, b.id])
            await op_b.close()
            await op_a.wait_frame(ViewingEvent, lambda e: e.operator_ids == [a.id])
        await op_a.close()

    asyncio.run(scenario())


def test_snooze_then_customer_reply_reopens_and_snooze_ends_by_clock(rhub: RoutingHub) -> None:
    a = rhub.accounts.operator
    line(rhub, "first", [a.username], kind="first", offer_timeout_s=60)

    async def scenario() -> None:
        (op_a,) = await signed_in(rhub, a.username)
        async with CustomerClient.connected(rhub.ws_url) as cust:
            conv_id = await _assigned(rhub, op_a, cust, "hello")
            await op_a.send_message(conv_id, "Please check and tell me")
            await op_a.wait_conversation(lambda c: c.id == conv_id and c.state == "waiting")
            until = rhub.clock() + timedelta(hours=1)
            data = await op_a.request(
                SetState(txn_id=txn(), conversation_id=conv_id, state="snoozed", snoozed_until=until)
            )
            assert data["conversation"]["state"] == "snoozed"
            await cust.send("Checked, still broken")
            reopened = await op_a.wait_conversation(lambda c: c.id == conv_id and c.state == "open")
            assert reopened.conversation.snoozed_until is None
            # snooze that simply runs out
            await op_a.request(
                SetState(
                    txn_id=txn(),
                    conversation_id=conv_id,
                    state="snoozed",
                    snoozed_until=rhub.clock() + timedelta(minutes=5),
                )
            )
            n = len(op_a.frames())
            rhub.clock.offset = timedelta(minutes=6)
            await op_a.wait_frame(
                ConversationUpdated,  # from the clock, not from a message
                lambda e: (
                    e.conversation.id == conv_id and e.conversation.state == "open" and op_a.received.index(e) >= n
                ),
            )
            # bad input: snoozing into the past
            with pytest.raises(CommandFailed) as exc:
                await op_a.request(
                    SetState(txn_id=txn(), conversation_id=conv_id, state="snoozed", snoozed_until=rhub.clock())
                )
            assert exc.value.code == "invalid_frame" and "future" in exc.value.text
        await op_a.close()

    asyncio.run(scenario())


def test_sla_breach_is_recorded_once(rhub: RoutingHub) -> None:
    a = rhub.accounts.operator
    line(rhub, "first", [a.username], kind="first", first_response_s=90, next_response_s=300)

    async def scenario() -> None:
        (op_a,) = await signed_in(rhub, a.username)
        await op_a.set_status("away")
        async with CustomerClient.connected(rhub.ws_url) as cust:
            conv_id = (await cust.send("waiting...")).conversation_id
            ev = await op_a.wait_conversation(lambda c: c.id == conv_id)
            assert ev.conversation.sla_kind == "first" and ev.conversation.sla_target_s == 90
            assert ev.conversation.sla_due_at is not None
            assert rhub.store.sla_breaches() == []
            rhub.clock.offset = timedelta(seconds=100)
            breach = await op_a.wait_frame(SlaBreached, lambda e: e.conversation_id == conv_id)
            assert breach.kind == "first" and breach.due_at == ev.conversation.sla_due_at
            for _ in range(3):  # more checks change nothing
                rhub.call(rhub.hub.tick())
            rows = rhub.store.sla_breaches()
            assert [(r[0], r[1], r[2]) for r in rows] == [(conv_id, "first", 90)]
            assert len(op_a.frames(SlaBreached)) == 1
        await op_a.close()

    asyncio.run(scenario())
