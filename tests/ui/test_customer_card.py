"""The customer card in the window against a real hub: it shows the card, edits in place
(a local phone format saved normalised, a refused phone kept with the reason), shows
another operator's change live, goes read-only offline, opens past conversations from
its timeline, and customer search by another format of the phone opens the card.
No sleeps: every wait is on a condition."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.protocol import convert
from app.protocol.messages import CustomerChanges, CustomerGet, CustomerProfile, CustomerUpdate
from app.storage import Store, make_engine
from tests.conftest import TestHub
from tests.helpers import CustomerClient, OperatorClient, txn, wait_until
from tests.hub.test_customer_timeline import add_conversations
from tests.ui.test_window import log_in
from ui.bridge.customer_bridge import TIMELINE_PAGE
from ui.models.customers import ConversationRole
from ui.widgets.customer_card import CustomerCard
from ui.widgets.inline_edit import InlineField
from ui.widgets.main_window import MainWindow


def define_field(hub: TestHub, key: str, label: str, kind: str) -> None:
    engine = make_engine(hub.db_url)
    try:
        Store(engine).customers.add_field(key, label, kind)
    finally:
        engine.dispose()


async def colleague(hub: TestHub) -> OperatorClient:
    """Another operator, signed in over the protocol (after the window's chats are routed)."""
    acc = hub.accounts.operator2
    op = await OperatorClient.connect(hub.ws_url)
    await op.login(acc.username, acc.password)
    await op.sync()
    return op


async def hub_card(op: OperatorClient, customer_id: int) -> CustomerProfile:
    data = await op.request(CustomerGet(txn_id=txn(), customer_id=customer_id))
    return convert(data["customer"], CustomerProfile)


async def update(op: OperatorClient, customer_id: int, changes: CustomerChanges) -> CustomerProfile:
    data = await op.request(CustomerUpdate(txn_id=txn(), customer_id=customer_id, changes=changes))
    return convert(data["customer"], CustomerProfile)


async def open_chat(w: MainWindow, cust: CustomerClient, text: str) -> int:
    """The customer writes; the chat lands in Mine; the operator opens it; the card is read."""
    conv_id = (await cust.send(text)).conversation_id
    await wait_until(lambda: any(
        w.mine.index(r, 0).data(ConversationRole).id == conv_id for r in range(w.mine.rowCount())
    ), message="the chat in Mine")
    w.open_conversation(conv_id)
    await wait_until(lambda: w.card.state == "ready", message="the card loaded")
    return conv_id


def click(field: InlineField) -> None:
    QTest.mouseClick(field.display, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert field.editing and field.editor.isVisible(), "a click opens the editor"


def type_and_enter(field: InlineField, text: str) -> None:
    click(field)
    field.editor.selectAll()
    QTest.keyClick(field.editor, Qt.Key.Key_Delete)
    QTest.keyClicks(field.editor, text)
    QTest.keyClick(field.editor, Qt.Key.Key_Return)


async def enter(field: InlineField, text: str) -> str:
    """Type ``text`` into the field and press Enter; once the hub answered, the refusal
    shown under the field ("" when it was saved)."""
    type_and_enter(field, text)
    await wait_until(lambda: not field.saving, message=f"the hub's answer to {text!r}")
    return field.error


def shown_phones(card: CustomerCard) -> list[str]:
    return [card.phones.rows[v][1].text() for v in card.phones.values]


def test_the_card_shows_what_the_hub_knows(hub: TestHub, run: Any, make_client: Any, qtbot: Any) -> None:
    acc = hub.accounts.operator
    define_field(hub, "policy_no", "Policy number", "text")

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        card = w.card
        assert card.empty.isVisibleTo(card) and not card.split.isVisibleTo(card)
        async with CustomerClient.connected(hub.ws_url, name="Iryna Koval", locale="uk") as cust:
            await open_chat(w, cust, "Hello")
            cid = card.customer_id
            assert cid is not None
            # a fresh card: every empty part says how to fill it
            assert card.phones.add.text() == "No phone yet — add one"
            assert card.emails.add.text() == "No e-mail yet — add one"
            assert card.tag_add.text() == "No tags yet — add one"
            assert card.notes.text() == "No notes yet — click to add"
            assert card.channels.text() == "Web chat"
            field_label, field = card._fields["field:policy_no"]
            assert field_label.text() == "Policy number" and field.text() == "Not set — click to add"

            other = await colleague(hub)
            await update(other, cid, CustomerChanges(
                add_phones=["067 123 45 67", "+7 (912) 345-67-89"], add_emails=["iryna@example.ua"],
                add_tags=["b2b", "late payer"], notes="Prefers calls after 18:00", vip=True,
                fields={"policy_no": "PX-778"},
            ))
            await wait_until(lambda: card.profile is not None and card.profile.vip, message="the change arrives")
            assert shown_phones(card) == ["+380 67 123 4567", "+7 912 345-67-89"]
            assert card.phones.rows["+380671234567"][1].display.copy_text == "+380671234567"
            assert card.phones.add.text() == "+ Add a phone"
            assert card.emails.values == ["iryna@example.ua"]
            assert list(card.tag_chips) == ["b2b", "late payer"]
            assert card.notes.text() == "Prefers calls after 18:00"
            assert card._fields["field:policy_no"][1].text() == "PX-778"
            assert card.vip_button.isChecked() and card.vip_button.text() == "★ VIP"
            # the inbox and the conversation header show the VIP flag too
            assert w.pane.title.text() == "★ Iryna Koval · VIP"
            # its conversations: this one, open, marked as the one on screen
            await wait_until(lambda: card.timeline.rowCount() == 1, message="the timeline")
            assert card.timeline.conversation_ids() == [w.current_id]
            await other.close()

    run(scenario())


def test_phone_in_a_local_format_is_saved_normalised_and_a_bad_one_keeps_the_text(
    hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        card = w.card
        async with CustomerClient.connected(hub.ws_url, name="Petro", locale="uk") as cust:
            await open_chat(w, cust, "Hi")
            cid = card.customer_id
            assert cid is not None
            other = await colleague(hub)

            type_and_enter(card.phones.add, "067 123 45 67")
            assert card.phones.add.saving and card.phones.add.message.text() == "Saving…"
            await wait_until(lambda: card.phones.values == ["+380671234567"] and not card.phones.add.editing,
                             message="saved")
            assert shown_phones(card) == ["+380 67 123 4567"]
            assert card.phones.add.text() == "+ Add a phone"
            assert (await hub_card(other, cid)).phones == ["+380671234567"]

            # a number the hub refuses: the reason under the field, the text stays
            add = card.phones.add
            type_and_enter(add, "12-34")
            await wait_until(lambda: add.error, message="the refusal")
            assert add.error.startswith("“12-34” is not a valid phone number")
            assert "is not a valid phone number" in add.message.toolTip()  # the hub's own words
            assert add.editing and add.editor.isVisible() and add.editor.text() == "12-34"
            assert not add.editor.isReadOnly()
            assert (await hub_card(other, cid)).phones == ["+380671234567"]
            # leaving the field does not lose it either; fixing it saves it
            QTest.keyClick(add.editor, Qt.Key.Key_End)
            QTest.keyClicks(add.editor, "56 78 90")
            QTest.keyClick(add.editor, Qt.Key.Key_Return)
            await wait_until(lambda: "+380123456789" in card.phones.values or add.error, message="the answer")
            # "12-3456 78 90" is no valid number either: still the reason, still the text
            assert add.error and add.editor.text() == "12-3456 78 90"
            QTest.keyClick(add.editor, Qt.Key.Key_Escape)  # Esc gives up
            assert not add.editing and add.text() == "+ Add a phone"

            # editing an existing number: the row is replaced, in one update
            row = card.phones.field_for("+380671234567")
            assert row is not None
            assert await enter(row, "(050) 111-22-33") == ""
            assert card.phones.values == ["+380501112233"]
            assert (await hub_card(other, cid)).phones == ["+380501112233"]
            # the × removes it
            card.phones.rows["+380501112233"][2].click()
            await wait_until(lambda: card.phones.values == [], message="removed")
            assert card.phones.add.text() == "No phone yet — add one"
            await other.close()

    run(scenario())


def test_other_fields_edit_in_place(hub: TestHub, run: Any, make_client: Any, qtbot: Any) -> None:
    acc = hub.accounts.operator
    define_field(hub, "born", "Birthday", "date")

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        card = w.card
        async with CustomerClient.connected(hub.ws_url, name="Visitor 4821", locale="ru") as cust:
            await open_chat(w, cust, "Hi")
            cid = card.customer_id
            assert cid is not None
            assert await enter(card.name_field, "Olga Petrova") == ""
            assert card.name.text() == "Olga Petrova"
            # the inbox and the conversation header follow
            await wait_until(lambda: w.pane.title.text() == "Olga Petrova")

            born = card._fields["field:born"][1]
            assert await enter(born, "31.02.1990") == (
                "“31.02.1990” is not a date: write it as 23.11.2026 or 2026-11-23."
            )
            born.editor.selectAll()
            QTest.keyClicks(born.editor, "30.01.1990")
            QTest.keyClick(born.editor, Qt.Key.Key_Return)
            await wait_until(lambda: born.text() == "1990-01-30" and not born.editing, message="date saved")

            assert await enter(card.emails.add, "Olga@Example.COM") == ""
            assert card.emails.values == ["Olga@example.com"]
            assert await enter(card.emails.add, "olga@") == (
                "“olga@” is not an e-mail address (example: name@example.com)."
            )
            QTest.keyClick(card.emails.add.editor, Qt.Key.Key_Escape)

            assert await enter(card.tag_add, "wholesale") == ""
            assert list(card.tag_chips) == ["wholesale"]
            card.tag_chips["wholesale"].remove_button.click()
            await wait_until(lambda: not card.tag_chips, message="tag removed")

            # notes: Enter starts a new line, Ctrl+Enter saves
            click(card.notes)
            QTest.keyClicks(card.notes.editor, "line one")
            QTest.keyClick(card.notes.editor, Qt.Key.Key_Return)
            QTest.keyClicks(card.notes.editor, "line two")
            assert not card.notes.saving
            QTest.keyClick(card.notes.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            await wait_until(lambda: card.profile is not None and card.profile.notes == "line one\nline two")

            card.vip_button.click()
            await wait_until(lambda: card.profile is not None and card.profile.vip, message="VIP")
            other = await colleague(hub)
            got = await hub_card(other, cid)
            assert (got.name, got.fields, got.notes, got.vip) == (
                "Olga Petrova", {"born": "1990-01-30"}, "line one\nline two", True
            )
            await other.close()

    run(scenario())


def test_a_colleagues_change_appears_live_without_losing_an_open_edit(
    hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        card = w.card
        async with CustomerClient.connected(hub.ws_url, name="Iryna") as cust:
            await open_chat(w, cust, "Hello")
            cid = card.customer_id
            assert cid is not None
            click(card.notes)
            QTest.keyClicks(card.notes.editor, "half-typed")
            other = await colleague(hub)
            await update(other, cid, CustomerChanges(add_phones=["+48 501 234 567"], add_tags=["b2b"], name="Iryna K"))
            await wait_until(lambda: card.phones.values == ["+48501234567"], message="the colleague's phone")
            assert shown_phones(card) == ["+48 501 234 567"]
            assert list(card.tag_chips) == ["b2b"]
            assert card.name.text() == "Iryna K"
            # what this operator is typing is untouched
            assert card.notes.editing and card.notes.editor_text() == "half-typed"
            await other.close()

    run(scenario())


def test_offline_the_card_is_read_only_and_says_so(hub: TestHub, run: Any, make_client: Any, qtbot: Any) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        card = w.card
        loop = asyncio.get_running_loop()
        async with CustomerClient.connected(hub.ws_url, name="Iryna") as cust:
            await open_chat(w, cust, "Hello")
            assert await enter(card.phones.add, "+380 67 123 45 67") == ""
        await loop.run_in_executor(None, hub.stop)
        await wait_until(lambda: card.state == "offline", timeout=10, message="offline")
        assert card.note.isVisibleTo(card) and card.note.text().startswith("Offline: this is the card as of")
        assert shown_phones(card) == ["+380 67 123 4567"]  # what was known stays readable
        row = card.phones.field_for("+380671234567")
        assert row is not None
        QTest.mouseClick(row.display, Qt.MouseButton.LeftButton)
        assert not row.editing, "read-only while offline"
        assert not card.phones.add.isVisibleTo(card) and not card.vip_button.isEnabled()
        await loop.run_in_executor(None, hub.start)
        await wait_until(lambda: card.state == "ready", timeout=15, message="back online, reloaded")
        assert not card.note.isVisibleTo(card)
        click(row)  # editable again
        QTest.keyClick(row.editor, Qt.Key.Key_Escape)

    run(scenario())


def test_the_timeline_opens_a_past_conversation_in_one_click(
    hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        card = w.card
        async with CustomerClient.connected(hub.ws_url, name="Iryna") as cust:
            first = await open_chat(w, cust, "My first question")
            w.pane.resolve_button.click()
            await wait_until(lambda: w.mine.rowCount() == 0, message="resolved")
            second = await open_chat(w, cust, "Back again")
            await wait_until(lambda: card.timeline.conversation_ids() == [second, first], message="both, newest first")
            assert card.timeline.index(0, 0).data(Qt.ItemDataRole.UserRole + 3)  # the one on screen
            rect = card.timeline_view.visualRect(card.timeline.index(1, 0))
            QTest.mouseClick(card.timeline_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            await wait_until(lambda: w.current_id == first, message="the past conversation opens")
            await wait_until(lambda: w.messages.texts() == ["My first question"], message="its history")
            assert "resolved" in w.pane.subtitle.text()
            assert not w.pane.composer.isEnabled(), "no reply into a resolved conversation"
            assert not w.mine_view.selectionModel().hasSelection()
            # and back to the open one from the inbox in one click
            w.mine_view.setCurrentIndex(w.mine.index(0, 0))
            await wait_until(lambda: w.current_id == second and w.pane.composer.isEnabled())

    run(scenario())


def test_search_by_another_format_of_the_phone_opens_the_card(
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
            CustomerClient.connected(hub.ws_url, name="Taras") as taras,
        ):
            iryna_conv = await open_chat(w, iryna, "About my policy")
            iryna_id = card.customer_id
            assert iryna_id is not None
            assert await enter(card.phones.add, "067 123 45 67") == ""
            await open_chat(w, taras, "Another question")
            assert card.name.text() == "Taras"

            w.activateWindow()
            QTest.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
            dialog = w.search_dialog  # Ctrl+Shift+F opened it (the top bar's button does the same)
            assert dialog is not None and dialog.isVisible()
            qtbot.addWidget(dialog)
            QTest.keyClicks(dialog.field, "+380 (67) 123-45-67")
            QTest.keyClick(dialog.field, Qt.Key.Key_Return)  # search now, without waiting for the pause
            await wait_until(lambda: dialog.model.rowCount() == 1, message="found")
            assert dialog.status.text() == "1 customer found"
            assert dialog.model.index(0, 0).data().splitlines() == ["Iryna Koval", "+380 67 123 4567"]
            QTest.keyClick(dialog.field, Qt.Key.Key_Return)  # opens the highlighted result
            assert not dialog.isVisible()
            await wait_until(lambda: card.customer_id == iryna_id and card.state == "ready", message="her card")
            assert card.name.text() == "Iryna Koval" and shown_phones(card) == ["+380 67 123 4567"]
            await wait_until(lambda: card.timeline.conversation_ids() == [iryna_conv], message="her conversations")
            # the open conversation is still Taras's: the card offers the way back
            assert card.back_button.isVisibleTo(card) and card.back_button.text() == "← Back to Taras"
            rect = card.timeline_view.visualRect(card.timeline.index(0, 0))
            QTest.mouseClick(card.timeline_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            await wait_until(lambda: w.current_id == iryna_conv, message="her conversation opens")
            assert not card.back_button.isVisibleTo(card)

            # nothing found says so
            dialog = w.open_customer_search()
            dialog.field.setText("+380 99 999 99 99")
            dialog.search_now()
            await wait_until(lambda: dialog.status.text().startswith("Nobody found"), message="nothing found")
            assert dialog.model.rowCount() == 0 and not dialog.open_button.isEnabled()
            dialog.reject()

    run(scenario())


def test_a_long_timeline_loads_older_pages_as_it_scrolls(
    hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        card = w.card
        async with CustomerClient.connected(hub.ws_url, name="Regular") as cust:
            conv_id = (await cust.send("Hello again")).conversation_id
            await wait_until(lambda: w.mine.rowCount() == 1)
            cid = w.mine.index(0, 0).data(ConversationRole).customer.id
            await asyncio.get_running_loop().run_in_executor(None, add_conversations, hub.db_url, cid, 100)
            w.open_conversation(conv_id)
            await wait_until(lambda: card.timeline.rowCount() == TIMELINE_PAGE, message="the newest page")
            assert card.timeline.conversation_ids()[0] == conv_id and card.timeline.has_more
            view = card.timeline_view
            while card.timeline.rowCount() < 101:
                n = card.timeline.rowCount()
                view.scrollToBottom()  # Qt asks the model for more at the end of the list
                await wait_until(lambda n=n: card.timeline.rowCount() > n, message=f"a page after {n}")
            assert not card.timeline.has_more
            starts = [card.timeline.index(r, 0).data(ConversationRole).created_at for r in range(101)]
            assert starts == sorted(starts, reverse=True)

    run(scenario())
