"""The hot writes inside a group commit (SQLite): turn state kept in memory by the
writer, rows written once per group.

Inside :meth:`Store.batch` (the hub's group commit, on its one database thread) a
customer message or an operator reply in an active conversation needs, besides the
three rows it writes, the conversation's turn state, its customer, its line's SLA
settings and the sender's name: facts that only change when someone else writes.
:class:`HotState` keeps them in memory between groups (one joined read per
conversation the first time), and predicts the next message id and event seq, so a
send builds its result and event at once and its rows wait in :class:`GroupWrites`
until the group commits: one ``executemany`` per table for the whole group.

When the cache is dropped (docs/hub.md, "Hot turn state"):

- any statement that writes, run through SQLAlchemy by this process (every other write
  path: ORM, Core, the CLI's store calls in the hub's own process, migrations), on any
  thread: ``Store._on_sql`` clears it (and first writes the group's waiting rows when it
  runs on the group's own thread, so every other statement sees them);
- a commit by any other connection, this process or another one (the ``frontline-hub``
  command line writes the same file): ``PRAGMA data_version`` of the writer's
  connection, read once per group, has changed; so has a switch to another pooled
  connection;
- a group that fails (its transaction rolls back): the cache may hold what was undone.

Rows carry explicit ids: if the prediction were ever wrong (a row written behind the
cache's back in the same instant), the insert fails on the primary key, the group
rolls back, and the hub runs every write of it again on its own (the ordinary paths).
"""

from __future__ import annotations

import threading
import weakref
from datetime import UTC, datetime
from typing import Any

MESSAGES_SQL = (
    "INSERT INTO messages (id, conversation_id, author, operator_id, sender_key, text, created_at, txn_id, internal)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
EVENTS_SQL = "INSERT INTO events (seq, kind, payload, created_at) VALUES (?, ?, ?, ?)"
TURNS_SQL = (
    "UPDATE conversations SET waiting_since = ?, state = ?, snoozed_until = ?, updated_at = ?,"
    " first_response_at = ? WHERE id = ?"
)


def db_time(value: datetime | None) -> str | None:
    """A UTC datetime as the ``UTCDateTime`` columns store it on SQLite (SQLAlchemy's
    ``DATETIME`` format, naive UTC: ``2026-11-30 16:40:16.123456``)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


class GroupWrites:
    """The rows of one group's hot writes, written together before it commits."""

    __slots__ = ("events", "messages", "turns", "validated")

    def __init__(self) -> None:
        self.messages: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.turns: dict[int, tuple[Any, ...]] = {}  # conversation -> its row's last turn values
        self.validated = False  # HotState.validate ran for this group

    @property
    def pending(self) -> bool:
        return bool(self.messages or self.turns)

    def flush(self, dbapi_conn: Any) -> None:
        """Write the waiting rows (in the group's transaction) and forget them."""
        if not self.pending:
            return
        turns, messages, events = list(self.turns.values()), self.messages, self.events
        self.turns, self.messages, self.events = {}, [], []
        cur = dbapi_conn.cursor()
        try:
            if turns:
                cur.executemany(TURNS_SQL, turns)
            if messages:
                cur.executemany(MESSAGES_SQL, messages)
            if events:
                cur.executemany(EVENTS_SQL, events)
        finally:
            cur.close()


class HotState:
    """What the hot writes know between groups (see the module docstring)."""

    def __init__(self) -> None:
        self.rows: dict[int, Any] = {}  # conversation id -> its turn row (conversation, customer, line)
        self.web_conv: dict[int, int] = {}  # customer id -> their active web conversation
        self.op_names: dict[int, str] = {}  # operator id -> display name
        self.customers: dict[int, Any] = {}  # customer id -> CustomerInfo (from a turn row)
        self.next_message_id: int | None = None
        self.next_seq: int | None = None
        self._dbapi_conn: Any = None
        self._data_version: int | None = None
        self.owner: int | None = None  # the thread whose groups use it (the first one)
        # another thread wrote through SQLAlchemy: dropped at the owner's next group
        self.stale = False
        self.hits = 0
        self.misses = 0
        self.clears = 0

    def clear(self) -> None:
        self.rows = {}
        self.web_conv = {}
        self.op_names = {}
        self.customers = {}
        self.next_message_id = None
        self.next_seq = None
        self._data_version = None
        self.clears += 1

    def written_elsewhere(self) -> None:
        """A write by this process outside the hot path: on the owner thread the cache
        goes now; from another thread it goes at the owner's next group (a thread never
        changes what the owner is in the middle of using)."""
        if threading.get_ident() == self.owner:
            self.clear()
        else:
            self.stale = True

    def usable(self) -> bool:
        """Only one thread's groups use the cache (the hub's database thread)."""
        me = threading.get_ident()
        if self.owner is None:
            self.owner = me
        return self.owner == me

    def validate(self, dbapi_conn: Any) -> None:
        """Once per group, before the cache is used: drop it when another connection
        committed since (``data_version``) or the group runs on another connection."""
        cur = dbapi_conn.cursor()
        try:
            version = int(cur.execute("PRAGMA data_version").fetchone()[0])
        finally:
            cur.close()
        if self.stale or dbapi_conn is not self._dbapi_conn or version != self._data_version:
            self.stale = False
            if self.rows or self.next_seq is not None:
                self.clear()
            self._dbapi_conn = dbapi_conn
            self._data_version = version

    def load_ids(self, dbapi_conn: Any) -> None:
        """The next message id and event seq, read when not known."""
        if self.next_message_id is not None and self.next_seq is not None:
            return
        cur = dbapi_conn.cursor()
        try:
            last_id = cur.execute("SELECT max(id) FROM messages").fetchone()[0]
            last_seq = cur.execute("SELECT max(seq) FROM events").fetchone()[0]
            row = cur.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
        finally:
            cur.close()
        self.next_message_id = int(last_id or 0) + 1
        self.next_seq = max(int(last_seq or 0), int(row[0]) if row and row[0] is not None else 0) + 1


_STATES: weakref.WeakKeyDictionary[Any, HotState] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def state_of(engine: Any) -> HotState:
    """The hot state of an engine's database, shared by every ``Store`` on that engine
    (each one's hot writes go on the raw cursor, unseen by the others' listeners)."""
    with _STATES_LOCK:
        state = _STATES.get(engine)
        if state is None:
            state = _STATES[engine] = HotState()
        return state
