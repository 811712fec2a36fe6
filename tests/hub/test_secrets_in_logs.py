"""Passwords and tokens never reach a log line, even at DEBUG level."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from app.hub.embedded import EmbeddedHub
from tests.conftest import TestHub
from tests.helpers import CommandFailed, CustomerClient, OperatorClient


def test_no_secrets_in_debug_logs(hub: TestHub, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    acc = hub.accounts.operator

    async def scenario() -> tuple[str, str]:
        async with OperatorClient.connected(hub.ws_url) as op:
            with pytest.raises(CommandFailed):
                await op.login(acc.username, "wrong-secret-attempt")
            await op.login(acc.username, acc.password)
            async with OperatorClient.connected(hub.ws_url) as again:
                await again.resume(op.token)
            async with CustomerClient.connected(hub.ws_url) as cust:
                await cust.send("hello")
                return op.token, cust.visitor_token

    token, visitor = asyncio.run(scenario())
    # everything the hub process logged (the test's own websocket clients are not the hub)
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("websockets.client"))
    assert "signed in" in text  # the hub did log the sign-in...
    for secret in (acc.password, "wrong-secret-attempt", token, visitor):
        assert secret not in text  # ...but none of the secrets


def test_embedded_start_raises_when_the_port_is_taken(hub: TestHub, tmp_path: Path) -> None:
    other = EmbeddedHub(f"sqlite:///{tmp_path / 'x.db'}", port=hub.port)
    with pytest.raises(RuntimeError, match="could not start"):
        other.start()
    other.stop()
