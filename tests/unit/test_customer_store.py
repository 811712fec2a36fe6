"""The customer card's storage (app/storage/customers.py) and migration 0004, on a real
SQLite file (no sockets)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from app.domain.errors import Conflict, InvalidEmail, InvalidField, InvalidPhone, InvalidValue, NotFound
from app.protocol.messages import CustomerChanges, CustomerUpdated, CustomFieldDef
from app.storage import Store, make_engine, upgrade
from app.storage.repo import decode_event


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    upgrade(engine)
    yield Store(engine)
    engine.dispose()


def visitor(store: Store, name: str, locale: str = "uk", n: int = 0) -> int:
    return store.create_visitor("web", f"{n:064x}", name, locale).customer.id


def test_update_normalises_and_logs_one_event(store: Store) -> None:
    op = store.create_operator("olena", "h", "operator", "Olena")
    cid = visitor(store, "Visitor 1234")
    store.customers.add_field("policy", "Policy number", "text")
    store.customers.add_field("birthday", "Birthday", "date")
    store.customers.add_field("limit", "Credit limit", "number")
    out = store.customers.update(
        op.id,
        cid,
        CustomerChanges(
            name="  Тарас   Шевченко ",
            first_name="Тарас",
            last_name="Шевченко",
            vip=True,
            notes="  Prefers calls after 18:00\nSpeaks Ukrainian  ",
            add_phones=["067 123 45 67", "+7 (912) 345-67-89", "+380 67 123 45 67"],  # the third is the first
            add_emails=["Taras@Example.COM"],
            add_tags=["b2b", "Kyiv", "B2B"],
            fields={"policy": "PX-778", "birthday": "09.03.1814", "limit": "1 000,50"},
        ),
        "t1",
    )
    p = out.value
    assert p.name == "Тарас Шевченко" and (p.first_name, p.last_name) == ("Тарас", "Шевченко")
    assert p.vip and p.notes == "Prefers calls after 18:00\nSpeaks Ukrainian"
    assert p.phones == ["+380671234567", "+79123456789"]
    assert p.emails == ["Taras@example.com"]
    assert p.tags == ["b2b", "Kyiv"]
    assert p.fields == {"policy": "PX-778", "birthday": "1814-03-09", "limit": "1000.5"}
    assert [i.channel for i in p.identities] == ["web"]
    assert len(out.events) == 1 and isinstance(out.events[0], CustomerUpdated)
    ev = out.events[0]
    assert ev.customer == p
    # the event is in the log as a whole frame: a resume replays it unchanged
    (seq, kind, payload), = store.events_after(ev.seq - 1)
    assert kind == "customer_updated" and decode_event(seq, kind, payload) == ev
    assert store.customers.profile(cid) == p
    # the conversation payload shows the new display name and VIP flag too
    assert store.find_visitor("web", f"{0:064x}").customer.name == "Тарас Шевченко"  # type: ignore[union-attr]

    # remove + add in one update; a no-op update writes no event
    again = store.customers.update(
        op.id, cid, CustomerChanges(remove_phones=["8 (912) 345-67-89"], remove_tags=["KYIV"], fields={"limit": ""}),
        "t2",
    )
    assert again.value.phones == ["+380671234567"] and again.value.tags == ["b2b"]
    assert "limit" not in again.value.fields
    same = store.customers.update(op.id, cid, CustomerChanges(add_phones=["0671234567"], vip=True), "t3")
    assert same.events == [] and same.value == again.value
    assert [r.txn_id for r in store.customers.changes_of(cid)] == ["t1", "t2", "t3"]


def test_a_bad_value_changes_nothing(store: Store) -> None:
    op = store.create_operator("olena", "h", "operator", "Olena")
    cid = visitor(store, "Iryna")
    store.customers.add_field("contract_date", "Contract date", "date")
    before = store.customers.profile(cid)
    seq = store.last_seq()
    bad: list[tuple[CustomerChanges, type[Exception]]] = [
        (CustomerChanges(name="Iryna K", add_phones=["067 123 45 67", "not a phone"]), InvalidPhone),
        (CustomerChanges(notes="x", add_emails=["iryna@"]), InvalidEmail),
        (CustomerChanges(add_tags=["ok"], fields={"contract_date": "soon"}), InvalidField),
        (CustomerChanges(add_tags=["ok"], fields={"no_such_field": "1"}), InvalidField),
        (CustomerChanges(name="   "), InvalidValue),
        (CustomerChanges(add_tags=[f"t{i}" for i in range(51)]), InvalidValue),
    ]
    for i, (changes, error) in enumerate(bad):
        with pytest.raises(error):
            store.customers.update(op.id, cid, changes, f"bad{i}")
    with pytest.raises(InvalidValue):
        store.customers.update(op.id, cid, CustomerChanges(add_phones=["0671234567"]), "bad-region", region="Kyiv")
    assert store.customers.profile(cid) == before
    assert store.last_seq() == seq
    assert store.customers.changes_of(cid) == []
    with pytest.raises(NotFound):
        store.customers.update(op.id, 999, CustomerChanges(vip=True), "nobody")


def test_a_card_stays_small_enough_for_one_frame(store: Store) -> None:
    op = store.create_operator("olena", "h", "operator", "Olena")
    cid = visitor(store, "Iryna")
    for i in range(30):
        store.customers.add_field(f"f{i}", f"Field {i}", "text")
    long = {f"f{i}": "ж" * 1000 for i in range(30)}  # 60 KB of UTF-8
    with pytest.raises(InvalidValue, match="too big"):
        store.customers.update(op.id, cid, CustomerChanges(fields=long), "big")
    assert store.customers.profile(cid).fields == {}
    # notes at their limit fit; search results leave them out and stay within one frame
    notes = "Довгі нотатки. " * 500
    store.customers.update(op.id, cid, CustomerChanges(notes=notes[:8000]), "notes")
    for n in range(60):
        other = visitor(store, f"Iryna {n}", n=n + 1)
        half = {f"f{i}": "ж" * 1000 for i in range(15)}
        store.customers.update(op.id, other, CustomerChanges(fields=half), f"half{n}")
    found = store.customers.search("iryna", limit=50)
    assert 0 < len(found) < 50 and all(p.notes == "" for p in found)
    assert sum(len(msgspec.json.encode(p)) for p in found) <= 96 * 1024


def test_retry_with_the_same_txn_id_changes_nothing_twice(store: Store) -> None:
    op = store.create_operator("olena", "h", "operator", "Olena")
    other = store.create_operator("taras", "h", "operator", "Taras")
    cid = visitor(store, "Iryna")
    cid2 = visitor(store, "Petro", n=1)
    first = store.customers.update(op.id, cid, CustomerChanges(add_tags=["late payer"]), "t1")
    # meanwhile someone else removes the tag
    store.customers.update(other.id, cid, CustomerChanges(remove_tags=["late payer"]), "t1")
    seq = store.last_seq()
    retry = store.customers.update(op.id, cid, CustomerChanges(add_tags=["late payer"]), "t1")
    assert retry.events == [] and retry.value == first.value  # the first answer again
    assert store.customers.profile(cid).tags == []  # and the tag is not added a second time
    assert store.last_seq() == seq
    with pytest.raises(Conflict):
        store.customers.update(op.id, cid2, CustomerChanges(vip=True), "t1")


def test_search_ranks_exact_matches_first(store: Store) -> None:
    op = store.create_operator("olena", "h", "operator", "Olena")
    store.customers.add_field("policy", "Policy", "text")
    taras = visitor(store, "Тарас Шевченко", n=1)
    tarasenko = visitor(store, "Олег Тарасенко", n=2)
    petro = visitor(store, "Petro", "ru", n=3)
    other = visitor(store, "Someone", n=4)
    card = CustomerChanges(add_phones=["067 123 45 67"], fields={"policy": "PX-778"})
    store.customers.update(op.id, taras, card, "a")
    store.customers.update(op.id, petro, CustomerChanges(add_phones=["8 (912) 345-67-89"]), "b")
    store.customers.update(op.id, other, CustomerChanges(add_emails=["Taras.Fan@Example.com"]), "c")
    store.customers.update(op.id, tarasenko, CustomerChanges(add_phones=["+380 50 000 45 67"]), "d")

    def ids(q: str, **kw: object) -> list[int]:
        return [p.id for p in store.customers.search(q, **kw)]  # type: ignore[arg-type]

    assert ids("ТАРАС ШЕВЧЕНКО") == [taras]
    assert ids("тарас") == [tarasenko, taras]  # a word of the name starts with it (then by name)
    assert ids("арас") == [tarasenko, taras]
    assert ids("taras") == [other]  # in an e-mail address
    assert ids("taras.fan@example.COM") == [other]
    for q in ("+380671234567", "067 123 45 67", "(067) 123-45-67", "380 67 123 4567", "0671234567", "1234567"):
        assert ids(q) == [taras], q
    for q in ("+7 912 345 67 89", "8 (912) 345-67-89", "9123456789", "7-912-345-67-89"):
        assert ids(q) == [petro], q
    assert ids("px-778") == [taras]
    assert ids("778") == [taras]  # in a custom field value
    assert ids("4567") == []  # 4 digits is not a phone search, and nothing else has them
    assert ids("45 67") == []
    assert ids("00 45 67") == [tarasenko]  # the trailing digits of a number
    assert ids("%") == [] and ids("_") == [] and ids("   ") == []
    assert ids("a", limit=2) == ids("a")[:2]
    assert len(store.customers.search("e", limit=1000)) <= 50


def test_field_definitions(store: Store) -> None:
    assert store.customers.add_field(" Tax_ID ", "  Tax   id ", "text") == CustomFieldDef("tax_id", "Tax id", "text")
    store.customers.add_field("since", "Customer since", "date")
    with pytest.raises(InvalidField, match="already exists"):
        store.customers.add_field("tax_id", "Again", "number")
    with pytest.raises(InvalidField, match="type"):
        store.customers.add_field("x", "X", "bool")
    with pytest.raises(ValueError):
        store.customers.add_field("1x", "X", "text")
    assert [f.key for f in store.customers.fields()] == ["tax_id", "since"]
    cid = visitor(store, "Iryna")
    profile, defs = store.customers.card(cid)
    assert profile.fields == {} and [d.type for d in defs] == ["text", "date"]
    with pytest.raises(NotFound):
        store.customers.card(12345)


def test_upgrade_from_0003_keeps_existing_customers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0003_routing")
    db = sqlite3.connect(tmp_path / "old.db")
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC).replace(tzinfo=None).isoformat(sep=" ")
    db.execute(
        "INSERT INTO operators (id, username, display_name, role, password_hash, status, capacity, created_at) "
        "VALUES (1, 'olena', 'Olena', 'operator', 'h', 'offline', 3, ?)",
        (now,),
    )
    db.execute(
        "INSERT INTO customers (id, name, channel, locale, first_seen, vip) "
        "VALUES (7, 'Old Customer', 'web', 'ru', ?, 1)",
        (now,),
    )
    db.execute(
        "INSERT INTO customer_identities (customer_id, channel, external_id_hash) VALUES (7, 'web', ?)", ("f" * 64,)
    )
    db.execute(
        "INSERT INTO conversations (id, customer_id, channel, status, created_at, updated_at) "
        "VALUES (3, 7, 'web', 'resolved', ?, ?)",
        (now, now),
    )
    db.commit()
    db.close()

    upgrade(url)
    engine = make_engine(url)
    try:
        store = Store(engine)
        p = store.customers.profile(7)
        assert (p.name, p.vip, p.locale, p.notes, p.first_name, p.phones, p.tags) == (
            "Old Customer", True, "ru", "", "", [], []
        )  # fmt: skip
        assert [(i.channel, i.label) for i in p.identities] == [("web", "")]
        assert p.first_seen == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        # the old customer works with the new card: a Russian national number via the locale
        out = store.customers.update(1, 7, CustomerChanges(add_phones=["8 (912) 345-67-89"], notes="migrated"), "m1")
        assert out.value.phones == ["+79123456789"]
        assert [c.id for c in store.customers.search("912 345 67 89")] == [7]
        assert store.conversation(3).customer.name == "Old Customer"
    finally:
        engine.dispose()
