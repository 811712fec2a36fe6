"""The desktop client's sync service (app.client, no Qt) against a real hub: resume,
reload, acknowledgements, the durable outbox and keepalive."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from websockets.asyncio.server import ServerConnection, serve

from app.client.connection import HubConnection
from app.client.outbox import OutboxItem
from app.client.secrets import MemorySecretStore
from app.client.session import OperatorSession, backoff_delays
from app.protocol import PROTOCOL_VERSION, encode
from app.protocol.messages import Auth, MessageCreated, MessageInfo, Welcome
from app.storage import Store, make_engine
from tests.conftest import TestHub, create_test_accounts, running_hub
from tests.helpers import CustomerClient, new_conversations, wait_until


def scenario(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 14, 2, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def store_of(hub: TestHub) -> Store:
    return Store(make_engine(hub.db_url))


def hub_texts(hub: TestHub, conversation_id: int) -> list[str]:
    store = store_of(hub)
    try:
        return [m.text for m in store.history(conversation_id, None, 200).messages]
    finally:
        store.engine.dispose()


def make_session(tmp_path: Path, **kw: Any) -> OperatorSession:
    s = OperatorSession(MemorySecretStore(), "dev-1", data_dir=tmp_path / "data", **kw)
    s.reconnect_first_delay = 0.02
    s.outbox_check_s = 0.05
    return s


class Gate:
    """Holds the session's reconnect attempts until opened (a link that stays down)."""

    def __init__(self, session: OperatorSession) -> None:
        self.open = asyncio.Event()
        self.open.set()
        real = session._open

        async def gated(url: str, timeout: float) -> HubConnection:
            await self.open.wait()
            return await real(url, timeout)

        session._open = gated  # type: ignore[method-assign]

    def drop(self, session: OperatorSession) -> None:
        """Close the link from the client side as a network drop would."""
        self.open.clear()
        assert session._conn is not None
        session._conn._ws.transport.abort()


async def in_thread(fn: Callable[[], Any]) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, fn)


async def answered_conversation(hub: TestHub, session: OperatorSession, cust: CustomerClient) -> int:
    sent = await cust.send("hello")
    conv_id = sent.conversation_id
    await wait_until(lambda: conv_id in session.conversations)
    await session.load_history(conv_id)
    return conv_id


@scenario
async def test_resume_after_a_drop_applies_exactly_the_missed_events(hub, tmp_path) -> None:
    acc = hub.accounts.operator
    session = make_session(tmp_path)
    gate = Gate(session)
    added: list[MessageInfo] = []
    session.message_added.connect(added.append)
    await session.login(hub.ws_url, acc.username, acc.password)
    async with CustomerClient.connected(hub.ws_url) as cust:
        conv_id = await answered_conversation(hub, session, cust)
        gate.drop(session)
        await wait_until(lambda: session.link.state == "reconnecting")
        for text in ("missed 1", "missed 2", "missed 3"):
            await cust.send(text)
        gate.open.set()
        await wait_until(lambda: session.link.state == "online", message="reconnected")
    assert session.last_sync == "recovered"
    missed = [m.text for m in added if m.text.startswith("missed")]
    assert missed == ["missed 1", "missed 2", "missed 3"], "each missed message once, in order"
    assert [m.text for m in session.messages_of(conv_id)] == hub_texts(hub, conv_id)
    store = store_of(hub)
    try:
        assert session.seq == store.last_seq()
    finally:
        store.engine.dispose()
    await session.close()


@scenario
async def test_an_event_that_comes_right_after_sign_in_does_not_skip_the_missed_ones(hub, tmp_path) -> None:
    """On reconnect the hub pushes live events as soon as the sign-in is answered, before
    the client has asked to resume: such an event must not move the resume point past
    the events missed while the link was down."""
    acc = hub.accounts.operator
    session = make_session(tmp_path)
    gate = Gate(session)
    added: list[MessageInfo] = []
    session.message_added.connect(added.append)
    race = asyncio.Event()
    gated_open = session._open

    async def open_with_a_live_event_after_auth(url: str, timeout: float) -> HubConnection:
        conn = await gated_open(url, timeout)
        if not race.is_set():
            return conn
        race.clear()
        real_request = conn.request

        async def request(command: Any, timeout: float = 15.0) -> dict[str, object]:
            data = await real_request(command, timeout)
            if isinstance(command, Auth):
                # a customer writes just after the sign-in: the event is in before the resume
                await cust.send("live after sign-in")
                await wait_until(
                    lambda: any(
                        isinstance(f, MessageCreated) and f.message.text == "live after sign-in"
                        for f in conn._early_events
                    ),
                    message="the live event arrived before the session took the connection",
                )
            return data

        conn.request = request  # type: ignore[method-assign]
        return conn

    session._open = open_with_a_live_event_after_auth  # type: ignore[method-assign]
    await session.login(hub.ws_url, acc.username, acc.password)
    async with CustomerClient.connected(hub.ws_url) as cust:
        conv_id = await answered_conversation(hub, session, cust)
        gate.drop(session)
        await wait_until(lambda: session.link.state == "reconnecting")
        for text in ("missed 1", "missed 2"):
            await cust.send(text)
        race.set()
        gate.open.set()
        await wait_until(lambda: session.link.state == "online", message="reconnected")
        assert not race.is_set(), "the reconnect went through the racing connection"
    assert session.last_sync == "recovered"
    later = [m.text for m in added if m.text.startswith(("missed", "live"))]
    assert later == ["missed 1", "missed 2", "live after sign-in"], "each once, in order"
    assert [m.text for m in session.messages_of(conv_id)] == hub_texts(hub, conv_id)
    await session.close()


@pytest.mark.parametrize("why", ["epoch", "gap"])
def test_a_new_epoch_or_a_big_gap_reloads_state_and_open_histories(tmp_path, why) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    hub = TestHub(url, create_test_accounts(url), resume_cap=3)
    hub.start()

    async def body() -> None:
        acc = hub.accounts.operator
        session = make_session(tmp_path)
        gate = Gate(session)
        await session.login(hub.ws_url, acc.username, acc.password)
        async with CustomerClient.connected(hub.ws_url) as cust:
            conv_id = await answered_conversation(hub, session, cust)
            gate.drop(session)
            await wait_until(lambda: session.link.state == "reconnecting")
            for n in range(4 if why == "gap" else 1):
                await cust.send(f"while away {n}")
            if why == "epoch":
                session.epoch = "an-epoch-of-another-database"
            gate.open.set()
            await wait_until(lambda: session.link.state == "online")
        assert session.last_sync == "reloaded"
        # the history that was open is complete again without the user asking
        assert [m.text for m in session.messages_of(conv_id)] == hub_texts(hub, conv_id)
        assert session.messages_of(conv_id)[-1].text.startswith("while away")
        await session.close()

    try:
        asyncio.run(body())
    finally:
        hub.stop()


@scenario
async def test_the_client_acknowledges_an_assignment(hub, tmp_path) -> None:
    acc = hub.accounts.operator
    session = make_session(tmp_path)
    await session.login(hub.ws_url, acc.username, acc.password)
    async with CustomerClient.connected(hub.ws_url) as cust:
        sent = await cust.send("help")
    await wait_until(lambda: sent.conversation_id in session.conversations)
    store = store_of(hub)
    try:
        await wait_until(lambda: store.pending_deliveries(acc.id) == [], message="acknowledged")
    finally:
        store.engine.dispose()
    await session.close()


@scenario
async def test_a_message_typed_while_the_hub_is_down_is_pending_then_sent_once(hub, tmp_path) -> None:
    acc = hub.accounts.operator
    session = make_session(tmp_path)
    changes: list[OutboxItem] = []
    session.outbox_changed.connect(changes.append)
    await session.login(hub.ws_url, acc.username, acc.password)
    async with CustomerClient.connected(hub.ws_url) as cust:
        conv_id = await answered_conversation(hub, session, cust)
    await in_thread(hub.stop)
    await wait_until(lambda: session.link.state == "reconnecting")
    first = session.send(conv_id, "typed offline 1")
    second = session.send(conv_id, "typed offline 2")
    assert [i.state for i in session.outbox_of(conv_id)] == ["pending", "pending"]
    assert session.waiting_count == 2
    await in_thread(hub.start)
    await wait_until(lambda: session.outbox_of(conv_id) == [], message="the outbox drained")
    assert hub_texts(hub, conv_id)[-2:] == ["typed offline 1", "typed offline 2"]
    assert hub_texts(hub, conv_id).count("typed offline 1") == 1
    sent = [c for c in changes if c.state == "sent"]
    assert [c.txn_id for c in sent] == [first.txn_id, second.txn_id]
    assert [m.text for m in session.messages_of(conv_id)][-2:] == ["typed offline 1", "typed offline 2"]
    # the hub stored them under the txn_ids made when they were typed
    assert [m.txn_id for m in session.messages_of(conv_id)][-2:] == [first.txn_id, second.txn_id]
    await session.close()


@scenario
async def test_after_five_minutes_a_message_is_not_sent_until_resend(hub, tmp_path) -> None:
    acc = hub.accounts.operator
    clock = Clock()
    session = make_session(tmp_path, clock=clock)
    await session.login(hub.ws_url, acc.username, acc.password)
    async with CustomerClient.connected(hub.ws_url) as cust:
        conv_id = await answered_conversation(hub, session, cust)
    await in_thread(hub.stop)
    await wait_until(lambda: session.link.state == "reconnecting")
    item = session.send(conv_id, "will fail")
    clock.now += timedelta(minutes=4, seconds=59)
    assert session.check_outbox() == []
    clock.now += timedelta(seconds=2)
    await wait_until(lambda: [i.state for i in session.outbox_of(conv_id)] == ["failed"], message="not sent")
    assert session.waiting_count == 0
    await in_thread(hub.start)
    await wait_until(lambda: session.link.state == "online")
    await session._flush()  # what the flusher does: a "not sent" message is not sent by itself
    assert "will fail" not in hub_texts(hub, conv_id)
    again = session.resend(item.txn_id)
    assert again is not None and again.state == "pending" and again.txn_id == item.txn_id
    await wait_until(lambda: session.outbox_of(conv_id) == [])
    assert hub_texts(hub, conv_id).count("will fail") == 1
    await session.close()


@scenario
async def test_pending_messages_survive_a_client_restart(hub, tmp_path) -> None:
    acc = hub.accounts.operator
    session = make_session(tmp_path)
    await session.login(hub.ws_url, acc.username, acc.password)
    async with CustomerClient.connected(hub.ws_url) as cust:
        conv_id = await answered_conversation(hub, session, cust)
    await in_thread(hub.stop)
    await wait_until(lambda: session.link.state == "reconnecting")
    typed = session.send(conv_id, "typed before quitting")
    await session.close()  # the app quits with the message unsent

    await in_thread(hub.start)
    again = make_session(tmp_path)  # the next start, same data folder
    seen: list[OutboxItem] = []
    again.outbox_changed.connect(seen.append)
    await again.login(hub.ws_url, acc.username, acc.password)
    await wait_until(lambda: any(i.state == "sent" for i in seen), message="sent after the restart")
    assert hub_texts(hub, conv_id).count("typed before quitting") == 1
    assert [i.txn_id for i in seen if i.state == "sent"] == [typed.txn_id]
    await again.close()


@scenario
async def test_bad_text_is_refused_before_it_is_queued(hub, tmp_path) -> None:
    from app.client.connection import CommandFailed

    acc = hub.accounts.operator
    session = make_session(tmp_path)
    await session.login(hub.ws_url, acc.username, acc.password)
    async with CustomerClient.connected(hub.ws_url) as cust:
        conv_id = await answered_conversation(hub, session, cust)
    for text, code in (("   ", "empty_text"), ("x" * 8001, "text_too_long")):
        with pytest.raises(CommandFailed) as err:
            session.send(conv_id, text)
        assert err.value.code == code
    assert session.outbox_of(conv_id) == []
    await session.close()


@scenario
async def test_the_client_notices_a_hub_that_stops_answering_pings() -> None:
    """Half-open: the hub's socket stays open but nothing comes back."""

    done = asyncio.Event()

    async def mute_hub(ws: ServerConnection) -> None:
        await ws.recv()  # hello
        welcome = Welcome(
            protocol=PROTOCOL_VERSION, hub_version="x", epoch="e", max_frame_bytes=1, heartbeat_s=0.1
        )
        await ws.send(encode(welcome))
        ws.transport.pause_reading()
        await done.wait()
        ws.transport.abort()

    server = await serve(mute_hub, "127.0.0.1", 0, ping_interval=None)
    try:
        port = server.sockets[0].getsockname()[1]
        conn = await HubConnection.open(
            f"ws://127.0.0.1:{port}", device_id="d", ping_interval=0.1, ping_timeout=0.2, close_timeout=0.2
        )
        closed: list[int | None] = []
        conn.start(lambda _f: None, closed.append)
        await wait_until(lambda: closed, timeout=3, message="the dead link was noticed")
    finally:
        done.set()
        server.close()
        await server.wait_closed()


def test_reconnect_waits_grow_with_jitter_up_to_a_cap() -> None:
    low = list(zip(range(8), backoff_delays(0.5, 15.0, rng=lambda: 0.0), strict=False))
    high = list(zip(range(8), backoff_delays(0.5, 15.0, rng=lambda: 0.999), strict=False))
    assert [round(d, 3) for _, d in low] == [0.25, 0.5, 1.0, 2.0, 4.0, 7.5, 7.5, 7.5]
    assert all(h > lo for (_, h), (_, lo) in zip(high, low, strict=True))
    assert max(d for _, d in high) < 15.0 * 1.5


@scenario
async def test_a_big_team_inbox_syncs_in_one_piece(hub, tmp_path) -> None:
    """300 active conversations make a sync answer of ~200 KiB, over what a client may
    send (128 KiB): the client accepts the hub's bigger frames and gets its whole inbox."""
    from datetime import timedelta

    from app.protocol.messages import MAX_FRAME_BYTES

    store = store_of(hub)
    try:
        start = datetime.now(UTC) - timedelta(hours=1)
        for i in range(300):
            store.import_conversation(
                channel="web",
                external_id_hash=f"big-inbox-{i}",
                name=f"Customer {i} with a fairly long name to make the inbox heavier",
                locale="en",
                first_seen=start,
                status="queued",
                assignee_id=None,
                messages=[("customer", None, f"Question {i}: " + "my order has not arrived " * 8, start)],
            )
    finally:
        store.engine.dispose()
    acc = hub.accounts.operator
    session = make_session(tmp_path)
    await session.login(hub.ws_url, acc.username, acc.password)
    try:
        await wait_until(lambda: len(session.conversations) >= 300, message="the whole inbox")
        raw = msgspec.json.encode(list(session.conversations.values()))
        assert len(raw) > MAX_FRAME_BYTES  # the sync answer was bigger than a client frame may be
        assert session.link.state == "online"
    finally:
        await session.close()


@scenario
async def test_a_paged_reload_ends_on_the_hub_state_even_when_it_changes_between_pages(tmp_path) -> None:
    """The inbox comes in pages of 3. Between two pages a conversation of the first page
    is resolved and a new customer writes: the client ends with exactly the hub's active
    conversations (the live events held during paging fill what the pages missed)."""
    with running_hub(tmp_path, "paged", sync_page_size=3) as hub:
        await _reload_with_changes_between_pages(hub, make_session(tmp_path))


async def _reload_with_changes_between_pages(hub: TestHub, session: OperatorSession) -> None:
    from app.protocol.messages import SyncPage
    from tests.helpers import OperatorClient

    try:
        ids = await new_conversations(hub.ws_url, 7)
        acc2 = hub.accounts.operator2
        async with OperatorClient.connected(hub.ws_url) as other:
            await other.login(acc2.username, acc2.password)
            real_request = session._request
            pages_asked: list[int] = []

            async def between_pages(command: Any) -> Any:
                if isinstance(command, SyncPage):
                    pages_asked.append(command.after_id)
                    if len(pages_asked) == 1:  # after the first page, before the second
                        await other.take(ids[0])
                        await other.resolve(ids[0])
                        async with CustomerClient.connected(hub.ws_url) as late:
                            ids.append((await late.send("a late question")).conversation_id)
                return await real_request(command)

            session._request = between_pages  # type: ignore[method-assign]
            acc = hub.accounts.operator
            await session.login(hub.ws_url, acc.username, acc.password)
            expected = set(ids[1:])
            await wait_until(lambda: set(session.conversations) == expected, message="the hub's inbox")
            assert pages_asked == [ids[2], ids[5]]  # sync 3, then pages of 3 and 2: the late one is on the last
            assert session.last_sync == "reloaded"
            # the same conversation came by page and by event: one row
            assert list(session.conversations).count(ids[-1]) == 1
    finally:
        await session.close()


@scenario
async def test_a_cut_in_the_middle_of_paging_keeps_the_old_state_and_starts_over(tmp_path) -> None:
    """After a drop the gap is over the cap, so the reconnect reloads in pages; the link
    drops again between two pages: nothing is replaced (old inbox, old seq, so the next
    sync cannot skip what the unread pages held), and the next reconnect loads it all."""
    with running_hub(tmp_path, "paged", sync_page_size=3, resume_cap=1) as hub:
        await _cut_between_pages(hub, make_session(tmp_path))


async def _cut_between_pages(hub: TestHub, session: OperatorSession) -> None:
    from app.client.connection import ConnectionLost
    from app.protocol.messages import SyncPage

    gate = Gate(session)
    try:
        ids = await new_conversations(hub.ws_url, 4)
        acc = hub.accounts.operator
        await session.login(hub.ws_url, acc.username, acc.password)
        await wait_until(lambda: set(session.conversations) == set(ids), message="the first inbox")
        seq_before = session.seq

        real_request = session._request
        cut: list[int] = []

        async def cut_once(command: Any) -> Any:
            if isinstance(command, SyncPage) and not cut:
                cut.append(command.after_id)
                gate.drop(session)  # the link drops while the second page is asked
                raise ConnectionLost(None)
            return await real_request(command)

        session._request = cut_once  # type: ignore[method-assign]
        gate.drop(session)
        await wait_until(lambda: session.link.state == "reconnecting")
        # a gap of more than resume_cap events: a full reload follows
        ids += await new_conversations(hub.ws_url, 3, "while away")
        gate.open.set()
        await wait_until(lambda: bool(cut) and session.link.state == "reconnecting", message="cut between pages")
        assert set(session.conversations) == set(ids[:4]) and session.seq == seq_before
        gate.open.set()
        await wait_until(lambda: set(session.conversations) == set(ids), message="the whole inbox after the cut")
        assert session.link.state == "online" and session.last_sync == "reloaded"
        store = store_of(hub)
        try:
            assert session.seq == store.last_seq()
        finally:
            store.engine.dispose()
    finally:
        await session.close()
