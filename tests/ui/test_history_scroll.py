"""Scrolling back through a long conversation in the window, against a real hub: the
newest page shows first; at the top the older pages come in order, once each, without
moving the message being read, with "Loading earlier messages…" while they load, until
the very first message; a failed read is said in the status bar. No sleeps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint

from app.protocol.messages import MessageInfo
from app.storage import Store, make_engine
from tests.conftest import TestHub
from tests.helpers import OperatorClient, wait_until
from tests.ui.test_window import log_in
from ui.models.messages import MessageRole, MessagesModel
from ui.widgets.main_window import MainWindow

PAGE = 50  # the hub's default history page
COUNT = 2 * PAGE + 30  # three pages, the last one short


def seed_long_conversation(hub: TestHub, count: int = COUNT) -> int:
    """An open conversation of the test operator with ``count`` messages "message 1".. ."""
    op = hub.accounts.operator
    start = datetime.now(UTC) - timedelta(days=2)
    messages = [
        ("customer" if n % 2 else "operator", None if n % 2 else op.id, f"message {n}", start + timedelta(minutes=n))
        for n in range(1, count + 1)
    ]
    engine = make_engine(hub.db_url)
    try:
        return Store(engine).import_conversation(
            channel="web", external_id_hash="long-history", name="Iryna Long", locale="uk",
            first_seen=start, status="open", assignee_id=op.id, messages=messages,
        )
    finally:
        engine.dispose()


def texts(w: MainWindow) -> list[str]:
    return w.messages.texts()


def top_message(w: MainWindow) -> tuple[MessageInfo, int]:
    """The message at the top of the visible list and its top edge in the viewport."""
    lst = w.pane.list
    idx = lst.indexAt(QPoint(lst.viewport().width() // 2, 0))
    assert idx.isValid()
    return idx.data(MessageRole), lst.visualRect(idx).top()


def top_of(w: MainWindow, msg_id: int) -> int:
    for row in range(w.messages.rowCount()):
        idx = w.messages.index(row)
        if idx.data(MessageRole).id == msg_id:
            return w.pane.list.visualRect(QModelIndex(idx)).top()
    raise AssertionError(f"message {msg_id} is not in the list")


async def open_long(client: Any, hub: TestHub) -> tuple[MainWindow, int]:
    conv_id = seed_long_conversation(hub)
    w = await log_in(client, hub.ws_url, hub.accounts.operator.username, hub.accounts.operator.password)
    w.resize(1100, 700)
    w.open_conversation(conv_id)
    await wait_until(lambda: w.messages.rowCount() == PAGE and w.pane.more_history, message="the newest page")
    return w, conv_id


def test_scrolling_to_the_top_brings_older_pages_in_order_and_keeps_the_place(hub, run, make_client) -> None:
    async def scenario() -> None:
        c = make_client()
        w, conv_id = await open_long(c, hub)
        lst = w.pane.list
        bar = lst.verticalScrollBar()
        assert texts(w) == [f"message {n}" for n in range(COUNT - PAGE + 1, COUNT + 1)]
        assert bar.value() == bar.maximum() > 0, "opens at the newest message"
        assert not w.pane.loading_label.isVisible()

        # count the older-page requests that go to the hub, and what the window shows meanwhile
        older_calls = 0
        real_load = c.session.load_history
        answer = asyncio.Event()  # holds the first older page back while the test scrolls about

        async def counting(conversation_id: int, *, older: bool = False) -> list[MessageInfo]:
            nonlocal older_calls
            older_calls += older
            await answer.wait()
            return await real_load(conversation_id, older=older)

        c.session.load_history = counting  # type: ignore[method-assign]
        label_seen: list[tuple[bool, str]] = []
        w.bridge.older_history_loading.connect(
            lambda _cid, loading: loading and label_seen.append(
                (w.pane.loading_label.isVisible(), w.pane.loading_label.text()))
        )

        # the operator scrolls up to a few pixels under the top and reads there
        bar.setValue(20)
        await wait_until(lambda: older_calls == 1, message="the older page asked for")
        assert w.pane.loading_label.isVisible()
        assert w.pane.loading_label.text() == "Loading earlier messages…"
        # scrolling about while the page loads asks for nothing more
        bar.setValue(10)
        bar.setValue(25)
        w.bridge.load_older(conv_id)  # even a direct second ask while one is in flight
        await wait_until(lambda: not w.pane._older_check.isActive())
        reading, reading_top = top_message(w)
        answer.set()
        await wait_until(lambda: w.messages.rowCount() == 2 * PAGE, message="the second page")
        assert older_calls == 1, "one request for one page"
        assert label_seen and label_seen[0] == (True, "Loading earlier messages…")
        assert top_of(w, reading.id) == reading_top, "the message being read did not move"
        assert texts(w) == [f"message {n}" for n in range(COUNT - 2 * PAGE + 1, COUNT + 1)]
        await wait_until(lambda: not w.bridge.loading_older(conv_id))
        assert not w.pane.loading_label.isVisible()

        # to the top again: the last (short) page, then the start of the conversation
        bar.setValue(0)
        await wait_until(lambda: w.messages.rowCount() == COUNT, message="the third page")
        await wait_until(lambda: not w.bridge.loading_older(conv_id))
        assert older_calls == 2
        shown = texts(w)
        assert shown == [f"message {n}" for n in range(1, COUNT + 1)], "in order, each once"
        ids = [w.messages.index(r).data(MessageRole).id for r in range(w.messages.rowCount())]
        assert len(ids) == len(set(ids)) == COUNT
        assert not w.pane.more_history
        bar.setValue(0)
        first, _top = top_message(w)
        assert first.text == "message 1", "the first message is reachable"
        # at the start nothing more is asked and no loading text shows
        bar.setValue(5)
        bar.setValue(0)
        await wait_until(lambda: not w.pane._older_check.isActive())
        assert older_calls == 2
        assert not w.pane.loading_label.isVisible()

    run(scenario())


def test_a_failed_older_page_is_said_and_the_list_stays(hub, run, make_client) -> None:
    async def scenario() -> None:
        c = make_client()
        w, conv_id = await open_long(c, hub)
        before = texts(w)
        await asyncio.get_running_loop().run_in_executor(None, hub.stop)
        await wait_until(lambda: c.session.link.state != "online", message="the link is down")
        w.pane.list.verticalScrollBar().setValue(0)
        await wait_until(lambda: "Could not load earlier messages" in w.statusBar().currentMessage(),
                         message="the failure in the status bar")
        assert texts(w) == before
        assert not w.pane.loading_label.isVisible()
        assert not w.bridge.loading_older(conv_id)

    run(scenario())


async def another_device_says(hub: TestHub, conv_id: int, text: str) -> None:
    """The same operator answers from a second device: a new message reaches the window live."""
    async with OperatorClient.connected(hub.ws_url, device_id="second-device") as other:
        await other.login(hub.accounts.operator.username, hub.accounts.operator.password)
        await other.send_message(conv_id, text)


def test_a_new_message_while_reading_older_ones_keeps_the_place_and_shows_a_pill(hub, run, make_client) -> None:
    async def scenario() -> None:
        c = make_client()
        w, conv_id = await open_long(c, hub)
        lst = w.pane.list
        bar = lst.verticalScrollBar()
        pill = w.pane.new_pill
        # at the newest message, a new one scrolls into view and no pill shows
        await another_device_says(hub, conv_id, "while at the bottom")
        await wait_until(lambda: texts(w)[-1] == "while at the bottom", message="the new message")
        await wait_until(lambda: bar.value() == bar.maximum(), message="at the end")
        assert not pill.isVisible()

        # the operator reads further up (not near the top: no older page is asked for)
        bar.setValue(bar.maximum() // 2)
        reading, reading_top = top_message(w)
        value = bar.value()
        await another_device_says(hub, conv_id, "while reading older ones")
        await wait_until(lambda: texts(w)[-1] == "while reading older ones", message="the second new message")
        assert top_of(w, reading.id) == reading_top, "the message being read did not move"
        assert bar.value() == value < bar.maximum(), "the view did not jump to the bottom"
        assert pill.isVisible() and pill.text() == "New messages ↓"
        assert lst.viewport().geometry().contains(pill.geometry()), "the pill is inside the list"

        pill.click()
        assert bar.value() == bar.maximum(), "the pill goes to the newest message"
        assert not pill.isVisible()
        assert lst.visualRect(w.messages.index(w.messages.rowCount() - 1)).bottom() <= lst.viewport().height()

    run(scenario())


def test_a_long_history_keeps_a_window_of_rows_and_gives_the_rest_back_while_scrolling(
    hub, run, make_client, monkeypatch
) -> None:
    """Scrolled back past the window, the bottom rows leave the model (its layout stays
    small); scrolling down brings them back from memory, in order, without moving the
    message being read; a message arriving meanwhile shows the pill, which goes back to
    the newest page."""
    window = 3 * PAGE
    count = 6 * PAGE
    monkeypatch.setattr(MessagesModel, "window_rows", window)

    async def scenario() -> None:
        c = make_client()
        conv_id = seed_long_conversation(hub, count)
        w = await log_in(c, hub.ws_url, hub.accounts.operator.username, hub.accounts.operator.password)
        w.resize(1100, 700)
        w.open_conversation(conv_id)
        await wait_until(lambda: w.messages.rowCount() == PAGE and w.pane.more_history, message="the newest page")
        bar = w.pane.list.verticalScrollBar()

        def numbers() -> list[int]:
            return [int(t.split()[1]) for t in texts(w)]

        # up to the very first message, page by page
        while numbers()[0] != 1:
            first = numbers()[0]
            bar.setValue(0)  # (the page comes later: the request goes out from the event loop)
            reading, reading_top = top_message(w)
            await wait_until(lambda first=first: numbers()[0] < first, message=f"the page before {first}")
            assert top_of(w, reading.id) == reading_top, f"the place was kept at message {first}"
            shown = numbers()
            assert shown == list(range(shown[0], shown[0] + len(shown))), "in order, without gaps"
            assert len(shown) <= window
        assert w.messages.newer_hidden and w.messages.rowCount() == window
        asked = []
        real_load = c.session.load_history

        async def counting(conversation_id: int, *, older: bool = False) -> list[MessageInfo]:
            asked.append(older)
            return await real_load(conversation_id, older=older)

        c.session.load_history = counting  # type: ignore[method-assign]

        # a message arrives while the newest rows are not in the window: the pill, no jump
        await another_device_says(hub, conv_id, "message 9999")
        await wait_until(lambda: w.pane.new_pill.isVisible(), message="the pill")
        assert numbers()[0] == 1

        # back down: the rows come back from memory (nothing asked of the hub), place kept
        while w.messages.newer_hidden:
            last = numbers()[-1]
            bar.setValue(bar.maximum())
            reading, reading_top = top_message(w)
            await wait_until(lambda last=last: numbers()[-1] > last, message=f"the rows after {last}")
            assert top_of(w, reading.id) == reading_top, f"the place was kept after message {last}"
            shown = numbers()
            assert shown == list(range(shown[0], shown[0] + len(shown))) or shown[-1] == 9999
            assert len(shown) <= window
        assert asked == []
        bar.setValue(bar.maximum())
        assert numbers()[-2:] == [count, 9999]
        await wait_until(lambda: not w.pane.new_pill.isVisible(), message="the pill goes at the newest")

        # the pill, clicked while far up, shows the newest page
        while numbers()[0] > count - window:
            bar.setValue(0)
            first = numbers()[0]
            await wait_until(lambda first=first: numbers()[0] < first or w.messages.newer_hidden)
            if w.messages.newer_hidden:
                break
        w.pane.show_new_pill()
        w.pane.new_pill.click()
        await wait_until(lambda: numbers()[-1] == 9999 and bar.value() == bar.maximum(), message="the newest")
        assert not w.messages.newer_hidden

    run(scenario())
