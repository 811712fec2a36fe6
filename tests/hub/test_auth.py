"""Sign-in, session tokens and sign-out."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from app.protocol.messages import Auth, Error, Sync
from tests.conftest import TestHub
from tests.helpers import CommandFailed, OperatorClient, txn


def _db_path(hub: TestHub) -> str:
    return hub.db_url.removeprefix("sqlite:///")


def test_login_ok_then_wrong_password_keeps_connection_usable(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            with pytest.raises(CommandFailed) as exc:
                await op.login(acc.username, "wrong password")
            assert exc.value.code == "auth_failed"
            with pytest.raises(CommandFailed) as exc:
                await op.login("nobody", "whatever")
            assert exc.value.code == "auth_failed"
            # same connection, right password now
            data = await op.login(acc.username.upper(), acc.password)  # user names are case-insensitive
            assert data["operator"]["username"] == acc.username
            assert data["operator"]["display_name"] == acc.display_name
            assert data["operator"]["status"] == "online"
            assert len(data["token"]) >= 22
            assert data["expires_at"].endswith("Z")
            state = await op.sync()
            assert state["epoch"] == op.welcome.epoch
            assert {o["username"] for o in state["operators"]} == {a.username for a in hub.accounts.all}

    asyncio.run(scenario())


def test_commands_before_auth_are_refused(hub: TestHub) -> None:
    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            answer = await op.request_frame(Sync(txn_id="t-1"))
            assert isinstance(answer, Error) and answer.code == "not_authenticated" and answer.txn_id == "t-1"
            with pytest.raises(CommandFailed) as exc:
                await op.request(Auth(txn_id=txn()))  # neither password nor token
            assert exc.value.code == "auth_failed"
            await op.login(hub.accounts.operator.username, hub.accounts.operator.password)
            assert "seq" in await op.sync()

    asyncio.run(scenario())


def test_token_resume_and_sign_out_revokes(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as first:
            await first.login(acc.username, acc.password)
            token = first.token
        async with OperatorClient.connected(hub.ws_url) as second:
            data = await second.resume(token)
            assert data["operator"]["id"] == first.operator_id
            assert data["token"] == token
            await second.sync()
            assert await second.sign_out() == {}
            assert await second.wait_closed() == 4103
        async with OperatorClient.connected(hub.ws_url) as third:
            with pytest.raises(CommandFailed) as exc:
                await third.resume(token)
            assert exc.value.code == "auth_failed"
            with pytest.raises(CommandFailed) as exc:
                await third.resume("made-up-token")
            assert exc.value.code == "auth_failed"

    asyncio.run(scenario())


def test_sign_out_closes_the_other_connections_of_that_session_only(hub: TestHub) -> None:
    """Signed out in one window: a second window on the same session is closed as
    revoked (4101, final: it must not reconnect with that token); a window on another
    session of the same operator stays."""
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with (
            OperatorClient.connected(hub.ws_url) as one,
            OperatorClient.connected(hub.ws_url) as same_session,
            OperatorClient.connected(hub.ws_url) as other_session,
        ):
            await one.login(acc.username, acc.password)
            await same_session.resume(one.token)
            await other_session.login(acc.username, acc.password)
            assert other_session.token != one.token
            assert await one.sign_out() == {}
            assert await one.wait_closed() == 4103
            assert await same_session.wait_closed() == 4101
            assert other_session.is_open
            await other_session.sync()  # still served

    asyncio.run(scenario())


def test_expired_token(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            token = op.token
        with sqlite3.connect(_db_path(hub)) as db:
            changed = db.execute("UPDATE sessions SET expires_at = '2001-01-01 00:00:00.000000'").rowcount
        assert changed == 1
        async with OperatorClient.connected(hub.ws_url) as op:
            with pytest.raises(CommandFailed) as exc:
                await op.resume(token)
            assert exc.value.code == "token_expired"
            await op.login(acc.username, acc.password)  # a password still works

    asyncio.run(scenario())


def test_tokens_and_passwords_are_not_stored_in_clear(hub: TestHub) -> None:
    acc = hub.accounts.operator

    async def scenario() -> str:
        async with OperatorClient.connected(hub.ws_url) as op:
            await op.login(acc.username, acc.password)
            return op.token

    token = asyncio.run(scenario())
    with sqlite3.connect(_db_path(hub)) as db:
        dump = "\n".join(db.iterdump())
    assert token not in dump
    assert acc.password not in dump
    assert "$argon2" in dump


def test_presence_online_then_offline_when_last_connection_closes(hub: TestHub) -> None:
    a, b = hub.accounts.operator, hub.accounts.operator2

    async def scenario() -> None:
        async with OperatorClient.connected(hub.ws_url) as watcher:
            await watcher.login(b.username, b.password)
            one = await OperatorClient.connect(hub.ws_url)
            two = await OperatorClient.connect(hub.ws_url)
            await one.login(a.username, a.password)
            await watcher.wait_operator(lambda o: o.username == a.username and o.status == "online")
            await two.resume(one.token)
            await one.close()
            state = await watcher.sync()
            # one device left: still online
            assert next(o for o in state["operators"] if o["username"] == a.username)["status"] == "online"
            await two.close()
            ev = await watcher.wait_operator(lambda o: o.username == a.username and o.status == "offline")
            assert ev.seq > state["seq"]

    asyncio.run(scenario())
