"""Writing first on another channel from the customer card, in the window, against a real
hub with a WhatsApp channel (the Graph API double): the card offers "Write on WhatsApp…"
for the customer's WhatsApp identity; a refusal keeps the typed text and says why; once
allowed, the new conversation opens in the middle and the message reaches the number."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QCoreApplication

from app.protocol.messages import Resolve
from tests.helpers import OperatorClient, txn, wait_until
from tests.hub.conftest import WhatsAppSetup, graph_api, whatsapp  # noqa: F401 - fixtures
from tests.ui.test_window import log_in
from ui import i18n
from ui.models.inbox import ConversationRole

WA_ID = "380671234567"


def test_write_on_whatsapp_from_the_card(whatsapp: WhatsAppSetup, run: Any, make_client: Any, qtbot: Any) -> None:  # noqa: F811
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        card = w.card
        await asyncio.to_thread(api.user_message, WA_ID, "Привіт, це Олена", name="Olena Koval")
        await wait_until(lambda: w.mine.rowCount() == 1, message="the WhatsApp chat in Mine")
        first = w.mine.index(0, 0).data(ConversationRole)
        assert first.channel == "whatsapp"
        w.open_conversation(first.id)
        await wait_until(lambda: card.state == "ready", message="the card loaded")

        # one explicit action per identity that can be written to
        await wait_until(lambda: card.write_links.isVisibleTo(card), message="the write link")
        (button,) = [b for b in card.write_buttons if b.isVisibleTo(card)]
        assert button.text() == "Write on WhatsApp…"
        assert button.isEnabled()
        assert not card.start_box.isVisibleTo(card)
        button.click()
        assert card.start_box.isVisibleTo(card)
        assert card.start_title.text() == "New WhatsApp conversation with Olena Koval (+380\u00a067\u00a0123\u00a04567)"
        card.start_send.click()
        assert card.start_error.text() == "Write the message first."

        # the WhatsApp conversation is still open: refused, the text stays for later
        card.start_text.setPlainText("Your order has arrived")
        card.start_send.click()
        await wait_until(lambda: card.start_error.isVisibleTo(card), message="the refusal")
        assert card.start_error.text() == (
            "Not sent: there is already an open WhatsApp conversation with this customer. Write there."
        )
        assert card.start_text.toPlainText() == "Your order has arrived"
        assert api.texts_to(WA_ID) == []

        async with OperatorClient.connected(hub.ws_url) as me:  # the same operator elsewhere
            await me.login(acc.username, acc.password)
            await me.request(Resolve(txn_id=txn(), conversation_id=first.id))
        await wait_until(lambda: w.mine.rowCount() == 0, message="the resolved chat leaves Mine")
        assert card.customer_id == first.customer.id and card.start_box.isVisibleTo(card)

        card.start_send.click()
        # the new conversation opens in the middle, assigned to us; the message leaves by WhatsApp
        await wait_until(lambda: w.current_id not in (None, first.id), message="the new conversation opened")
        new = w.bridge.customers.conversation(w.current_id)
        assert new is not None and (new.channel, new.status, new.customer.id) == ("whatsapp", "open", first.customer.id)
        assert not card.start_box.isVisibleTo(card)
        await wait_until(lambda: api.texts_to(WA_ID) == ["Your order has arrived"], message="sent through WhatsApp")
        await wait_until(lambda: w.mine.rowCount() == 1, message="the new conversation in Mine")
        assert w.pane.subtitle.text().startswith("WhatsApp · ")

        # the action speaks the operator's language
        translators = i18n.install(QCoreApplication.instance(), "uk")  # type: ignore[arg-type]
        try:
            await wait_until(lambda: button.text() == "Написати у WhatsApp…", message="the Ukrainian text")
        finally:
            for t in translators:
                QCoreApplication.removeTranslator(t)

    run(scenario())
