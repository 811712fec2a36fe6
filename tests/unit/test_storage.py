"""Repositories against a real SQLite file (no sockets)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.domain.errors import Conflict, Forbidden
from app.protocol.messages import ConversationUpdated, MessageCreated
from app.storage import DuplicateUser, Store, make_engine, upgrade
from app.storage.models import Base


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hub.db'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield Store(engine)
    engine.dispose()


def test_migration_matches_models(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diffs == []


def test_upgrade_from_url_twice_and_sqlite_pragmas(db_url: str, tmp_path: Path) -> None:
    upgrade(db_url)
    upgrade(db_url)  # already at head: nothing to do
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    engine.dispose()
    tables = {r[0] for r in sqlite3.connect(tmp_path / "hub.db").execute("select name from sqlite_master")}
    assert {
        "operators",
        "sessions",
        "customers",
        "customer_identities",
        "conversations",
        "messages",
        "events",
        "hub_meta",
        "alembic_version",
    } <= tables


def test_epoch_is_stable(store: Store) -> None:
    e = store.epoch()
    assert len(e) == 32 and store.epoch() == e


def test_duplicate_user(store: Store) -> None:
    store.create_operator("olena", "h", "operator", "Olena")
    with pytest.raises(DuplicateUser):
        store.create_operator("olena", "h", "operator", "Olena 2")
    with pytest.raises(ValueError):
        store.create_operator("bob", "h", "boss", "Bob")


def test_customer_flow_and_idempotency(store: Store) -> None:
    op = store.create_operator("olena", "h", "operator", "Olena Koval")
    visitor = store.create_visitor("web", "a" * 64, "Visitor 1", "uk")
    assert visitor.conversation_id is None
    first = store.customer_send(visitor.customer.id, "Де моє замовлення?", "t1")
    again = store.customer_send(visitor.customer.id, "Де моє замовлення?", "t1")
    assert again.value.duplicate and again.events == []
    assert again.value.message.id == first.value.message.id
    kinds = [type(e) for e in first.events]
    assert kinds == [ConversationUpdated, MessageCreated]
    conv_id = first.value.message.conversation_id
    assert store.conversation(conv_id).status == "queued"
    assert store.conversation(conv_id).waiting_since is not None

    # nobody online: routing assigns nothing
    assert store.route_queued().value == []
    store.set_status(op.id, "online")
    routed = store.route_queued()
    assert routed.value == [(conv_id, op.id)]
    assert store.conversation(conv_id).assignee_id == op.id

    reply = store.operator_send(op.id, conv_id, "<b>Добрий день</b>", "r1")
    retry = store.operator_send(op.id, conv_id, "<b>Добрий день</b>", "r1")
    assert retry.value.duplicate and retry.value.message.id == reply.value.message.id
    assert reply.customer_messages[0][1].operator_id is None
    assert reply.customer_messages[0][1].author_name == "Olena Koval"
    assert store.conversation(conv_id).waiting_since is None
    page = store.history(conv_id, None, 50)
    assert [m.text for m in page.messages] == ["Де моє замовлення?", "<b>Добрий день</b>"]
    assert not page.has_more

    # seq strictly increasing over everything written
    seqs = [e.seq for o in (first, routed, reply) for e in o.events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert store.last_seq() == seqs[-1]


def test_take_conflict_and_forbidden(store: Store) -> None:
    a = store.create_operator("a", "h", "operator", "A")
    b = store.create_operator("b", "h", "operator", "B")
    sup = store.create_operator("s", "h", "supervisor", "S")
    v = store.create_visitor("web", "b" * 64, "V", "en")
    conv_id = store.customer_send(v.customer.id, "hi", "t1").value.message.conversation_id
    assert store.take(a.id, conv_id).value.assignee_id == a.id
    assert store.take(a.id, conv_id).events == []  # taking again is harmless
    with pytest.raises(Conflict):
        store.take(b.id, conv_id)
    with pytest.raises(Forbidden):
        store.operator_send(b.id, conv_id, "x", "t2")
    with pytest.raises(Forbidden):
        store.resolve(b.id, conv_id)
    assert store.resolve(sup.id, conv_id).value.status == "resolved"
    with pytest.raises(Conflict):
        store.operator_send(a.id, conv_id, "x", "t3")


def test_history_paging(store: Store) -> None:
    v = store.create_visitor("web", "c" * 64, "V", "en")
    for i in range(7):
        store.customer_send(v.customer.id, f"m{i}", f"t{i}")
    conv_id = store.find_visitor("web", "c" * 64).conversation_id  # type: ignore[union-attr]
    assert conv_id is not None
    p1 = store.history(conv_id, None, 3)
    assert [m.text for m in p1.messages] == ["m4", "m5", "m6"] and p1.has_more
    p2 = store.history(conv_id, p1.messages[0].id, 3)
    assert [m.text for m in p2.messages] == ["m1", "m2", "m3"] and p2.has_more
    p3 = store.history(conv_id, p2.messages[0].id, 3)
    assert [m.text for m in p3.messages] == ["m0"] and not p3.has_more
    assert len(store.history(conv_id, None, 0).messages) == 1  # clamped to 1


def test_session_lookup_and_revoke(store: Store) -> None:
    op = store.create_operator("a", "h", "operator", "A")
    store.create_session(op.id, "f" * 64, "dev", timedelta(days=30))
    rec = store.find_session("f" * 64)
    assert rec is not None and rec.operator_id == op.id and rec.revoked_at is None
    store.revoke_session("f" * 64)
    rec = store.find_session("f" * 64)
    assert rec is not None and rec.revoked_at is not None
    assert store.find_session("0" * 64) is None


def test_sync_state_lists_the_team_inbox(store: Store) -> None:
    a = store.create_operator("a", "h", "operator", "A")
    v1 = store.create_visitor("web", "1" * 64, "V1", "ru")
    v2 = store.create_visitor("web", "2" * 64, "V2", "en")
    c1 = store.customer_send(v1.customer.id, "first", "t1").value.message.conversation_id
    c2 = store.customer_send(v2.customer.id, "second", "t1").value.message.conversation_id
    store.take(a.id, c1)
    store.operator_send(a.id, c1, "answer", "r1")
    state = store.sync_state()
    assert state.seq == store.last_seq() > 0
    by_id = {c.id: c for c in state.conversations}
    assert set(by_id) == {c1, c2}
    assert by_id[c1].status == "open" and by_id[c1].last_message is not None
    assert by_id[c1].last_message.text == "answer" and by_id[c1].waiting_since is None
    assert by_id[c2].status == "queued" and by_id[c2].last_message.text == "second"  # type: ignore[union-attr]
    assert [(o.username, o.active_chats) for o in state.operators] == [("a", 1)]
    store.resolve(a.id, c1)
    assert [c.id for c in store.sync_state().conversations] == [c2]


def test_batch_commits_together_and_only_the_calling_thread_joins_it(store: Store) -> None:
    import threading

    a = store.create_visitor("web", "hash-a", "Anna", "uk").customer.id
    b = store.create_visitor("web", "hash-b", "Borys", "uk").customer.id
    before = store.last_seq()
    seen_elsewhere: list[int] = []
    with store.batch():
        first = store.customer_send(a, "one", "t1")
        second = store.customer_send(b, "two", "t1")
        # another thread reads in a transaction of its own: nothing is committed yet
        reader = threading.Thread(target=lambda: seen_elsewhere.append(store.last_seq()))
        reader.start()
        reader.join()
    assert seen_elsewhere == [before]
    seqs = [e.seq for e in first.events + second.events]
    assert seqs == list(range(before + 1, before + 1 + len(seqs)))
    assert store.last_seq() == seqs[-1]  # committed at the end of the block


def test_a_retry_inside_a_batch_fails_the_batch_and_alone_gets_the_stored_message(store: Store) -> None:
    """Inside a batch the send paths skip the look-up of an earlier try: the unique
    (sender, txn_id) index refuses the second insert, nothing of the batch is kept, and
    the calls run again one by one (as the hub does) answer the retry as a duplicate."""
    from sqlalchemy.exc import DBAPIError

    a = store.create_visitor("web", "hash-a", "Anna", "uk").customer.id
    store.customer_send(a, "hello", "t0")  # the conversation exists: the fast path
    before = store.last_seq()
    with pytest.raises((DBAPIError, sqlite3.IntegrityError)), store.batch():
        store.customer_send(a, "one", "t1")
        store.customer_send(a, "one", "t1")  # the same command again (a retry)
    assert store.last_seq() == before
    first = store.customer_send(a, "one", "t1")
    again = store.customer_send(a, "one", "t1")
    assert not first.value.duplicate and again.value.duplicate
    assert again.value.message.id == first.value.message.id and again.events == []


def test_a_failing_batch_leaves_nothing(store: Store) -> None:
    a = store.create_visitor("web", "hash-a", "Anna", "uk").customer.id
    before = store.last_seq()
    with pytest.raises(Conflict), store.batch():
        store.customer_send(a, "one", "t1")
        raise Conflict("a later command in the batch fails")
    assert store.last_seq() == before
    assert store.customer_send(a, "one", "t1").value.duplicate is False


def test_background_checkpoints_replace_commit_checkpoints(db_url: str, tmp_path: Path) -> None:
    from sqlalchemy import text

    from app.storage.engine import checkpoint, checkpoint_in_background

    assert checkpoint_in_background(make_engine("sqlite://")) is False  # in memory: nothing to do
    engine = make_engine(db_url)
    assert checkpoint_in_background(engine) is True
    upgrade(engine)
    store = Store(engine)
    with engine.connect() as conn:  # commits no longer checkpoint
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
    visitor = store.create_visitor("web", "hash-a", "Anna", "uk").customer.id
    for i in range(50):
        store.customer_send(visitor, "x" * 2000, f"t{i}")
    wal = tmp_path / "hub.db-wal"
    with sqlite3.connect(tmp_path / "hub.db") as raw:  # every message is readable, WAL or not
        assert raw.execute("SELECT count(*) FROM messages").fetchone()[0] == 50
    checkpoint(engine)
    grown = wal.stat().st_size
    store.customer_send(visitor, "after", "t-after")
    # the checkpoint copied everything, so the next write started the WAL over
    assert wal.stat().st_size == grown
    with sqlite3.connect(tmp_path / "hub.db") as raw:
        _busy, frames, copied = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert frames < 20 and copied == frames
    engine.dispose()
