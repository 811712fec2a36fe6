"""Telegram in webhook mode: the hub registers its webhook with the Bot API double, the test
plays Telegram and POSTs updates to it; bad requests are answered per Telegram's rules."""

from __future__ import annotations

import asyncio
import http.client
import logging
import socket
from urllib.parse import urlsplit

import pytest

from app.protocol.messages import MessageCreated
from tests.helpers import OperatorClient, wait_until
from tests.hub.conftest import TelegramSetup
from tests.telegram_double import TOKEN


def _registered(setup: TelegramSetup) -> dict[str, str]:
    hook = setup.api.webhook
    return hook if hook is not None and hook.get("url") else {}


def test_webhook_mode_end_to_end(telegram_webhook: TelegramSetup) -> None:
    hub, api = telegram_webhook.hub, telegram_webhook.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        # the channel was added while the hub ran: it registers its webhook
        hook = await wait_until(lambda: _registered(telegram_webhook))
        prefix = f"{hub.webhook_url}/channels/telegram/"
        assert hook["url"].startswith(prefix) and len(hook["url"]) > len(prefix) + 20  # a secret path
        assert TOKEN not in hook["url"] and TOKEN.split(":")[1] not in hook["url"]
        assert len(hook["secret_token"]) >= 32
        assert hook["allowed_updates"] == ["message"]
        assert api.calls_of("getUpdates") == []  # no polling in webhook mode

        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            update = api.user_message(8080, "Webhook hello", first_name="Oksana", queue=False)
            status, answer = await asyncio.to_thread(api.deliver_webhook, update)
            assert (status, answer) == (200, {"ok": True})
            conv = (await op.wait_conversation(lambda c: c.channel == "telegram")).conversation
            assert conv.customer.name == "Oksana"
            assert conv.last_message is not None and conv.last_message.text == "Webhook hello"

            # Telegram sends an update again when it missed our answer: stored once
            status, _ = await asyncio.to_thread(api.deliver_webhook, update)
            assert status == 200

            await op.send_message(conv.id, "Hello Oksana")
            await wait_until(lambda: api.texts_to(8080) == ["Hello Oksana"])
            history = await op.history(conv.id)
            assert [m["text"] for m in history["messages"]] == ["Webhook hello", "Hello Oksana"]
        assert telegram_webhook.status().channel.state == "up"

    asyncio.run(scenario())


def _status_of_announced_body(url: str, length: int, headers: dict[str, str]) -> int:
    """POST that announces a body of ``length`` bytes and sends only its start: the
    listener answers from the Content-Length alone (and closes), so the test does not race
    a client still pushing megabytes into a closed socket."""
    parts = urlsplit(url)
    head = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}", f"Content-Length: {length}"]
    head += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "content-length"]
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + b"x" * 1024)
        status_line = sock.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def _post(url: str, body: bytes, headers: dict[str, str], method: str = "POST") -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request(method, parts.path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_bad_webhook_requests_are_answered_per_telegram_rules_and_nothing_is_lost(
    telegram_webhook: TelegramSetup, caplog: pytest.LogCaptureFixture
) -> None:
    hub, api = telegram_webhook.hub, telegram_webhook.api
    acc = hub.accounts.operator
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        hook = await wait_until(lambda: _registered(telegram_webhook))
        url, secret = hook["url"], hook["secret_token"]
        good_headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}

        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            sneaky = api.user_message(1, "from someone who knows the URL only", queue=False)
            deliver = api.deliver_webhook
            # no secret header: 401; a wrong one: 403; nothing stored
            assert (await asyncio.to_thread(deliver, sneaky, secret=None))[0] == 401
            assert (await asyncio.to_thread(deliver, sneaky, secret="guessed-secret"))[0] == 403
            # another path under /channels/ (the path is a secret too): 404
            assert (await asyncio.to_thread(deliver, sneaky, url=url + "x"))[0] == 404
            assert (await asyncio.to_thread(deliver, sneaky, url=f"{hub.webhook_url}/channels/telegram/"))[0] == 404
            assert (await asyncio.to_thread(deliver, sneaky, url=f"{hub.webhook_url}/bot{TOKEN}/x"))[0] == 404
            # not JSON, not an update object: 400 (nothing Telegram would send)
            assert (await asyncio.to_thread(deliver, None, raw=b"{not json"))[0] == 400
            assert (await asyncio.to_thread(deliver, None, raw=b"[1, 2]"))[0] == 400
            # updates that are fine but not for us: 200 (Telegram would only send them again)
            for ignorable in (
                {"update_id": 1, "edited_message": {"message_id": 1, "chat": {"id": 1, "type": "private"}}},
                {"update_id": 2, "my_chat_member": {"chat": {"id": 1}}},
                {"update_id": 3, "message": {"message_id": 5, "chat": "x"}},  # malformed message
                {"update_id": 4, "message": {"message_id": 6, "chat": {"id": -100, "type": "group"},
                                             "from": {"id": 2, "is_bot": False}, "text": "group chatter"}},
            ):
                assert await asyncio.to_thread(deliver, ignorable) == (200, {"ok": True})
            # limits of the listener itself
            status = await asyncio.to_thread(_status_of_announced_body, url, 1024 * 1024 + 1, good_headers)
            assert status == 413
            status, _ = await asyncio.to_thread(_post, url, b"", good_headers, "GET")
            assert status == 405

            # after all that, a real update goes through and only it is stored
            real = api.user_message(2, "the real customer", first_name="Roman", queue=False)
            assert await asyncio.to_thread(deliver, real) == (200, {"ok": True})
            got = await op.wait_message(lambda m: m.author == "customer")
            assert got.message.text == "the real customer"
            state = await op.sync()
            assert [c["last_message"]["text"] for c in state["conversations"]] == ["the real customer"]
            assert len(op.frames(MessageCreated)) == 1

        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "without the secret header refused" in logged
        assert "with a wrong secret refused" in logged
        assert "update 1 ignored" in logged and "update 3 ignored" in logged
        for secret_text in (TOKEN, secret, urlsplit(url).path.rsplit("/", 1)[1]):
            assert secret_text not in logged  # neither the token, the secret header nor the secret path
        assert telegram_webhook.status().channel.state == "up"

    asyncio.run(scenario())


def test_switching_from_webhook_to_polling_while_running(telegram_webhook: TelegramSetup) -> None:
    hub, api = telegram_webhook.hub, telegram_webhook.api
    acc = hub.accounts.operator

    async def scenario() -> None:
        await wait_until(lambda: _registered(telegram_webhook))
        telegram_webhook.add_channel()  # back to polling: the hub deletes the webhook and polls
        await wait_until(lambda: api.webhook is None and api.calls_of("getUpdates"))
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            await op.sync()
            api.user_message(99, "polled again")
            got = await op.wait_message(lambda m: m.author == "customer")
            assert got.message.text == "polled again"

    asyncio.run(scenario())
