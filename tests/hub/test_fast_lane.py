"""The fast lane (docs/hub.md): a connection's hot commands (customer messages, operator
replies) are taken as they are parsed and several of one connection are stored in the
same group commit, instead of each waiting for the one before it to commit. What a user
checks: every message stored once, in the order it was sent, each answered, and an
ordinary command after them still sees (and follows) them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from app.hub.connection import FAST_INFLIGHT_MAX
from app.protocol import ErrorCode
from app.protocol.messages import CustomerSend, CustomerTyping, Error, MessageCreated, Result, SendMessage, TypingEvent
from tests.conftest import TestHub
from tests.helpers import CustomerClient, OperatorClient, ProtoClient, scenario, txn, wait_until


@contextmanager
def database_held(hub: TestHub) -> Iterator[threading.Event]:
    """Hold the hub's database thread, so writes pile up where they wait for it."""
    gate = threading.Event()
    assert hub.hub._executor is not None
    hub.hub._executor.submit(gate.wait)
    try:
        yield gate
    finally:
        gate.set()


def answers(client: ProtoClient) -> list[Result | Error]:
    """Results and errors with a txn_id, in the order they arrived (sent without
    ``request``, they land in ``received``)."""
    return [f for f in client.received if isinstance(f, Result | Error) and f.txn_id]


async def open_conversation(hub: TestHub, op: OperatorClient, cust: CustomerClient) -> int:
    conv = (await cust.send("hello")).conversation_id
    await op.wait_conversation(lambda c: c.id == conv and c.status == "open")
    return conv


@asynccontextmanager
async def chat(hub: TestHub) -> AsyncIterator[tuple[OperatorClient, CustomerClient, int]]:
    """The operator signed in, and a customer's conversation open with them."""
    acc = hub.accounts.operator
    async with OperatorClient.connected(hub.ws_url) as op, CustomerClient.connected(hub.ws_url) as cust:
        await op.login(acc.username, acc.password)
        await op.sync()
        yield op, cust, await open_conversation(hub, op, cust)


@scenario
async def test_an_operators_replies_are_stored_together_in_order_and_each_answered(hub: TestHub) -> None:
    async with chat(hub) as (op, cust, conv):
        sent = [SendMessage(txn_id=txn(), conversation_id=conv, text=f"reply {i}") for i in range(5)]
        with database_held(hub):
            for frame in sent:
                await op.send_frame(frame)
            # all five wait for the same commit: none waited for the one before it
            await wait_until(lambda: len(hub.hub._batch) == 5, message="five replies queued together")
        await wait_until(lambda: len(answers(op)) == 5)
        got = answers(op)
        assert [a.txn_id for a in got] == [f.txn_id for f in sent]
        assert all(isinstance(a, Result) for a in got), got
        ids = [a.data["message"]["id"] for a in got if isinstance(a, Result)]
        assert ids == sorted(ids)
        history = [m["text"] for m in (await op.history(conv))["messages"]]
        assert history == ["hello"] + [f"reply {i}" for i in range(5)]
        for i in range(5):  # the customer sees each once, in order
            await cust.wait_message(lambda m, i=i: m.text == f"reply {i}")
        assert [m.text for m in cust.messages if m.author == "operator"] == [f"reply {i}" for i in range(5)]


@scenario
async def test_a_customers_messages_sent_back_to_back_are_each_stored_once_in_order(hub: TestHub) -> None:
    async with chat(hub) as (op, cust, conv):
        sent = [CustomerSend(txn_id=txn(), text=f"detail {i}") for i in range(4)]
        with database_held(hub):
            for frame in sent:
                await cust.send_frame(frame)
            await wait_until(lambda: len(hub.hub._batch) == 4, message="four messages queued together")
            await cust.send_frame(sent[1])  # the widget retried one: stored once
        await wait_until(lambda: len(answers(cust)) == 5)
        got = answers(cust)
        assert [a.txn_id for a in got] == [f.txn_id for f in [*sent, sent[1]]]
        assert all(isinstance(a, Result) for a in got), got
        assert got[4].data["message"]["id"] == got[1].data["message"]["id"]  # type: ignore[union-attr]
        for i in range(4):
            await op.wait_message(lambda m, i=i: m.text == f"detail {i}")
        history = [m["text"] for m in (await op.history(conv))["messages"]]
        assert history == ["hello"] + [f"detail {i}" for i in range(4)]


@scenario
async def test_a_command_after_hot_ones_follows_them(hub: TestHub) -> None:
    """The customer stops typing right after sending: the operator must not see
    "stopped typing" before the message it belongs to, even while the message waits
    for the database."""
    async with chat(hub) as (op, cust, conv):
        with database_held(hub):
            await cust.send_frame(CustomerSend(txn_id=txn(), text="my order number is 4411"))
            await cust.send_frame(CustomerTyping(typing=False))
            await wait_until(lambda: len(hub.hub._batch) == 1)
        await op.wait_frame(TypingEvent, lambda e: e.conversation_id == conv and not e.typing)
        order = [
            "message" if isinstance(f, MessageCreated) else "typing"
            for f in op.received
            if (isinstance(f, MessageCreated) and f.message.text == "my order number is 4411")
            or (isinstance(f, TypingEvent) and f.conversation_id == conv)
        ]
        assert order == ["message", "typing"]


@scenario
async def test_more_replies_than_the_lane_holds_wait_their_turn_and_none_is_lost(hub: TestHub) -> None:
    acc = hub.accounts.operator
    count = FAST_INFLIGHT_MAX * 2 + 7
    async with OperatorClient.connected(hub.ws_url) as op, CustomerClient.connected(hub.ws_url) as cust:
        await op.login(acc.username, acc.password)
        await op.sync()
        conv = await open_conversation(hub, op, cust)
        sent = [SendMessage(txn_id=txn(), conversation_id=conv, text=f"line {i}") for i in range(count)]
        with database_held(hub):
            for frame in sent:
                await op.send_frame(frame)
            # one connection never has more than FAST_INFLIGHT_MAX writes waiting: the
            # rest wait unread (and TCP pushes back on a client that floods)
            await wait_until(lambda: len(hub.hub._batch) == FAST_INFLIGHT_MAX)
            assert len(hub.hub._batch) == FAST_INFLIGHT_MAX
        await wait_until(lambda: len(answers(op)) == count, timeout=20)
        assert [a.txn_id for a in answers(op)] == [f.txn_id for f in sent]
        assert all(isinstance(a, Result) for a in answers(op))
        page = await op.history(conv, limit=count + 1)
        assert [m["text"] for m in page["messages"]] == ["hello"] + [f"line {i}" for i in range(count)]


@scenario
async def test_refused_and_broken_frames_between_hot_ones_fail_alone(hub: TestHub) -> None:
    async with chat(hub) as (op, _cust, conv):
        first = SendMessage(txn_id=txn(), conversation_id=conv, text="first")
        empty = SendMessage(txn_id=txn(), conversation_id=conv, text="   ")
        elsewhere = SendMessage(txn_id=txn(), conversation_id=conv + 999, text="to nowhere")
        last = SendMessage(txn_id=txn(), conversation_id=conv, text="last")
        with database_held(hub):
            await op.send_frame(first)
            await op.send_frame(empty)
            await op.send_raw('{"type": "send_message", "txn_id": "x", "conversation_id": ')  # cut off
            await op.send_frame(elsewhere)
            await op.send_frame(last)
        await wait_until(lambda: len(answers(op)) == 4)
        by_txn = {a.txn_id: a for a in answers(op)}
        assert isinstance(by_txn[first.txn_id], Result)
        assert isinstance(by_txn[last.txn_id], Result)
        refused = by_txn[empty.txn_id]
        assert isinstance(refused, Error) and refused.code == ErrorCode.EMPTY_TEXT
        missing = by_txn[elsewhere.txn_id]
        assert isinstance(missing, Error) and missing.code == ErrorCode.NOT_FOUND
        bad = await op.wait_frame(Error, lambda e: e.txn_id is None)
        assert bad.code == ErrorCode.BAD_JSON
        assert [a.txn_id for a in answers(op)] == [first.txn_id, empty.txn_id, elsewhere.txn_id, last.txn_id]
        history = [m["text"] for m in (await op.history(conv))["messages"]]
        assert history == ["hello", "first", "last"]
        assert op.is_open


@scenario
async def test_many_connections_writing_at_once_lose_and_duplicate_nothing(hub: TestHub) -> None:
    acc = hub.accounts.operator
    async with OperatorClient.connected(hub.ws_url) as op:
        await op.login(acc.username, acc.password)
        await op.sync()
        customers = [await CustomerClient.connect(hub.ws_url) for _ in range(3)]
        try:
            convs = [await open_conversation(hub, op, c) for c in customers]
            rounds = 10

            async def customer(c: CustomerClient) -> None:
                for k in range(rounds):
                    await c.send_frame(CustomerSend(txn_id=txn(), text=f"q{k}"))

            async def operator() -> None:
                for k in range(rounds):
                    for conv in convs:
                        await op.send_frame(SendMessage(txn_id=txn(), conversation_id=conv, text=f"a{k}"))

            await asyncio.gather(operator(), *(customer(c) for c in customers))
            await wait_until(lambda: len(answers(op)) == rounds * len(convs), timeout=20)
            for c in customers:
                await wait_until(lambda c=c: len(answers(c)) == rounds, timeout=20)
            for conv, c in zip(convs, customers, strict=True):
                texts = [m["text"] for m in (await op.history(conv, limit=100))["messages"]]
                assert [t for t in texts if t.startswith("q")] == [f"q{k}" for k in range(rounds)]
                assert [t for t in texts if t.startswith("a")] == [f"a{k}" for k in range(rounds)]
                await wait_until(lambda c=c: len([m for m in c.messages if m.author == "operator"]) == rounds)
                assert [m.text for m in c.messages if m.author == "operator"] == [f"a{k}" for k in range(rounds)]
            seqs = [e.seq for e in op.events]
            assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        finally:
            for c in customers:
                await c.close()
