"""Resume, must-deliver acknowledgements and keepalive against a real hub."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.protocol.messages import ConversationUpdated, Error, MessageCreated
from app.storage import Store, make_engine
from tests.conftest import TestHub, create_test_accounts, running_hub
from tests.helpers import CustomerClient, OperatorClient, new_conversations, wait_until


def scenario(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test body on its own loop (the hub runs on another thread)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run


def db_events_after(db_url: str, seq: int) -> list[int]:
    engine = make_engine(db_url)
    try:
        return [row[0] for row in Store(engine).events_after(seq, limit=100_000)]
    finally:
        engine.dispose()


def pending(db_url: str, operator_id: int) -> list[int]:
    engine = make_engine(db_url)
    try:
        return Store(engine).pending_deliveries(operator_id)
    finally:
        engine.dispose()


@pytest.fixture
def small_hub(tmp_path: Path) -> Iterator[TestHub]:
    """A hub that replays at most 6 events and re-sends unacknowledged deliveries every 0.1 s."""
    with running_hub(tmp_path, "small", resume_cap=6, redeliver_interval_s=0.1) as h:
        yield h


@scenario
async def test_resume_replays_exactly_the_missed_events(hub) -> None:
    acc = hub.accounts.operator
    async with OperatorClient.connected(hub.ws_url) as watcher:  # keeps a conversation queued: not olena
        await watcher.login(hub.accounts.supervisor.username, acc.password)
        await watcher.set_status("away")
        op = await OperatorClient.connect(hub.ws_url)
        await op.login(acc.username, acc.password)
        first = await op.sync()
        epoch = first["epoch"]
        await op.set_status("away")  # receives its own event, then leaves
        await op.wait_operator(lambda o: o.id == op.operator_id and o.status == "away")
        last_seen = max(first["seq"], op.max_seq)
        token = op.token
        await op.close()
        await watcher.wait_operator(lambda o: o.id == op.operator_id and o.status == "offline")

        async with CustomerClient.connected(hub.ws_url) as cust:
            for text in ("one", "two", "three"):
                await cust.send(text)

        async with OperatorClient.connected(hub.ws_url) as again:
            await again.resume(token)
            data = await again.sync(last_seq=last_seen, epoch=epoch)
            assert data["recovered"] is True
            assert "conversations" not in data
            seqs = [e["seq"] for e in data["events"]]
            assert seqs == sorted(set(seqs)), "in order, no duplicates"
            # exactly the log between what the client had and the result's seq
            assert seqs == [s for s in db_events_after(hub.db_url, last_seen) if s <= data["seq"]]
            texts = [e["message"]["text"] for e in data["events"] if e["type"] == "message_created"]
            assert texts == ["one", "two", "three"]


@scenario
async def test_wrong_epoch_or_unknown_seq_gives_the_full_state(hub) -> None:
    acc = hub.accounts.operator
    async with OperatorClient.connected(hub.ws_url) as op:
        await op.login(acc.username, acc.password)
        first = await op.sync()
        seq, epoch = first["seq"], first["epoch"]
        for last_seq, claimed in ((seq, "another-epoch"), (seq, ""), (seq + 50, epoch)):
            data = await op.sync(last_seq=last_seq, epoch=claimed)
            assert data["recovered"] is False
            assert "events" not in data
            assert {o["username"] for o in data["operators"]} >= {acc.username}


@scenario
async def test_a_gap_over_the_cap_gives_the_full_state(small_hub) -> None:
    acc = small_hub.accounts.operator
    async with OperatorClient.connected(small_hub.ws_url) as op:
        await op.login(acc.username, acc.password)
        first = await op.sync()
        async with CustomerClient.connected(small_hub.ws_url) as cust:
            await cust.send("a")
        near = await op.sync(last_seq=first["seq"], epoch=first["epoch"])
        assert near["recovered"] is True and near["events"]
        async with CustomerClient.connected(small_hub.ws_url) as cust:
            for text in ("b", "c", "d", "e"):
                await cust.send(text)
        far = await op.sync(last_seq=first["seq"], epoch=first["epoch"])
        assert far["seq"] - first["seq"] > 6
        assert far["recovered"] is False
        assert len(far["conversations"]) == 2


def assignments(op: OperatorClient, conv_id: int) -> list[ConversationUpdated]:
    return [
        e
        for e in op.frames(ConversationUpdated)
        if e.conversation.id == conv_id and e.conversation.assignee_id == op.operator_id and e.must_ack
    ]


@scenario
async def test_an_unacknowledged_assignment_comes_again_after_reconnect_and_restart(hub) -> None:
    acc = hub.accounts.operator
    op = await OperatorClient.connect(hub.ws_url)
    await op.login(acc.username, acc.password)
    first = await op.sync()
    async with CustomerClient.connected(hub.ws_url) as cust:
        sent = await cust.send("hello?")
    conv_id = sent.conversation_id
    ev = await op.wait_conversation(lambda c: c.id == conv_id and c.assignee_id == op.operator_id)
    assert ev.must_ack, "the assignment asks for an acknowledgement"
    # other events of that burst do not
    assert not any(e.must_ack for e in op.frames(MessageCreated))
    token = op.token
    await op.close()  # never acknowledged

    # resume: the assignment is in the replay, flagged
    async with OperatorClient.connected(hub.ws_url) as again:
        await again.resume(token)
        data = await again.sync(last_seq=first["seq"], epoch=first["epoch"])
        flagged = [e for e in data["events"] if e.get("must_ack")]
        assert [e["seq"] for e in flagged] == [ev.seq]

    # the hub restarts: it has not forgotten; a full sync is followed by the redelivery
    hub.stop()
    hub.start()
    async with OperatorClient.connected(hub.ws_url) as again:
        await again.resume(token)
        data = await again.sync()
        assert data["recovered"] is False
        redelivered = await again.wait_frame(ConversationUpdated, lambda e: e.seq == ev.seq)
        assert redelivered.must_ack and redelivered.conversation.id == conv_id
        await again.ack(redelivered.seq)
        await wait_until(lambda: pending(hub.db_url, again.operator_id) == [], message="ack stored")

    # acknowledged: nothing comes again
    async with OperatorClient.connected(hub.ws_url) as again:
        await again.resume(token)
        await again.sync()
        await again.sync(last_seq=first["seq"], epoch=first["epoch"])
        await again.history(conv_id)  # its answer comes after anything the syncs queued
        assert not [f for f in again.events if f.must_ack]


@scenario
async def test_live_connection_gets_the_assignment_again_until_it_acks(small_hub) -> None:
    acc = small_hub.accounts.operator
    async with OperatorClient.connected(small_hub.ws_url) as op:
        await op.login(acc.username, acc.password)
        await op.sync()
        async with CustomerClient.connected(small_hub.ws_url) as cust:
            sent = await cust.send("anyone?")
        await wait_until(lambda: len(assignments(op, sent.conversation_id)) >= 3, message="re-sent")
        seq = assignments(op, sent.conversation_id)[0].seq
        assert {e.seq for e in assignments(op, sent.conversation_id)} == {seq}
        await op.ack(seq)
        await wait_until(lambda: pending(small_hub.db_url, op.operator_id) == [])


@scenario
async def test_an_ack_beyond_the_log_is_refused_and_changes_nothing(hub) -> None:
    acc = hub.accounts.operator
    async with OperatorClient.connected(hub.ws_url) as op:
        await op.login(acc.username, acc.password)
        await op.sync()
        async with CustomerClient.connected(hub.ws_url) as cust:
            await cust.send("hi")
        ev = await op.wait_conversation(lambda c: c.assignee_id == op.operator_id)
        await op.ack(10**9)
        err = await op.wait_frame(Error, lambda e: e.txn_id is None)
        assert err.code == "invalid_frame"
        assert pending(hub.db_url, op.operator_id) == [ev.seq]


@scenario
async def test_ack_before_auth_is_refused(hub) -> None:
    async with OperatorClient.connected(hub.ws_url) as op:
        await op.ack(1)
        err = await op.wait_frame(Error)
        assert err.code == "not_authenticated"


@scenario
async def test_hub_drops_a_half_open_operator_within_the_keepalive(tmp_path: Path) -> None:
    """A client that stops answering pings (its socket is not read any more) is closed
    by the hub's keepalive and goes offline for the team."""
    url = f"sqlite:///{tmp_path / 'ka.db'}"
    h = TestHub(
        # Short enough to see the drop quickly, long enough that the well-behaved watcher's
        # pongs arrive in time on a loaded CI machine (0.2 s timeouts made it flaky there).
        url, create_test_accounts(url), ping_interval_s=0.3, ping_timeout_s=1.0, close_timeout_s=0.5
    )
    h.start()
    try:
        acc = h.accounts
        async with OperatorClient.connected(h.ws_url, ping_interval=None) as watcher:
            await watcher.login(acc.supervisor.username, acc.supervisor.password)
            mute = await OperatorClient.connect(h.ws_url, ping_interval=None)
            await mute.login(acc.operator.username, acc.operator.password)
            mute.ws.transport.pause_reading()  # half-open: the hub's pings go unanswered
            await watcher.wait_operator(
                lambda o: o.id == mute.operator_id and o.status == "offline", timeout=6
            )
            mute.ws.transport.abort()
    finally:
        h.stop()


def test_one_filter_decides_live_events_and_replays(hub, monkeypatch) -> None:
    """Hub.visible_to is the single per-recipient filter: what it hides is neither sent
    live nor replayed on resume."""
    from app.hub.server import Hub
    from app.protocol.messages import OperatorUpdated

    monkeypatch.setattr(Hub, "visible_to", lambda self, conn, ev: not isinstance(ev, OperatorUpdated))

    @scenario
    async def body() -> None:
        acc = hub.accounts.operator
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            first = await op.sync()
            async with CustomerClient.connected(hub.ws_url) as cust:
                await cust.send("filtered?")
            await op.wait_message(lambda m: m.text == "filtered?")
            await op.set_status("away")  # an operator_updated event, hidden
            again = await op.sync(last_seq=first["seq"], epoch=first["epoch"])
            assert again["recovered"] is True
            kinds = {e["type"] for e in again["events"]}
            assert kinds == {"conversation_updated", "message_created"}
            assert not op.frames(OperatorUpdated)
            assert len(again["events"]) < len(db_events_after(hub.db_url, first["seq"]))

    body()


@pytest.fixture
def paged_hub(tmp_path: Path) -> Iterator[TestHub]:
    """A hub that sends the team inbox in pages of 3 conversations."""
    with running_hub(tmp_path, "paged", sync_page_size=3) as h:
        yield h


@scenario
async def test_the_full_state_comes_in_pages_without_overlap_or_gaps(paged_hub) -> None:
    from app.protocol.messages import SyncPage

    ids = await new_conversations(paged_hub.ws_url, 7)
    acc = paged_hub.accounts.operator
    async with OperatorClient.connected(paged_hub.ws_url) as op:
        await op.login(acc.username, acc.password)
        first = await op.sync()
        assert first["recovered"] is False
        pages = [[c["id"] for c in first["conversations"]]]
        cursor = first["more_after"]
        while cursor is not None:
            page = await op.request(SyncPage(txn_id=f"page-{cursor}", after_id=cursor))
            pages.append([c["id"] for c in page["conversations"]])
            cursor = page["more_after"]
        assert [len(p) for p in pages] == [3, 3, 1]
        assert [cid for p in pages for cid in p] == sorted(ids)
        # a cursor past the end is an empty last page, not an error
        tail = await op.request(SyncPage(txn_id="past-the-end", after_id=10**9))
        assert tail == {"conversations": [], "more_after": None}


@scenario
async def test_sync_page_before_sign_in_is_refused(paged_hub) -> None:
    from app.protocol.messages import SyncPage

    async with OperatorClient.connected(paged_hub.ws_url) as op:
        answer = await op.request_frame(SyncPage(txn_id="early", after_id=0))
        assert isinstance(answer, Error) and answer.code == "not_authenticated"
