"""The Telegram adapter and the channels' HTTP client against loopback servers (no hub):
sending files and long texts, Bot API errors, and HTTP answers of every shape."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from app.domain.channels import FileRef, InboundMessage, OutboundMessage
from app.hub.channels.base import (
    ChannelContext,
    ConfigurationFailure,
    Health,
    Refused,
    TemporaryFailure,
)
from app.hub.channels.http_client import HttpFailure, post_json
from app.hub.channels.telegram import TelegramAdapter
from app.storage.channels import Received
from tests.telegram_double import TOKEN, BotApiDouble


def adapter(api: BotApiDouble, token: str = TOKEN, **settings: Any) -> TelegramAdapter:
    async def receive(msg: InboundMessage) -> Received:
        raise AssertionError("not used")

    async def cursor() -> str:
        return ""

    async def save(value: str) -> None:
        pass

    ctx = ChannelContext(
        name="telegram",
        settings={"token_env": "X", "api_url": api.url, "request_timeout_s": 2, **settings},
        token=token,
        receive=receive,
        health=Health(secrets=(token,)),
        load_cursor=cursor,
        save_cursor=save,
    )
    return TelegramAdapter(ctx)


def out(text: str, *files: FileRef, chat: int = 42) -> OutboundMessage:
    return OutboundMessage(outbox_id=1, conversation_id=1, message_id=1, address=str(chat), text=text, files=files)


def test_photos_documents_and_long_texts_go_out_as_telegram_wants_them(bot_api: BotApiDouble) -> None:
    bot_api.user_message(42, "hi")  # the chat exists for the bot once the user wrote
    tg = adapter(bot_api)

    async def scenario() -> None:
        ids = await tg.send(out("Here is the form", FileRef("document", "BQACAgIAAx-form", name="form.pdf")))
        assert ids.isdigit()
        await tg.send(out("", FileRef("photo", "AgACAgIAAx-photo")))
        long = "line of text " * 700  # 9100 characters: over Telegram's 4096
        ids = await tg.send(out(long.strip()))
        assert len(ids.split(",")) == 3
        await tg.send(out("x" * 2000, FileRef("photo", "AgACAgIAAx-p2")))  # too long for a caption

    asyncio.run(scenario())
    calls = [(c.method, c.params) for c in bot_api.calls if c.method.startswith("send")]
    assert calls[0] == ("sendDocument", {"chat_id": 42, "document": "BQACAgIAAx-form", "caption": "Here is the form"})
    assert calls[1] == ("sendPhoto", {"chat_id": 42, "photo": "AgACAgIAAx-photo"})
    texts = [p["text"] for m, p in calls[2:5]]
    assert [m for m, _ in calls[2:5]] == ["sendMessage"] * 3
    assert all(len(t) <= 4096 for t in texts) and " ".join(texts) == ("line of text " * 700).strip()
    assert calls[5] == ("sendMessage", {"chat_id": 42, "text": "x" * 2000})
    assert calls[6] == ("sendPhoto", {"chat_id": 42, "photo": "AgACAgIAAx-p2"})


def test_bot_api_errors_map_to_what_the_outbox_does(bot_api: BotApiDouble) -> None:
    bot_api.user_message(42, "hi")
    tg = adapter(bot_api)

    async def failure(fn: Callable[[], Awaitable[Any]]) -> Exception:
        try:
            await fn()
        except Exception as exc:
            return exc
        raise AssertionError("no failure")

    async def scenario() -> None:
        exc = await failure(lambda: tg.send(out("hi", chat=7)))  # a chat that never wrote
        assert isinstance(exc, Refused) and exc.text == "sendMessage: 400 Bad Request: chat not found"
        bot_api.rate_limit(retry_after=3)
        exc = await failure(lambda: tg.send(out("hi")))
        assert isinstance(exc, TemporaryFailure) and exc.retry_after == 3.0
        bot_api.fail(500, times=1)
        exc = await failure(lambda: tg.send(out("hi")))
        assert isinstance(exc, TemporaryFailure) and exc.text == "sendMessage: 500 Internal Server Error"
        bot_api.fail(503, times=1, html=True)
        exc = await failure(lambda: tg.send(out("hi")))
        assert isinstance(exc, TemporaryFailure) and "HTTP 503" in exc.text
        exc = await failure(lambda: adapter(bot_api, token="1:wrong").send(out("hi")))
        assert isinstance(exc, ConfigurationFailure) and exc.text == "sendMessage: 401 Unauthorized"
        bot_api.stall()
        exc = await failure(lambda: tg.send(out("hi")))
        assert isinstance(exc, TemporaryFailure) and exc.text == "sendMessage: no answer within 2 s"
        bot_api.recover()
        api_down = BotApiDouble().start()
        url = api_down.url
        api_down.stop()
        exc = await failure(lambda: adapter(bot_api, api_url=url).send(out("hi")))
        assert isinstance(exc, TemporaryFailure) and exc.text == "sendMessage: connection refused"

    asyncio.run(scenario())


async def _serve_once(answer: bytes) -> tuple[asyncio.Server, str]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/bot{TOKEN}/getMe"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"ok\"\r\n9\r\n:true}   \r\n0\r\n\r\n",
         (200, b'{"ok":true}   ')),
        (b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad", (502, b"bad")),
        (b"HTTP/1.0 200 OK\r\n\r\nuntil the end", (200, b"until the end")),
    ],
)
def test_http_client_reads_every_body_framing(answer: bytes, expected: tuple[int, bytes]) -> None:
    async def scenario() -> None:
        server, url = await _serve_once(answer)
        async with server:
            resp = await post_json(url, {"a": 1}, 5)
        assert (resp.status, resp.body) == expected

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "answer",
    [b"SSH-2.0-OpenSSH\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", b""],
)
def test_http_client_failures_never_show_the_url(answer: bytes) -> None:
    async def scenario() -> None:
        server, url = await _serve_once(answer)
        async with server:
            with pytest.raises(HttpFailure) as info:
                await post_json(url, {}, 5)
        assert TOKEN not in str(info.value) and "127.0.0.1" not in str(info.value)

    asyncio.run(scenario())
