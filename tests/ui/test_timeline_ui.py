"""The card's timeline of everything in the window against a real hub: a note added from
the card appears at the top (bad input is refused with the text kept), a colleague's
note arrives live, the filter chips show notes or conversations only, and a click on an
internal note opens its conversation scrolled to that note (older pages are read until
it is there). No sleeps: every wait is on a condition."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.protocol.messages import NOTE_MAX_CHARS, CustomerNoteSave, CustomerProfile, TimelineEntry
from app.storage import Store, make_engine
from app.storage.models import Message
from app.storage.repo import utcnow
from tests.conftest import TestHub
from tests.helpers import CustomerClient, txn, wait_until
from tests.ui.test_customer_card import colleague, open_chat
from tests.ui.test_window import log_in
from ui.models.messages import MessageRole
from ui.widgets.customer_card import CustomerCard
from ui.widgets.main_window import MainWindow


def add_messages(db_url: str, conversation_id: int, customer_id: int, count: int) -> None:
    """``count`` customer messages written straight into the database after everything else."""
    engine = make_engine(db_url)
    try:
        store = Store(engine)
        now = utcnow()
        with store._sessions.begin() as s:
            for n in range(count):
                s.add(Message(conversation_id=conversation_id, author="customer", sender_key=f"cust:{customer_id}",
                              text=f"later message {n}", created_at=now + timedelta(seconds=n + 1)))
    finally:
        engine.dispose()


def top(card: CustomerCard) -> TimelineEntry | None:
    entries = card.timeline.entries()
    return entries[0] if entries else None


def click_row(card: CustomerCard, row: int) -> None:
    rect = card.timeline_view.visualRect(card.timeline.index(row, 0))
    QTest.mouseClick(card.timeline_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def selected_message_id(w: MainWindow) -> int | None:
    msg = w.pane.list.currentIndex().data(MessageRole)
    return msg.id if msg is not None else None


def test_a_note_added_on_the_card_appears_at_the_top_and_bad_input_keeps_the_text(
    hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        card = w.card
        async with CustomerClient.connected(hub.ws_url, name="Iryna Koval", locale="uk") as cust:
            conv_id = await open_chat(w, cust, "Hello")
            cid = card.customer_id
            assert cid is not None
            await wait_until(lambda: card.timeline.conversation_ids() == [conv_id], message="the timeline")
            assert card.timeline_title.text() == "Timeline"
            assert [b.text() for b in card.filter_buttons.values()] == ["All", "Conversations", "Notes"]

            # an empty note is refused in place; nothing is sent
            assert card.add_note_button.isVisible()
            card.add_note_button.click()
            assert card.note_box.isVisible() and card.note_edit.hasFocus()
            card.note_save.click()
            assert card.note_error.isVisible() and card.note_error.text() == "Write the note first."
            # a note the hub refuses (too long) keeps what was typed, with the reason
            long_text = "x" * (NOTE_MAX_CHARS + 1)
            card.note_edit.setPlainText(long_text)
            card.note_save.click()
            await wait_until(lambda: not card.note_sending, message="the hub's answer")
            assert card.note_error.text() == f"Not saved: a note can have at most {NOTE_MAX_CHARS} characters."
            assert card.note_edit.toPlainText() == long_text and card.note_box.isVisible()
            assert [e.kind for e in card.timeline.entries()] == ["conversation"]

            # a good note: saved, the editor closes, the note is the newest entry
            card.note_edit.setPlainText("Prefers calls after 18:00")
            QTest.keyClick(card.note_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            await wait_until(lambda: top(card) is not None and top(card).kind == "customer_note"  # type: ignore[union-attr]
                             and not card.note_box.isVisible(), message="saved: the note at the top")
            note = top(card)
            assert note is not None and note.text == "Prefers calls after 18:00"
            assert note.author_name == acc.display_name and not card.note_error.isVisible()
            tag, _head, _color, preview = card.entry_texts(note)
            assert (tag, preview) == ("Card note", "Prefers calls after 18:00")

            # its author changes it with a click on it
            click_row(card, 0)
            assert card.note_box.isVisible() and card.note_edit.toPlainText() == "Prefers calls after 18:00"
            card.note_edit.setPlainText("Prefers calls after 19:00")
            card.note_save.click()
            await wait_until(lambda: top(card) is not None and top(card).text.endswith("19:00")  # type: ignore[union-attr]
                             and not card.note_box.isVisible(), message="the changed note")
            assert card.entry_texts(top(card))[1].endswith("· edited")  # type: ignore[arg-type]
            assert card.timeline.rowCount() == 2

            # a colleague's note on this card arrives live, at the top
            other = await colleague(hub)
            await other.request(CustomerNoteSave(txn_id=txn(), customer_id=cid, text="Asked about the refund"))
            await wait_until(lambda: top(card) is not None and top(card).text == "Asked about the refund",  # type: ignore[union-attr]
                             message="the colleague's note")
            # ... which this operator may not change: a click opens no editor
            click_row(card, 0)
            assert not card.note_box.isVisible()

            # the chips: notes only, conversations only, all again
            card.filter_buttons["notes"].click()
            await wait_until(lambda: [e.kind for e in card.timeline.entries()] == ["customer_note"] * 2,
                             message="notes only")
            card.filter_buttons["conversations"].click()
            await wait_until(lambda: card.timeline.conversation_ids() == [conv_id] and card.timeline.rowCount() == 1,
                             message="conversations only")
            card.filter_buttons["all"].click()
            await wait_until(lambda: card.timeline.rowCount() == 3, message="all again")
            await other.close()

    run(scenario())


def test_a_click_on_an_internal_note_opens_its_conversation_at_the_note(
    hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        card = w.card
        async with (
            CustomerClient.connected(hub.ws_url, name="Iryna Koval", locale="uk") as iryna,
            CustomerClient.connected(hub.ws_url, name="Taras", locale="uk") as taras,
        ):
            iryna_conv = await open_chat(w, iryna, "My parcel is late")
            iryna_id = card.customer_id
            assert iryna_id is not None
            note = await w.bridge.session.send_message(iryna_conv, "Courier confirmed: Friday", internal=True)
            # the note arrives in her timeline live, looking like a note
            await wait_until(lambda: top(card) is not None and top(card).kind == "note", message="the note")  # type: ignore[union-attr]
            tag, head, _c, preview = card.entry_texts(top(card))  # type: ignore[arg-type]
            assert tag == f"Note in #{iryna_conv}" and preview == "Courier confirmed: Friday" and head

            # resolved, and then 120 messages after the note (an import): it is far above the newest page
            await w.bridge.session.resolve(iryna_conv)
            add_messages(hub.db_url, iryna_conv, iryna_id, 120)
            await open_chat(w, taras, "Hi")
            assert card.customer_id != iryna_id
            profile = await w.bridge.session.customer(iryna_id)
            assert isinstance(profile, CustomerProfile)
            card.show_profile(profile)
            await wait_until(lambda: card.customer_id == iryna_id and any(
                e.kind == "note" for e in card.timeline.entries()), message="her timeline with the note")
            row = next(r for r, e in enumerate(card.timeline.entries()) if e.kind == "note")
            click_row(card, row)
            await wait_until(lambda: w.current_id == iryna_conv, message="her conversation opens")
            await wait_until(lambda: selected_message_id(w) == note.id, message="scrolled to the note")
            index = w.pane.list.currentIndex()
            assert w.pane.list.viewport().rect().intersects(w.pane.list.visualRect(index))  # on screen
            assert w.messages.rowCount() > 50  # older pages were read to reach it

    run(scenario())
