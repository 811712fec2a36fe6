"""Telegram end to end against a real hub and a local Bot API double (long polling):
a Telegram user writes, an operator answers, the answer reaches the user's chat; the
outbox when the Bot API is down; bad updates."""

from __future__ import annotations

import asyncio
import logging

import pytest

from app.hub.cli import main as hub_cli
from app.protocol.messages import (
    CustomerChanges,
    CustomerGet,
    CustomerMerge,
    CustomerUpdate,
    MessageCreated,
    SendMessage,
)
from app.storage import Store, make_engine
from app.storage.channels import ChannelStore
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
from tests.hub.conftest import TelegramSetup
from tests.telegram_double import TOKEN


def test_a_telegram_user_writes_and_the_operator_reply_reaches_their_chat(telegram: TelegramSetup) -> None:
    hub, api = telegram.hub, telegram.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            update = api.user_message(
                4242, "Добрий день! Де моє замовлення?", first_name="Iryna", last_name="Koval", username="iryna_k"
            )
            routed = await op.wait_conversation(lambda c: c.channel == "telegram" and c.status == "open")
            conv = routed.conversation
            assert conv.assignee_id == op.operator_id
            cust = conv.customer
            assert (cust.name, cust.channel, cust.locale) == ("Iryna Koval", "telegram", "uk")
            seen = await op.wait_message(lambda m: m.conversation_id == conv.id and m.author == "customer")
            assert seen.message.text == "Добрий день! Де моє замовлення?"
            assert seen.message.author_name == "Iryna Koval"

            await op.send_message(conv.id, "Вже в дорозі, буде завтра.")
            await wait_until(lambda: api.texts_to(4242) == ["Вже в дорозі, буде завтра."])
            (call,) = [c for c in api.calls_of("sendMessage") if c.status == 200]
            assert call.params == {"chat_id": 4242, "text": "Вже в дорозі, буде завтра."}

            # an internal note stays inside: nothing more reaches the chat
            note = SendMessage(txn_id=txn(), conversation_id=conv.id, text="check the courier", internal=True)
            await op.request(note)
            await op.send_message(conv.id, "Гарного дня!")
            await wait_until(lambda: api.texts_to(4242) == ["Вже в дорозі, буде завтра.", "Гарного дня!"])

            # the card knows the Telegram identity by its @name, never by a secret
            card = await op.request(CustomerGet(txn_id=txn(), customer_id=conv.customer.id))
            assert [(i["channel"], i["label"]) for i in card["customer"]["identities"]] == [("telegram", "@iryna_k")]

        # the update was confirmed to Telegram (getUpdates offset past it): not fetched again
        await wait_until(lambda: api.pending_updates() == [])
        await wait_until(lambda: telegram.status().sent == 2)  # marked sent once Telegram took it
        st = telegram.status()
        assert (st.channel.state, st.pending, st.sent, st.failed) == ("up", 0, 2, 0)
        # where polling goes on after a restart: this bot's next update
        assert st.channel.cursor == f"{TOKEN.split(':')[0]}:{update['update_id'] + 1}"

    asyncio.run(scenario())


def test_a_returning_telegram_user_lands_on_the_same_customer(telegram: TelegramSetup) -> None:
    hub, api = telegram.hub, telegram.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            api.user_message(777, "first question", first_name="Taras")
            first = (await op.wait_conversation(lambda c: c.channel == "telegram")).conversation
            api.user_message(777, "and one more thing", first_name="Taras")
            more = await op.wait_message(lambda m: m.text == "and one more thing")
            assert more.message.conversation_id == first.id  # same open conversation
            await op.resolve(first.id)

            # back after the conversation was resolved, with a changed Telegram name
            api.user_message(777, "hello again", first_name="Taras", last_name="Shevchenko", username="taras_s")
            again = (
                await op.wait_conversation(lambda c: c.channel == "telegram" and c.id != first.id)
            ).conversation
            assert again.customer.id == first.customer.id  # the same customer, a new conversation
            assert again.customer.name == "Taras"  # a name on the card is not overwritten by Telegram
            card = await op.request(CustomerGet(txn_id=txn(), customer_id=again.customer.id))
            assert [(i["channel"], i["label"]) for i in card["customer"]["identities"]] == [("telegram", "@taras_s")]

            # another Telegram user is another customer
            api.user_message(778, "I am someone else", first_name="Olha")
            other = (
                await op.wait_conversation(lambda c: c.channel == "telegram" and c.customer.name == "Olha")
            ).conversation
            assert other.customer.id != first.customer.id

            await op.send_message(again.id, "Welcome back")
            await op.send_message(other.id, "Hello Olha")
            await wait_until(lambda: api.texts_to(777) == ["Welcome back"] and api.texts_to(778) == ["Hello Olha"])

    asyncio.run(scenario())


def test_bot_api_down_replies_wait_in_the_outbox_and_go_out_once_in_order_even_across_a_restart(
    telegram: TelegramSetup,
) -> None:
    hub, api = telegram.hub, telegram.api
    acc = hub.accounts.operator
    replies = ["one", "two", "three"]

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            api.user_message(5005, "is anyone there?")
            conv = (await op.wait_conversation(lambda c: c.channel == "telegram")).conversation

            api.fail(502, html=True)  # a proxy's error page: the Bot API is unreachable
            for text in replies:
                sent = await op.send_message(conv.id, text)
                assert sent.text == text  # stored and answered as always
            await wait_until(lambda: telegram.status().channel.state == "retrying")
            # the outbox sweep copies replies in on its own beat: the first one may already
            # have failed before the third is in
            await wait_until(lambda: telegram.status().pending == 3, message="all three replies in the outbox")
            st = telegram.status()
            assert st.pending == 3 and st.sent == 0
            assert "502" in st.channel.last_error
            assert api.texts_to(5005) == []
            assert hub.hub.channels is not None and hub.hub.channels.states() == {"telegram": "retrying"}

        hub.stop()  # the hub goes down while the replies wait
        assert telegram.status().channel.state == "stopped"
        assert telegram.status().pending == 3
        hub.start()
        await wait_until(lambda: telegram.status().channel.state == "retrying")
        assert api.texts_to(5005) == []

        api.recover()
        await wait_until(lambda: api.texts_to(5005) == replies, timeout=10)
        await wait_until(lambda: telegram.status().channel.state == "up")
        await wait_until(lambda: telegram.status().sent == 3)
        st = telegram.status()
        assert (st.pending, st.sent, st.failed) == (0, 3, 0)

        # one more reply: it arrives after the three, and none of them came twice
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.send_message(conv.id, "four")
        await wait_until(lambda: len(api.texts_to(5005)) >= 4)
        assert api.texts_to(5005) == [*replies, "four"]

    asyncio.run(scenario())


def test_429_retry_after_is_respected(telegram: TelegramSetup) -> None:
    hub, api = telegram.hub, telegram.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            api.user_message(606, "hi")
            conv = (await op.wait_conversation(lambda c: c.channel == "telegram")).conversation
            api.rate_limit(retry_after=1)
            await op.send_message(conv.id, "slow down")
            await wait_until(lambda: api.texts_to(606) == ["slow down"], timeout=10)
        limited, delivered = [c for c in api.calls_of("sendMessage")]
        assert limited.status == 429 and delivered.status == 200
        assert delivered.at - limited.at >= 0.95  # the hub waited as Telegram asked
        assert "429" in telegram.status().channel.last_error

    asyncio.run(scenario())


def test_a_reply_refused_for_good_fails_alone_and_the_operator_is_told(telegram: TelegramSetup) -> None:
    hub, api = telegram.hub, telegram.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            api.user_message(909, "hello")
            conv = (await op.wait_conversation(lambda c: c.channel == "telegram")).conversation
            api.blocked.add(909)
            await op.send_message(conv.id, "are you still there?")
            note = await op.wait_message(lambda m: m.author == "system" and m.conversation_id == conv.id)
            assert note.message.internal
            assert note.message.text == (
                "Not delivered through Telegram: sendMessage: 403 Forbidden: bot was blocked by the user"
            )
            api.blocked.discard(909)  # unblocked: the next reply goes out, the queue is not stuck
            await op.send_message(conv.id, "welcome back")
            await wait_until(lambda: api.texts_to(909) == ["welcome back"])
        await wait_until(lambda: telegram.status().sent == 1)  # marked sent once Telegram took it
        st = telegram.status()
        assert (st.pending, st.sent, st.failed, st.channel.state) == (0, 1, 1, "up")

    asyncio.run(scenario())


def test_bad_updates_are_skipped_and_confirmed_and_nothing_else_is_lost(
    telegram: TelegramSetup, caplog: pytest.LogCaptureFixture
) -> None:
    hub, api = telegram.hub, telegram.api
    acc = hub.accounts.operator
    caplog.set_level(logging.INFO, logger="frontline.hub.channels")

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            bad = [
                api.push_raw({"edited_message": {"message_id": 1, "chat": {"id": 1, "type": "private"}}}),
                api.push_raw({"callback_query": {"id": "x", "from": {"id": 1}}}),
                api.push_raw({"message": {"message_id": 2, "chat": "not an object", "from": {"id": 3}}}),
                api.push_raw({"message": {"message_id": "3", "chat": {"id": 4, "type": "private"}}}),
                api.push_raw({"message": None}),
            ]
            api.push_raw(["not", "an", "update"])
            group = api.user_message(31, "hello group", chat_id=-1001, chat_type="supergroup")
            api.user_message(32, "the real one", first_name="Petro")
            got = await op.wait_message(lambda m: m.author == "customer")
            assert got.message.text == "the real one"
            await wait_until(lambda: api.pending_updates() == [])  # everything confirmed, nothing refetched
            state = await op.sync()
            texts = [c["last_message"]["text"] for c in state["conversations"]]
            assert texts == ["the real one"]  # the bad ones stored nothing
            assert group["update_id"] not in api.pending_updates()
            # the channel is fine, and every bad update was logged with its id
            assert telegram.status().channel.state == "up"
            logged = "\n".join(r.getMessage() for r in caplog.records)
            for update_id in bad:
                assert f"update {update_id}" in logged

    asyncio.run(scenario())


def test_photos_and_documents_are_fetched_into_hub_storage(telegram: TelegramSetup) -> None:
    """Files come in with the message (getFile + download from the Bot API), stored on the
    hub and attached; one Telegram will not hand out or one over the limit is said in the
    text instead, and the message is never lost. The channel's references are kept too."""
    hub, api = telegram.hub, telegram.api
    acc = hub.accounts.operator
    jpeg = jpeg_header(1280, 960)
    pdf = b"%PDF-1.7\n%%EOF\n"

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            photo = api.user_message(55, None, photo=jpeg, caption="the broken part")
            doc = api.user_message(55, None, document=("invoice 77.pdf", "application/pdf", pdf))
            api.user_message(55, None, document=("lost.pdf", "application/pdf"))  # getFile refuses it
            huge = {"file_name": "scan.pdf", "mime_type": "application/pdf", "file_id": "big",
                    "file_unique_id": "big", "file_size": 11 * 1024 * 1024}
            api.user_message(55, None, extra={"document": huge})
            api.user_message(55, None, document=("setup.pdf", "application/pdf", b"MZ\x90\x00" + b"\x00" * 300),
                             caption="please install")
            api.user_message(55, None, extra={"sticker": {"file_id": "s", "file_unique_id": "s", "emoji": "👍"}})
            await wait_until(lambda: len(op.frames(MessageCreated)) >= 6)
            msgs = [e.message for e in op.frames(MessageCreated)]
            assert [m.text for m in msgs] == [
                "the broken part",
                "",
                "[document lost.pdf not stored: Telegram did not hand it out]",
                "[document scan.pdf not stored: too big (11.0 MiB), the limit is 10.0 MiB]",
                "[document setup.pdf not stored: this kind of file is not allowed: only PNG, JPEG, GIF, WebP, PDF]"
                "\nplease install",
                "[sticker 👍]",
            ]
            (p,) = msgs[0].attachments
            assert (p.mime, p.width, p.height, p.size) == ("image/jpeg", 1280, 960, len(jpeg))
            (d,) = msgs[1].attachments
            assert (d.name, d.mime) == ("invoice 77.pdf", "application/pdf")
            assert not api.calls_of("file") or all(c.params["file_path"] for c in api.calls_of("file"))
            assert not [c for c in api.calls_of("getFile") if c.params.get("file_id") == "big"]  # never asked
            urls = await file_urls(op, [p.id, d.id])
            assert (await http_get(hub.http_url + urls[str(p.id)]))[2] == jpeg
            assert (await http_get(hub.http_url + urls[str(d.id)]))[2] == pdf
        engine = make_engine(telegram.db_url)
        try:
            store = ChannelStore(Store(engine))
            (photo_ref,) = store.file_refs(1)
            (doc_ref,) = store.file_refs(2)
        finally:
            engine.dispose()
        assert photo_ref.kind == "photo"
        assert photo_ref.ref == photo["message"]["photo"][1]["file_id"]  # the largest size
        assert (doc_ref.kind, doc_ref.name, doc_ref.mime) == ("document", "invoice 77.pdf", "application/pdf")
        assert doc_ref.ref == doc["message"]["document"]["file_id"]

    asyncio.run(scenario())


def test_operator_files_leave_as_multipart_uploads(telegram: TelegramSetup) -> None:
    hub, api = telegram.hub, telegram.api
    acc = hub.accounts.operator
    png = png_bytes(30, 20)
    pdf = b"%PDF-1.4\n%%EOF\n"

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            api.user_message(77, "send me the plan please")
            routed = await op.wait_conversation(lambda c: c.channel == "telegram" and c.status == "open")
            image = await upload(op, png, "plan.png")
            doc = await upload(op, pdf, "terms.pdf")
            await op.request(
                SendMessage(
                    txn_id=txn(), conversation_id=routed.conversation.id, text="Here it is",
                    attachments=[image["id"], doc["id"]],
                )
            )
            await wait_until(lambda: len(api.uploads) == 2)
            (m1, f1, n1, t1, b1), (m2, f2, n2, t2, b2) = api.uploads
            assert (m1, f1, n1, t1, b1) == ("sendPhoto", "photo", "plan.png", "image/png", png)
            assert (m2, f2, n2, t2, b2) == ("sendDocument", "document", "terms.pdf", "application/pdf", pdf)
            photo_call = next(c for c in api.calls_of("sendPhoto") if c.status == 200)
            assert photo_call.params["caption"] == "Here it is" and photo_call.params["chat_id"] == "77"
            assert api.calls_of("sendMessage") == []  # the text went as the caption

    asyncio.run(scenario())


def test_token_refused_means_down_and_the_token_never_reaches_a_log(
    telegram: TelegramSetup, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    api = telegram.api

    async def scenario() -> None:
        await wait_until(lambda: telegram.status().channel.state == "up")
        api.token = "987654321:AAnotTheTokenTheHubHas"  # the bot's token was revoked
        await wait_until(lambda: telegram.status().channel.state == "down")
        assert "401 Unauthorized" in telegram.status().channel.last_error
        # office IT sets the new token: the running hub restarts the channel with it
        monkeypatch.setenv("FRONTLINE_TEST_TG_TOKEN", api.token)
        await wait_until(lambda: telegram.status().channel.state == "up", timeout=10)

    asyncio.run(scenario())
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "getUpdates" in text or "polling" in text
    for secret in (TOKEN, "987654321:AAnotTheTokenTheHubHas"):
        assert secret not in text
        assert secret not in telegram.status().channel.last_error


def test_channel_status_cli_and_healthz(telegram: TelegramSetup, capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import urllib.request

    async def scenario() -> None:
        await wait_until(lambda: telegram.status().channel.state == "up")

    asyncio.run(scenario())
    assert hub_cli(["channel", "status", "--db", telegram.db_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("telegram\tpolling\tup since ")
    assert "outbox: 0 waiting, 0 failed, 0 sent" in out
    assert hub_cli(["channel", "status", "--json", "--db", telegram.db_url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["channels"]["telegram"]["state"] == "up"
    assert data["channels"]["telegram"]["outbox"] == {"waiting": 0, "failed": 0, "sent": 0}
    with urllib.request.urlopen(telegram.hub.http_url + "/healthz/channels", timeout=5) as resp:
        assert json.loads(resp.read()) == {"channels": {"telegram": "up"}}
    with urllib.request.urlopen(telegram.hub.webhook_url + "/healthz", timeout=5) as resp:
        assert json.loads(resp.read()) == {"ok": True, "channels": {"telegram": "up"}}
    # refused settings change nothing
    assert hub_cli(["channel", "add", "telegram", "--token-env", "X", "--mode", "webhook",
                    "--db", telegram.db_url]) == 2
    assert "public_url" in capsys.readouterr().err
    assert telegram.status().channel.settings["mode"] == "polling"


def test_a_reply_being_sent_when_the_hub_stops_is_finished_not_sent_again(telegram: TelegramSetup) -> None:
    hub, api = telegram.hub, telegram.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            api.user_message(321, "hello")
            conv = (await op.wait_conversation(lambda c: c.channel == "telegram")).conversation
            api.stall()  # Telegram takes the request and is slow to answer
            await op.send_message(conv.id, "in flight")
            await wait_until(lambda: api.calls_of("sendMessage"))
        inner = hub.hub
        assert inner.channels is not None
        manager = inner.channels
        stopping = asyncio.ensure_future(asyncio.to_thread(hub.stop))
        # the hub is stopping and waits for the reply it is sending ...
        running = manager._running["telegram"]
        await wait_until(running.stopping.is_set)
        api.recover()  # ... which Telegram now answers
        await stopping
        assert telegram.status().sent == 1  # marked sent before the hub went

        hub.start()
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.send_message(conv.id, "after the restart")
        await wait_until(lambda: len(api.texts_to(321)) >= 2)
        assert api.texts_to(321) == ["in flight", "after the restart"]

    asyncio.run(scenario())


def test_one_person_on_the_web_and_on_telegram_is_one_card_and_each_reply_keeps_its_channel(
    telegram: TelegramSetup,
) -> None:
    hub, api = telegram.hub, telegram.api
    acc = hub.accounts.operator
    phone = CustomerChanges(add_phones=["+380671234567"])

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op, CustomerClient.connected(
            hub.ws_url, name="Iryna Koval"
        ) as web:
            await op.login(acc.username, acc.password)
            await op.sync()
            api.user_message(4242, "written in Telegram", first_name="Iryna", username="iryna_k")
            tg = (await op.wait_conversation(lambda c: c.channel == "telegram")).conversation
            web_conv = (await web.send("written on the site")).conversation_id  # the newer one
            await op.wait_conversation(lambda c: c.id == web_conv and c.status == "open")
            state = await op.sync()
            (web_info,) = [c for c in state["conversations"] if c["id"] == web_conv]
            web_customer = web_info["customer"]["id"]
            for customer_id in (web_customer, tg.customer.id):
                await op.request(CustomerUpdate(txn_id=txn(), customer_id=customer_id, changes=phone))
            await op.request(CustomerMerge(txn_id=txn(), keep_id=web_customer, merge_id=tg.customer.id))
            card = await op.request(CustomerGet(txn_id=txn(), customer_id=web_customer))
            assert {i["channel"] for i in card["customer"]["identities"]} == {"web", "telegram"}

            # the same person writes on Telegram again: into the Telegram conversation of the
            # one card, not into the web chat that is open too
            api.user_message(4242, "and once more in Telegram", first_name="Iryna", username="iryna_k")
            again = await op.wait_message(lambda m: m.text == "and once more in Telegram")
            assert again.message.conversation_id == tg.id
            state = await op.sync()
            mine = {c["id"]: (c["channel"], c["customer"]["id"]) for c in state["conversations"]}
            assert mine == {web_conv: ("web", web_customer), tg.id: ("telegram", web_customer)}

            # each reply leaves through its conversation's channel
            await op.send_message(tg.id, "answered in Telegram")
            await op.send_message(web_conv, "answered on the site")
            await web.wait_message(lambda m: m.text == "answered on the site")
            await wait_until(lambda: api.texts_to(4242) == ["answered in Telegram"])

            # the Telegram conversation is resolved; the next Telegram message opens a new
            # Telegram conversation on the card (whose own first channel is the web chat)
            await op.resolve(tg.id)
            api.user_message(4242, "a new question", first_name="Iryna", username="iryna_k")
            new = (
                await op.wait_conversation(lambda c: c.channel == "telegram" and c.id not in (tg.id, web_conv))
            ).conversation
            assert (new.customer.id, new.customer.channel) == (web_customer, "web")
            await op.send_message(new.id, "new answer")
            await wait_until(lambda: api.texts_to(4242) == ["answered in Telegram", "new answer"])

            # the web chat keeps to its own conversation, though the Telegram one is newer
            on_site = await web.send("back on the site")
            assert on_site.conversation_id == web_conv
            await op.send_message(web_conv, "welcome back")
            await web.wait_message(lambda m: m.text == "welcome back")
            shown = [m.text for m in web.messages]
            assert "answered in Telegram" not in shown and "new answer" not in shown
            async with CustomerClient.connected(hub.ws_url, visitor_token=web.visitor_token) as reloaded:
                assert reloaded.welcome.conversation_id == web_conv
                assert [m.text for m in reloaded.welcome.messages][-1] == "welcome back"
        await wait_until(lambda: telegram.status().sent == 2)
        assert api.texts_to(4242) == ["answered in Telegram", "new answer"]  # the web reply did not go there

    asyncio.run(scenario())
