"""The hot writes inside a group commit (app/storage/hot.py): turn state kept in memory
between groups, rows written with the group. What they store must be what the ordinary
paths store, and a change made by any other path (this process, another connection,
another process) must be seen by the next group."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain.errors import Conflict, Forbidden
from app.protocol import encode
from app.protocol.messages import CustomerChanges, MessageCreated
from app.storage import Store, make_engine, upgrade
from app.storage.repo import decode_event


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hub.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    yield Store(engine)
    engine.dispose()


def _txn() -> str:
    return str(uuid.uuid4())


def _open_chat(store: Store, name: str = "Anna") -> tuple[int, int, int]:
    """A customer with an open web conversation assigned to an operator."""
    op = store.create_operator(f"op{uuid.uuid4().hex[:6]}", "x", "operator", "Olena", capacity=10)
    store.set_status(op.id, "online")
    customer = store.create_visitor("web", uuid.uuid4().hex, name, "uk").customer.id
    first = store.customer_send(customer, "hello", _txn())
    conv = first.value.message.conversation_id
    store.route_queued()
    assert store.conversation(conv).assignee_id == op.id
    return op.id, customer, conv


def _logged(store: Store, seq: int) -> MessageCreated:
    rows = {s: (k, p) for s, k, p in store.events_after(seq - 1, 10)}
    event = decode_event(seq, *rows[seq])
    assert isinstance(event, MessageCreated)
    return event


def test_group_writes_store_what_the_results_say(store: Store) -> None:
    """The rows a group writes (messages, events, the conversation's turn) are the
    ones its results describe, ids and seqs in order, and a reader sees them only after
    the commit."""
    op, customer, conv = _open_chat(store)
    before = store.last_seq()
    with store.batch():
        a = store.customer_send(customer, "where is my order?", "c1")
        b = store.operator_send(op, conv, "checking", "o1")
        c = store.customer_send(customer, "thanks", "c2")
        # any other statement of the group sees its rows (they are written before it)
        assert store.last_seq() == before + 3
    outcomes = [a, b, c]
    seqs = [e.seq for o in outcomes for e in o.events]
    assert seqs == list(range(before + 1, before + 4))
    ids = [o.value.message.id for o in outcomes]
    assert ids == sorted(ids) and len(set(ids)) == 3
    for outcome in outcomes:
        event = outcome.events[0]
        assert isinstance(event, MessageCreated)
        assert _logged(store, event.seq) == event  # the log holds the very frame sent
        assert outcome.wire[event.seq] == encode(event)  # and its text, encoded once, is the frame's
    history = store.history(conv, None, 10).messages
    assert [m.text for m in history][-3:] == ["where is my order?", "checking", "thanks"]
    assert [m.id for m in history][-3:] == ids
    stored = store.conversation(conv)
    last = c.events[0]
    assert isinstance(last, MessageCreated) and last.conversation is not None
    # the turn as stored is the turn the last event announced
    assert stored.state == last.conversation.state == "open"
    assert stored.waiting_since == last.conversation.waiting_since
    assert stored.sla_kind == last.conversation.sla_kind == "next"  # first_response_at was written


def test_a_retry_in_the_same_group_fails_it_and_alone_is_a_duplicate(store: Store) -> None:
    _op, customer, _conv = _open_chat(store)
    before = store.last_seq()
    with pytest.raises(sqlite3.IntegrityError), store.batch():
        store.customer_send(customer, "one", "t1")
        store.customer_send(customer, "one", "t1")
    assert store.last_seq() == before
    first = store.customer_send(customer, "one", "t1")
    assert not first.value.duplicate
    with pytest.raises(sqlite3.IntegrityError), store.batch():
        store.customer_send(customer, "one", "t1")  # in a group a retry fails the group ...
    again = store.customer_send(customer, "one", "t1")  # ... and alone is answered as a duplicate
    assert again.value.duplicate and again.value.message.id == first.value.message.id


def test_a_rename_in_this_process_is_seen_by_the_next_group(store: Store) -> None:
    op, customer, conv = _open_chat(store, "Anna")
    with store.batch():
        store.customer_send(customer, "one", _txn())
        store.operator_send(op, conv, "two", _txn())
    store.customers.update(op, customer, CustomerChanges(name="Anna K.", vip=True), _txn())
    with store.batch():
        sent = store.customer_send(customer, "three", _txn())
    event = sent.events[0]
    assert isinstance(event, MessageCreated) and event.conversation is not None
    assert event.message.author_name == "Anna K."
    assert event.conversation.customer.name == "Anna K." and event.conversation.customer.vip


def test_a_change_by_another_process_is_seen_by_the_next_group(store: Store, db_path: Path) -> None:
    """The command line writes the same file from another process: the group after it
    sees the operator's new name and the customer's (PRAGMA data_version)."""
    op, customer, conv = _open_chat(store, "Anna")
    with store.batch():
        store.customer_send(customer, "one", _txn())
        store.operator_send(op, conv, "two", _txn())
    script = (
        "import sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1])\n"
        "db.execute('UPDATE operators SET display_name = ? WHERE id = ?', ('Olena P.', int(sys.argv[2])))\n"
        "db.execute('UPDATE customers SET name = ? WHERE id = ?', ('Anna Kovalenko', int(sys.argv[3])))\n"
        "db.commit()\n"
    )
    subprocess.run([sys.executable, "-c", script, str(db_path), str(op), str(customer)], check=True, timeout=60)
    with store.batch():
        reply = store.customer_send(customer, "three", _txn())
        answer = store.operator_send(op, conv, "four", _txn())
    assert reply.value.message.author_name == "Anna Kovalenko"
    assert answer.value.message.author_name == "Olena P."


def test_transfer_and_resolve_are_seen_by_the_next_group(store: Store) -> None:
    op, customer, conv = _open_chat(store)
    other = store.create_operator("other", "x", "operator", "Other", capacity=10)
    store.set_status(other.id, "online")
    with store.batch():
        store.operator_send(op, conv, "one", _txn())
    store.transfer(op, conv, to_operator=other.id, to_queue=None, note="", txn_id=_txn())
    with pytest.raises(Forbidden), store.batch():  # no longer theirs
        store.operator_send(op, conv, "two", _txn())
    with store.batch():
        sent = store.operator_send(other.id, conv, "three", _txn())
    assert sent.value.message.author_name == "Other"
    store.resolve(other.id, conv)
    with store.batch():  # a new message opens a new conversation (not the cached one)
        again = store.customer_send(customer, "back again", _txn())
    assert again.value.message.conversation_id != conv
    assert store.conversation(again.value.message.conversation_id).status == "queued"


def test_a_failed_group_leaves_no_trace_in_the_turn_state(store: Store) -> None:
    """A group that rolls back may have moved the turn in memory: the next group must
    start from what was committed."""
    op, customer, conv = _open_chat(store)
    with store.batch():
        store.operator_send(op, conv, "your turn", _txn())  # the customer's turn now
    before = store.conversation(conv)
    assert before.state == "waiting" and before.waiting_since is None
    with pytest.raises(Conflict), store.batch():
        store.customer_send(customer, "undone", _txn())  # would make it the operator's turn
        raise Conflict("a later write of the group fails")
    assert store.conversation(conv).state == "waiting"
    with store.batch():
        sent = store.operator_send(op, conv, "still your turn", _txn())
    # the reply does not change the turn: the committed state says it is the customer's already
    assert isinstance(sent.events[0], MessageCreated) and sent.events[0].conversation is None
    assert sent.wire[sent.events[0].seq] == encode(sent.events[0])
    assert [m.text for m in store.history(conv, None, 10).messages][-2:] == ["your turn", "still your turn"]


def test_two_stores_on_one_engine_share_what_they_know(store: Store) -> None:
    """A second ``Store`` on the same engine writes the same database on the same pooled
    connection: its hot writes must be seen by the first one's next group."""
    op, customer, conv = _open_chat(store)
    other = Store(store.engine)
    with store.batch():
        store.customer_send(customer, "one", _txn())  # the operator's turn
    with other.batch():
        other.operator_send(op, conv, "two", _txn())  # the customer's turn
    with store.batch():
        sent = store.customer_send(customer, "three", _txn())
    event = sent.events[0]
    assert isinstance(event, MessageCreated) and event.conversation is not None  # the turn changed again
    assert event.conversation.state == "open" == store.conversation(conv).state
