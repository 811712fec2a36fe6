"""The protocol-level operator of tests/helpers.py, usable from synchronous test code.

Playwright's sync API refuses to run inside a running asyncio loop, so the operator's
websocket client lives on its own event loop in a daemon thread; every method here blocks
the test until that loop has done the work (or a timeout passes).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import msgspec

from app.protocol.messages import MessageInfo, SendMessage
from tests.helpers import OperatorClient, file_urls, http_get, txn, upload

T = TypeVar("T")

TIMEOUT_S = 20.0


class OperatorThread:
    def __init__(self, ws_url: str, username: str, password: str) -> None:
        self.ws_url = ws_url
        self.username = username
        self.password = password
        self.display_name = ""
        self.client: OperatorClient | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="e2e-operator", daemon=True)
        self._thread.start()
        self.connect()

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float = TIMEOUT_S) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout + 1)

    async def _connect(self) -> None:
        client = await OperatorClient.connect(self.ws_url, device_id="e2e-operator")
        await client.login(self.username, self.password)
        await client.sync()
        self.display_name = str(client.operator["display_name"])
        self.client = client

    async def _close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()

    def _client(self) -> OperatorClient:
        assert self.client is not None, "operator is not connected"
        return self.client

    # ------------------------------------------------------------------ what tests call

    def connect(self) -> None:
        self._run(self._connect())

    def reconnect(self) -> None:
        """After a hub restart: a new connection and a fresh login."""
        self._run(self._close())
        self.connect()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._run(self._close(), timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()

    def wait_customer_message(self, text: str, timeout: float = TIMEOUT_S) -> MessageInfo:
        """The customer message with this text, as soon as the hub has told the operator."""
        client = self._client()
        event = self._run(client.wait_message(lambda m: m.author == "customer" and m.text == text, timeout), timeout)
        message: MessageInfo = event.message
        return message

    def reply(self, conversation_id: int, text: str) -> MessageInfo:
        return self._run(self._client().send_message(conversation_id, text))

    def history(self, conversation_id: int) -> list[dict[str, Any]]:
        data = self._run(self._client().history(conversation_id, limit=200))
        messages: list[dict[str, Any]] = data["messages"]  # type: ignore[assignment]
        return messages

    # ------------------------------------------------------------------ attachments

    def wait_customer_files(self, timeout: float = TIMEOUT_S) -> MessageInfo:
        """The first customer message that carries files."""
        client = self._client()
        event = self._run(client.wait_message(lambda m: m.author == "customer" and bool(m.attachments), timeout),
                          timeout)
        message: MessageInfo = event.message
        return message

    def download(self, file_id: int) -> bytes:
        """The file's bytes through the signed URL the hub gives this operator."""

        async def fetch() -> bytes:
            urls = await file_urls(self._client(), [file_id])
            status, _headers, body = await http_get(self.http_url + urls[str(file_id)])
            assert status == 200, status
            return body

        return self._run(fetch())

    def send_file(self, conversation_id: int, data: bytes, name: str, text: str = "") -> MessageInfo:
        async def go() -> MessageInfo:
            client = self._client()
            f = await upload(client, data, name)
            answer = await client.request(
                SendMessage(txn_id=txn(), conversation_id=conversation_id, text=text, attachments=[f["id"]])
            )
            return msgspec.convert(answer["message"], MessageInfo)

        return self._run(go())

    @property
    def http_url(self) -> str:
        return "http://" + self.ws_url.split("://", 1)[1]
