"""The window while the hub is away: typing goes on, replies show as pending, the link
label counts them, "not sent" offers a resend, and everything arrives once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.storage import Store, make_engine
from tests.helpers import CustomerClient, wait_until
from tests.ui.test_window import log_in
from ui.models.inbox import UnsentRole


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def hub_texts(db_url: str, conversation_id: int) -> list[str]:
    engine = make_engine(db_url)
    try:
        return [m.text for m in Store(engine).history(conversation_id, None, 200).messages]
    finally:
        engine.dispose()


def test_replies_typed_offline_are_pending_counted_and_delivered_once(hub, run, make_client, qtbot) -> None:
    op = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        clock = Clock()
        c.session.clock = clock  # the outbox is opened at login with this clock
        c.session.reconnect_first_delay = 0.05
        w = await log_in(c, hub.ws_url, op.username, op.password)
        qtbot.addWidget(w)
        async with CustomerClient.connected(hub.ws_url) as cust:
            sent = await cust.send("Is anyone there?")
        conv_id = sent.conversation_id
        await wait_until(lambda: w.mine.rowCount() == 1)
        w.mine_view.setCurrentIndex(w.mine.index(0, 0))
        await wait_until(lambda: w.messages.texts() == ["Is anyone there?"])

        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, hub.stop)
        await wait_until(lambda: c.session.link.state == "reconnecting", message="offline")
        since = c.session.link.since.astimezone().strftime("%H:%M")
        assert w.link_label.text() == f"● Offline since {since}, reconnecting…"

        for text in ("first", "second", "third"):
            QTest.keyClicks(w.pane.composer, text)
            QTest.keyClick(w.pane.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            assert w.pane.composer.toPlainText() == "", "the composer is free again at once"
        assert w.messages.texts() == ["Is anyone there?", "first", "second", "third"]
        assert w.messages.outbox_states() == ["pending", "pending", "pending"]
        assert w.link_label.text() == f"● Offline since {since} · 3 messages waiting"
        preview = w.mine.index(0, 0).data(UnsentRole)
        assert preview is not None and preview.text == "third" and preview.state == "pending"

        # "third" waits too long: not sent, with a resend under the bubble
        clock.now += timedelta(minutes=5, seconds=1)
        c.session.check_outbox()
        assert w.messages.outbox_states() == ["failed", "failed", "failed"]
        assert w.statusBar().currentMessage() == (
            "The message was not sent: the hub could not be reached for 5 minutes"
        )
        delegate = w.pane.list.itemDelegate()
        last = w.messages.index(3, 0)
        assert delegate.state_text(last.data(w.messages.OutboxRole)) == "Not sent — resend"
        assert w.link_label.text() == f"● Offline since {since}, reconnecting…"
        assert w.mine.index(0, 0).data(UnsentRole).state == "failed"

        for row in (1, 2, 3):  # resend all three, in order, by clicking them
            rect = w.pane.list.visualRect(w.messages.index(row, 0))
            QTest.mouseClick(w.pane.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert w.messages.outbox_states() == ["pending", "pending", "pending"]
        assert w.link_label.text() == f"● Offline since {since} · 3 messages waiting"

        await loop.run_in_executor(None, hub.start)
        await wait_until(lambda: w.messages.outbox_states() == [], timeout=10, message="all sent")
        assert w.messages.texts() == ["Is anyone there?", "first", "second", "third"]
        assert hub_texts(hub.db_url, conv_id) == ["Is anyone there?", "first", "second", "third"]
        await wait_until(lambda: "Connected" in w.link_label.text())
        assert w.mine.index(0, 0).data(UnsentRole) is None

    run(scenario())
