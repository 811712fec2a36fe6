"""Writing first on another of the customer's channels (``conversation_start``): only on
the operator's explicit word, a new conversation on that channel assigned to them, the
first message out through that channel; refused clearly when it cannot be sent; replies in
the existing conversation still leave through its own channel."""

from __future__ import annotations

import asyncio

import pytest

from app.protocol.messages import (
    ConversationStart,
    CustomerChanges,
    CustomerGet,
    CustomerMerge,
    CustomerUpdate,
)
from tests.helpers import CommandFailed, CustomerClient, OperatorClient, txn, wait_until
from tests.hub.conftest import WA_TOKEN_ENV, WhatsAppSetup

WA_ID = "380671234567"


def test_the_operator_writes_first_on_whatsapp_to_a_web_chat_customer(whatsapp: WhatsAppSetup) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op, CustomerClient.connected(
            hub.ws_url, name="Olena K."
        ) as web:
            await op.login(acc.username, acc.password)
            await op.sync()
            # she wrote on WhatsApp yesterday (resolved), and is now in the web chat
            await asyncio.to_thread(api.user_message, WA_ID, "yesterday on WhatsApp", name="Olena Koval")
            old = (await op.wait_conversation(lambda c: c.channel == "whatsapp")).conversation
            await op.resolve(old.id)
            web_conv = (await web.send("now on the site")).conversation_id
            web_customer = (await op.wait_conversation(lambda c: c.id == web_conv)).conversation.customer.id

            # a web-chat card with no WhatsApp identity: refused, nothing made
            start = ConversationStart(
                txn_id=txn(), customer_id=web_customer, channel="whatsapp", text="hello on WhatsApp"
            )
            failed = await _refused(op, start)
            assert failed.code == "not_found" and "no whatsapp identity" in failed.text

            # one card: the WhatsApp identity comes onto the web card
            phone = CustomerChanges(add_phones=["+380671234567"])
            await op.request(CustomerUpdate(txn_id=txn(), customer_id=web_customer, changes=phone))
            await op.request(CustomerMerge(txn_id=txn(), keep_id=web_customer, merge_id=old.customer.id))
            card = (await op.request(CustomerGet(txn_id=txn(), customer_id=web_customer)))["customer"]
            (wa_ident,) = [i for i in card["identities"] if i["channel"] == "whatsapp"]
            assert wa_ident["id"] > 0 and wa_ident["label"] == "+380 67 123 4567"

            # a channel the hub has not configured, and an identity of another channel
            failed = await _refused(op, ConversationStart(
                txn_id=txn(), customer_id=web_customer, channel="telegram", text="hi"
            ))
            assert failed.code == "channel_unavailable" and "not configured" in failed.text
            failed = await _refused(op, ConversationStart(
                txn_id=txn(), customer_id=web_customer, channel="whatsapp", text="hi", identity_id=wa_ident["id"] + 99
            ))
            assert failed.code == "not_found"
            assert api.texts_to(WA_ID) == []

            start = ConversationStart(
                txn_id=txn(), customer_id=web_customer, channel="whatsapp", text="Your parcel has arrived",
                identity_id=wa_ident["id"],
            )
            result = await op.request(start)
            conv, msg = result["conversation"], result["message"]
            assert (conv["channel"], conv["status"], conv["assignee_id"]) == ("whatsapp", "open", op.operator_id)
            assert conv["customer"]["id"] == web_customer and conv["id"] not in (old.id, web_conv)
            assert (msg["author"], msg["text"]) == ("operator", "Your parcel has arrived")
            # every window hears of the new conversation
            await op.wait_conversation(lambda c: c.id == conv["id"] and c.status == "open")
            await wait_until(lambda: api.texts_to(WA_ID) == ["Your parcel has arrived"])

            # a retry of the same command makes nothing new; a second start is refused
            again = await op.request(start)
            assert again["conversation"]["id"] == conv["id"] and again["message"]["id"] == msg["id"]
            failed = await _refused(op, ConversationStart(
                txn_id=txn(), customer_id=web_customer, channel="whatsapp", text="and again"
            ))
            assert failed.code == "conflict" and f"#{conv['id']}" in failed.text

            # replies keep to their conversation's channel
            await op.send_message(web_conv, "answered on the site")
            await web.wait_message(lambda m: m.text == "answered on the site")
            await op.send_message(conv["id"], "answered on WhatsApp")
            await wait_until(lambda: api.texts_to(WA_ID) == ["Your parcel has arrived", "answered on WhatsApp"])
            assert "Your parcel has arrived" not in [m.text for m in web.messages]
            assert "answered on WhatsApp" not in [m.text for m in web.messages]

            # her answer on WhatsApp comes into the conversation the operator started
            await asyncio.to_thread(api.user_message, WA_ID, "thank you!", name="Olena Koval")
            answer = await op.wait_message(lambda m: m.text == "thank you!")
            assert answer.message.conversation_id == conv["id"]
        await wait_until(lambda: whatsapp.status().sent == 2)

    asyncio.run(scenario())


def test_writing_first_is_refused_while_the_channel_is_down(
    whatsapp: WhatsAppSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            await asyncio.to_thread(api.user_message, WA_ID, "hello", name="Olena Koval")
            conv = (await op.wait_conversation(lambda c: c.channel == "whatsapp")).conversation
            await op.resolve(conv.id)
            # the admin puts a wrong token in place: the hub restarts the channel, whose
            # check of the token is refused
            monkeypatch.setenv(WA_TOKEN_ENV, "EAAG-a-wrong-token")
            await wait_until(lambda: whatsapp.status().channel.state == "down", timeout=10)
            failed = await _refused(op, ConversationStart(
                txn_id=txn(), customer_id=conv.customer.id, channel="whatsapp", text="hi"
            ))
            assert failed.code == "channel_unavailable" and "down" in failed.text
            state = await op.sync()
            assert [c["id"] for c in state["conversations"] if c["status"] != "resolved"] == []

    asyncio.run(scenario())


async def _refused(op: OperatorClient, frame: ConversationStart) -> CommandFailed:
    try:
        await op.request(frame)
    except CommandFailed as exc:
        return exc
    raise AssertionError("the hub took a command it should have refused")
