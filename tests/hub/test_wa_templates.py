"""WhatsApp message templates end to end against a real hub and the Graph API double:
the hub fetches the business account's templates (paged) and offers the approved ones,
keeps them across a restart while Meta is unreachable, refuses free text once the
customer's 24-hour window has closed (before anything is stored or sent), and sends a
template as ``type: template`` with its values, stored with the rendered text. Bad input
(unknown template, wrong values, one Meta refuses, Meta down) gives a clear error and
loses nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.protocol.messages import (
    ConversationStart,
    ConversationWindow,
    CustomerGet,
    MessageCreated,
    SendMessage,
    WaTemplateChoice,
    WaTemplateList,
)
from app.storage import make_engine
from app.storage.models import Message
from tests.helpers import CommandFailed, OperatorClient, txn, wait_until, wait_until_async
from tests.hub.conftest import WhatsAppSetup
from tests.whatsapp_double import WABA_ID

WA_ID = "380671234567"
ORDER_TEXT = "Your order\n\nHello Olena, your order A-1077 is on its way.\n\nFrontline shop"


def age_customer_messages(db_url: str, hours: float = 25.0) -> None:
    """A day passes: every customer message is ``hours`` older (the hub's window is
    counted from the stored messages, as after a real day)."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            rows = conn.execute(select(Message.id, Message.created_at).where(Message.author == "customer")).all()
            for mid, created in rows:
                conn.execute(
                    update(Message).where(Message.id == mid).values(created_at=created - timedelta(hours=hours))
                )
    finally:
        engine.dispose()


async def templates(op: OperatorClient, refresh: bool = False) -> dict[str, object]:
    return await op.request(WaTemplateList(txn_id=txn(), channel="whatsapp", refresh=refresh))


def order(*params: str, name: str = "order_update", language: str = "en_US") -> WaTemplateChoice:
    return WaTemplateChoice(name=name, language=language, params=list(params))


async def fetched(op: OperatorClient) -> dict[str, object]:
    """The template list once the channel fetched it at start."""

    async def ready() -> dict[str, object] | None:
        data = await templates(op)
        return data if data["fetched_at"] else None

    found: dict[str, object] = await wait_until_async(ready, message="the templates were not fetched")
    return found


def test_approved_templates_are_fetched_page_by_page_and_offered(whatsapp: WhatsAppSetup) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            data = await fetched(op)
            got = [(t["name"], t["language"], t.get("params", 0)) for t in data["templates"]]  # type: ignore[union-attr]
            # the pending one and the one with a document header are not offered
            assert got == [("follow_up", "en_US", 0), ("order_update", "en_US", 2), ("order_update", "uk", 2)]
            first = data["templates"][1]  # type: ignore[index]
            assert first == {
                "name": "order_update", "language": "en_US", "category": "UTILITY",
                "body": "Hello {{1}}, your order {{2}} is on its way.", "params": 2,
                "header": "Your order", "footer": "Frontline shop",
            }
            assert data["error"] == ""
            pages = api.calls_to("/message_templates")
            assert len(pages) >= 3  # five templates, two a page
            assert all(c.path == f"/v21.0/{WABA_ID}/message_templates" for c in pages)

            # a channel that is not WhatsApp has no templates
            with pytest.raises(CommandFailed) as none:
                await op.request(WaTemplateList(txn_id=txn(), channel="telegram"))
            assert none.value.code == "channel_unavailable"

            # Meta approves one more; a refresh on demand shows it at once
            api.set_template_status("spring_sale", "en_US", "APPROVED")
            data = await templates(op, refresh=True)
            assert "spring_sale" in [t["name"] for t in data["templates"]]  # type: ignore[union-attr]

            # and on its own, every --templates-refresh seconds
            before = len(api.calls_to("/message_templates"))
            whatsapp.add_channel("--templates-refresh", "0.2")
            # the restarted channel's first fetch (three pages) has read spring_sale approved
            await wait_until(lambda: len(api.calls_to("/message_templates")) >= before + 3)
            api.set_template_status("spring_sale", "en_US", "REJECTED")

            async def rejected_gone() -> bool:
                names = [t["name"] for t in (await templates(op))["templates"]]  # type: ignore[union-attr]
                return "spring_sale" not in names

            await wait_until_async(rejected_gone, message="the list was not fetched again")

    asyncio.run(scenario())


def test_free_text_after_24_hours_is_refused_and_a_template_reaches_the_customer(whatsapp: WhatsAppSetup) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            await fetched(op)
            await asyncio.to_thread(api.user_message, WA_ID, "where is my order?")
            conv = (await op.wait_conversation(lambda c: c.channel == "whatsapp" and c.status == "open")).conversation
            window = await op.request(ConversationWindow(txn_id=txn(), conversation_id=conv.id))
            assert (window["applies"], window["open"]) == (True, True)

            early = txn()
            await op.send_message(conv.id, "let me check", txn_id=early)
            await wait_until(lambda: api.texts_to(WA_ID) == ["let me check"])

            age_customer_messages(whatsapp.db_url)
            api.age_window(WA_ID)
            # the retry of a reply stored while the window was open answers what was stored
            again = await op.send_message(conv.id, "let me check", txn_id=early)
            assert again.text == "let me check"
            window = await op.request(ConversationWindow(txn_id=txn(), conversation_id=conv.id))
            assert (window["applies"], window["open"]) == (True, False)
            assert window["closes_at"] is not None

            # free text: refused by the hub, not stored, nothing sent to Meta
            with pytest.raises(CommandFailed) as refused:
                await op.send_message(conv.id, "are you still there?")
            assert refused.value.code == "window_closed"
            assert "24 hours" in refused.value.text and "template" in refused.value.text
            # an internal note is still fine
            await op.request(SendMessage(txn_id=txn(), conversation_id=conv.id, text="called her", internal=True))

            sent = await op.request(
                SendMessage(txn_id=txn(), conversation_id=conv.id, text="", template=order("Olena", "A-1077"))
            )
            assert sent["message"]["text"] == ORDER_TEXT
            await wait_until(lambda: len(api.templates_sent) == 1)
            (out,) = api.templates_sent
            assert (out["to"], out["type"]) == (WA_ID, "template")
            assert out["template"] == {
                "name": "order_update",
                "language": {"code": "en_US"},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": "Olena"},
                                                    {"type": "text", "text": "A-1077"}]}
                ],
            }
            assert api.texts_to(WA_ID) == ["let me check"]  # no free text went out after the window
            await wait_until(lambda: whatsapp.status().sent == 2)
            await wait_until(lambda: len(api.webhook_answers) == 2)  # "delivered" taken
            history = await op.history(conv.id)
            assert [m["text"] for m in history["messages"]] == [
                "where is my order?", "let me check", "called her", ORDER_TEXT,
            ]

            # the retry of a lost answer stores and sends nothing twice
            again = txn()
            for _ in range(2):
                await op.request(SendMessage(txn_id=again, conversation_id=conv.id, text="",
                                             template=order(name="follow_up")))
            await wait_until(lambda: len(api.templates_sent) == 2)
            assert len((await op.history(conv.id))["messages"]) == 5

            # the customer answers: the window is open again, free text goes out
            await asyncio.to_thread(api.user_message, WA_ID, "thanks!")
            await op.wait_message(lambda m: m.text == "thanks!")
            await op.send_message(conv.id, "you are welcome")
            await wait_until(lambda: api.texts_to(WA_ID) == ["let me check", "you are welcome"])
            assert whatsapp.status().failed == 0

    asyncio.run(scenario())


def test_bad_template_sends_are_refused_with_a_reason_and_lose_nothing(whatsapp: WhatsAppSetup) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            await fetched(op)
            await asyncio.to_thread(api.user_message, WA_ID, "hello")
            conv = (await op.wait_conversation(lambda c: c.channel == "whatsapp" and c.status == "open")).conversation
            age_customer_messages(whatsapp.db_url)

            async def refused(choice: WaTemplateChoice) -> str:
                with pytest.raises(CommandFailed) as exc:
                    await op.request(SendMessage(txn_id=txn(), conversation_id=conv.id, text="", template=choice))
                assert exc.value.code == "template_invalid"
                return exc.value.text

            assert "no template nope (en_US)" in await refused(order(name="nope"))
            assert "takes 2 value(s), 1 given" in await refused(order("Olena"))
            assert "value {{2}} is empty" in await refused(order("Olena", "  "))
            assert "line break" in await refused(order("Olena", "A-1\nB-2"))
            assert "pending, not approved" in await refused(order("10%", name="spring_sale"))
            assert "document header" in await refused(order("77", name="invoice_pdf"))
            assert [m["text"] for m in (await op.history(conv.id))["messages"]] == ["hello"]
            assert api.calls_to("/messages") == []

            # Meta paused the template after the hub fetched the list: the message is stored,
            # the operator gets a note why it did not go, and the list is fetched again
            api.set_template_status("order_update", "en_US", "PAUSED")
            pages_before = len(api.calls_to("/message_templates"))
            await op.request(SendMessage(txn_id=txn(), conversation_id=conv.id, text="",
                                         template=order("Olena", "A-1077")))
            note = await op.wait_message(lambda m: m.conversation_id == conv.id and m.author == "system")
            assert note.message.internal is True
            assert note.message.text == (
                "Not delivered through WhatsApp: the template is paused by WhatsApp (its quality is low)"
            )
            await wait_until(lambda: len(api.calls_to("/message_templates")) > pages_before)

            async def paused_gone() -> bool:
                names = [(t["name"], t["language"]) for t in (await templates(op))["templates"]]  # type: ignore[union-attr]
                return ("order_update", "en_US") not in names

            await wait_until_async(paused_gone, message="the paused template is still offered")
            with pytest.raises(CommandFailed) as stale:
                await op.request(SendMessage(txn_id=txn(), conversation_id=conv.id, text="",
                                             template=order("Olena", "A-1077")))
            assert "paused, not approved" in stale.value.text

            # deleted at Meta (132001): the same, a note and nothing lost
            api.templates = [t for t in api.templates if t["language"] != "uk"]
            await op.request(SendMessage(txn_id=txn(), conversation_id=conv.id, text="",
                                         template=order("Олена", "A-1077", language="uk")))
            note = await op.wait_message(lambda m: m.author == "system" and "does not know" in m.text)
            assert note.message.text == (
                "Not delivered through WhatsApp: WhatsApp does not know this template in this language "
                "(deleted, or not approved yet)"
            )

            # Meta down while sending: the template waits and goes out when it is back
            api.fail(503, 2, "Service temporarily unavailable")
            await op.request(SendMessage(txn_id=txn(), conversation_id=conv.id, text="",
                                         template=order(name="follow_up")))
            await wait_until(lambda: whatsapp.status().channel.state == "retrying")
            assert whatsapp.status().pending == 1
            api.recover()
            await wait_until(lambda: [t["template"]["name"] for t in api.templates_sent] == ["follow_up"], timeout=10)
            history = (await op.history(conv.id))["messages"]
            authors = [m["author"] for m in history]
            assert authors == ["customer", "operator", "system", "operator", "system", "operator"]

            # Meta took it and reports a moment later that the template was disabled: a note,
            # and the list is fetched again
            await wait_until(lambda: whatsapp.status().sent == 1)
            pages_before = len(api.calls_to("/message_templates"))
            failed = api.notification({"statuses": [{
                "id": api.templates_sent[-1]["id"], "status": "failed", "recipient_id": WA_ID, "timestamp": "1",
                "biz_opaque_callback_data": api.templates_sent[-1]["biz_opaque_callback_data"],
                "errors": [{"code": 132016, "title": "Template is disabled"}],
            }]})
            assert (await asyncio.to_thread(api.deliver, failed))[0] == 200
            disabled = "Not delivered through WhatsApp: the template is disabled by WhatsApp"
            await op.wait_message(lambda m: m.text == disabled)
            await wait_until(lambda: len(api.calls_to("/message_templates")) > pages_before)

    asyncio.run(scenario())


def test_the_templates_survive_a_restart_while_meta_is_unreachable(whatsapp: WhatsAppSetup) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator

    async def first_run() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await fetched(op)

    async def second_run() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            data = await templates(op, refresh=True)
            assert [t["name"] for t in data["templates"]] == ["follow_up", "order_update", "order_update"]  # type: ignore[union-attr]
            assert data["fetched_at"] is not None
            assert "503" in str(data["error"])

    asyncio.run(first_run())
    hub.stop()
    api.fail(503, 2, "Service temporarily unavailable")  # Meta is down from now on
    hub.start()
    api.callback_url = f"{hub.webhook_url}/channels/whatsapp/webhook"
    asyncio.run(second_run())


def test_writing_first_on_whatsapp_after_the_window_needs_a_template(whatsapp: WhatsAppSetup) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            await fetched(op)
            await asyncio.to_thread(api.user_message, WA_ID, "hi")
            conv = (await op.wait_conversation(lambda c: c.channel == "whatsapp" and c.status == "open")).conversation
            await op.resolve(conv.id)
            age_customer_messages(whatsapp.db_url)
            customer_id = conv.customer.id
            card = (await op.request(CustomerGet(txn_id=txn(), customer_id=customer_id)))["customer"]
            assert [i["channel"] for i in card["identities"]] == ["whatsapp"]

            with pytest.raises(CommandFailed) as refused:
                await op.request(ConversationStart(txn_id=txn(), customer_id=customer_id, channel="whatsapp",
                                                   text="Hello again"))
            assert refused.value.code == "window_closed"
            assert len(op.frames(MessageCreated)) == 1  # nothing was stored

            started = await op.request(ConversationStart(
                txn_id=txn(), customer_id=customer_id, channel="whatsapp", text="",
                template=order("Olena", "A-1077"),
            ))
            assert started["message"]["text"] == ORDER_TEXT
            assert started["conversation"]["assignee_id"] == op.operator_id
            await wait_until(lambda: len(api.templates_sent) == 1)
            assert api.templates_sent[0]["template"]["name"] == "order_update"
            assert api.texts_to(WA_ID) == []
            await wait_until(lambda: whatsapp.status().sent == 1)

    asyncio.run(scenario())
