"""The customer card against a real hub: customer_get / customer_update / customer_search,
the customer_updated event (live and replayed on resume), idempotent retries, refused
values, the `field add` CLI, an old database upgraded with its customers, and the
desktop client's service methods. No sleeps: every wait is on a condition."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.client.connection import CommandFailed as ClientCommandFailed
from app.client.secrets import MemorySecretStore
from app.client.session import OperatorSession
from app.protocol import ErrorCode, convert
from app.protocol.messages import (
    CustomerChanges,
    CustomerGet,
    CustomerProfile,
    CustomerSearch,
    CustomerUpdate,
    CustomerUpdated,
    Error,
)
from app.storage import Store, make_engine, upgrade
from tests.conftest import TestHub, create_test_accounts
from tests.helpers import CommandFailed, CustomerClient, OperatorClient, txn, wait_until
from tests.hub.test_cli import run_cli


def scenario(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run


async def signed_in(hub: TestHub, who: str = "operator") -> OperatorClient:
    acc = getattr(hub.accounts, who)
    op = await OperatorClient.connect(hub.ws_url)
    await op.login(acc.username, acc.password)
    await op.sync()
    return op


async def web_customer(op: OperatorClient, cust: CustomerClient) -> int:
    """The customer id of a web-chat visitor, as the operator's inbox shows it."""
    sent = await cust.send("Hello, I have a question")
    ev = await op.wait_conversation(lambda c: c.id == sent.conversation_id)
    return int(ev.conversation.customer.id)


async def get(op: OperatorClient, customer_id: int) -> CustomerProfile:
    data = await op.request(CustomerGet(txn_id=txn(), customer_id=customer_id))
    return convert(data["customer"], CustomerProfile)


async def update(
    op: OperatorClient, customer_id: int, changes: CustomerChanges, *, txn_id: str | None = None, region: str = ""
) -> CustomerProfile:
    data = await op.request(
        CustomerUpdate(txn_id=txn_id or txn(), customer_id=customer_id, changes=changes, region=region)
    )
    return convert(data["customer"], CustomerProfile)


async def search(op: OperatorClient, query: str, **kw: Any) -> list[int]:
    data = await op.request(CustomerSearch(txn_id=txn(), query=query, **kw))
    return [convert(c, CustomerProfile).id for c in data["customers"]]  # type: ignore[union-attr]


def card_events(op: OperatorClient, customer_id: int) -> list[CustomerUpdated]:
    return [f for f in op.frames(CustomerUpdated) if f.customer.id == customer_id]


def define_field(hub: TestHub, key: str, label: str, kind: str) -> None:
    engine = make_engine(hub.db_url)
    try:
        Store(engine).customers.add_field(key, label, kind)
    finally:
        engine.dispose()


@scenario
async def test_phones_in_several_formats_then_search_by_another_format(hub) -> None:
    op = await signed_in(hub)
    other = await signed_in(hub, "operator2")
    async with (
        CustomerClient.connected(hub.ws_url, name="Iryna", locale="uk") as iryna,
        CustomerClient.connected(hub.ws_url, name="Petro", locale="ru") as petro,
    ):
        iryna_id = await web_customer(op, iryna)
        petro_id = await web_customer(op, petro)
        p = await update(op, iryna_id, CustomerChanges(add_phones=["067 123 45 67", "+7 (912) 345-67-89"]))
        assert p.phones == ["+380671234567", "+79123456789"]
        # the same numbers written otherwise are the same numbers; a landline is new
        p = await update(
            op, iryna_id, CustomerChanges(add_phones=["8 (912) 345-67-89", "+380 (67) 123-45-67", "044 123 45 67"])
        )
        assert p.phones == ["+380671234567", "+79123456789", "+380441234567"]
        # Petro's locale is ru: his national form is read as Russian
        q = await update(op, petro_id, CustomerChanges(add_phones=["8 (999) 123-45-67"]))
        assert q.phones == ["+79991234567"]

        for query in (
            "+380671234567",
            "+380 67 123 45 67",
            "(067) 123-45-67",
            "0671234567",
            "380-67-123-45-67",
            "8 912 345 67 89",
            "+7 912 345-67-89",
            "79123456789",
            "912 345 67 89",
            "(044) 123 45 67",
        ):
            assert await search(other, query) == [iryna_id], query
        assert await search(other, "8 (999) 123 45 67") == [petro_id]
        assert await search(other, "+7 999 1234567", region="RU") == [petro_id]
        assert await search(other, "+380 99 999 99 99") == []
        # both ended up on the other operator's screen as events
        await other.wait_frame(CustomerUpdated, lambda e: e.customer.id == petro_id)
        assert [len(e.customer.phones) for e in card_events(other, iryna_id)] == [2, 3]
    for c in (op, other):
        await c.close()


@scenario
async def test_search_by_name_email_and_custom_field_exact_first(hub) -> None:
    define_field(hub, "policy", "Policy number", "text")
    op = await signed_in(hub)
    async with (
        CustomerClient.connected(hub.ws_url, name="Тарас Шевченко") as a,
        CustomerClient.connected(hub.ws_url, name="Олег Тарасенко") as b,
        CustomerClient.connected(hub.ws_url, name="Visitor 4821") as c,
    ):
        taras, oleg, visitor = [await web_customer(op, x) for x in (a, b, c)]
        await update(op, visitor, CustomerChanges(add_emails=["Taras.Fan@Example.COM"], fields={"policy": "PX-778"}))
        assert await search(op, "тарас шевченко") == [taras]
        assert await search(op, "ТАРАС") == [oleg, taras]  # word starts, then by name
        assert await search(op, "taras.fan@example.com") == [visitor]
        assert await search(op, "example.com") == [visitor]
        assert await search(op, "px-778") == [visitor]
        assert await search(op, "Тарас", limit=1) == [oleg]
        assert await search(op, "") == []
    await op.close()


@scenario
async def test_a_bad_phone_is_refused_with_a_clear_error_and_nothing_changes(hub) -> None:
    define_field(hub, "born", "Birthday", "date")
    op = await signed_in(hub)
    watcher = await signed_in(hub, "supervisor")
    async with CustomerClient.connected(hub.ws_url, name="Iryna") as cust:
        cid = await web_customer(op, cust)
        await update(op, cid, CustomerChanges(add_phones=["067 123 45 67"], notes="regular"))
        await watcher.wait_frame(CustomerUpdated, lambda e: e.customer.id == cid)
        before = await get(op, cid)

        refused = [
            (CustomerChanges(name="Iryna K", add_phones=["050 000 00 00", "12-34"]), ErrorCode.INVALID_PHONE, "12-34"),
            (CustomerChanges(vip=True, add_phones=["call me"]), ErrorCode.INVALID_PHONE, "call me"),
            (CustomerChanges(notes="x", add_emails=["iryna@localhost"]), ErrorCode.INVALID_EMAIL, "iryna@localhost"),
            (CustomerChanges(fields={"born": "31.02.1990"}), ErrorCode.INVALID_FIELD, "born"),
            (CustomerChanges(fields={"shoe_size": "42"}), ErrorCode.INVALID_FIELD, "shoe_size"),
            (CustomerChanges(name="  "), ErrorCode.INVALID_VALUE, "name"),
        ]
        for changes, code, mentioned in refused:
            with pytest.raises(CommandFailed) as exc:
                await update(op, cid, changes)
            assert exc.value.code == code, changes
            assert mentioned in exc.value.text
        with pytest.raises(CommandFailed) as exc:
            await update(op, cid, CustomerChanges(add_phones=["067 123 45 67"]), region="Ukraine")
        assert exc.value.code == ErrorCode.INVALID_VALUE
        assert await get(op, cid) == before

        # no event was written for any of them: the next event is the next real change
        await update(op, cid, CustomerChanges(add_tags=["checked"]))
        await watcher.wait_frame(CustomerUpdated, lambda e: e.customer.tags == ["checked"])
        assert [e.customer.tags for e in card_events(watcher, cid)] == [[], ["checked"]]
        with pytest.raises(CommandFailed) as exc:
            await get(op, 987654)
        assert exc.value.code == ErrorCode.NOT_FOUND
    for c in (op, watcher):
        await c.close()


@scenario
async def test_a_retried_update_changes_nothing_twice(hub) -> None:
    op = await signed_in(hub)
    watcher = await signed_in(hub, "operator2")
    async with CustomerClient.connected(hub.ws_url, name="Iryna") as cust:
        cid = await web_customer(op, cust)
        frame = CustomerUpdate(
            txn_id=txn(), customer_id=cid, changes=CustomerChanges(add_tags=["late payer"], add_phones=["0671234567"])
        )
        first = await op.request(frame)
        # meanwhile the other operator removes the tag
        await update(watcher, cid, CustomerChanges(remove_tags=["late payer"]))
        # the answer was lost: the same frame again
        again = await op.request(frame)
        assert again == first  # the first answer, not a second application
        assert (await get(op, cid)).tags == []
        # and from another connection of the same operator (a reconnect) too
        async with OperatorClient.connected(hub.ws_url) as reconnected:
            await reconnected.resume(op.token)
            assert await reconnected.request(frame) == first
        await update(op, cid, CustomerChanges(notes="marker"))
        await watcher.wait_frame(CustomerUpdated, lambda e: e.customer.notes == "marker")
        assert [e.customer.tags for e in card_events(watcher, cid)] == [["late payer"], [], []]
    engine = make_engine(hub.db_url)
    try:
        assert len(Store(engine).customers.changes_of(cid)) == 3
    finally:
        engine.dispose()
    for c in (op, watcher):
        await c.close()


@scenario
async def test_customer_updated_reaches_the_team_and_is_replayed_after_a_resume(hub) -> None:
    op = await signed_in(hub)
    async with CustomerClient.connected(hub.ws_url, name="Iryna") as cust:
        cid = await web_customer(op, cust)
        away = await OperatorClient.connect(hub.ws_url)
        await away.login(hub.accounts.operator2.username, hub.accounts.operator2.password)
        state = await away.sync()
        await update(op, cid, CustomerChanges(first_name="Iryna", last_name="Koval"))
        live = await away.wait_frame(CustomerUpdated, lambda e: e.customer.id == cid)
        assert (live.customer.first_name, live.customer.last_name) == ("Iryna", "Koval")
        assert live.seq > state["seq"]
        last_seen, token, epoch = max(away.max_seq, live.seq), away.token, state["epoch"]
        await away.close()

        await update(op, cid, CustomerChanges(vip=True, notes="Calls about invoices", add_emails=["iryna@example.ua"]))
        async with OperatorClient.connected(hub.ws_url) as back:
            await back.resume(token)
            data = await back.sync(last_seq=last_seen, epoch=epoch)
            assert data["recovered"] is True
            replayed = [convert(e, CustomerUpdated) for e in data["events"] if e["type"] == "customer_updated"]  # type: ignore[index,union-attr]
            assert len(replayed) == 1
            card = replayed[0].customer
            assert (card.id, card.vip, card.notes) == (cid, True, "Calls about invoices")
            assert card.emails == ["iryna@example.ua"]
            assert card == await get(back, cid)
            # events of the card are in the full order of the log
            seqs = [e["seq"] for e in data["events"]]  # type: ignore[index,union-attr]
            assert seqs == sorted(seqs) and replayed[0].seq in seqs
    await op.close()


@scenario
async def test_commands_need_a_signed_in_operator(hub) -> None:
    async with OperatorClient.connected(hub.ws_url) as anon:
        for frame in (
            CustomerGet(txn_id=txn(), customer_id=1),
            CustomerSearch(txn_id=txn(), query="x"),
            CustomerUpdate(txn_id=txn(), customer_id=1, changes=CustomerChanges(vip=True)),
        ):
            answer = await anon.request_frame(frame)
            assert isinstance(answer, Error) and answer.code == ErrorCode.NOT_AUTHENTICATED
        # a malformed change (wrong type) is an invalid frame, answered and survived
        await anon.login(hub.accounts.operator.username, hub.accounts.operator.password)
        await anon.send_raw('{"type": "customer_update", "txn_id": "t", "customer_id": 1, "changes": {"vip": "yes"}}')
        bad = await anon.wait_frame(Error, lambda e: e.code == ErrorCode.INVALID_FRAME)
        assert bad.txn_id is None
        assert await search(anon, "nobody") == []


def test_field_add_cli_while_the_hub_runs(hub) -> None:
    ok = run_cli("field", "add", "Policy_No", "Policy number", "--db", hub.db_url)
    assert ok.returncode == 0, ok.stderr
    assert "policy_no" in ok.stdout
    ok = run_cli("field", "add", "contract_value", "Contract value", "--type", "number", "--db", hub.db_url)
    assert ok.returncode == 0, ok.stderr
    dup = run_cli("field", "add", "policy_no", "Again", "--db", hub.db_url)
    assert dup.returncode == 2 and "already exists" in dup.stderr and "Traceback" not in dup.stderr
    bad = run_cli("field", "add", "tax id", "Tax id", "--db", hub.db_url)
    assert bad.returncode == 2 and "not a field key" in bad.stderr
    bad_type = run_cli("field", "add", "x", "X", "--type", "bool", "--db", hub.db_url)
    assert bad_type.returncode == 2 and "invalid choice" in bad_type.stderr
    listed = run_cli("field", "list", "--db", hub.db_url)
    assert listed.stdout.splitlines() == ["policy_no\ttext\tPolicy number", "contract_value\tnumber\tContract value"]

    async def body() -> None:
        op = await signed_in(hub)
        async with CustomerClient.connected(hub.ws_url, name="Iryna") as cust:
            cid = await web_customer(op, cust)
            data = await op.request(CustomerGet(txn_id=txn(), customer_id=cid))
            assert data["fields"] == [
                {"key": "policy_no", "label": "Policy number"},  # type "text" is the default, left out
                {"key": "contract_value", "label": "Contract value", "type": "number"},
            ]
            card = await update(op, cid, CustomerChanges(fields={"policy_no": "PX-1", "contract_value": "12 500,00"}))
            assert card.fields == {"policy_no": "PX-1", "contract_value": "12500"}
            with pytest.raises(CommandFailed) as exc:
                await update(op, cid, CustomerChanges(fields={"contract_value": "a lot"}))
            assert exc.value.code == ErrorCode.INVALID_FIELD
        await op.close()

    asyncio.run(body())


def test_a_hub_upgrades_an_old_database_and_its_customers_get_cards(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    upgrade(url, "0003_routing")  # a database as the previous release left it
    db = sqlite3.connect(path)
    now = datetime(2026, 3, 1, 8, 30, tzinfo=UTC).replace(tzinfo=None).isoformat(sep=" ")
    db.execute(
        "INSERT INTO customers (id, name, channel, locale, first_seen, vip) VALUES (41, 'Ганна', 'web', 'uk', ?, 0)",
        (now,),
    )
    db.execute(
        "INSERT INTO customer_identities (customer_id, channel, external_id_hash) VALUES (41, 'web', ?)", ("e" * 64,)
    )
    db.execute(
        "INSERT INTO conversations (id, customer_id, channel, status, created_at, updated_at, waiting_since) "
        "VALUES (5, 41, 'web', 'queued', ?, ?, ?)",
        (now, now, now),
    )
    db.execute(
        "INSERT INTO messages (conversation_id, author, sender_key, text, created_at) "
        "VALUES (5, 'customer', 'cust:41', 'Добрий день', ?)",
        (now,),
    )
    db.commit()
    db.close()

    hub = TestHub(url, create_test_accounts(url))  # the accounts step upgrades to head
    hub.start()
    try:

        async def body() -> None:
            op = await OperatorClient.connect(hub.ws_url)
            await op.login(hub.accounts.supervisor.username, hub.accounts.supervisor.password)
            state = await op.sync()
            assert [c["customer"]["name"] for c in state["conversations"]] == ["Ганна"]  # type: ignore[index]
            card = await get(op, 41)
            assert (card.name, card.locale, card.phones, card.notes) == ("Ганна", "uk", [], "")
            assert [(i.channel, i.label) for i in card.identities] == [("web", "")]
            card = await update(op, 41, CustomerChanges(add_phones=["050 123 45 67"], vip=True))
            assert card.phones == ["+380501234567"] and card.vip
            assert await search(op, "+380 50 123 45 67") == [41]
            assert await search(op, "ганна") == [41]
            await op.close()

        asyncio.run(body())
    finally:
        hub.stop()


def make_session(tmp_path: Path, name: str) -> OperatorSession:
    return OperatorSession(MemorySecretStore(), f"dev-{name}", data_dir=tmp_path / name)


@scenario
async def test_the_desktop_service_reads_edits_and_searches_cards(hub, tmp_path) -> None:
    mine = make_session(tmp_path, "a")
    theirs = make_session(tmp_path, "b")
    seen: list[CustomerProfile] = []
    theirs.customer_changed.connect(seen.append)
    await mine.login(hub.ws_url, hub.accounts.operator.username, hub.accounts.operator.password)
    await theirs.login(hub.ws_url, hub.accounts.operator2.username, hub.accounts.operator2.password)
    define_field(hub, "tax_id", "Tax id", "text")
    async with CustomerClient.connected(hub.ws_url, name="Visitor 1234", locale="uk") as cust:
        conv_id = (await cust.send("hi")).conversation_id
        await wait_until(lambda: conv_id in theirs.conversations and conv_id in mine.conversations)
        cid = mine.conversations[conv_id].customer.id

        card = await mine.customer(cid)
        assert card.name == "Visitor 1234" and [f.key for f in mine.custom_fields] == ["tax_id"]
        card = await mine.update_customer(
            cid, CustomerChanges(name="Iryna Koval", vip=True, add_phones=["067 123 45 67"], fields={"tax_id": "123"})
        )
        assert card.phones == ["+380671234567"] and card.fields == {"tax_id": "123"}
        # both windows show the new name and the VIP flag on the conversation at once
        assert mine.conversations[conv_id].customer.name == "Iryna Koval"
        await wait_until(lambda: seen and seen[-1].name == "Iryna Koval")
        assert theirs.conversations[conv_id].customer.name == "Iryna Koval"
        assert theirs.conversations[conv_id].customer.vip

        assert [c.id for c in await theirs.search_customers("067-123-45-67")] == [cid]
        assert [c.id for c in await theirs.search_customers("iryna")] == [cid]
        with pytest.raises(ClientCommandFailed) as exc:
            await theirs.update_customer(cid, CustomerChanges(add_phones=["067 123"]))
        assert exc.value.code == "invalid_phone"
        # a retry of a lost answer with the same txn_id is applied once
        t = txn()
        one = await mine.update_customer(cid, CustomerChanges(add_tags=["b2b"]), txn_id=t)
        await theirs.update_customer(cid, CustomerChanges(remove_tags=["b2b"]))
        assert await mine.update_customer(cid, CustomerChanges(add_tags=["b2b"]), txn_id=t) == one
        assert (await mine.customer(cid)).tags == []
    await mine.close()
    await theirs.close()
