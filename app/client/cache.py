"""The operator's local cache: what the session knew (conversations, operators, lines,
the histories that were loaded, the answer templates, ``epoch`` and ``seq``, the
logged-in operator), kept in
the same SQLite file as the outbox (``client.sqlite3`` in the user data folder).

It lets the window open with the hub unreachable (read the inbox and the histories, type
replies into the outbox) and lets a restart resume by replaying the gap (``sync`` with the
cached ``epoch`` and ``last_seq``) instead of reloading everything.

Keyed by hub URL and operator id. Writes never block the event loop: the session hands
over small batches (:class:`CacheBatch`, already encoded to JSON) that one writer thread
applies in order, each in one transaction, so the file always holds a state together with
the ``seq`` it is consistent with. Signing out deletes the operator's rows (privacy).

No Qt, no network here: :class:`app.client.session.OperatorSession` drives it. Like the
outbox, the tables are a client cache made with ``create_all`` (no Alembic); a newer client
adds tables or columns with defaults only; a cache it cannot read is dropped, never fatal.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from sqlalchemy import Boolean, DateTime, Integer, String, Text, create_engine, delete, event, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from app.protocol.messages import ConversationInfo, MessageInfo, OperatorInfo, QueueInfo, TemplateInfo

log = logging.getLogger(__name__)


class _Base(DeclarativeBase):
    pass


class _Meta(_Base):
    __tablename__ = "cache_meta"
    hub_url: Mapped[str] = mapped_column(String(500), primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # sha256 of the session token the state was seen with: an offline start only trusts
    # the cache of the session remembered in the keyring (never the token itself)
    token_hash: Mapped[str] = mapped_column(String(64), default="")
    epoch: Mapped[str] = mapped_column(String(100), default="")
    seq: Mapped[int] = mapped_column(Integer, default=0)
    me: Mapped[str] = mapped_column(Text)  # OperatorInfo as JSON
    queues: Mapped[str] = mapped_column(Text, default="[]")  # list[QueueInfo] as JSON
    updated_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC


class _Conversation(_Base):
    __tablename__ = "cache_conversations"
    hub_url: Mapped[str] = mapped_column(String(500), primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[str] = mapped_column(Text)


class _Operator(_Base):
    __tablename__ = "cache_operators"
    hub_url: Mapped[str] = mapped_column(String(500), primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[str] = mapped_column(Text)


class _History(_Base):
    __tablename__ = "cache_histories"
    hub_url: Mapped[str] = mapped_column(String(500), primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    has_more: Mapped[bool] = mapped_column(Boolean, default=True)


class _Message(_Base):
    __tablename__ = "cache_messages"
    hub_url: Mapped[str] = mapped_column(String(500), primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[str] = mapped_column(Text)


class _Templates(_Base):
    """The answer templates this operator may use (one JSON list), so ``/shortcode``
    works after a restart without the hub."""

    __tablename__ = "cache_templates"
    hub_url: Mapped[str] = mapped_column(String(500), primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[str] = mapped_column(Text, default="[]")


_PER_OPERATOR = (_Conversation, _Operator, _History, _Message, _Templates)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class CacheBatch:
    """One incremental write, encoded on the event loop (cheap), applied in the writer
    thread in one transaction. ``full`` replaces everything of this operator first."""

    hub_url: str
    operator_id: int
    token_hash: str
    epoch: str
    seq: int
    me: bytes
    queues: bytes
    full: bool = False
    conversations: dict[int, bytes] = field(default_factory=dict)
    removed_conversations: set[int] = field(default_factory=set)
    operators: dict[int, bytes] = field(default_factory=dict)
    histories: dict[int, bool] = field(default_factory=dict)  # conversation id -> has_more
    messages: list[tuple[int, int, bytes]] = field(default_factory=list)  # conv id, msg id, JSON
    templates: bytes | None = None  # list[TemplateInfo] as JSON (None: unchanged)


@dataclass
class CachedHistory:
    messages: list[MessageInfo]
    has_more: bool


@dataclass
class Snapshot:
    """Everything cached for one operator on one hub."""

    hub_url: str
    me: OperatorInfo
    token_hash: str
    epoch: str
    seq: int
    conversations: list[ConversationInfo]
    operators: list[OperatorInfo]
    queues: list[QueueInfo]
    histories: dict[int, CachedHistory]
    updated_at: datetime
    templates: list[TemplateInfo] = field(default_factory=list)


class SessionCache:
    """The cache file. ``write`` and ``delete`` return at once (a writer thread applies
    them in order); ``load`` and ``drain`` wait. ``path`` None keeps it in memory."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(f"sqlite:///{path}")
            event.listen(self.engine, "connect", _cache_pragmas)
        else:  # one shared in-memory database for both threads
            from sqlalchemy.pool import StaticPool

            self.engine = create_engine(
                "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        _Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frontline-cache")
        self._lock = threading.Lock()
        self._last: Future[None] | None = None
        self.writes = 0  # batches applied (for tests and measurements)

    # ------------------------------------------------------------------ writing (async)

    def write(self, batch: CacheBatch) -> Future[None]:
        return self._submit(self._apply, batch)

    def delete(self, hub_url: str, operator_id: int) -> Future[None]:
        """Forget one operator's cache on one hub (sign-out)."""
        return self._submit(self._delete, hub_url, operator_id)

    def _submit(self, fn: object, *args: object) -> Future[None]:
        with self._lock:
            fut: Future[None] = self._writer.submit(fn, *args)  # type: ignore[arg-type]
            self._last = fut
            return fut

    def drain(self) -> None:
        """Block until every write handed over so far is applied (use from a thread,
        or at shutdown)."""
        with self._lock:
            last = self._last
        if last is not None:
            try:
                last.result()
            except Exception:
                log.exception("cache write failed")

    def close(self) -> None:
        self.drain()
        self._writer.shutdown(wait=True)
        self.engine.dispose()

    def _apply(self, batch: CacheBatch) -> None:
        try:
            with self._sessions.begin() as s:
                key = (batch.hub_url, batch.operator_id)
                if batch.full:
                    self._delete_rows(s, *key)
                s.merge(
                    _Meta(
                        hub_url=batch.hub_url,
                        operator_id=batch.operator_id,
                        token_hash=batch.token_hash,
                        epoch=batch.epoch,
                        seq=batch.seq,
                        me=batch.me.decode(),
                        queues=batch.queues.decode(),
                        updated_at=datetime.now(UTC).replace(tzinfo=None),
                    )
                )
                base = {"hub_url": batch.hub_url, "operator_id": batch.operator_id}
                if batch.removed_conversations:
                    gone = batch.removed_conversations
                    s.execute(delete(_Conversation).where(*_key(_Conversation, *key), _Conversation.id.in_(gone)))
                    for hmodel in (_History, _Message):
                        s.execute(
                            delete(hmodel).where(
                                *_key(hmodel, *key), hmodel.conversation_id.in_(batch.removed_conversations)
                            )
                        )
                convs = batch.conversations.items()
                _upsert(s, _Conversation, [{**base, "id": i, "data": d.decode()} for i, d in convs])
                ops = batch.operators.items()
                _upsert(s, _Operator, [{**base, "id": i, "data": d.decode()} for i, d in ops])
                _upsert(
                    s,
                    _History,
                    [{**base, "conversation_id": i, "has_more": m} for i, m in batch.histories.items()],
                )
                _upsert(
                    s,
                    _Message,
                    [{**base, "conversation_id": c, "id": i, "data": d.decode()} for c, i, d in batch.messages],
                )
                if batch.templates is not None:
                    _upsert(s, _Templates, [{**base, "data": batch.templates.decode()}])
            self.writes += 1
        except Exception:
            log.exception("could not write the local cache")
            raise

    def _delete(self, hub_url: str, operator_id: int) -> None:
        with self._sessions.begin() as s:
            self._delete_rows(s, hub_url, operator_id)
            s.execute(delete(_Meta).where(*_key(_Meta, hub_url, operator_id)))
        if self.path is not None:  # secure_delete zeroed the pages; the WAL keeps old ones
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    @staticmethod
    def _delete_rows(s: Session, hub_url: str, operator_id: int) -> None:
        for model in _PER_OPERATOR:
            s.execute(delete(model).where(*_key(model, hub_url, operator_id)))

    # ------------------------------------------------------------------ reading (blocking)

    def load(self, hub_url: str, operator_id: int) -> Snapshot | None:
        """The cached state of this operator on this hub; None if there is none (or it
        cannot be read: then it is dropped)."""
        self.drain()
        with self._sessions() as s:
            meta = s.get(_Meta, (hub_url, operator_id))
            if meta is None:
                return None
            try:
                return self._snapshot(s, meta)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                log.warning("dropping an unreadable local cache: %s", exc)
        self.delete(hub_url, operator_id).result()
        return None

    def load_for_token(self, hub_url: str, token: str) -> Snapshot | None:
        """The cached state seen with this session token on this hub (offline start)."""
        self.drain()
        with self._sessions() as s:
            operator_id = s.scalars(
                select(_Meta.operator_id)
                .where(_Meta.hub_url == hub_url, _Meta.token_hash == token_hash(token))
                .order_by(_Meta.updated_at.desc())
            ).first()
        return self.load(hub_url, operator_id) if operator_id is not None else None

    def operators_cached(self, hub_url: str) -> list[int]:
        with self._sessions() as s:
            return list(s.scalars(select(_Meta.operator_id).where(_Meta.hub_url == hub_url)))

    def _snapshot(self, s: Session, meta: _Meta) -> Snapshot:
        key = (meta.hub_url, meta.operator_id)
        conversations = [
            msgspec.json.decode(d, type=ConversationInfo)
            for d in s.scalars(select(_Conversation.data).where(*_key(_Conversation, *key)))
        ]
        operators = [
            msgspec.json.decode(d, type=OperatorInfo)
            for d in s.scalars(select(_Operator.data).where(*_key(_Operator, *key)))
        ]
        histories = {
            h.conversation_id: CachedHistory([], h.has_more)
            for h in s.scalars(select(_History).where(*_key(_History, *key)))
        }
        for conv_id, data in s.execute(
            select(_Message.conversation_id, _Message.data).where(*_key(_Message, *key)).order_by(_Message.id)
        ):
            hist = histories.setdefault(conv_id, CachedHistory([], True))
            hist.messages.append(msgspec.json.decode(data, type=MessageInfo))
        cached_templates = s.scalar(select(_Templates.data).where(*_key(_Templates, *key)))
        templates = msgspec.json.decode(cached_templates, type=list[TemplateInfo]) if cached_templates else []
        return Snapshot(
            templates=templates,
            hub_url=meta.hub_url,
            me=msgspec.json.decode(meta.me, type=OperatorInfo),
            token_hash=meta.token_hash,
            epoch=meta.epoch,
            seq=meta.seq,
            conversations=conversations,
            operators=operators,
            queues=msgspec.json.decode(meta.queues, type=list[QueueInfo]),
            histories=histories,
            updated_at=meta.updated_at.replace(tzinfo=UTC),
        )


def _key(model: type[_Base], hub_url: str, operator_id: int) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    hub_col: InstrumentedAttribute[str] = model.hub_url  # type: ignore[attr-defined]
    op_col: InstrumentedAttribute[int] = model.operator_id  # type: ignore[attr-defined]
    return (hub_col == hub_url, op_col == operator_id)


def _upsert(s: Session, model: type[_Base], rows: list[dict[str, object]]) -> None:
    if rows:
        s.execute(insert(model).prefix_with("OR REPLACE"), rows)


def _cache_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA secure_delete=ON")  # a deleted cache (sign-out) leaves no text behind
    cur.close()
