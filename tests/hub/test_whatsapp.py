"""WhatsApp end to end against a real hub and a local double of Meta's Graph API: the
webhook handshake, a customer writes (a signed notification), an operator answers and the
answer reaches the customer's number; signatures, malformed bodies, duplicates, the
24-hour window, a refused token, and the merge proposal with a web-chat customer who gave
the same phone."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from app.hub.cli import main as hub_cli
from app.protocol.messages import (
    CustomerChanges,
    CustomerGet,
    CustomerMergeCandidates,
    CustomerUpdate,
    MergeProposed,
    MessageCreated,
    SendMessage,
)
from tests.helpers import (
    CustomerClient,
    OperatorClient,
    file_urls,
    http_get,
    jpeg_header,
    png_bytes,
    txn,
    upload,
    wait_until,
)
from tests.hub.conftest import WhatsAppSetup
from tests.whatsapp_double import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN

WA_ID = "380671234567"
WINDOW_NOTE = (
    "Not delivered through WhatsApp: the customer has not written in 24 hours; "
    "WhatsApp only allows template messages then"
)


def test_a_whatsapp_customer_writes_and_the_operator_reply_reaches_their_number(whatsapp: WhatsAppSetup) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        # Meta checks the callback URL when it is saved in the app dashboard
        assert await asyncio.to_thread(api.verify, VERIFY_TOKEN, "8391027") == (200, "8391027")
        assert (await asyncio.to_thread(api.verify, "not-the-token"))[0] == 403
        await wait_until(lambda: whatsapp.status().channel.state == "up")  # the token works

        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            status, answer, note = await asyncio.to_thread(
                api.user_message, WA_ID, "Добрий день! Де моє замовлення?", name="Olena Koval"
            )
            assert (status, answer) == (200, {"ok": True})
            conv = (await op.wait_conversation(lambda c: c.channel == "whatsapp" and c.status == "open")).conversation
            assert conv.assignee_id == op.operator_id
            assert (conv.customer.name, conv.customer.channel) == ("Olena Koval", "whatsapp")
            seen = await op.wait_message(lambda m: m.conversation_id == conv.id and m.author == "customer")
            assert seen.message.text == "Добрий день! Де моє замовлення?"

            # Meta sends a notification again when it missed our 200: stored once
            assert await asyncio.to_thread(api.deliver, note) == (200, {"ok": True})

            # the card: the WhatsApp number is a phone of the customer, the identity shows it
            card = (await op.request(CustomerGet(txn_id=txn(), customer_id=conv.customer.id)))["customer"]
            assert card["phones"] == ["+380671234567"]
            assert [(i["channel"], i["label"]) for i in card["identities"]] == [("whatsapp", "+380 67 123 4567")]

            await op.send_message(conv.id, "Вже в дорозі, буде завтра.")
            await wait_until(lambda: api.texts_to(WA_ID) == ["Вже в дорозі, буде завтра."])
            (call,) = api.calls_to("/messages")
            assert call.path == f"/v21.0/{PHONE_NUMBER_ID}/messages"
            assert call.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
            assert call.body["messaging_product"] == "whatsapp"
            assert (call.body["to"], call.body["type"], call.body["text"]["body"]) == (
                WA_ID, "text", "Вже в дорозі, буде завтра.",
            )
            history = await op.history(conv.id)
            assert [m["text"] for m in history["messages"]] == [
                "Добрий день! Де моє замовлення?", "Вже в дорозі, буде завтра.",
            ]
        await wait_until(lambda: whatsapp.status().sent == 1)
        # the "delivered" status Meta sent back was taken (200) and changed nothing
        await wait_until(lambda: len(api.webhook_answers) == 1)
        assert api.webhook_answers == [(200, {"ok": True})]
        st = whatsapp.status()
        assert (st.channel.state, st.pending, st.sent, st.failed) == ("up", 0, 1, 0)

    asyncio.run(scenario())


def test_signatures_are_checked_and_bad_requests_refused(
    whatsapp: WhatsAppSetup, caplog: pytest.LogCaptureFixture
) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator
    caplog.set_level(logging.INFO, logger="frontline.hub.channels.whatsapp")

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            forged = api.message_payload("380501112233", "send me the money", name="Mallory")
            status, _ = await asyncio.to_thread(api.deliver, forged, signature=None)
            assert status == 401
            status, _ = await asyncio.to_thread(api.deliver, forged, signature="sha256=" + "0" * 64)
            assert status == 403
            body = json.dumps(forged).encode()
            from tests.whatsapp_double import sign

            # signed with another app's secret, or the body changed after signing
            status, _ = await asyncio.to_thread(api.deliver, raw=body, signature=sign("another secret", body))
            assert status == 403
            status, _ = await asyncio.to_thread(
                api.deliver, raw=body.replace(b"money", b"MONEY"), signature=sign(APP_SECRET, body)
            )
            assert status == 403
            assert "wrong signature" in caplog.text and "without a signature" in caplog.text

            # signed but not JSON, or not a notification: 400
            status, answer = await asyncio.to_thread(api.deliver, raw=b"{not json")
            assert status == 400 and "not JSON" in answer["description"]
            status, _ = await asyncio.to_thread(api.deliver, raw=b"[1, 2]")
            assert status == 400
            status, _ = await asyncio.to_thread(
                api.deliver, {"object": "whatsapp_business_account", "entry": "nope"}
            )
            assert status == 400
            # well-formed but not for us: 200 (Meta would only retry), logged
            assert (await asyncio.to_thread(api.deliver, {"object": "page", "entry": []}))[0] == 200
            other = api.message_payload("380501112233", "for another number", phone_number_id="999")
            assert (await asyncio.to_thread(api.deliver, other))[0] == 200
            assert "another phone number id" in caplog.text

            # one notification: a malformed message, an unknown type, a sticker, a photo and
            # a text; the malformed one is skipped, nothing else is lost
            good = api.message_payload("380501112233", "and a text", name="Petro")
            messages = good["entry"][0]["changes"][0]["value"]["messages"]
            wamid = api.new_wamid
            messages[:0] = [
                {"id": wamid(), "timestamp": "1", "type": "text", "text": {"body": "no sender"}},
                {"from": "380501112233", "id": wamid(), "timestamp": "1", "type": "hologram", "hologram": {}},
                {"from": "380501112233", "id": wamid(), "timestamp": "1", "type": "sticker",
                 "sticker": {"id": "st1", "mime_type": "image/webp", "animated": False}},
                {"from": "380501112233", "id": wamid(), "timestamp": "1", "type": "image",
                 "image": {"id": "1479537139650973", "mime_type": "image/jpeg", "sha256": "abc", "caption": "my bill"}},
                {"from": "380501112233", "id": wamid(), "timestamp": "1", "type": "audio",
                 "audio": {"id": "a1", "mime_type": "audio/ogg; codecs=opus", "voice": True}},
            ]
            assert await asyncio.to_thread(api.deliver, good) == (200, {"ok": True})
            conv = (await op.wait_conversation(lambda c: c.channel == "whatsapp")).conversation
            assert conv.customer.name == "Petro"
            await wait_until(lambda: op.frames() and len(_texts(op, conv.id)) == 5)
            assert _texts(op, conv.id) == [
                "[unsupported message: hologram]", "[sticker]",
                "[photo not stored: WhatsApp did not hand it out]\nmy bill",  # a media id Meta does not know
                "[voice message]", "and a text",
            ]
            assert "message skipped: a message without from or id" in caplog.text
            history = await op.history(conv.id)
            assert len(history["messages"]) == 5  # nothing forged was stored
            assert all("money" not in m["text"] and "another number" not in m["text"] for m in history["messages"])

    asyncio.run(scenario())


def test_customer_photos_and_documents_are_fetched_into_hub_storage(whatsapp: WhatsAppSetup) -> None:
    """Media comes in with the message (GET /<media id>, then its URL with the token),
    stored on the hub and attached; one over the limit, of a type the hub does not take, or
    gone at Meta is said in the text instead, and the message (its caption) still arrives."""
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator
    jpeg = jpeg_header(1600, 1200)
    pdf = b"%PDF-1.7\n1 0 obj\n%%EOF\n"

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            photo_id = api.add_media(jpeg, "image/jpeg")
            doc_id = api.add_media(pdf, "application/pdf")
            big_id = api.add_media(pdf, "application/pdf", file_size=str(12 * 1024 * 1024))  # Meta says a string
            exe_id = api.add_media(b"MZ\x90\x00" + b"\x00" * 300, "application/pdf")
            gone_id = api.add_media(jpeg, "image/jpeg")
            api.expire_media(gone_id)
            sends = [
                ("image", {"id": photo_id, "mime_type": "image/jpeg", "sha256": "x", "caption": "the broken part"}),
                ("document", {"id": doc_id, "filename": "invoice 77.pdf", "mime_type": "application/pdf"}),
                ("document", {"id": big_id, "filename": "scan.pdf", "mime_type": "application/pdf"}),
                ("document", {"id": exe_id, "filename": "setup.pdf", "mime_type": "application/pdf",
                              "caption": "please install"}),
                ("image", {"id": gone_id, "mime_type": "image/jpeg", "caption": "and this one"}),
            ]
            for kind, content in sends:
                status, answer, _ = await asyncio.to_thread(api.user_message, WA_ID, None, kind=kind, content=content)
                assert (status, answer) == (200, {"ok": True})
            await wait_until(lambda: len(op.frames(MessageCreated)) >= 5)
            msgs = [e.message for e in op.frames(MessageCreated)]
            assert [m.text for m in msgs] == [
                "the broken part",
                "",
                "[document scan.pdf not stored: too big (12.0 MiB), the limit is 10.0 MiB]",
                "[document setup.pdf not stored: this kind of file is not allowed: only PNG, JPEG, GIF, WebP, PDF]"
                "\nplease install",
                "[photo not stored: WhatsApp did not hand it out]\nand this one",
            ]
            assert [len(m.attachments) for m in msgs] == [1, 1, 0, 0, 0]
            (p,) = msgs[0].attachments
            assert (p.mime, p.width, p.height, p.size) == ("image/jpeg", 1600, 1200, len(jpeg))
            assert p.name == f"photo-{photo_id}.jpg"  # a photo has no name of its own
            (d,) = msgs[1].attachments
            assert (d.name, d.mime, d.size) == ("invoice 77.pdf", "application/pdf", len(pdf))
            assert big_id not in api.downloads  # refused by its announced size, never fetched
            fetched = api.calls_to("/attachments/")
            assert sorted(api.downloads) == sorted([photo_id, doc_id, exe_id]) and len(fetched) == 3
            assert all(c.headers.get("authorization") == f"Bearer {ACCESS_TOKEN}" for c in fetched)
            urls = await file_urls(op, [p.id, d.id])
            assert (await http_get(hub.http_url + urls[str(p.id)]))[2] == jpeg
            assert (await http_get(hub.http_url + urls[str(d.id)]))[2] == pdf
            history = await op.history(msgs[0].conversation_id)
            assert [len(m.get("attachments") or []) for m in history["messages"]] == [1, 1, 0, 0, 0]

    asyncio.run(scenario())


def test_operator_files_are_uploaded_to_whatsapp_and_sent_by_media_id(whatsapp: WhatsAppSetup) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator
    png = png_bytes(30, 20)
    pdf = b"%PDF-1.4\n%%EOF\n"

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            await asyncio.to_thread(api.user_message, WA_ID, "send me the plan please")
            routed = await op.wait_conversation(lambda c: c.channel == "whatsapp" and c.status == "open")
            image = await upload(op, png, "plan.png")
            doc = await upload(op, pdf, "terms.pdf")
            await op.request(
                SendMessage(
                    txn_id=txn(), conversation_id=routed.conversation.id, text="Here it is",
                    attachments=[image["id"], doc["id"]],
                )
            )
            await wait_until(lambda: len(api.sent) == 2)
            (id1, n1, t1, b1), (id2, n2, t2, b2) = api.uploads
            assert (n1, t1, b1) == ("plan.png", "image/png", png)
            assert (n2, t2, b2) == ("terms.pdf", "application/pdf", pdf)
            u1, _ = api.calls_to("/media")
            assert u1.path == f"/v21.0/{PHONE_NUMBER_ID}/media" and u1.status == 200
            assert u1.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
            m1, m2 = api.sent
            assert (m1["to"], m1["type"], m1["image"]) == (WA_ID, "image", {"id": id1, "caption": "Here it is"})
            assert (m2["type"], m2["document"]) == ("document", {"id": id2, "filename": "terms.pdf"})
            assert api.texts_to(WA_ID) == []  # the text went as the caption

            # WhatsApp takes no GIF: that reply fails alone, the operator is told why
            gif = await upload(op, b"GIF89a\x02\x00\x02\x00\x00\x00\x00;", "wave.gif")
            await op.request(SendMessage(txn_id=txn(), conversation_id=routed.conversation.id, text="",
                                         attachments=[gif["id"]]))
            note = await op.wait_message(lambda m: m.author == "system")
            assert note.message.internal is True
            assert note.message.text == (
                "Not delivered through WhatsApp: wave.gif: WhatsApp could not take the file "
                "(it takes JPEG and PNG pictures, PDF and office documents)"
            )
            assert len(api.sent) == 2 and len(api.uploads) == 2
        await wait_until(lambda: whatsapp.status().failed == 1)
        assert whatsapp.status().sent == 1

    asyncio.run(scenario())


def _texts(op: OperatorClient, conversation_id: int) -> list[str]:
    from app.protocol.messages import MessageCreated

    return [e.message.text for e in op.frames(MessageCreated) if e.message.conversation_id == conversation_id]


@pytest.mark.parametrize("sync", [False, True], ids=["failed-status", "refused-at-once"])
def test_a_reply_outside_the_24_hour_window_tells_the_operator(whatsapp: WhatsAppSetup, sync: bool) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    api.window_sync = sync  # the real API reports it in a failed status; be ready for a 400 too
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            await asyncio.to_thread(api.user_message, WA_ID, "hello")
            conv = (await op.wait_conversation(lambda c: c.channel == "whatsapp")).conversation
            await op.send_message(conv.id, "in time")
            await wait_until(lambda: api.texts_to(WA_ID) == ["in time"])

            api.age_window(WA_ID, hours=25)  # a day later the operator writes again
            await op.send_message(conv.id, "are you still there?")
            note = await op.wait_message(lambda m: m.conversation_id == conv.id and m.author == "system")
            assert note.message.internal is True
            assert note.message.text == WINDOW_NOTE
            await wait_until(lambda: whatsapp.status().failed == 1)
            st = whatsapp.status()
            assert (st.channel.state, st.pending, st.failed) == ("up", 0, 1)  # the channel itself works

            # a status Meta delivers twice writes one note
            if not sync:
                await wait_until(lambda: len(api.webhook_answers) == 2)
                failed = api.notification(
                    {"statuses": [{"id": api.sent[-1]["id"], "status": "failed", "recipient_id": WA_ID,
                                   "timestamp": "1", "errors": [{"code": 131047, "title": "Re-engagement message"}]}]}
                )
                assert (await asyncio.to_thread(api.deliver, failed))[0] == 200
            history = await op.history(conv.id)
            assert [m["text"] for m in history["messages"]].count(WINDOW_NOTE) == 1

            # the customer writes again: the window is open, replies go out
            await asyncio.to_thread(api.user_message, WA_ID, "yes, here")
            await op.wait_message(lambda m: m.text == "yes, here")
            await op.send_message(conv.id, "great")
            await wait_until(lambda: api.texts_to(WA_ID)[-1] == "great")

    asyncio.run(scenario())


def test_a_refused_token_puts_the_channel_down_and_replies_wait(
    whatsapp: WhatsAppSetup, capsys: pytest.CaptureFixture[str]
) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            await asyncio.to_thread(api.user_message, WA_ID, "hello")
            conv = (await op.wait_conversation(lambda c: c.channel == "whatsapp")).conversation

            api.token = "a-new-token-the-hub-does-not-have"  # the admin rotated it at Meta
            await op.send_message(conv.id, "waiting for a token")
            await wait_until(lambda: whatsapp.status().channel.state == "down")
            capsys.readouterr()
            assert hub_cli(["channel", "status", "--json", "--db", whatsapp.db_url]) == 0
            shown = json.loads(capsys.readouterr().out)["channels"]["whatsapp"]
            assert shown["state"] == "down"
            assert "190" in shown["last_error"] and "token" in shown["last_error"]
            assert ACCESS_TOKEN not in shown["last_error"]
            assert shown["outbox"] == {"waiting": 1, "failed": 0, "sent": 0}
            assert api.texts_to(WA_ID) == []

            api.token = ACCESS_TOKEN  # fixed: the reply goes out, the channel is up
            await wait_until(lambda: api.texts_to(WA_ID) == ["waiting for a token"], timeout=10)
            await wait_until(lambda: whatsapp.status().channel.state == "up")

            # throttled (429 / 130429) and a server error: retried, order kept
            api.fail(429, 130429, "Rate limit hit", times=1)
            api.fail(500, 131000, "Something went wrong", times=1)
            await op.send_message(conv.id, "one")
            await op.send_message(conv.id, "two")
            await wait_until(lambda: api.texts_to(WA_ID) == ["waiting for a token", "one", "two"], timeout=10)
            assert whatsapp.status().failed == 0

    asyncio.run(scenario())


def test_a_whatsapp_customer_with_the_phone_of_a_web_chat_customer_gets_a_merge_proposal(
    whatsapp: WhatsAppSetup,
) -> None:
    hub, api = whatsapp.hub, whatsapp.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op, CustomerClient.connected(
            hub.ws_url, name="Olena K."
        ) as web:
            await op.login(acc.username, acc.password)
            await op.sync()
            web_conv = (await web.send("hi from the site")).conversation_id
            routed = (await op.wait_conversation(lambda c: c.id == web_conv)).conversation
            web_customer = routed.customer.id
            # the web-chat customer gave her number in a national form
            changes = CustomerChanges(add_phones=["067 123 45 67"])
            await op.request(CustomerUpdate(txn_id=txn(), customer_id=web_customer, changes=changes, region="UA"))

            await asyncio.to_thread(api.user_message, WA_ID, "це я, Олена", name="Olena Koval")
            wa = (await op.wait_conversation(lambda c: c.channel == "whatsapp")).conversation
            assert wa.customer.id != web_customer  # two cards until an operator decides
            proposal = await op.wait_frame(MergeProposed, lambda e: True)
            assert (proposal.customer_id, proposal.candidate_id) == (wa.customer.id, web_customer)
            assert proposal.reasons == ["phone:+380671234567"]
            found = await op.request(CustomerMergeCandidates(txn_id=txn(), customer_id=web_customer))
            assert [c["customer"]["id"] for c in found["candidates"]] == [wa.customer.id]

            # writing again proposes nothing new (the number is on the card already)
            await asyncio.to_thread(api.user_message, WA_ID, "ще раз", name="Olena Koval")
            await op.wait_message(lambda m: m.text == "ще раз")
            assert len(op.frames(MergeProposed)) == 1

            # a number an operator takes off the card stays off; replies still reach her
            drop = CustomerChanges(remove_phones=["+380671234567"])
            await op.request(CustomerUpdate(txn_id=txn(), customer_id=wa.customer.id, changes=drop))
            await asyncio.to_thread(api.user_message, WA_ID, "і ще", name="Olena Koval")
            await op.wait_message(lambda m: m.text == "і ще")
            card = (await op.request(CustomerGet(txn_id=txn(), customer_id=wa.customer.id)))["customer"]
            assert card.get("phones", []) == []
            await op.send_message(wa.id, "Бачу вас")
            await wait_until(lambda: api.texts_to(WA_ID) == ["Бачу вас"])

    asyncio.run(scenario())
