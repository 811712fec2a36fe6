"""The window with lines and offers against a real hub: accept an offer with Enter, the
notice after an ignored offer, transfer with a note, notes look different, SLA time left,
typing indicators both ways."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.protocol.messages import (
    ConversationInfo,
    CustomerInfo,
    CustomerTyping,
    MessageInfo,
    OperatorTyping,
)
from app.storage import Store, make_engine
from tests.conftest import TestHub
from tests.helpers import CustomerClient, OperatorClient, wait_until
from tests.ui.test_window import log_in
from ui import theme
from ui.models.inbox import sla_left
from ui.widgets.conversation import bubble_kind
from ui.widgets.inbox import level_color, sla_text
from ui.widgets.main_window import MainWindow, since_text


@pytest.fixture
def store(hub: TestHub) -> Iterator[Store]:
    engine = make_engine(hub.db_url)
    yield Store(engine)
    engine.dispose()


def first_line(store: Store, members: list[str], **kw: Any) -> None:
    store.create_queue("first", kind="first", **kw)
    for m in members:
        store.add_queue_member("first", m)


async def offered_and_accepted(w: MainWindow, cust: CustomerClient, text: str) -> int:
    conv_id = (await cust.send(text)).conversation_id
    await wait_until(lambda: w.offer_banner.isVisible() and w.offer_banner.offer is not None, message="offer")
    w.offer_banner.accept_button.click()
    await wait_until(lambda: w.current_id == conv_id and w.pane.composer.isEnabled(), message="accepted")
    return conv_id


def test_offer_banner_accepts_with_enter(hub: TestHub, store: Store, run: Any, make_client: Any) -> None:
    acc = hub.accounts.operator
    first_line(store, [acc.username], offer_timeout_s=60)

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        async with CustomerClient.connected(hub.ws_url, name="Halyna") as cust:
            sent = await cust.send("Is my parcel lost?")
            banner = w.offer_banner
            await wait_until(lambda: banner.isVisible() and banner.frame.isVisible(), message="the offer banner")
            assert banner.title.text() == "New chat for you: Halyna"
            assert banner.preview.text() == "Is my parcel lost?"
            assert banner.countdown.text().endswith("s to accept")
            assert 55 <= int(banner.countdown.text().split()[0]) <= 60
            assert banner.accept_button.hasFocus()  # Enter accepts at once
            QTest.keyClick(banner.accept_button, Qt.Key.Key_Return)
            await wait_until(lambda: w.current_id == sent.conversation_id, message="the accepted chat opens")
            await wait_until(lambda: not banner.isVisible(), message="banner gone")
            conv = c.bridge.conversation(sent.conversation_id)
            assert conv is not None and conv.status == "open" and conv.assignee_id == acc.id
            await wait_until(lambda: w.messages.texts() == ["Is my parcel lost?"], message="its history")

    run(scenario())


def test_ignored_offer_sets_me_away_with_a_notice(hub: TestHub, store: Store, run: Any, make_client: Any) -> None:
    acc = hub.accounts.operator
    first_line(store, [acc.username], offer_timeout_s=0.2)

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        async with CustomerClient.connected(hub.ws_url, name="Bohdan") as cust:
            await cust.send("hello")
            banner = w.offer_banner
            await wait_until(lambda: banner.notice.isVisible(), message="the notice")
            assert "Bohdan" in banner.notice_text.text() and "Away" in banner.notice_text.text()
            assert not banner.frame.isVisible()
            await wait_until(lambda: w.status_box.currentData() == "away", message="status shows Away")
            assert w.since_label.text() == "for <1 min"
            banner.notice_close.click()
            assert not banner.isVisible()

    run(scenario())


def test_transfer_dialog_and_notes_look_different(hub: TestHub, store: Store, run: Any, make_client: Any) -> None:
    a, b = hub.accounts.operator, hub.accounts.operator2
    first_line(store, [a.username], offer_timeout_s=60)

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as colleague:
            await colleague.login(b.username, b.password)
            c = make_client()
            w = await log_in(c, hub.ws_url, a.username, a.password)
            async with CustomerClient.connected(hub.ws_url, name="Roman") as cust:
                conv_id = await offered_and_accepted(w, cust, "The app crashes on start")
                # an internal note from the composer
                w.pane.note_mode.click()
                assert w.pane.composer.property("noteMode") == "true"
                assert w.pane.send_button.text() == "Add note"
                QTest.keyClicks(w.pane.composer, "Crash log is in ticket 512")
                QTest.keyClick(w.pane.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
                await wait_until(lambda: "Crash log is in ticket 512" in w.messages.texts(), message="note shown")
                notes = [m for m in c.session.messages_of(conv_id) if m.internal]
                assert [n.text for n in notes] == ["Crash log is in ticket 512"]
                assert bubble_kind(notes[0]) == "note"
                # the note bubble is painted in the note colour (and nothing else is)
                note_rgb = theme.colors().note_bubble.rgb()
                await wait_until(lambda: _has_colour(w, note_rgb), message="a yellow note bubble")

                # transfer to the colleague with a note
                w.pane.transfer_button.click()
                dialog = w.transfer_dialog
                assert dialog.isVisible()
                labels = [dialog.target_box.itemText(i) for i in range(dialog.target_box.count())]
                assert labels[0] == "⇢ first (first line)"
                assert any(t.startswith(b.display_name) for t in labels)
                assert not any(t.startswith(a.display_name) for t in labels)  # not to myself
                dialog.target_box.setCurrentIndex(next(i for i, t in enumerate(labels) if t.startswith(b.display_name)))
                dialog.note_edit.insertPlainText("Needs a developer, see ticket 512")
                dialog.accept()
                got = await colleague.wait_conversation(lambda conv: conv.id == conv_id and conv.assignee_id == b.id)
                assert got.conversation.status == "open"
                hist = await colleague.history(conv_id)
                texts = [(m["text"], m.get("internal", False)) for m in hist["messages"]]
                assert texts == [
                    ("The app crashes on start", False),
                    ("Crash log is in ticket 512", True),
                    ("Needs a developer, see ticket 512", True),
                ]
                # the window no longer lets me reply there; the customer got no note
                await wait_until(lambda: not w.pane.send_button.isEnabled() or w.pane.note_mode.isChecked())
                assert cust.messages == []

    run(scenario())


def _has_colour(w: MainWindow, rgb: int) -> bool:
    img = w.pane.list.viewport().grab().toImage()
    step = 3
    for y in range(0, img.height(), step):
        for x in range(0, img.width(), step):
            if img.pixel(x, y) == rgb:
                return True
    return False


def test_typing_indicators_both_ways(hub: TestHub, store: Store, run: Any, make_client: Any) -> None:
    acc = hub.accounts.operator
    first_line(store, [acc.username], offer_timeout_s=60)

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        async with CustomerClient.connected(hub.ws_url, name="Olha") as cust:
            await offered_and_accepted(w, cust, "hi")
            assert w.pane.typing_label.text().strip() == ""
            await cust.send_frame(CustomerTyping(typing=True))
            await wait_until(lambda: w.pane.typing_label.text() == "Olha is typing…", message="typing shown")
            await cust.send_frame(CustomerTyping(typing=False))
            await wait_until(lambda: w.pane.typing_label.text().strip() == "", message="typing gone")
            # the operator types: the customer is told
            QTest.keyClicks(w.pane.composer, "Let me check")
            typing = await cust.wait_frame(OperatorTyping)
            assert typing.typing is True

    run(scenario())


def test_sla_time_left_text_and_colour() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    cust = CustomerInfo(id=1, name="X", channel="web", first_seen=now)
    base = dict(id=1, customer=cust, channel="web", status="queued", created_at=now)

    def conv(left_s: float) -> ConversationInfo:
        return ConversationInfo(
            **base,  # type: ignore[arg-type]
            waiting_since=now,
            sla_kind="first",
            sla_target_s=90,
            sla_due_at=now + timedelta(seconds=left_s),
        )

    c = theme.colors()
    ok = sla_left(conv(72), now)
    assert ok == (72, "ok") and sla_text(72) == "1:12 left" and level_color("ok") == c.ok
    assert sla_left(conv(30), now) == (30, "amber") and level_color("amber") == c.warn
    late = sla_left(conv(-20), now)
    assert late == (-20, "red") and sla_text(-20) == "0:20 over" and level_color("red") == c.bad
    assert sla_left(ConversationInfo(**base), now) is None  # type: ignore[arg-type]
    assert since_text(now - timedelta(minutes=125), now) == "2 h 5 min"
    assert since_text(now - timedelta(seconds=20), now) == "<1 min"  # not "0 min"
    # past ten minutes a margin is no longer "17:36", which reads as a time of day
    assert sla_text(-(17 * 60 + 36)) == "17 min over" and sla_text(-(2 * 3600 + 5 * 60)) == "2 h 5 min over"
    assert sla_text(-3 * 86400) == "3 d over"
    msg = MessageInfo(id=1, conversation_id=1, author="operator", text="x", created_at=now, internal=True)
    assert bubble_kind(msg) == "note"


def test_team_list_shows_status_and_time_since(hub: TestHub, run: Any, make_client: Any) -> None:
    a, b = hub.accounts.operator, hub.accounts.operator2

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, a.username, a.password)
        assert w.tabs.tabText(2) == "Team (1)"

        def row(name: str) -> str:
            texts = [w.team_view.item(i).text() for i in range(w.team_view.count())]
            return next((t for t in texts if name in t), "")

        assert row(a.display_name).startswith(f"●  {a.display_name} — Online · <1 min")
        assert row(b.display_name) == f"●  {b.display_name} — Offline"
        async with OperatorClient.connected(hub.ws_url) as colleague:
            await colleague.login(b.username, b.password)
            await wait_until(lambda: w.tabs.tabText(2) == "Team (2)", message="colleague online")
            await colleague.set_status("busy")
            await wait_until(lambda: "Busy (in a call) · <1 min" in row(b.display_name), message="busy shown")
            assert w.tabs.tabText(2) == "Team (1)"

    run(scenario())
