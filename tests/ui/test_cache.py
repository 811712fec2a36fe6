"""The local cache: what the window showed survives a restart, opens offline when the hub
is away (replies typed then arrive once), resumes by replay, is dropped with another
epoch and deleted by signing out."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.client.cache import SessionCache, Snapshot
from app.client.outbox import DB_NAME
from app.hub.embedded import EmbeddedHub
from tests.conftest import create_test_accounts
from tests.helpers import CustomerClient, OperatorClient, wait_until
from tests.ui.test_offline import hub_texts
from tests.ui.test_window import log_in
from ui.models.inbox import ConversationRole
from ui.widgets.main_window import MainWindow


def cached(client: Any, hub_url: str, operator_id: int) -> Snapshot | None:
    """What the cache file holds (read with a fresh handle, like the next start would)."""
    cache = SessionCache(Path(client.session.data_dir) / DB_NAME)
    try:
        return cache.load(hub_url, operator_id)
    finally:
        cache.close()


def file_bytes(client: Any) -> bytes:
    """The client database as it lies on disk (main file and write-ahead log)."""
    folder = Path(client.session.data_dir)
    return b"".join(p.read_bytes() for p in (folder / DB_NAME, folder / f"{DB_NAME}-wal") if p.exists())


def texts(snapshot: Snapshot, conversation_id: int) -> list[str]:
    return [m.text for m in snapshot.histories[conversation_id].messages]


async def first_run(c: Any, hub: Any, greeting: str) -> tuple[MainWindow, int, str]:
    """Log in (remembered), get a customer's message, open it; returns the window, the
    conversation id and the visitor's token."""
    op = hub.accounts.operator
    w = await log_in(c, hub.ws_url, op.username, op.password, remember=True)
    async with CustomerClient.connected(hub.ws_url, name="Ірина Мельник") as cust:
        sent = await cust.send(greeting)
        visitor = cust.visitor_token
    await wait_until(lambda: w.mine.rowCount() == 1, message="the conversation in Mine")
    w.mine_view.setCurrentIndex(w.mine.index(0, 0))
    await wait_until(lambda: w.messages.texts() == [greeting], message="the history")
    return w, sent.conversation_id, visitor


def restart(make_client: Any, first: Any) -> Any:
    """The next start of the same app: same keyring, same data folder."""
    again = make_client(store=first.secrets)
    again.session.data_dir = first.session.data_dir
    again.session.reconnect_first_delay = 0.05
    return again


def test_cache_survives_a_restart_and_resumes_by_replay(hub, run, make_client) -> None:
    op = hub.accounts.operator

    async def scenario() -> None:
        first = make_client()
        w, conv_id, visitor = await first_run(first, hub, "Where is my order?")
        epoch, seq = first.session.epoch, first.session.seq
        queues = sorted(q.id for q in first.session.queues.values())
        await first.session.close()
        w.close()

        snap = cached(first, hub.ws_url, op.id)
        assert snap is not None
        assert (snap.epoch, snap.seq, snap.me.id) == (epoch, seq, op.id)
        assert [c.id for c in snap.conversations] == [conv_id]
        assert snap.conversations[0].customer.name == "Ірина Мельник"
        assert snap.conversations[0].last_message is not None
        assert snap.conversations[0].last_message.text == "Where is my order?"
        assert texts(snap, conv_id) == ["Where is my order?"]
        assert {o.id for o in snap.operators} == {a.id for a in hub.accounts.all}
        assert sorted(q.id for q in snap.queues) == queues

        # the customer writes while the app is closed: the next start replays just that
        async with CustomerClient.connected(hub.ws_url, visitor_token=visitor) as cust:
            again = await cust.send("Hello?")
        assert again.conversation_id == conv_id
        second = restart(make_client, first)
        second.settings.set("hub_url", hub.ws_url)
        await second.controller.start()
        assert second.controller.dialog is None
        w2 = second.controller.window
        assert w2 is not None
        assert second.session.last_sync == "recovered"
        assert second.session.seq > seq
        assert w2.mine.rowCount() == 1
        conv = w2.mine.index(0, 0).data(ConversationRole)
        assert conv.id == conv_id and conv.last_message.text == "Hello?"
        # the cached history plus the replayed message, without paging the history again
        assert [m.text for m in second.session.messages_of(conv_id)] == ["Where is my order?", "Hello?"]
        w2.mine_view.setCurrentIndex(w2.mine.index(0, 0))
        await wait_until(lambda: w2.messages.texts() == ["Where is my order?", "Hello?"])

    run(scenario())


def test_start_with_the_hub_down_shows_the_cache_and_sends_the_reply_once(hub, run, make_client) -> None:
    async def scenario() -> None:
        first = make_client()
        w, conv_id, _visitor = await first_run(first, hub, "Is anyone there?")
        await first.session.close()
        w.close()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, hub.stop)

        second = restart(make_client, first)
        second.settings.set("hub_url", hub.ws_url)
        await second.controller.start()
        assert second.controller.dialog is None, "no login dialog: the window opens offline"
        w2 = second.controller.window
        assert w2 is not None and w2.isVisible()
        assert second.session.link.state == "reconnecting"
        since = second.session.link.since.astimezone().strftime("%H:%M")
        assert w2.link_label.text() == f"● Offline since {since}, reconnecting…"
        assert w2.mine.rowCount() == 1
        conv = w2.mine.index(0, 0).data(ConversationRole)
        assert conv.id == conv_id and conv.customer.name == "Ірина Мельник"
        w2.mine_view.setCurrentIndex(w2.mine.index(0, 0))
        await wait_until(lambda: w2.messages.texts() == ["Is anyone there?"], message="the cached history")
        assert w2.card.name.text() == "Ірина Мельник"

        QTest.keyClicks(w2.pane.composer, "Back online soon")
        QTest.keyClick(w2.pane.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert w2.messages.texts() == ["Is anyone there?", "Back online soon"]
        assert w2.messages.outbox_states() == ["pending"]
        assert w2.link_label.text() == f"● Offline since {since} · 1 message waiting"

        await loop.run_in_executor(None, hub.start)
        await wait_until(lambda: w2.messages.outbox_states() == [], timeout=15, message="sent after the hub came back")
        await wait_until(lambda: "Connected" in w2.link_label.text())
        assert second.session.last_sync == "recovered"
        assert w2.messages.texts() == ["Is anyone there?", "Back online soon"]
        assert hub_texts(hub.db_url, conv_id) == ["Is anyone there?", "Back online soon"]

    run(scenario())


def test_an_unreachable_hub_without_a_remembered_session_shows_the_login(hub, run, make_client) -> None:
    async def scenario() -> None:
        first = make_client()
        w, _conv_id, _visitor = await first_run(first, hub, "hi")
        await first.session.close()
        w.close()
        first.secrets._data.clear()  # the token is gone (e.g. expired and forgotten)
        await asyncio.get_running_loop().run_in_executor(None, hub.stop)
        second = restart(make_client, first)
        second.settings.set("hub_url", hub.ws_url)
        await second.controller.start()
        assert second.controller.window is None
        assert second.controller.dialog is not None and second.controller.dialog.isVisible()

    run(scenario())


def test_sign_out_deletes_the_cache(hub, run, make_client) -> None:
    op = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w, conv_id, _visitor = await first_run(c, hub, "private words")
        await c.session.flush_cache()
        snap = cached(c, hub.ws_url, op.id)
        assert snap is not None and texts(snap, conv_id) == ["private words"]
        assert b"private words" in file_bytes(c)
        w.sign_out_action.trigger()
        await wait_until(lambda: c.controller.dialog is not None, message="login dialog after sign-out")
        assert cached(c, hub.ws_url, op.id) is None
        assert b"private words" not in file_bytes(c), "nothing of it lingers in the file"
        cache = SessionCache(Path(c.session.data_dir) / DB_NAME)
        try:
            assert cache.operators_cached(hub.ws_url) == []
        finally:
            cache.close()

    run(scenario())


def test_another_epoch_drops_the_cache(hub, run, make_client, tmp_path) -> None:
    op = hub.accounts.operator

    async def scenario() -> None:
        first = make_client()
        w, conv_id, _visitor = await first_run(first, hub, "from the old database")
        old_epoch = first.session.epoch
        await first.session.close()
        w.close()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, hub.stop)

        # a new hub database behind the same address (same operator ids, another epoch)
        new_db = f"sqlite:///{tmp_path / 'new-hub.db'}"
        accounts = create_test_accounts(new_db)
        assert accounts.operator.id == op.id
        new_hub = EmbeddedHub(new_db, port=hub.port)
        await loop.run_in_executor(None, new_hub.start)
        try:
            second = restart(make_client, first)
            w2 = await log_in(second, hub.ws_url, op.username, op.password)
            assert second.session.last_sync == "reloaded"
            assert second.session.epoch == new_hub.epoch != old_epoch
            assert w2.mine.rowCount() == 0
            assert second.session.messages_of(conv_id) == []
            await second.session.flush_cache()
            snap = cached(second, hub.ws_url, op.id)
            assert snap is not None
            assert snap.epoch == new_hub.epoch
            assert snap.conversations == [] and snap.histories == {}
        finally:
            await second.session.close()
            await loop.run_in_executor(None, new_hub.stop)

    run(scenario())


def test_offline_start_with_a_token_revoked_meanwhile_ends_at_the_login(hub, run, make_client) -> None:
    async def scenario() -> None:
        first = make_client()
        w, _conv_id, _visitor = await first_run(first, hub, "hi")
        await first.session.close()
        w.close()
        (token,) = first.secrets._data.values()
        async with OperatorClient.connected(hub.ws_url) as other_device:
            await other_device.resume(token)
            await other_device.sign_out()  # e.g. signed out everywhere by a supervisor
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, hub.stop)

        second = restart(make_client, first)
        second.settings.set("hub_url", hub.ws_url)
        await second.controller.start()
        assert second.controller.window is not None and second.controller.dialog is None  # offline
        await loop.run_in_executor(None, hub.start)
        await wait_until(lambda: second.controller.dialog is not None, timeout=15, message="the login dialog")
        assert second.controller.window is None
        assert second.secrets._data == {}

    run(scenario())
