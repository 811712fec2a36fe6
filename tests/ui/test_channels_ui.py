"""The window names the channel of each conversation: a Telegram conversation says
Telegram in its header (and the card lists the Telegram identity), a web chat says Web
chat; in every language."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication

from app.domain.channels import InboundMessage
from app.storage import Store, make_engine
from app.storage.channels import ChannelStore
from tests.conftest import TestHub
from tests.helpers import CustomerClient, wait_until
from tests.ui.test_window import log_in
from ui import i18n, theme
from ui.channels import channel_color, channel_name
from ui.models.inbox import ConversationRole


def test_the_channel_of_a_conversation_is_shown(hub: TestHub, run: Any, make_client: Any, qtbot: Any) -> None:
    acc = hub.accounts.operator
    engine = make_engine(hub.db_url)
    try:  # a Telegram user wrote while nobody was signed in
        ChannelStore(Store(engine)).receive(
            InboundMessage(
                "telegram", "4242", "4242", "4242:1", "Привіт з Telegram", name="Iryna Koval", label="@iryna_k"
            )
        )
    finally:
        engine.dispose()

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, acc.username, acc.password)
        qtbot.addWidget(w)
        async with CustomerClient.connected(hub.ws_url, name="Web Visitor") as cust:
            await cust.send("hello from the site")
            await wait_until(lambda: w.mine.rowCount() == 2, message="both conversations in Mine")
            rows = {w.mine.index(r, 0).data(ConversationRole).channel: r for r in range(2)}
            assert set(rows) == {"telegram", "web"}

            w.mine_view.setCurrentIndex(w.mine.index(rows["telegram"], 0))
            await wait_until(lambda: w.pane.subtitle.text().startswith("Telegram · "))
            await wait_until(lambda: w.card.channels.text() == "Telegram · @iryna_k", message="the card's channels")
            assert w.card.name.text() == "Iryna Koval"

            w.mine_view.setCurrentIndex(w.mine.index(rows["web"], 0))
            await wait_until(lambda: w.pane.subtitle.text().startswith("Web chat · "))
            await wait_until(lambda: w.card.channels.text() == "Web chat", message="the card's channels")

    run(scenario())


def test_channel_names_and_colours(qapp: Any) -> None:
    assert [channel_name(c) for c in ("web", "telegram", "whatsapp", "email", "viber")] == [
        "Web chat", "Telegram", "WhatsApp", "E-mail", "viber",
    ]
    colours = {channel_color(c).name() for c in ("web", "telegram", "whatsapp", "email")}
    assert len(colours) == 4  # each channel its own badge colour
    assert channel_color("viber") == theme.colors().badge_web
    for lang, web, email in (("uk", "Вебчат", "Ел. пошта"), ("ru", "Веб-чат", "Эл. почта")):
        translators = i18n.install(qapp, lang)
        try:
            assert (channel_name("web"), channel_name("telegram"), channel_name("email")) == (web, "Telegram", email)
        finally:
            for t in translators:
                QCoreApplication.removeTranslator(t)
