"""Answer templates in the window against a real hub: ``/ref`` offers the matching
shortcodes, ``/refund`` + Tab puts the template's text with the customer's name into the
composer (never sends it), a fill-in prompt asks for its value inline, an unknown
variable stays visible and highlighted, and the templates manager lets an operator make
a personal template (live in the composer) while team templates stay read-only for them,
with the reason said. No sleeps: every wait is on a condition."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCharFormat
from PySide6.QtTest import QTest

from app.protocol.messages import TemplateDraft, TemplateUpdated
from app.storage import Store, make_engine
from tests.conftest import TestHub
from tests.helpers import CustomerClient, wait_until
from tests.hub.test_customer_card import signed_in
from tests.ui.test_customer_card import open_chat
from tests.ui.test_window import log_in
from ui.widgets.main_window import MainWindow


def team_template(hub: TestHub, shortcode: str, title: str, body: str, **kw: Any) -> None:
    """A team template, made by the supervisor on the hub's database."""
    engine = make_engine(hub.db_url)
    try:
        Store(engine).templates.save(
            hub.accounts.supervisor.id,
            TemplateDraft(shortcode=shortcode, title=title, body=body, scope="team", **kw),
            f"seed-{shortcode}",
        )
    finally:
        engine.dispose()


async def chat_window(hub: TestHub, make_client: Any, qtbot: Any, cust: CustomerClient) -> MainWindow:
    acc = hub.accounts.operator
    w = await log_in(make_client(), hub.ws_url, acc.username, acc.password)
    qtbot.addWidget(w)
    await wait_until(lambda: w.pane.composer.templates, message="the templates loaded")
    await open_chat(w, cust, "Hello, I want my money back")
    return w


def composer_text(w: MainWindow) -> str:
    return w.pane.composer.toPlainText()


def highlighted(w: MainWindow, fragment: str) -> bool:
    """Whether ``fragment`` in the composer's first block carries the placeholder format."""
    block = w.pane.composer.document().firstBlock()
    start = block.text().index(fragment)
    for r in block.layout().formats():
        if r.start <= start and start + len(fragment) <= r.start + r.length:
            return r.format.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline
    return False


def test_slash_shortcode_and_tab_inserts_the_body_with_the_customer_name(
    hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    team_template(hub, "refund", "Refund", "Dear {customer.name}, the refund is on its way. {operator.name}")
    team_template(hub, "refuse", "Refusal", "We cannot do that, sorry.")
    team_template(hub, "hello", "Greeting", "Hello!")

    async def scenario() -> None:
        async with CustomerClient.connected(hub.ws_url, name="Iryna Koval", locale="uk") as cust:
            w = await chat_window(hub, make_client, qtbot, cust)
            composer, popup = w.pane.composer, w.pane.composer.completion
            assert popup is not None
            QTest.keyClicks(composer, "/ref")
            assert popup.isVisible()
            shown = [popup.item(i).text().split()[0] for i in range(popup.count())]
            assert shown == ["/refund", "/refuse"]  # /hello does not match
            QTest.keyClicks(composer, "und")
            assert [popup.item(i).text().split()[0] for i in range(popup.count())] == ["/refund"]
            QTest.keyClick(composer, Qt.Key.Key_Tab)
            assert not popup.isVisible()
            assert composer_text(w) == "Dear Iryna Koval, the refund is on its way. Olena Koval"
            assert composer.hasFocus() or not w.isActiveWindow()
            # inserted for editing, never sent: nothing pending, nothing on the hub
            assert w.bridge.outbox_of(w.current_id or 0) == []
            assert [m.author for m in w.bridge.messages(w.current_id or 0)] == ["customer"]

            # in the middle of a text, from the list with Down + Enter
            composer.clear()
            QTest.keyClicks(composer, "Hi! /re")
            QTest.keyClick(composer, Qt.Key.Key_Down)
            QTest.keyClick(composer, Qt.Key.Key_Return)
            assert composer_text(w) == "Hi! We cannot do that, sorry."
            # Esc closes the list and leaves what was typed; an unknown shortcode + Tab does nothing to it
            composer.clear()
            QTest.keyClicks(composer, "/zzz")
            assert not popup.isVisible()
            QTest.keyClick(composer, Qt.Key.Key_Tab)
            assert composer_text(w) == "/zzz"
            composer.clear()
            QTest.keyClicks(composer, "/hel")
            assert popup.isVisible()
            QTest.keyClick(composer, Qt.Key.Key_Escape)
            assert not popup.isVisible() and composer_text(w) == "/hel"

    run(scenario())


def test_a_fill_in_prompt_asks_for_its_value_before_insertion(
    hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    team_template(
        hub, "policy", "Policy refund",
        "Refund for policy {?Policy number} approved, {customer.name}. Ref {conversation.id}; card {?Card digits}.",
    )

    async def scenario() -> None:
        async with CustomerClient.connected(hub.ws_url, name="Iryna Koval", locale="uk") as cust:
            w = await chat_window(hub, make_client, qtbot, cust)
            composer, bar = w.pane.composer, w.pane.prompt_bar
            QTest.keyClicks(composer, "/policy")
            QTest.keyClick(composer, Qt.Key.Key_Tab)
            # asked first, inline; nothing inserted yet
            assert bar.isVisible()
            assert [label for label, _e in bar.fields] == ["Policy number", "Card digits"]
            assert composer_text(w) == "/policy"
            QTest.keyClicks(bar.fields[0][1], "PX-778")
            QTest.keyClick(bar.fields[0][1], Qt.Key.Key_Return)  # to the next field
            assert bar.isVisible()
            QTest.keyClicks(bar.fields[1][1], "4242")
            QTest.keyClick(bar.fields[1][1], Qt.Key.Key_Return)  # the last one inserts
            assert not bar.isVisible()
            assert composer_text(w) == (
                f"Refund for policy PX-778 approved, Iryna Koval. Ref {w.current_id}; card 4242."
            )

            # cancelled: the shortcode stays as typed; a prompt left empty stays visible
            composer.clear()
            QTest.keyClicks(composer, "/policy")
            QTest.keyClick(composer, Qt.Key.Key_Tab)
            bar.cancel_button.click()
            assert not bar.isVisible() and composer_text(w) == "/policy"
            composer.clear()
            QTest.keyClicks(composer, "/policy")
            QTest.keyClick(composer, Qt.Key.Key_Tab)
            QTest.keyClicks(bar.fields[0][1], "PX-1")
            bar.insert_button.click()
            assert "PX-1" in composer_text(w) and "{?Card digits}" in composer_text(w)
            assert highlighted(w, "{?Card digits}")

    run(scenario())


def test_an_unknown_variable_is_kept_visible_and_highlighted(
    hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    team_template(hub, "call", "Call back", "{customer.name}, we call {customer.phone} at {customer.nickname}.")

    async def scenario() -> None:
        async with CustomerClient.connected(hub.ws_url, name="Iryna Koval", locale="uk") as cust:
            w = await chat_window(hub, make_client, qtbot, cust)
            QTest.keyClicks(w.pane.composer, "/call")
            QTest.keyClick(w.pane.composer, Qt.Key.Key_Tab)
            # no phone on the card, and no such variable: both stay as written
            text = composer_text(w)
            assert text == "Iryna Koval, we call {customer.phone} at {customer.nickname}."
            assert highlighted(w, "{customer.phone}") and highlighted(w, "{customer.nickname}")
            assert not highlighted(w, "Iryna Koval")
            assert "{customer.phone}" in w.pane.hint.text() and w.pane.hint.objectName() == "warning"
            # once replaced by hand, the warning goes
            w.pane.composer.setPlainText("Iryna Koval, we call you at 18:00.")
            assert w.pane.hint.objectName() == "muted"

    run(scenario())


def test_manager_personal_templates_and_read_only_team_templates(
    hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    team_template(hub, "refund", "Refund", "Team text", category="Payments")

    async def scenario() -> None:
        async with CustomerClient.connected(hub.ws_url, name="Iryna Koval", locale="uk") as cust:
            w = await chat_window(hub, make_client, qtbot, cust)
            dlg = w.open_templates()
            assert dlg.visible_shortcodes() == ["/refund"]
            # a team template is read-only for an operator, and the dialog says why
            team = next(iter(w.bridge.templates.templates()))
            dlg.select(team.id)
            assert dlg.current is not None and dlg.current.id == team.id
            assert dlg.readonly_note.isVisibleTo(dlg) and "supervisors and admins" in dlg.readonly_note.text()
            assert not dlg.save_button.isEnabled() and dlg.body.isReadOnly()
            assert not dlg.delete_button.isEnabled()

            # a personal template: saved on the hub, listed, and live in the composer
            dlg.new_template()
            assert not dlg.scope.isEnabled()  # operators make personal templates only
            dlg.shortcode.setText("/mine")
            dlg.title.setText("My thanks")
            dlg.category.setEditText("Mine")
            dlg.body.setPlainText("Thanks, {customer.name}!")
            dlg.save_button.click()
            await wait_until(lambda: "mine" in w.pane.composer.templates, message="the new template live")
            # the save's answer and the template_updated event are two frames: the dialog
            # shows the saved template once the answer is in
            await wait_until(lambda: dlg.current is not None, message="the dialog shows the saved template")
            assert "/mine" in dlg.visible_shortcodes()
            assert dlg.current is not None and dlg.current.scope == "personal" and dlg.save_button.isEnabled()

            # a refused save keeps what was typed and says why
            dlg.new_template()
            dlg.shortcode.setText("mine")
            dlg.title.setText("Again")
            dlg.body.setPlainText("Other text")
            dlg.save_button.click()
            await wait_until(lambda: dlg.message.text() != "", message="the refusal")
            assert "already used" in dlg.message.text()
            assert dlg.body.toPlainText() == "Other text"

            # the search filters the list
            dlg.search.setText("thanks")
            assert dlg.visible_shortcodes() == ["/mine"]
            dlg.close()

            QTest.keyClicks(w.pane.composer, "/mine")
            QTest.keyClick(w.pane.composer, Qt.Key.Key_Tab)
            assert composer_text(w) == "Thanks, Iryna Koval!"

    run(scenario())


def test_a_supervisor_edits_a_team_template_and_operators_get_it_live(
    hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    team_template(hub, "refund", "Refund", "Old text", category="Payments")

    async def scenario() -> None:
        acc = hub.accounts.supervisor
        w = await log_in(make_client(), hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        await wait_until(lambda: w.pane.composer.templates, message="the templates loaded")
        op = await signed_in(hub)
        try:
            dlg = w.open_templates()
            team = w.bridge.templates.by_shortcode()["refund"]
            dlg.select(team.id)
            assert not dlg.readonly_note.isVisibleTo(dlg) and dlg.save_button.isEnabled()
            dlg.body.setPlainText("New text for {customer.name}")
            dlg.save_button.click()
            ev = await op.wait_frame(TemplateUpdated, lambda e: e.template.body == "New text for {customer.name}")
            assert ev.template.id == team.id and ev.template.updated_by == acc.id
            # a new template: the supervisor may choose the team scope
            dlg.new_template()
            assert dlg.scope.isEnabled()
            dlg.scope.setCurrentIndex(dlg.scope.findData("team"))
            dlg.shortcode.setText("thanks")
            dlg.title.setText("Thanks")
            dlg.body.setPlainText("Thank you!")
            dlg.save_button.click()
            ev = await op.wait_frame(TemplateUpdated, lambda e: e.template.shortcode == "thanks")
            assert ev.template.scope == "team"
            # and deletes it (confirmed), everyone is told
            dlg.select(ev.template.id)
            w.bridge.templates.delete(ev.template.id)
            await op.wait_frame(TemplateUpdated, lambda e: e.template.shortcode == "thanks" and e.deleted)
            await wait_until(lambda: "/thanks" not in dlg.visible_shortcodes(), message="gone from the list")
        finally:
            await op.close()

    run(scenario())
