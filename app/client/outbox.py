"""The operator's durable outbox: messages typed in the window that the hub has not
confirmed yet. SQLite through SQLAlchemy in the user data folder, so closing the app
(or losing the link) keeps them; the next start shows and sends them.

Each item keeps the ``txn_id`` it was made with: every retry sends the same one, so the
hub stores the message once however often it is sent. States:

- ``pending``  waiting to be sent (or being sent);
- ``failed``   not sent: the hub refused it, or it could not be sent for
               ``FAIL_AFTER`` (5 minutes); the window offers "resend";
- ``sent``     the hub stored it (the row is deleted then; the message lives on in
               the conversation's history).

No Qt, no network here: :class:`app.client.session.OperatorSession` drives it.
This is a client cache, not the hub's schema: its tables are made with ``create_all``
(no Alembic); a newer client adds tables or columns with defaults only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import platformdirs
from sqlalchemy import DateTime, Integer, String, Text, create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from app.client.settings import APP_NAME

OutboxState = Literal["pending", "failed", "sent"]
Clock = Callable[[], datetime]

FAIL_AFTER = timedelta(minutes=5)
TIMED_OUT = "timeout"  # ``error`` of an item not sent within FAIL_AFTER; else the hub's error code
DB_NAME = "client.sqlite3"


def utc_now() -> datetime:
    return datetime.now(UTC)


def user_data_dir() -> Path:
    """Where the client keeps its cache and outbox (``$FRONTLINE_DATA_DIR`` overrides)."""
    override = os.environ.get("FRONTLINE_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hub_url: Mapped[str] = mapped_column(String(500), index=True)
    operator_id: Mapped[int] = mapped_column(Integer)
    conversation_id: Mapped[int] = mapped_column(Integer)
    txn_id: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    # when the current sending attempt started: typed, or "resend" pressed (naive UTC)
    queued_at: Mapped[datetime] = mapped_column(DateTime)
    error: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class OutboxItem:
    local_id: int
    conversation_id: int
    txn_id: str
    text: str
    state: OutboxState
    queued_at: datetime
    error: str = ""  # why it is "not sent": TIMED_OUT or the hub's error code
    message_id: int | None = None  # set when sent


def _item(row: _Row, state: OutboxState | None = None, message_id: int | None = None) -> OutboxItem:
    return OutboxItem(
        local_id=row.id,
        conversation_id=row.conversation_id,
        txn_id=row.txn_id,
        text=row.text,
        state=state or row.state,  # type: ignore[arg-type]
        queued_at=row.queued_at.replace(tzinfo=UTC),
        error=row.error,
        message_id=message_id,
    )


def _naive(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None)


class Outbox:
    """One operator's unsent messages on one hub, in typing order.

    ``path`` None keeps it in memory (tests that do not care); ``clock`` is injectable
    so the 5-minute rule is tested without waiting."""

    def __init__(self, path: Path | None, *, clock: Clock = utc_now) -> None:
        self.clock = clock
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(f"sqlite:///{path}")
            event.listen(self.engine, "connect", _pragmas)
        else:
            self.engine = create_engine("sqlite://")
        _Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def add(self, hub_url: str, operator_id: int, conversation_id: int, text: str) -> OutboxItem:
        with self._sessions.begin() as s:
            row = _Row(
                hub_url=hub_url,
                operator_id=operator_id,
                conversation_id=conversation_id,
                txn_id=str(uuid.uuid4()),
                text=text,
                state="pending",
                queued_at=_naive(self.clock()),
                error="",
            )
            s.add(row)
            s.flush()
            return _item(row)

    def items(self, hub_url: str, operator_id: int) -> list[OutboxItem]:
        """Pending and failed items, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(
                select(_Row)
                .where(_Row.hub_url == hub_url, _Row.operator_id == operator_id)
                .order_by(_Row.id)
            )
            return [_item(r) for r in rows]

    def get(self, txn_id: str) -> OutboxItem | None:
        with self._sessions() as s:
            row = s.scalars(select(_Row).where(_Row.txn_id == txn_id)).first()
            return _item(row) if row is not None else None

    def mark_sent(self, txn_id: str, message_id: int) -> OutboxItem | None:
        """The hub stored it: forget the row. None if it was not in the outbox."""
        with self._sessions.begin() as s:
            row = s.scalars(select(_Row).where(_Row.txn_id == txn_id)).first()
            if row is None:
                return None
            item = _item(row, "sent", message_id)
            s.delete(row)
            return item

    def mark_failed(self, txn_id: str, error: str) -> OutboxItem | None:
        with self._sessions.begin() as s:
            row = s.scalars(select(_Row).where(_Row.txn_id == txn_id)).first()
            if row is None:
                return None
            row.state = "failed"
            row.error = error
            return _item(row)

    def retry(self, txn_id: str) -> OutboxItem | None:
        """"Resend": pending again, with a fresh 5 minutes and the same txn_id."""
        with self._sessions.begin() as s:
            row = s.scalars(select(_Row).where(_Row.txn_id == txn_id)).first()
            if row is None:
                return None
            row.state = "pending"
            row.error = ""
            row.queued_at = _naive(self.clock())
            return _item(row)

    def expire(self, hub_url: str, operator_id: int) -> list[OutboxItem]:
        """Pending items older than FAIL_AFTER become failed; those items."""
        cutoff = _naive(self.clock() - FAIL_AFTER)
        with self._sessions.begin() as s:
            rows = list(
                s.scalars(
                    select(_Row).where(
                        _Row.hub_url == hub_url,
                        _Row.operator_id == operator_id,
                        _Row.state == "pending",
                        _Row.queued_at <= cutoff,
                    )
                )
            )
            for row in rows:
                row.state = "failed"
                row.error = TIMED_OUT
            return [_item(r) for r in rows]


def _pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
