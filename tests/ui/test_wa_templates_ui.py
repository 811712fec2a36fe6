"""WhatsApp templates in the window, against a real hub with a WhatsApp channel (the Graph
API double): once the customer's 24-hour window has closed the composer says so and offers
"Choose template…"; the dialog lists the approved templates, asks for the values with a
live preview and sends; the message appears in the conversation with the rendered text and
reaches the number as a template. A refusal is said in the dialog and the values stay.
Writing first from the card offers the same path."""

from __future__ import annotations

import asyncio
from typing import Any

from app.protocol.messages import WaTemplateList
from tests.helpers import OperatorClient, txn, wait_until
from tests.hub.conftest import WhatsAppSetup, graph_api, whatsapp  # noqa: F401 - fixtures
from tests.hub.test_wa_templates import ORDER_TEXT, age_customer_messages
from tests.ui.test_window import log_in
from ui.models.inbox import ConversationRole
from ui.models.messages import MessageRole

WA_ID = "380671234567"


def _texts(w: Any) -> list[str]:
    return [w.messages.index(i, 0).data(MessageRole).text for i in range(w.messages.rowCount())]


def test_choose_fill_and_send_a_template_after_the_window_closed(
    whatsapp: WhatsAppSetup, run: Any, make_client: Any, qtbot: Any  # noqa: F811
) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        pane = w.pane
        await asyncio.to_thread(api.user_message, WA_ID, "where is my order?", name="Olena Koval")
        await wait_until(lambda: w.mine.rowCount() == 1, message="the WhatsApp chat in Mine")
        conv = w.mine.index(0, 0).data(ConversationRole)
        w.open_conversation(conv.id)
        await wait_until(lambda: pane.window_info is not None, message="the window asked for")
        assert not pane.window_banner.isVisibleTo(pane) and pane.composer.isEnabled()

        # a day later
        age_customer_messages(whatsapp.db_url)
        api.age_window(WA_ID)
        # the window still shows it open: a reply typed now is refused by the hub (not sent to
        # Meta), the bubble says why, and the banner shows the way out
        pane.composer.setPlainText("are you still there?")
        pane.send_button.click()
        await wait_until(lambda: pane.window_banner.isVisibleTo(pane), message="the banner")
        (failed,) = w.bridge.session.outbox_of(conv.id)
        assert (failed.state, failed.error) == ("failed", "window_closed")
        assert pane.list.itemDelegate().state_text(failed) == (
            "Not sent: the 24-hour window has closed — send a template"
        )
        assert api.calls_to("/messages") == []
        assert pane.window_text.text() == (
            "The 24-hour window has closed: WhatsApp only delivers approved templates"
        )
        assert not pane.composer.isEnabled() and not pane.send_button.isEnabled()
        pane.note_mode.click()  # internal notes are still possible
        assert pane.composer.isEnabled()
        pane.reply_mode.click()
        assert not pane.composer.isEnabled()
        assert pane.template_button.text() == "Choose template…" and pane.template_button.isEnabled()

        pane.template_button.click()
        dialog = w.wa_flow.dialog
        assert dialog is not None
        qtbot.addWidget(dialog)
        await wait_until(lambda: dialog.list.count() == 3, message="the approved templates listed")
        names = [dialog.list.item(i).text() for i in range(3)]
        assert names == ["follow_up\nen_US · marketing", "order_update\nen_US · utility", "order_update\nuk · utility"]
        dialog.list.setCurrentRow(1)
        assert dialog.body.text() == "Hello {{1}}, your order {{2}} is on its way."
        assert len(dialog.fields) == 2 and not dialog.send_button.isEnabled()
        assert dialog.send_button.toolTip() == "Fill in {{1}}."
        dialog.fields[0].setText("Olena")
        assert "Hello Olena, your order {{2}} is on its way." in dialog.preview.toPlainText()
        dialog.fields[1].setText("A-1077      (urgent)")
        assert not dialog.send_button.isEnabled()  # WhatsApp refuses more than four spaces in a row
        assert "four spaces" in dialog.send_button.toolTip()
        dialog.fields[1].setText("A-1077")
        assert dialog.preview.toPlainText() == ORDER_TEXT
        assert dialog.send_button.isEnabled()
        dialog.send_button.click()

        await wait_until(lambda: w.wa_flow.dialog is None, message="the dialog closed once sent")
        await wait_until(lambda: ORDER_TEXT in _texts(w), message="the template in the conversation")
        await wait_until(lambda: len(api.templates_sent) == 1, message="sent to WhatsApp")
        assert api.templates_sent[0]["template"]["name"] == "order_update"
        assert api.texts_to(WA_ID) == []

        # Meta paused a template after this dialog read the list: the hub refuses, the dialog
        # says why and keeps the values
        pane.template_button.click()
        dialog = w.wa_flow.dialog
        assert dialog is not None
        qtbot.addWidget(dialog)
        await wait_until(lambda: dialog.list.count() == 3, message="the list again")
        dialog.list.setCurrentRow(2)
        dialog.fields[0].setText("Олена")
        dialog.fields[1].setText("A-1077")
        api.set_template_status("order_update", "uk", "PAUSED")
        async with OperatorClient.connected(hub.ws_url) as other:  # a colleague refreshes the list
            await other.login(hub.accounts.operator2.username, hub.accounts.operator2.password)
            await other.request(WaTemplateList(txn_id=txn(), refresh=True))
        dialog.send_button.click()
        await wait_until(lambda: dialog.error.isVisibleTo(dialog), message="the refusal in the dialog")
        assert dialog.error.text() == (
            "Not sent: the template order_update (uk) is paused, not approved: WhatsApp would not deliver it"
        )
        assert [f.text() for f in dialog.fields] == ["Олена", "A-1077"]
        assert dialog.send_button.isEnabled()
        dialog.refresh_button.click()
        await wait_until(lambda: dialog.list.count() == 2, message="the paused one is gone after a refresh")
        dialog.reject()
        assert _texts(w).count(ORDER_TEXT) == 1

        # the customer answers: free text again
        await asyncio.to_thread(api.user_message, WA_ID, "thank you!", name="Olena Koval")
        await wait_until(lambda: not pane.window_banner.isVisibleTo(pane), message="the window open again")
        assert pane.composer.isEnabled()

    run(scenario())


def test_writing_first_on_whatsapp_offers_the_template_path(
    whatsapp: WhatsAppSetup, run: Any, make_client: Any, qtbot: Any  # noqa: F811
) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        card = w.card
        await asyncio.to_thread(api.user_message, WA_ID, "hi", name="Olena Koval")
        await wait_until(lambda: w.mine.rowCount() == 1, message="the WhatsApp chat in Mine")
        first = w.mine.index(0, 0).data(ConversationRole)
        w.open_conversation(first.id)
        w.bridge.resolve(first.id)
        await wait_until(lambda: w.mine.rowCount() == 0, message="resolved")
        age_customer_messages(whatsapp.db_url)
        await wait_until(lambda: card.state == "ready", message="the card loaded")
        await wait_until(lambda: card.write_links.isVisibleTo(card), message="the write link")
        (button,) = [b for b in card.write_buttons if b.isVisibleTo(card)]
        button.click()
        assert card.start_template.isVisibleTo(card) and card.start_template.text() == "Choose template…"

        card.start_text.setPlainText("Hello again")  # free text: refused, with the way out
        card.start_send.click()
        await wait_until(lambda: card.start_error.isVisibleTo(card), message="the refusal")
        assert card.start_error.text() == (
            "Not sent: the customer has not written on WhatsApp in the last 24 hours. WhatsApp only delivers "
            "approved templates: choose one."
        )

        card.start_template.click()
        dialog = w.wa_flow.dialog
        assert dialog is not None
        qtbot.addWidget(dialog)
        assert dialog.starting
        await wait_until(lambda: dialog.list.count() == 3, message="the templates")
        dialog.list.setCurrentRow(0)  # follow_up: no values
        assert dialog.fields == [] and dialog.send_button.isEnabled()
        dialog.send_button.click()
        await wait_until(lambda: w.wa_flow.dialog is None, message="the dialog closed")
        await wait_until(lambda: w.current_id not in (None, first.id), message="the new conversation opened")
        await wait_until(lambda: len(api.templates_sent) == 1, message="sent as a template")
        assert api.templates_sent[0]["template"]["name"] == "follow_up"
        assert not card.start_box.isVisibleTo(card)
        follow_up = "We have an answer to your question. Reply to this message to continue."
        await wait_until(lambda: _texts(w) == [follow_up], message="the template shown in the new conversation")
        await wait_until(lambda: w.pane.window_info is not None, message="its window asked for")
        assert w.pane.window_banner.isVisibleTo(w.pane)  # she has not answered yet: still templates only

    run(scenario())
