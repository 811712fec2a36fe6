"""Repositories: every public method is one transaction and returns plain values
(frozen dataclasses or app.protocol payload structs), never ORM objects.

A change and the event rows that describe it are written in the same transaction;
the events come back in :class:`Outcome` so the hub can broadcast them after commit.
These methods block: the hub calls them on its single database thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, NamedTuple, Protocol, TypeVar, cast

import msgspec
from sqlalchemy import Connection, Engine, Table, and_, bindparam, event, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from app.domain import sla
from app.domain.errors import Conflict, Forbidden, InvalidValue, NotFound
from app.domain.routing import (
    STRATEGIES,
    OperatorLoad,
    QueuedItem,
    RoutableConversation,
    choose_operator,
    pick_operator,
    priority_order,
)
from app.domain.tokens import new_epoch
from app.protocol.messages import (
    AttachmentInfo,
    ConversationInfo,
    ConversationOffered,
    ConversationUpdated,
    CustomerInfo,
    CustomersMerged,
    CustomerUpdated,
    KbArticleDeleted,
    KbArticleUpdated,
    MergeProposed,
    MessageCreated,
    MessageInfo,
    OfferExpired,
    OperatorEvent,
    OperatorInfo,
    OperatorUpdated,
    QueueInfo,
    QueuesUpdated,
    SlaBreached,
    TemplateUpdated,
    TimelineEntrySaved,
)
from app.storage.files import attach, attachments_of
from app.storage.hot import GroupWrites, db_time, state_of
from app.storage.models import (
    Conversation,
    Customer,
    CustomerIdentity,
    Delivery,
    Event,
    HubMeta,
    Message,
    Operator,
    Queue,
    QueueMember,
    Session,
    SlaBreach,
)
from app.storage.prepared import Prepared

T = TypeVar("T")

ROLES = ("operator", "supervisor", "admin")
STATUSES = ("online", "away", "busy", "offline")
STATES = ("open", "waiting", "snoozed")
ACTIVE = ("queued", "open")
# a waiting customer's conversation goes back to the queue when its operator has been
# offline this long (Store.tick; HubConfig.orphan_after_s)
ORPHAN_AFTER = timedelta(minutes=2)
# the log kind of a message_created event that carries its conversation (message_event)
MESSAGE_TURN = "message_turn"
HISTORY_MAX = 200


def utcnow() -> datetime:
    return datetime.now(UTC)


class DuplicateUser(Exception):
    pass


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """The value of a write plus the events (with their seq) it produced, in order, and
    the messages to push to customers (customer id, customer-facing message)."""

    value: T
    events: list[OperatorEvent] = field(default_factory=list)
    customer_messages: list[tuple[int, MessageInfo]] = field(default_factory=list)
    # (operator id, seq): must-deliver events written to ``deliveries`` in this transaction
    deliveries: list[tuple[int, int]] = field(default_factory=list)
    # seq -> the event's frame as sent (``must_ack`` false), when the store encoded it already
    wire: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OperatorCredentials:
    id: int
    username: str
    password_hash: str


@dataclass(frozen=True)
class SessionRecord:
    operator_id: int
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class SyncState:
    seq: int
    conversations: list[ConversationInfo]
    operators: list[OperatorInfo]
    queues: list[QueueInfo] = field(default_factory=list)
    # more active conversations follow (``conversations_page(more_after)``); None: that was all
    more_after: int | None = None


@dataclass(frozen=True)
class ConversationPage:
    conversations: list[ConversationInfo]
    more_after: int | None  # the cursor of the next page; None: the last page


@dataclass(frozen=True)
class Replay:
    """What a resuming operator missed: the events after its ``last_seq`` (None when the
    gap is larger than the cap), the log's current ``seq``, and the seqs of its
    unacknowledged must-deliver events."""

    seq: int
    events: list[OperatorEvent] | None
    pending: frozenset[int]


@dataclass(frozen=True)
class HistoryPage:
    messages: list[MessageInfo]
    has_more: bool


@dataclass(frozen=True)
class VisitorState:
    customer: CustomerInfo
    conversation_id: int | None
    messages: list[MessageInfo]


@dataclass(frozen=True)
class Offer:
    conversation_id: int
    operator_id: int
    expires_at: datetime


@dataclass(frozen=True)
class Tick:
    """What one periodic check changed: expired offers, woken snoozes, new SLA breaches."""

    expired: list[tuple[int, int]]
    woken: list[int]
    breaches: int
    # (conversation, operator): a waiting customer whose operator went offline, back in the queue
    returned: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Sent:
    """A stored message; ``duplicate`` is True when it was stored by an earlier try."""

    message: MessageInfo
    duplicate: bool


def _ids(text: str) -> frozenset[int]:
    return frozenset(int(x) for x in text.split(",") if x)


def _add_id(text: str, op_id: int) -> str:
    ids = sorted(_ids(text) | {op_id})
    out = ",".join(str(i) for i in ids)
    return out if len(out) <= 255 else str(op_id)


def customer_view(msg: MessageInfo) -> MessageInfo:
    """The message as a customer may see it: no operator id, no txn id of others."""
    return msgspec.structs.replace(msg, operator_id=None, txn_id=None)


class MessageRow(Protocol):
    """What payloads are built from: an ORM ``Message`` or a plain row of the fast paths."""

    @property
    def id(self) -> int: ...
    @property
    def conversation_id(self) -> int: ...
    @property
    def author(self) -> str: ...
    @property
    def operator_id(self) -> int | None: ...
    @property
    def text(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def txn_id(self) -> str | None: ...
    @property
    def internal(self) -> bool: ...


class ConversationRow(Protocol):
    """An ORM ``Conversation`` or a row of the ``conversations`` table (fast paths)."""

    @property
    def id(self) -> int: ...
    @property
    def customer_id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def assignee_id(self) -> int | None: ...
    @property
    def waiting_since(self) -> datetime | None: ...
    @property
    def queue_id(self) -> int | None: ...
    @property
    def offered_to(self) -> int | None: ...
    @property
    def offer_expires_at(self) -> datetime | None: ...
    @property
    def state(self) -> str: ...
    @property
    def snoozed_until(self) -> datetime | None: ...
    @property
    def first_response_at(self) -> datetime | None: ...


class QueueRow(Protocol):
    """An ORM ``Queue`` or a row of the ``queues`` table (fast paths)."""

    @property
    def first_response_s(self) -> int: ...
    @property
    def next_response_s(self) -> int: ...
    @property
    def timezone(self) -> str: ...
    @property
    def hours(self) -> str: ...


class _NewMessage(NamedTuple):
    """A message row just inserted by a fast path."""

    id: int
    conversation_id: int
    author: str
    operator_id: int | None
    sender_key: str
    text: str
    created_at: datetime
    txn_id: str | None
    internal: bool


class _Loader:
    """Turns rows into protocol payloads inside one transaction, with small caches."""

    def __init__(self, s: OrmSession | None) -> None:
        self._session = s
        self._op_names: dict[int, str] = {}
        self._customers: dict[int, CustomerInfo] = {}
        self._queues: dict[int, QueueRow | None] = {}
        self._attachments: dict[int, list[AttachmentInfo]] = {}

    def preload_attachments(self, message_ids: Iterable[int]) -> None:
        """Read the attachments of these messages in one query (before ``message``)."""
        self._attachments.update(attachments_of(self.s, message_ids))

    def set_attachments(self, message_id: int, infos: list[AttachmentInfo]) -> None:
        self._attachments[message_id] = infos

    def seed(
        self,
        customer: CustomerInfo | None = None,
        op: tuple[int, str] | None = None,
        queue: tuple[int, QueueRow | None] | None = None,
    ) -> None:
        """Prime the caches with rows read by the Core fast paths (no ORM query later)."""
        if customer is not None:
            self._customers[customer.id] = customer
        if op is not None:
            self._op_names[op[0]] = op[1]
        if queue is not None:
            self._queues[queue[0]] = queue[1]

    @property
    def s(self) -> OrmSession:
        assert self._session is not None, "a seeded _Loader looked something up"
        return self._session

    def queue(self, queue_id: int | None) -> QueueRow | None:
        if queue_id is None:
            return None
        if queue_id not in self._queues:
            self._queues[queue_id] = self.s.get(Queue, queue_id)
        return self._queues[queue_id]

    def op_name(self, op_id: int | None) -> str:
        if op_id is None:
            return ""
        name = self._op_names.get(op_id)
        if name is None:
            # the identity map first: the sender is usually loaded already (no query)
            op = self.s.get(Operator, op_id)
            name = self._op_names[op_id] = op.display_name if op is not None else ""
        return name

    def customer(self, customer_id: int) -> CustomerInfo:
        info = self._customers.get(customer_id)
        if info is None:
            c = self.s.get(Customer, customer_id)
            if c is None:
                raise NotFound(f"no customer {customer_id}")
            info = self._customers[customer_id] = _customer_info(c)
        return info

    def message(self, m: MessageRow, customer_id: int) -> MessageInfo:
        if m.author == "operator":
            name = self.op_name(m.operator_id)
        elif m.author == "customer":
            name = self.customer(customer_id).name
        else:
            name = ""
        return MessageInfo(
            id=m.id,
            conversation_id=m.conversation_id,
            author=m.author,  # type: ignore[arg-type]
            text=m.text,
            created_at=m.created_at,
            operator_id=m.operator_id,
            author_name=name,
            txn_id=m.txn_id,
            internal=bool(m.internal),
            attachments=self._attachments.get(m.id, []),
        )

    def conversation(self, c: ConversationRow, last: MessageRow | bool | None = True) -> ConversationInfo:
        if last is True:
            last = self.s.scalars(
                select(Message).where(Message.conversation_id == c.id).order_by(Message.id.desc()).limit(1)
            ).first()
        last_info = self.message(last, c.customer_id) if last is not None and not isinstance(last, bool) else None
        clock = sla_clock(self.queue(c.queue_id), c)
        return ConversationInfo(
            id=c.id,
            customer=self.customer(c.customer_id),
            channel=c.channel,  # type: ignore[arg-type]
            status=c.status,  # type: ignore[arg-type]
            created_at=c.created_at,
            assignee_id=c.assignee_id,
            waiting_since=c.waiting_since,
            last_message=last_info,
            queue_id=c.queue_id,
            offered_to=c.offered_to,
            offer_expires_at=c.offer_expires_at,
            state=c.state,  # type: ignore[arg-type]
            snoozed_until=c.snoozed_until,
            sla_kind=clock.kind if clock else None,
            sla_target_s=int(clock.target_s) if clock else None,
            sla_due_at=clock.due_at if clock else None,
        )

    def operator(self, op: Operator, active: int | None = None) -> OperatorInfo:
        if active is None:
            active = _active_chats(self.s, op.id)
        return OperatorInfo(
            id=op.id,
            username=op.username,
            display_name=op.display_name,
            role=op.role,  # type: ignore[arg-type]
            status=op.status,  # type: ignore[arg-type]
            status_since=op.status_since,
            active_chats=active,
            capacity=op.capacity,
        )


def _customer_info(c: Customer) -> CustomerInfo:
    return CustomerInfo(
        id=c.id,
        name=c.name,
        channel=c.channel,  # type: ignore[arg-type]
        first_seen=c.first_seen,
        locale=c.locale,
        vip=bool(c.vip),
    )


def queue_schedule(q: QueueRow | None) -> sla.Schedule | None:
    if q is None or not q.hours:
        return None
    try:
        return sla.parse_schedule(q.timezone, q.hours)
    except (sla.ScheduleError, ValueError):
        return None


def sla_clock(q: QueueRow | None, c: ConversationRow) -> sla.Clock | None:
    """The running SLA clock of a conversation whose customer waits, else None."""
    if c.waiting_since is None or c.status == "resolved":
        return None
    first = q.first_response_s if q else sla.DEFAULT_FIRST_RESPONSE_S
    nxt = q.next_response_s if q else sla.DEFAULT_NEXT_RESPONSE_S
    return sla.clock_for(
        queue_schedule(q),
        c.waiting_since,
        answered_before=c.first_response_at is not None,
        first_response_s=first,
        next_response_s=nxt,
    )


def _queue_info(s: OrmSession, q: Queue, now: datetime | None = None) -> QueueInfo:
    members = list(
        s.scalars(
            select(QueueMember.operator_id)
            .where(QueueMember.queue_id == q.id)
            .order_by(QueueMember.position, QueueMember.operator_id)
        )
    )
    schedule = queue_schedule(q)
    now = now or utcnow()
    back = sla.next_open(schedule, now)
    return QueueInfo(
        id=q.id,
        name=q.name,
        kind=q.kind,  # type: ignore[arg-type]
        strategy=q.strategy,  # type: ignore[arg-type]
        members=members,
        offer_timeout_s=q.offer_timeout_s,
        first_response_s=q.first_response_s,
        next_response_s=q.next_response_s,
        timezone=q.timezone,
        hours=msgspec.json.decode(q.hours) if q.hours else {},
        open_now=back == now,
        next_open_at=None if back == now else back,
        bot_first_line=bool(q.bot_first_line),
    )


def _active_chats(s: OrmSession, op_id: int) -> int:
    return int(
        s.scalar(
            select(func.count(Conversation.id)).where(
                Conversation.assignee_id == op_id, Conversation.status == "open"
            )
        )
        or 0
    )


def _emit_frame(s: OrmSession, out: list[OperatorEvent], event: OperatorEvent) -> OperatorEvent:
    """Log a whole event frame (its seq filled in) in the same transaction and append it."""
    row = Event(kind=str(type(event).__struct_config__.tag), payload="{}", created_at=utcnow())
    s.add(row)
    s.flush()
    event = msgspec.structs.replace(event, seq=row.seq)
    row.payload = msgspec.json.encode(event).decode()
    out.append(event)
    return event


def _emit_message(
    s: OrmSession, out: list[OperatorEvent], message: MessageInfo, conversation: ConversationInfo | None
) -> int:
    """:func:`_emit` of a message, with the conversation it changed (:func:`message_event`)."""
    kind, payload, event = message_event(message, conversation)
    row = Event(kind=kind, payload=payload, created_at=utcnow())
    s.add(row)
    s.flush()
    out.append(msgspec.structs.replace(event, seq=row.seq))
    return row.seq


def _emit(s: OrmSession, out: list[OperatorEvent], kind: str, payload: msgspec.Struct) -> int:
    """Append one event to the log (same transaction as the change) and to ``out``;
    its seq."""
    row = Event(kind=kind, payload=msgspec.json.encode(payload).decode(), created_at=utcnow())
    s.add(row)
    s.flush()
    seq = row.seq
    event: OperatorEvent
    if isinstance(payload, ConversationInfo):
        event = ConversationUpdated(seq=seq, conversation=payload)
    elif isinstance(payload, MessageInfo):
        event = MessageCreated(seq=seq, message=payload)
    elif isinstance(payload, OperatorInfo):
        event = OperatorUpdated(seq=seq, operator=payload)
    else:  # pragma: no cover - programming error
        raise TypeError(f"no event for {type(payload).__name__}")
    out.append(event)
    return seq


_EVENTS = cast(Table, Event.__table__)
_MESSAGES = cast(Table, Message.__table__)
_CONVERSATIONS = cast(Table, Conversation.__table__)
_CUSTOMERS = cast(Table, Customer.__table__)
_QUEUES = cast(Table, Queue.__table__)
_OPERATORS = cast(Table, Operator.__table__)


# The fast paths' statements: Core, compiled once per dialect and run on the DBAPI
# cursor (app/storage/prepared.py: no per-execution SQLAlchemy machinery).
_MESSAGE_KEYS = ("conversation_id", "author", "operator_id", "sender_key", "text", "created_at", "txn_id", "internal")
_INSERT_EVENT = Prepared(insert(_EVENTS).returning(_EVENTS.c.seq), keys=("kind", "payload", "created_at"))
_INSERT_MESSAGE = Prepared(insert(_MESSAGES).returning(_MESSAGES.c.id), keys=_MESSAGE_KEYS)
_SENT_BEFORE = Prepared(
    select(_MESSAGES.c.id).where(
        _MESSAGES.c.sender_key == bindparam("sender"), _MESSAGES.c.txn_id == bindparam("txn")
    )
)
_CUSTOMER_COLUMNS = (
    _CUSTOMERS.c.id.label("cu_id"),
    _CUSTOMERS.c.name.label("cu_name"),
    _CUSTOMERS.c.channel.label("cu_channel"),
    _CUSTOMERS.c.first_seen.label("cu_first_seen"),
    _CUSTOMERS.c.locale.label("cu_locale"),
    _CUSTOMERS.c.vip.label("cu_vip"),
)
_QUEUE_COLUMNS = (
    _QUEUES.c.id.label("q_id"),
    _QUEUES.c.first_response_s.label("q_first_response_s"),
    _QUEUES.c.next_response_s.label("q_next_response_s"),
    _QUEUES.c.timezone.label("q_timezone"),
    _QUEUES.c.hours.label("q_hours"),
)
# A web chat customer's message: the customer, their active web conversation and its
# line, in one read.
_CUSTOMER_TURN = Prepared(
    select(*_CONVERSATIONS.c, *_CUSTOMER_COLUMNS, *_QUEUE_COLUMNS)
    .select_from(
        _CUSTOMERS.outerjoin(
            _CONVERSATIONS,
            and_(
                _CONVERSATIONS.c.customer_id == _CUSTOMERS.c.id,
                _CONVERSATIONS.c.channel == "web",  # the web chat's own conversation
                or_(*(_CONVERSATIONS.c.status == status for status in ACTIVE)),
            ),
        ).outerjoin(_QUEUES, _QUEUES.c.id == _CONVERSATIONS.c.queue_id)
    )
    .where(_CUSTOMERS.c.id == bindparam("customer"))
    .order_by(_CONVERSATIONS.c.id.desc())
    .limit(1)
)
# An operator's reply: the conversation, its customer and line, and the sender's name.
_OPERATOR_TURN = Prepared(
    select(
        *_CONVERSATIONS.c,
        *_CUSTOMER_COLUMNS,
        *_QUEUE_COLUMNS,
        select(_OPERATORS.c.display_name)
        .where(_OPERATORS.c.id == bindparam("op"))
        .scalar_subquery()
        .label("op_name"),
    )
    .select_from(
        _CONVERSATIONS.join(_CUSTOMERS, _CUSTOMERS.c.id == _CONVERSATIONS.c.customer_id).outerjoin(
            _QUEUES, _QUEUES.c.id == _CONVERSATIONS.c.queue_id
        )
    )
    .where(_CONVERSATIONS.c.id == bindparam("conv"))
)


class _QueueFacts(NamedTuple):
    """The SLA settings of a line, read with a turn (:data:`_CUSTOMER_TURN`)."""

    first_response_s: int
    next_response_s: int
    timezone: str
    hours: str


def _turn_customer(row: Any) -> CustomerInfo:
    return CustomerInfo(
        id=row.cu_id,
        name=row.cu_name,
        channel=row.cu_channel,
        first_seen=row.cu_first_seen,
        locale=row.cu_locale,
        vip=bool(row.cu_vip),
    )


def _turn_queue(row: Any) -> tuple[int, QueueRow | None] | None:
    if row.queue_id is None:
        return None
    if row.q_id is None:
        return row.queue_id, None
    return row.q_id, _QueueFacts(row.q_first_response_s, row.q_next_response_s, row.q_timezone, row.q_hours)


_TURN_KEYS = ("waiting_since", "state", "snoozed_until", "updated_at")
_UPDATE_TURN = Prepared(update(_CONVERSATIONS).where(_CONVERSATIONS.c.id == bindparam("conv")), keys=_TURN_KEYS)
_UPDATE_FIRST_ANSWER = Prepared(
    update(_CONVERSATIONS).where(_CONVERSATIONS.c.id == bindparam("conv")),
    keys=(*_TURN_KEYS, "first_response_at"),
)


def _emit_message_core(
    conn: Connection, out: list[OperatorEvent], message: MessageInfo, conversation: ConversationInfo | None
) -> int:
    """Log a message event (one INSERT, no unit of work; the hot send paths), with the
    conversation it changed when there is one (:func:`message_event`)."""
    kind, payload, event = message_event(message, conversation)
    seq = int(_INSERT_EVENT.scalar(conn, {"kind": kind, "payload": payload, "created_at": utcnow()}))
    event = msgspec.structs.replace(event, seq=seq)
    out.append(event)
    return seq


def message_event(message: MessageInfo, conversation: ConversationInfo | None) -> tuple[str, str, MessageCreated]:
    """A message event's log kind and payload, and the frame (its seq still 0). A message
    that changed its conversation's turn (state, waiting clock, SLA) is ONE
    ``message_created`` frame carrying that conversation (without ``last_message``,
    which is the message), logged whole as kind ``message_turn``; a plain one logs
    just the message (kind ``message_created``)."""
    if conversation is None:
        return "message_created", msgspec.json.encode(message).decode(), MessageCreated(seq=0, message=message)
    conversation = msgspec.structs.replace(conversation, last_message=None)
    frame = MessageCreated(seq=0, message=message, conversation=conversation)
    return MESSAGE_TURN, msgspec.json.encode(frame).decode(), frame


def _hot_event(
    seq: int, message: MessageInfo, conversation: ConversationInfo | None
) -> tuple[str, str, MessageCreated, str]:
    """:func:`message_event` with its seq known (the hot paths): the log kind and
    payload, the frame, and the frame's text as sent, encoded once. A turn's payload is
    that very text (whole frames are logged with their seq)."""
    if conversation is None:
        payload = msgspec.json.encode(message).decode()
        wire = '{"type":"message_created","seq":' + str(seq) + ',"message":' + payload + "}"
        return "message_created", payload, MessageCreated(seq=seq, message=message), wire
    conversation = msgspec.structs.replace(conversation, last_message=None)
    frame = MessageCreated(seq=seq, message=message, conversation=conversation)
    wire = msgspec.json.encode(frame).decode()
    return MESSAGE_TURN, wire, frame, wire


def _must_deliver(s: OrmSession, out: list[tuple[int, int]], operator_id: int, seq: int) -> None:
    """Mark event ``seq`` as must-deliver to ``operator_id`` (same transaction): the hub
    sends it with ``must_ack`` and re-sends it until the operator acknowledges it.
    Routing/transfer code calls this for every offer, assignment and transfer."""
    now = utcnow()
    s.add(Delivery(operator_id=operator_id, seq=seq, created_at=now, last_sent_at=now, attempts=1))
    out.append((operator_id, seq))


_EVENT_PAYLOADS: dict[str, type[msgspec.Struct]] = {
    "conversation_updated": ConversationInfo,
    "message_created": MessageInfo,
    "operator_updated": OperatorInfo,
}


# Event kinds whose log row holds the whole frame (seq included), not just a payload.
_WHOLE_FRAMES: dict[str, type[msgspec.Struct]] = {
    "merge_proposed": MergeProposed,
    "customers_merged": CustomersMerged,
    MESSAGE_TURN: MessageCreated,
    "conversation_offered": ConversationOffered,
    "offer_expired": OfferExpired,
    "sla_breached": SlaBreached,
    "queues_updated": QueuesUpdated,
    "customer_updated": CustomerUpdated,
    "template_updated": TemplateUpdated,
    "kb_article_updated": KbArticleUpdated,
    "kb_article_deleted": KbArticleDeleted,
    "timeline_entry_saved": TimelineEntrySaved,
}


def decode_event(seq: int, kind: str, payload: str) -> OperatorEvent:
    """An event frame from its ``events`` row."""
    frame_type = _WHOLE_FRAMES.get(kind)
    if frame_type is not None:
        frame: OperatorEvent = msgspec.json.decode(payload, type=frame_type)  # type: ignore[assignment]
        return msgspec.structs.replace(frame, seq=seq)
    value = msgspec.json.decode(payload, type=_EVENT_PAYLOADS[kind])
    if isinstance(value, ConversationInfo):
        return ConversationUpdated(seq=seq, conversation=value)
    if isinstance(value, MessageInfo):
        return MessageCreated(seq=seq, message=value)
    assert isinstance(value, OperatorInfo)
    return OperatorUpdated(seq=seq, operator=value)


class _Batch:
    """The group-commit transaction of one thread: its connection, and ORM sessions
    joining it (made on first use: the fast send paths need none)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._sessions: sessionmaker[OrmSession] | None = None
        self.dbapi: Any = conn.connection.dbapi_connection
        self.group = GroupWrites()  # the hot writes' rows, written before the commit

    @property
    def sessions(self) -> sessionmaker[OrmSession]:
        if self._sessions is None:
            self._sessions = sessionmaker(self.conn, expire_on_commit=False, join_transaction_mode="rollback_only")
        return self._sessions


class Store:
    """All database access of the hub."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._own_sessions = sessionmaker(engine, expire_on_commit=False)
        # inside batch(), for the thread running it only: the shared transaction
        self._local = threading.local()
        # SLA breaches already recorded (conversation, kind, due time): skips a lookup per tick
        self._breaches_seen: set[tuple[int, str, datetime]] = set()
        # the hot writes' turn state between groups (app/storage/hot.py; SQLite only)
        self._hot = state_of(engine)  # shared by the Stores of one engine
        self._hot_enabled = engine.dialect.name == "sqlite"
        if self._hot_enabled:
            event.listen(engine, "before_cursor_execute", self._on_sql)
        # the customer card (app/storage/customers.py, which builds on this module)
        from app.storage.customers import CustomerStore
        from app.storage.kb import KbStore
        from app.storage.kb_bot import KbBotStore
        from app.storage.merges import MergeStore

        self.customers = CustomerStore(self)
        self.merges = MergeStore(self)  # identity merge (app/storage/merges.py)
        from app.storage.templates import TemplateStore

        self.templates = TemplateStore(self)  # answer templates (app/storage/templates.py)
        self.kb = KbStore(self)  # the knowledge base (app/storage/kb.py)
        self.kb_bot = KbBotStore(self)  # the web chat's bot first line (app/storage/kb_bot.py)
        from app.storage.timeline import TimelineStore

        self.timeline = TimelineStore(self)  # the customer timeline (app/storage/timeline.py)

    @property
    def _sessions(self) -> sessionmaker[OrmSession]:
        """Sessions of their own transaction, or joining the batch of this thread."""
        batch: _Batch | None = getattr(self._local, "batch", None)
        return batch.sessions if batch is not None else self._own_sessions

    @contextmanager
    def _core(self) -> Iterator[Connection]:
        """A connection in a transaction for Core statements: the group-commit one
        inside :meth:`batch`, else a transaction of its own."""
        batch: _Batch | None = getattr(self._local, "batch", None)
        if batch is not None:
            yield batch.conn
            return
        with self.engine.begin() as conn:
            yield conn

    def _in_batch(self) -> bool:
        """Inside :meth:`batch` on this thread. The fast send paths then skip their
        look-up of an earlier try with the same txn_id: the unique
        ``(sender_key, txn_id)`` index refuses a second insert, the batch fails, and
        every call runs again on its own, where the look-up answers the retry."""
        return getattr(self._local, "batch", None) is not None

    @contextmanager
    def batch(self, *, keep: bool = False) -> Iterator[None]:
        """Group commit: every write method called inside runs in ONE transaction,
        committed when the block ends (one commit for many writes). An exception from
        any of them rolls back all of them and propagates: the caller then runs each one
        on its own, so one bad command never fails the others. Only the calling
        thread's calls join the batch (thread-local); other threads using this Store
        meanwhile keep transactions of their own. Not re-entrant.

        ``keep``: the thread keeps its connection for its next group (the hub's database
        thread, group after group: checking a connection out of the pool and back costs
        ~75 us a group, several times a group's own begin and commit); it must call
        :meth:`release_kept` before it ends. A failed group never keeps its connection."""
        if getattr(self._local, "batch", None) is not None:
            raise RuntimeError("Store.batch() is not re-entrant")
        conn: Connection | None = getattr(self._local, "kept", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self.engine.connect()
        self._local.kept = None
        trans = conn.begin()
        batch = self._local.batch = _Batch(conn)
        ok = False
        try:
            yield
            batch.group.flush(batch.dbapi)  # the hot writes' rows
            trans.commit()
            ok = True
        except BaseException:
            # what the hot state learnt in this group may have been undone
            self._hot.written_elsewhere()
            if trans.is_active:
                trans.rollback()
            raise
        finally:
            self._local.batch = None
            if ok and keep:
                self._local.kept = conn
            else:
                conn.close()

    def release_kept(self) -> None:
        """Return the connection this thread kept for its groups (``batch(keep=True)``)."""
        conn: Connection | None = getattr(self._local, "kept", None)
        self._local.kept = None
        if conn is not None:
            conn.close()

    def _on_sql(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        """Every statement run through SQLAlchemy (on any thread): the group's waiting
        hot rows are written first when it runs inside this thread's group, and a
        statement that writes drops the hot state (app/storage/hot.py)."""
        batch: _Batch | None = getattr(self._local, "batch", None)
        if batch is not None and batch.group.pending:
            batch.group.flush(batch.dbapi)
        if statement[:6].upper() not in ("SELECT", "PRAGMA"):
            self._hot.written_elsewhere()

    def _hot_batch(self) -> _Batch | None:
        """This thread's group when the hot paths may use it (SQLite, the cache's thread)."""
        batch: _Batch | None = getattr(self._local, "batch", None)
        if batch is None or not self._hot_enabled or not self._hot.usable():
            return None
        if not batch.group.validated:
            self._hot.validate(batch.dbapi)
            batch.group.validated = True
        return batch

    # ------------------------------------------------------------------ meta

    def epoch(self) -> str:
        """The database's epoch, made on first use of a new database."""
        with self._sessions.begin() as s:
            row = s.get(HubMeta, "epoch")
            if row is None:
                row = HubMeta(key="epoch", value=new_epoch())
                s.add(row)
            return row.value

    def last_seq(self) -> int:
        with self._sessions() as s:
            return int(s.scalar(select(func.max(Event.seq))) or 0)

    def events_after(self, seq: int, limit: int = 1000) -> list[tuple[int, str, str]]:
        """Raw event log rows (seq, kind, payload JSON) after ``seq``."""
        with self._sessions() as s:
            rows = s.execute(
                select(Event.seq, Event.kind, Event.payload)
                .where(Event.seq > seq)
                .order_by(Event.seq)
                .limit(limit)
            )
            return [(seq_, kind, payload) for seq_, kind, payload in rows]

    def replay(self, operator_id: int, last_seq: int, cap: int) -> Replay:
        """The events after ``last_seq`` if there are at most ``cap`` of them, else None
        (the client must reload). One read transaction, so ``seq`` matches the events."""
        with self._sessions.begin() as s:
            seq = int(s.scalar(select(func.max(Event.seq))) or 0)
            pending = frozenset(
                s.scalars(select(Delivery.seq).where(Delivery.operator_id == operator_id))
            )
            if last_seq > seq or seq - last_seq > cap:
                return Replay(seq, None, pending)
            rows = s.execute(
                select(Event.seq, Event.kind, Event.payload).where(Event.seq > last_seq).order_by(Event.seq)
            )
            return Replay(seq, [decode_event(q, k, p) for q, k, p in rows], pending)

    def due_deliveries(
        self, operator_ids: Sequence[int], sent_before: datetime | None = None, max_seq: int | None = None
    ) -> list[tuple[int, OperatorEvent]]:
        """Unacknowledged must-deliver events of these operators (last sent before
        ``sent_before``, up to ``max_seq``; else all), oldest first, as (operator id,
        event); marks them sent now."""
        if not operator_ids:
            return []
        with self._sessions.begin() as s:
            q = select(Delivery).where(Delivery.operator_id.in_(list(operator_ids)))
            if sent_before is not None:
                q = q.where(Delivery.last_sent_at < sent_before)
            if max_seq is not None:
                q = q.where(Delivery.seq <= max_seq)
            rows = list(s.scalars(q.order_by(Delivery.seq)))
            if not rows:
                return []
            events = {
                q_: decode_event(q_, k, p)
                for q_, k, p in s.execute(
                    select(Event.seq, Event.kind, Event.payload).where(Event.seq.in_({r.seq for r in rows}))
                )
            }
            now = utcnow()
            for r in rows:
                r.last_sent_at = now
                r.attempts += 1
            return [(r.operator_id, events[r.seq]) for r in rows if r.seq in events]

    def ack(self, operator_id: int, seq: int) -> int:
        """Cumulative acknowledgement: forget this operator's deliveries up to ``seq``;
        how many were forgotten."""
        with self._sessions.begin() as s:
            rows = list(
                s.scalars(select(Delivery).where(Delivery.operator_id == operator_id, Delivery.seq <= seq))
            )
            for r in rows:
                s.delete(r)
            return len(rows)

    def pending_deliveries(self, operator_id: int) -> list[int]:
        with self._sessions() as s:
            return list(
                s.scalars(
                    select(Delivery.seq).where(Delivery.operator_id == operator_id).order_by(Delivery.seq)
                )
            )

    # ------------------------------------------------------------------ operators and sessions

    def create_operator(
        self, username: str, password_hash: str, role: str, display_name: str, capacity: int = 3
    ) -> OperatorInfo:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        try:
            with self._sessions.begin() as s:
                op = Operator(
                    username=username,
                    display_name=display_name or username,
                    role=role,
                    password_hash=password_hash,
                    status="offline",
                    capacity=capacity,
                    created_at=utcnow(),
                )
                s.add(op)
                s.flush()
                return _Loader(s).operator(op, active=0)
        except IntegrityError:
            raise DuplicateUser(f"user {username!r} already exists") from None

    def operator_by_username(self, username: str) -> OperatorInfo | None:
        with self._sessions() as s:
            op = s.scalars(select(Operator).where(Operator.username == username)).first()
            return _Loader(s).operator(op) if op else None

    def credentials(self, username: str) -> OperatorCredentials | None:
        with self._sessions() as s:
            op = s.scalars(select(Operator).where(Operator.username == username)).first()
            return OperatorCredentials(op.id, op.username, op.password_hash) if op else None

    def set_password_hash(self, operator_id: int, password_hash: str) -> None:
        with self._sessions.begin() as s:
            s.execute(update(Operator).where(Operator.id == operator_id).values(password_hash=password_hash))

    def operator(self, operator_id: int) -> OperatorInfo:
        with self._sessions() as s:
            op = s.get(Operator, operator_id)
            if op is None:
                raise NotFound(f"no operator {operator_id}")
            return _Loader(s).operator(op)

    def create_session(self, operator_id: int, token_sha256: str, device_id: str, ttl: timedelta) -> datetime:
        now = utcnow()
        expires = now + ttl
        with self._sessions.begin() as s:
            s.add(
                Session(
                    token_sha256=token_sha256,
                    operator_id=operator_id,
                    device_id=device_id[:128],
                    created_at=now,
                    expires_at=expires,
                )
            )
        return expires

    def find_session(self, token_sha256: str) -> SessionRecord | None:
        with self._sessions() as s:
            row = s.scalars(select(Session).where(Session.token_sha256 == token_sha256)).first()
            return SessionRecord(row.operator_id, row.expires_at, row.revoked_at) if row else None

    def revoke_session(self, token_sha256: str) -> None:
        with self._sessions.begin() as s:
            s.execute(
                update(Session)
                .where(Session.token_sha256 == token_sha256, Session.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )

    def set_status(self, operator_id: int, status: str) -> Outcome[OperatorInfo]:
        """Change an operator's presence; an event only when it really changes."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            op = s.get(Operator, operator_id)
            if op is None:
                raise NotFound(f"no operator {operator_id}")
            load = _Loader(s)
            if op.status != status:
                op.status = status
                op.status_since = utcnow()
                s.flush()
                info = load.operator(op)
                _emit(s, events, "operator_updated", info)
            else:
                info = load.operator(op)
        return Outcome(info, events)

    def reset_presence(self) -> Outcome[int]:
        """At hub start nobody is connected: everyone who was not offline becomes offline."""
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            ops = s.scalars(select(Operator).where(Operator.status != "offline").order_by(Operator.id)).all()
            load = _Loader(s)
            for op in ops:
                op.status = "offline"
                op.status_since = utcnow()
                s.flush()
                _emit(s, events, "operator_updated", load.operator(op))
        return Outcome(len(ops), events)

    # ------------------------------------------------------------------ reading

    def sync_state(self, page_size: int | None = None) -> SyncState:
        """The team (operators, queues), the event log's ``seq`` and the first
        ``page_size`` active conversations by id (all of them when None); the rest come
        from :meth:`conversations_page`, keyed by id so pages never overlap or skip."""
        with self._sessions.begin() as s:
            load = _Loader(s)
            seq = int(s.scalar(select(func.max(Event.seq))) or 0)
            active = dict(
                (op_id, n)
                for op_id, n in s.execute(
                    select(Conversation.assignee_id, func.count(Conversation.id))
                    .where(Conversation.status == "open", Conversation.assignee_id.is_not(None))
                    .group_by(Conversation.assignee_id)
                )
                if op_id is not None
            )
            operators = [
                load.operator(op, active.get(op.id, 0))
                for op in s.scalars(select(Operator).order_by(Operator.id))
            ]
            page = self._active_page(s, load, 0, page_size)
            queues = [_queue_info(s, q) for q in s.scalars(select(Queue).order_by(Queue.id))]
            return SyncState(seq, page.conversations, operators, queues, page.more_after)

    def conversations_page(self, after_id: int, limit: int) -> ConversationPage:
        """Active conversations with ``id > after_id``, by id, at most ``limit``."""
        with self._sessions.begin() as s:
            return self._active_page(s, _Loader(s), after_id, max(1, limit))

    def _active_page(self, s: OrmSession, load: _Loader, after_id: int, limit: int | None) -> ConversationPage:
        q = select(Conversation).where(Conversation.status.in_(ACTIVE), Conversation.id > after_id)
        q = q.order_by(Conversation.id)
        if limit is not None:
            q = q.limit(limit + 1)
        convs = list(s.scalars(q))
        more_after: int | None = None
        if limit is not None and len(convs) > limit:
            convs = convs[:limit]
            more_after = convs[-1].id
        # the customers at once (one query, not one per conversation); kept by the
        # loader: the session's identity map holds them only weakly, so a bare
        # ``list(...)`` was dropped again and each conversation loaded its customer
        for cust in s.scalars(select(Customer).where(Customer.id.in_({c.customer_id for c in convs}))):
            load.seed(customer=_customer_info(cust))
        last_ids = (
            {
                conv_id: msg_id
                for conv_id, msg_id in s.execute(
                    select(Message.conversation_id, func.max(Message.id))
                    .where(Message.conversation_id.in_([c.id for c in convs]))
                    .group_by(Message.conversation_id)
                )
            }
            if convs
            else {}
        )
        msgs = (
            {m.id: m for m in s.scalars(select(Message).where(Message.id.in_(list(last_ids.values()))))}
            if last_ids
            else {}
        )
        conversations = [load.conversation(c, msgs.get(last_ids.get(c.id, -1)) or False) for c in convs]
        return ConversationPage(conversations, more_after)

    def conversation_owners(self) -> dict[int, tuple[str, int | None]]:
        """Every active conversation's status and assignee (the hub's event filter)."""
        with self._sessions() as s:
            rows = s.execute(
                select(Conversation.id, Conversation.status, Conversation.assignee_id).where(
                    Conversation.status.in_(ACTIVE)
                )
            )
            return {cid: (status, assignee) for cid, status, assignee in rows}

    def conversation(self, conversation_id: int) -> ConversationInfo:
        with self._sessions() as s:
            c = s.get(Conversation, conversation_id)
            if c is None:
                raise NotFound(f"no conversation {conversation_id}")
            return _Loader(s).conversation(c)

    def history(self, conversation_id: int, before_id: int | None, limit: int) -> HistoryPage:
        limit = max(1, min(HISTORY_MAX, limit))
        with self._sessions() as s:
            c = s.get(Conversation, conversation_id)
            if c is None:
                raise NotFound(f"no conversation {conversation_id}")
            q = select(Message).where(Message.conversation_id == conversation_id)
            if before_id is not None:
                q = q.where(Message.id < before_id)
            rows = list(s.scalars(q.order_by(Message.id.desc()).limit(limit + 1)))
            has_more = len(rows) > limit
            load = _Loader(s)
            load.preload_attachments(m.id for m in rows[:limit])
            return HistoryPage([load.message(m, c.customer_id) for m in reversed(rows[:limit])], has_more)

    # ------------------------------------------------------------------ operator actions

    def _conv_for_update(self, s: OrmSession, conversation_id: int) -> Conversation:
        c = s.get(Conversation, conversation_id)
        if c is None:
            raise NotFound(f"no conversation {conversation_id}")
        return c

    def _assign(self, s: OrmSession, c: Conversation, op: Operator, now: datetime) -> None:
        c.status = "open"
        c.state = "open"
        c.offered_to = None
        c.offer_expires_at = None
        c.assignee_id = op.id
        c.updated_at = now
        op.last_assigned_at = now

    def take(self, operator_id: int, conversation_id: int) -> Outcome[ConversationInfo]:
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            c = self._conv_for_update(s, conversation_id)
            load = _Loader(s)
            if c.status == "open" and c.assignee_id == operator_id:
                return Outcome(load.conversation(c))
            if c.status != "queued":
                raise Conflict(
                    "the conversation is resolved"
                    if c.status == "resolved"
                    else "another operator has this conversation"
                )
            op = s.get(Operator, operator_id)
            if op is None:
                raise NotFound(f"no operator {operator_id}")
            info = self._assign_and_emit(s, c, op, load, events)
        return Outcome(info, events)

    def _assign_and_emit(
        self, s: OrmSession, c: Conversation, op: Operator, load: _Loader, events: list[OperatorEvent]
    ) -> ConversationInfo:
        """Give ``c`` to ``op`` now and log what the team sees change (take, accepted offer)."""
        self._assign(s, c, op, utcnow())
        s.flush()
        info = load.conversation(c)
        _emit(s, events, "conversation_updated", info)
        _emit(s, events, "operator_updated", load.operator(op))
        return info

    def resolve(self, operator_id: int, conversation_id: int) -> Outcome[ConversationInfo]:
        """The assignee (or a supervisor/admin, or anyone for a queued one) closes it."""
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            c = self._conv_for_update(s, conversation_id)
            load = _Loader(s)
            if c.status == "resolved":
                return Outcome(load.conversation(c))
            me = s.get(Operator, operator_id)
            if me is None:
                raise NotFound(f"no operator {operator_id}")
            if c.status == "open" and c.assignee_id != operator_id and me.role == "operator":
                raise Forbidden("only the assignee or a supervisor may resolve this conversation")
            previous = c.assignee_id if c.status == "open" else None
            c.status = "resolved"
            c.updated_at = utcnow()
            c.waiting_since = None
            s.flush()
            info = load.conversation(c)
            _emit(s, events, "conversation_updated", info)
            if previous is not None:
                prev_op = s.get(Operator, previous)
                if prev_op is not None:
                    _emit(s, events, "operator_updated", load.operator(prev_op))
        return Outcome(info, events)

    def operator_send(
        self,
        operator_id: int,
        conversation_id: int,
        text: str,
        txn_id: str,
        internal: bool = False,
        attachments: Sequence[int] = (),
    ) -> Outcome[Sent]:
        """Store an operator's reply. Only the assignee writes; a queued conversation is
        taken first. A retry with the same txn_id returns the stored message.
        ``internal``: an operator-only note (any operator may add one; nothing changes
        for the customer, who never receives it)."""
        if internal:
            if attachments:
                raise InvalidValue("files cannot be attached to internal notes")
            return self._add_note(operator_id, conversation_id, text, txn_id)
        if not attachments:  # a reply with files takes the ORM path (rare; more to write)
            batch = self._hot_batch()
            if batch is not None:
                fast = self._operator_send_hot(batch, operator_id, conversation_id, text, txn_id)
            else:
                fast = self._operator_send_fast(operator_id, conversation_id, text, txn_id)
            if fast is not None:
                return fast
        return self._operator_send_orm(operator_id, conversation_id, text, txn_id, attachments)

    def _operator_send_fast(
        self, operator_id: int, conversation_id: int, text: str, txn_id: str
    ) -> Outcome[Sent] | None:
        """The common case of :meth:`operator_send` (a new reply by the assignee of an
        open conversation) as prepared statements on the DBAPI cursor: no unit of work,
        no re-select of what was just written. None (nothing written) for every other
        case, which the ORM path handles: retries, queued conversations (take first),
        refusals."""
        sender = f"op:{operator_id}"
        events: list[OperatorEvent] = []
        self._hot.written_elsewhere()  # it writes on the DBAPI cursor, unseen by _on_sql
        with self._core() as conn:
            if not self._in_batch() and _SENT_BEFORE.first(conn, {"sender": sender, "txn": txn_id}) is not None:
                return None
            cv = _OPERATOR_TURN.first(conn, {"conv": conversation_id, "op": operator_id})
            if cv is None or cv.status != "open" or cv.assignee_id != operator_id or cv.op_name is None:
                return None
            op_name = cv.op_name
            now = utcnow()
            turned = cv.waiting_since is not None or cv.state != "waiting"
            changes = {"waiting_since": None, "state": "waiting", "snoozed_until": None, "updated_at": now}
            if cv.first_response_at is None:
                changes["first_response_at"] = now
                _UPDATE_FIRST_ANSWER.run(conn, {"conv": conversation_id, **changes})
            else:
                _UPDATE_TURN.run(conn, {"conv": conversation_id, **changes})
            row: dict[str, Any] = {
                "conversation_id": conversation_id,
                "author": "operator",
                "operator_id": operator_id,
                "sender_key": sender,
                "text": text,
                "created_at": now,
                "txn_id": txn_id,
                "internal": False,
            }
            m = _NewMessage(id=int(_INSERT_MESSAGE.scalar(conn, row)), **row)
            load = _Loader(None)  # every lookup seeded: no session needed
            load.seed(op=(operator_id, op_name))
            info = load.message(m, cv.customer_id)
            conv_info = None
            if turned:
                c = cv._replace(**changes)
                load.seed(customer=_turn_customer(cv), queue=_turn_queue(cv))
                conv_info = load.conversation(c, m)
            _emit_message_core(conn, events, info, conv_info)
        push = [(cv.customer_id, customer_view(info))] if cv.channel == "web" else []  # others: app/hub/channels
        return Outcome(Sent(info, duplicate=False), events, push)

    def _operator_send_hot(
        self, batch: _Batch, operator_id: int, conversation_id: int, text: str, txn_id: str
    ) -> Outcome[Sent] | None:
        """:meth:`_operator_send_fast` inside a group: the turn state from memory, the
        rows written with the group (app/storage/hot.py). None (nothing done) for
        every case the ORM path handles."""
        hot = self._hot
        cv = hot.rows.get(conversation_id)
        op_name = hot.op_names.get(operator_id)
        if cv is None or op_name is None:
            hot.misses += 1
            row = _OPERATOR_TURN.first(batch.conn, {"conv": conversation_id, "op": operator_id})
            if row is None:
                return None
            if row.op_name is not None:
                op_name = hot.op_names[operator_id] = row.op_name
            if cv is None:  # (a cached row is newer: this group's writes are in it)
                cv = hot.rows[conversation_id] = row
        else:
            hot.hits += 1
        if cv.status != "open" or cv.assignee_id != operator_id or op_name is None:
            return None
        now = utcnow()
        turned = cv.waiting_since is not None or cv.state != "waiting"
        c = cv._replace(
            waiting_since=None,
            state="waiting",
            snoozed_until=None,
            updated_at=now,
            first_response_at=cv.first_response_at if cv.first_response_at is not None else now,
        )
        hot.rows[conversation_id] = c
        hot.load_ids(batch.dbapi)
        assert hot.next_message_id is not None and hot.next_seq is not None
        message_id, seq = hot.next_message_id, hot.next_seq
        hot.next_message_id, hot.next_seq = message_id + 1, seq + 1
        stamp = db_time(now)
        sender = f"op:{operator_id}"
        group = batch.group
        first = stamp if c.first_response_at is now else db_time(c.first_response_at)
        group.turns[conversation_id] = (None, "waiting", None, stamp, first, conversation_id)
        group.messages.append(
            (message_id, conversation_id, "operator", operator_id, sender, text, stamp, txn_id, 0)
        )
        m = _NewMessage(message_id, conversation_id, "operator", operator_id, sender, text, now, txn_id, False)
        load = _Loader(None)  # every lookup seeded: no session needed
        load.seed(op=(operator_id, op_name))
        info = load.message(m, cv.customer_id)
        conv_info = None
        if turned:
            load.seed(customer=self._hot_customer(cv), queue=_turn_queue(cv))
            conv_info = load.conversation(c, m)
        kind, payload, frame, wire = _hot_event(seq, info, conv_info)
        group.events.append((seq, kind, payload, stamp))
        push = [(cv.customer_id, customer_view(info))] if cv.channel == "web" else []  # others: app/hub/channels
        return Outcome(Sent(info, duplicate=False), [frame], push, wire={seq: wire})

    def _hot_customer(self, row: Any) -> CustomerInfo:
        info = self._hot.customers.get(row.cu_id)
        if info is None:
            info = self._hot.customers[row.cu_id] = _turn_customer(row)
        return info

    def _operator_send_orm(
        self, operator_id: int, conversation_id: int, text: str, txn_id: str, attachments: Sequence[int] = ()
    ) -> Outcome[Sent]:
        sender = f"op:{operator_id}"
        events: list[OperatorEvent] = []
        pushes: list[tuple[int, MessageInfo]] = []
        with self._sessions.begin() as s:
            load = _Loader(s)
            old = s.scalars(
                select(Message).where(Message.sender_key == sender, Message.txn_id == txn_id)
            ).first()
            if old is not None:
                conv = s.get(Conversation, old.conversation_id)
                assert conv is not None
                load.preload_attachments([old.id])
                return Outcome(Sent(load.message(old, conv.customer_id), duplicate=True))
            c = self._conv_for_update(s, conversation_id)
            if c.status == "resolved":
                raise Conflict("the conversation is resolved")
            if c.status == "open" and c.assignee_id != operator_id:
                raise Forbidden("another operator has this conversation")
            op = s.get(Operator, operator_id)
            if op is None:
                raise NotFound(f"no operator {operator_id}")
            now = utcnow()
            took = c.status == "queued"
            if took:
                self._assign(s, c, op, now)
            was_waiting = c.waiting_since is not None or c.state != "waiting"
            c.waiting_since = None
            c.state = "waiting"  # now the customer's turn
            c.snoozed_until = None
            if c.first_response_at is None:
                c.first_response_at = now
            c.updated_at = now
            m = Message(
                conversation_id=c.id,
                author="operator",
                operator_id=operator_id,
                sender_key=sender,
                text=text,
                created_at=now,
                txn_id=txn_id,
            )
            s.add(m)
            s.flush()
            if attachments:
                load.set_attachments(m.id, attach(s, m.id, attachments, operator_id=operator_id))
            info = load.message(m, c.customer_id)
            if took:  # an assignment: every operator hears of it
                _emit(s, events, "conversation_updated", load.conversation(c, m))
                _emit(s, events, "operator_updated", load.operator(op))
                _emit_message(s, events, info, None)
            else:
                _emit_message(s, events, info, load.conversation(c, m) if was_waiting else None)
            if c.channel == "web":  # the web chat's outbound; other channels: app/hub/channels
                pushes.append((c.customer_id, customer_view(info)))
        return Outcome(Sent(info, duplicate=False), events, pushes)

    # ------------------------------------------------------------------ customers

    def find_visitor(self, channel: str, external_id_hash: str) -> VisitorState | None:
        with self._sessions() as s:
            ident = s.scalars(
                select(CustomerIdentity).where(
                    CustomerIdentity.channel == channel, CustomerIdentity.external_id_hash == external_id_hash
                )
            ).first()
            if ident is None:
                return None
            return self._visitor_state(s, ident.customer_id)

    def visitor_customer(self, channel: str, external_id_hash: str) -> int | None:
        """The customer id behind a visitor token (cheap: read before the state, so the
        connection is registered for pushes before the state is read)."""
        with self._sessions() as s:
            return s.scalar(
                select(CustomerIdentity.customer_id).where(
                    CustomerIdentity.channel == channel, CustomerIdentity.external_id_hash == external_id_hash
                )
            )

    def create_visitor(self, channel: str, external_id_hash: str, name: str, locale: str) -> VisitorState:
        with self._sessions.begin() as s:
            c = Customer(name=name, channel=channel, locale=locale[:16], first_seen=utcnow())
            s.add(c)
            s.flush()
            s.add(CustomerIdentity(customer_id=c.id, channel=channel, external_id_hash=external_id_hash))
            s.flush()
            return self._visitor_state(s, c.id)

    def _open_conversation(self, s: OrmSession, customer_id: int, channel: str | None = None) -> Conversation | None:
        q = select(Conversation).where(Conversation.customer_id == customer_id, Conversation.status.in_(ACTIVE))
        if channel is not None:
            q = q.where(Conversation.channel == channel)
        return s.scalars(q.order_by(Conversation.id.desc()).limit(1)).first()

    def _visitor_state(self, s: OrmSession, customer_id: int) -> VisitorState:
        load = _Loader(s)
        customer = load.customer(customer_id)
        conv = self._open_conversation(s, customer_id, "web")  # what the web chat shows
        messages: list[MessageInfo] = []
        if conv is not None:
            rows = list(
                s.scalars(
                    select(Message)
                    .where(Message.conversation_id == conv.id, Message.internal.is_(False))
                    .order_by(Message.id.desc())
                    .limit(HISTORY_MAX)
                )
            )
            load.preload_attachments(m.id for m in rows)
            messages = [customer_view(load.message(m, customer_id)) for m in reversed(rows)]
        return VisitorState(customer, conv.id if conv else None, messages)

    def customer_history(
        self, customer_id: int, conversation_id: int, before_id: int | None, limit: int
    ) -> HistoryPage:
        """A page of the customer's own conversation as the customer sees it: no internal
        notes, no operator ids. Another customer's conversation is not found."""
        limit = max(1, min(HISTORY_MAX, limit))
        with self._sessions() as s:
            c = s.get(Conversation, conversation_id)
            if c is None or c.customer_id != customer_id:
                raise NotFound(f"no conversation {conversation_id}")
            q = select(Message).where(Message.conversation_id == conversation_id, Message.internal.is_(False))
            if before_id is not None:
                q = q.where(Message.id < before_id)
            rows = list(s.scalars(q.order_by(Message.id.desc()).limit(limit + 1)))
            load = _Loader(s)
            load.preload_attachments(m.id for m in rows[:limit])
            page = [customer_view(load.message(m, customer_id)) for m in reversed(rows[:limit])]
            return HistoryPage(page, len(rows) > limit)

    def customer_send(
        self,
        customer_id: int,
        text: str,
        txn_id: str,
        channel: str = "web",
        attachments: Sequence[int] = (),
        conversation_id: int | None = None,
    ) -> Outcome[Sent]:
        """Store a customer's message; the first one opens a queued conversation.
        Idempotent per (customer, txn_id). ``channel``: the channel it came through (the
        web chat by default; the others from app/storage/channels.py): it goes into the
        customer's active conversation on that channel, or opens one there (a merged
        customer may have one on another channel too). ``conversation_id``: that active
        conversation of the customer on ``channel`` rather than the newest one (an e-mail
        reply threads into the conversation it answers). The web chat's common case takes
        the fast path."""
        if channel == "web" and not attachments and conversation_id is None:
            batch = self._hot_batch()
            if batch is not None:
                fast = self._customer_send_hot(batch, customer_id, text, txn_id)
            else:
                fast = self._customer_send_fast(customer_id, text, txn_id)
            if fast is not None:
                return fast
        return self._customer_send_orm(customer_id, text, txn_id, channel, attachments, conversation_id)

    def _customer_send_fast(self, customer_id: int, text: str, txn_id: str) -> Outcome[Sent] | None:
        """The common case of :meth:`customer_send` (a new message in the customer's
        active conversation) as prepared statements on the DBAPI cursor; None (nothing
        written) for retries, a first message (a new conversation) and unknown
        customers (the ORM path)."""
        sender = f"cust:{customer_id}"
        events: list[OperatorEvent] = []
        self._hot.written_elsewhere()  # it writes on the DBAPI cursor, unseen by _on_sql
        with self._core() as conn:
            if not self._in_batch() and _SENT_BEFORE.first(conn, {"sender": sender, "txn": txn_id}) is not None:
                return None
            cv = _CUSTOMER_TURN.first(conn, {"customer": customer_id})
            if cv is None or cv.id is None:  # no such customer, or no active conversation
                return None
            customer = _turn_customer(cv)
            now = utcnow()
            turned = cv.waiting_since is None or cv.state != "open"
            changes = {
                "waiting_since": cv.waiting_since if cv.waiting_since is not None else now,
                "state": "open",  # a customer reply reopens a waiting or snoozed conversation
                "snoozed_until": None,
                "updated_at": now,
            }
            _UPDATE_TURN.run(conn, {"conv": cv.id, **changes})
            row: dict[str, Any] = {
                "conversation_id": cv.id,
                "author": "customer",
                "operator_id": None,
                "sender_key": sender,
                "text": text,
                "created_at": now,
                "txn_id": txn_id,
                "internal": False,
            }
            m = _NewMessage(id=int(_INSERT_MESSAGE.scalar(conn, row)), **row)
            load = _Loader(None)  # every lookup seeded: no session needed
            load.seed(customer=customer)
            info = load.message(m, customer_id)
            conv_info = None
            if turned:
                c = cv._replace(**changes)
                load.seed(queue=_turn_queue(cv))
                conv_info = load.conversation(c, m)
            _emit_message_core(conn, events, info, conv_info)
        return Outcome(Sent(customer_view(info), duplicate=False), events)

    def _customer_send_hot(self, batch: _Batch, customer_id: int, text: str, txn_id: str) -> Outcome[Sent] | None:
        """:meth:`_customer_send_fast` inside a group: the turn state from memory, the
        rows written with the group (app/storage/hot.py). None (nothing done) for a
        first message (a new conversation) and unknown customers (the ORM path)."""
        hot = self._hot
        conv_id = hot.web_conv.get(customer_id)
        cv = hot.rows.get(conv_id) if conv_id is not None else None
        if cv is None:
            hot.misses += 1
            row = _CUSTOMER_TURN.first(batch.conn, {"customer": customer_id})
            if row is None or row.id is None:  # no such customer, or no active conversation
                return None
            cv = hot.rows.get(row.id)  # (a cached row is newer: this group's writes are in it)
            if cv is None:
                cv = hot.rows[row.id] = row
            hot.web_conv[customer_id] = row.id
        else:
            hot.hits += 1
        now = utcnow()
        turned = cv.waiting_since is None or cv.state != "open"
        c = cv._replace(
            waiting_since=cv.waiting_since if cv.waiting_since is not None else now,
            state="open",  # a customer reply reopens a waiting or snoozed conversation
            snoozed_until=None,
            updated_at=now,
        )
        hot.rows[c.id] = c
        hot.load_ids(batch.dbapi)
        assert hot.next_message_id is not None and hot.next_seq is not None
        message_id, seq = hot.next_message_id, hot.next_seq
        hot.next_message_id, hot.next_seq = message_id + 1, seq + 1
        stamp = db_time(now)
        sender = f"cust:{customer_id}"
        group = batch.group
        waiting = stamp if c.waiting_since is now else db_time(c.waiting_since)  # (now: formatted already)
        group.turns[c.id] = (waiting, "open", None, stamp, db_time(c.first_response_at), c.id)
        group.messages.append((message_id, c.id, "customer", None, sender, text, stamp, txn_id, 0))
        m = _NewMessage(message_id, c.id, "customer", None, sender, text, now, txn_id, False)
        load = _Loader(None)  # every lookup seeded: no session needed
        load.seed(customer=self._hot_customer(cv))
        info = load.message(m, customer_id)
        conv_info = None
        if turned:
            load.seed(queue=_turn_queue(cv))
            conv_info = load.conversation(c, m)
        kind, payload, frame, wire = _hot_event(seq, info, conv_info)
        group.events.append((seq, kind, payload, stamp))
        return Outcome(Sent(customer_view(info), duplicate=False), [frame], wire={seq: wire})

    def _customer_send_orm(
        self,
        customer_id: int,
        text: str,
        txn_id: str,
        channel: str,
        attachments: Sequence[int] = (),
        conversation_id: int | None = None,
    ) -> Outcome[Sent]:
        sender = f"cust:{customer_id}"
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            load = _Loader(s)
            old = s.scalars(
                select(Message).where(Message.sender_key == sender, Message.txn_id == txn_id)
            ).first()
            if old is not None:
                load.preload_attachments([old.id])
                return Outcome(Sent(customer_view(load.message(old, customer_id)), duplicate=True))
            customer = s.get(Customer, customer_id)
            if customer is None:
                raise NotFound(f"no customer {customer_id}")
            now = utcnow()
            c = None
            if conversation_id is not None:
                c = s.get(Conversation, conversation_id)
                if c is None or c.customer_id != customer_id or c.channel != channel or c.status not in ACTIVE:
                    c = None
            if c is None:
                c = self._open_conversation(s, customer_id, channel)
            if c is None:
                first = s.scalars(select(Queue.id).where(Queue.kind == "first").order_by(Queue.id)).first()
                c = Conversation(
                    customer_id=customer_id,
                    channel=channel,
                    status="queued",
                    created_at=now,
                    updated_at=now,
                    waiting_since=now,
                    queue_id=first,
                )
                s.add(c)
                s.flush()
                new = changed = True
            else:
                new = False
                changed = c.waiting_since is None or c.state != "open"
                if c.waiting_since is None:
                    c.waiting_since = now
                c.state = "open"  # a customer reply reopens a waiting or snoozed conversation
                c.snoozed_until = None
                c.updated_at = now
            m = Message(
                conversation_id=c.id,
                author="customer",
                operator_id=None,
                sender_key=sender,
                text=text,
                created_at=now,
                txn_id=txn_id,
            )
            s.add(m)
            s.flush()
            if attachments:
                load.set_attachments(m.id, attach(s, m.id, attachments, customer_id=customer_id))
            info = load.message(m, customer_id)
            if new:  # a new conversation: every operator hears of it
                _emit(s, events, "conversation_updated", load.conversation(c, m))
                _emit_message(s, events, info, None)
            else:
                _emit_message(s, events, info, load.conversation(c, m) if changed else None)
        return Outcome(Sent(customer_view(info), duplicate=False), events)

    # ------------------------------------------------------------------ routing

    def route_queued(self, now: datetime | None = None) -> Outcome[list[tuple[int, int]]]:
        """Routing: with a first line configured, offer queued conversations (v1, see
        :meth:`offer_queued`); without any queue, assign them directly (v0)."""
        with self._sessions() as s:
            has_queues = s.scalars(select(Queue.id).limit(1)).first() is not None
        if has_queues:
            offered = self.offer_queued(now or utcnow())
            return Outcome([(o.conversation_id, o.operator_id) for o in offered.value], offered.events)
        return self._assign_queued_v0()

    def _assign_queued_v0(self) -> Outcome[list[tuple[int, int]]]:
        """Assign queued conversations (oldest first) with routing v0 while someone is
        free. Returns the (conversation id, operator id) pairs."""
        events: list[OperatorEvent] = []
        deliveries: list[tuple[int, int]] = []
        assigned: list[tuple[int, int]] = []
        with self._sessions.begin() as s:
            queued = list(
                s.scalars(
                    select(Conversation).where(Conversation.status == "queued").order_by(Conversation.id)
                )
            )
            if not queued:
                return Outcome(assigned)
            ops = {op.id: op for op in s.scalars(select(Operator).where(Operator.status == "online"))}
            if not ops:
                return Outcome(assigned)
            active = {op_id: _active_chats(s, op_id) for op_id in ops}
            load = _Loader(s)
            for c in queued:
                loads = [
                    OperatorLoad(op.id, op.status, active[op.id], op.capacity, op.last_assigned_at)
                    for op in ops.values()
                ]
                chosen = choose_operator(RoutableConversation(c.id, c.channel), loads)
                if chosen is None:
                    break
                op = ops[chosen]
                self._assign(s, c, op, utcnow())
                active[chosen] += 1
                s.flush()
                seq = _emit(s, events, "conversation_updated", load.conversation(c))
                _must_deliver(s, deliveries, chosen, seq)
                _emit(s, events, "operator_updated", load.operator(op, active[chosen]))
                assigned.append((c.id, chosen))
        return Outcome(assigned, events, deliveries=deliveries)

    # ------------------------------------------------------------------ routing v1: lines and offers

    def offer_queued(self, now: datetime) -> Outcome[list[Offer]]:
        """Offer every queued conversation without a pending offer to one member of its
        line (VIP first, then longest waiting), by the line's strategy. Pending offers
        count against capacity. Manual-pick lines offer nothing."""
        events: list[OperatorEvent] = []
        deliveries: list[tuple[int, int]] = []
        offers: list[Offer] = []
        with self._sessions.begin() as s:
            queues = {q.id: q for q in s.scalars(select(Queue).order_by(Queue.id))}
            first = next((q for q in queues.values() if q.kind == "first"), None)
            queued = list(s.scalars(select(Conversation).where(Conversation.status == "queued")))
            if not queued:
                return Outcome(offers)
            ops = {op.id: op for op in s.scalars(select(Operator))}
            load: dict[int, int] = {op_id: _active_chats(s, op_id) for op_id in ops}
            for c in queued:
                if c.offered_to is not None and c.offered_to in load:
                    load[c.offered_to] += 1
            loader = _Loader(s)
            vip = {
                cid: bool(v)
                for cid, v in s.execute(
                    select(Customer.id, Customer.vip).where(Customer.id.in_({c.customer_id for c in queued}))
                )
            }
            by_id = {c.id: c for c in queued}
            waiting = [
                QueuedItem(c.id, vip.get(c.customer_id, False), c.waiting_since, c.created_at)
                for c in queued
                if c.offered_to is None
            ]
            for item in priority_order(waiting):
                c = by_id[item.id]
                q = queues.get(c.queue_id) if c.queue_id is not None else first
                if q is None:
                    continue
                member_ids = list(
                    s.scalars(
                        select(QueueMember.operator_id)
                        .where(QueueMember.queue_id == q.id)
                        .order_by(QueueMember.position, QueueMember.operator_id)
                    )
                )
                members = [
                    OperatorLoad(i, ops[i].status, load[i], ops[i].capacity, ops[i].last_assigned_at)
                    for i in member_ids
                    if i in ops
                ]
                chosen = pick_operator(
                    q.strategy, members, last_offered_id=q.last_offered_id, exclude=_ids(c.declined_by)
                )
                if chosen is None:
                    continue
                expires = now + timedelta(seconds=q.offer_timeout_s)
                c.offered_to = chosen
                c.offer_expires_at = expires
                c.queue_id = q.id
                q.last_offered_id = chosen
                load[chosen] += 1
                s.flush()
                info = loader.conversation(c)
                offered = _emit_frame(
                    s,
                    events,
                    ConversationOffered(seq=0, operator_id=chosen, expires_at=expires, conversation=info),
                )
                _must_deliver(s, deliveries, chosen, offered.seq)
                offers.append(Offer(c.id, chosen, expires))
        return Outcome(offers, events, deliveries=deliveries)

    def accept_offer(self, operator_id: int, conversation_id: int) -> Outcome[ConversationInfo]:
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            c = self._conv_for_update(s, conversation_id)
            load = _Loader(s)
            if c.status == "open" and c.assignee_id == operator_id:
                return Outcome(load.conversation(c))  # a retry
            if c.status != "queued" or c.offered_to != operator_id:
                raise Conflict("this offer is no longer yours (it ran out or someone else took the chat)")
            op = s.get(Operator, operator_id)
            if op is None:
                raise NotFound(f"no operator {operator_id}")
            info = self._assign_and_emit(s, c, op, load, events)
        return Outcome(info, events)

    def decline_offer(self, operator_id: int, conversation_id: int) -> Outcome[ConversationInfo]:
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            c = self._conv_for_update(s, conversation_id)
            load = _Loader(s)
            if c.offered_to != operator_id:
                return Outcome(load.conversation(c))  # a retry, or it already moved on
            c.offered_to = None
            c.offer_expires_at = None
            c.declined_by = _add_id(c.declined_by, operator_id)
            s.flush()
            info = load.conversation(c)
            _emit(s, events, "conversation_updated", info)
        return Outcome(info, events)

    def tick(self, now: datetime, orphan_after: timedelta | None = ORPHAN_AFTER) -> Outcome[Tick]:
        """Periodic work: offers that ran out go back to the queue and their operator
        becomes ``away``; snoozed conversations whose time came reopen; a customer who
        waits on an operator who has been offline for ``orphan_after`` goes back to the
        queue (nobody is forgotten because someone closed the app); SLA breaches are
        recorded (once each)."""
        events: list[OperatorEvent] = []
        expired: list[tuple[int, int]] = []
        woken: list[int] = []
        returned: list[tuple[int, int]] = []
        with self._sessions.begin() as s:
            load = _Loader(s)
            if orphan_after is not None:
                for c, gone in s.execute(
                    select(Conversation, Operator)
                    .join(Operator, Operator.id == Conversation.assignee_id)
                    .where(
                        Conversation.status == "open",
                        Conversation.waiting_since.is_not(None),
                        Operator.status == "offline",
                        Operator.status_since <= now - orphan_after,
                    )
                    .order_by(Conversation.waiting_since)
                ):
                    c.status = "queued"
                    c.assignee_id = None
                    c.declined_by = _add_id(c.declined_by, gone.id)
                    c.updated_at = now
                    s.flush()
                    _emit(s, events, "conversation_updated", load.conversation(c))
                    _emit(s, events, "operator_updated", load.operator(gone))
                    returned.append((c.id, gone.id))
            for c in s.scalars(
                select(Conversation).where(
                    Conversation.status == "queued",
                    Conversation.offered_to.is_not(None),
                    Conversation.offer_expires_at <= now,
                )
            ):
                op_id = c.offered_to
                assert op_id is not None
                c.offered_to = None
                c.offer_expires_at = None
                c.declined_by = _add_id(c.declined_by, op_id)
                s.flush()
                _emit_frame(s, events, OfferExpired(seq=0, operator_id=op_id, conversation_id=c.id))
                op = s.get(Operator, op_id)
                if op is not None and op.status == "online":
                    op.status = "away"
                    op.status_since = now
                    s.flush()
                    _emit(s, events, "operator_updated", load.operator(op))
                _emit(s, events, "conversation_updated", load.conversation(c))
                expired.append((c.id, op_id))
            for c in s.scalars(
                select(Conversation).where(
                    Conversation.status == "open",
                    Conversation.state == "snoozed",
                    Conversation.snoozed_until <= now,
                )
            ):
                c.state = "open"
                c.snoozed_until = None
                s.flush()
                _emit(s, events, "conversation_updated", load.conversation(c))
                woken.append(c.id)
        breaches = self.record_breaches(now)
        events.extend(breaches.events)
        return Outcome(Tick(expired, woken, breaches.value, returned), events)

    def record_breaches(self, now: datetime) -> Outcome[int]:
        """Record each running SLA clock that is past due, once (unique per conversation,
        kind and due time), with an ``sla_breached`` event."""
        events: list[OperatorEvent] = []
        recorded: list[tuple[int, str, datetime]] = []
        with self._sessions.begin() as s:
            load = _Loader(s)
            # no clock can be due before waiting_since + the smallest target of any line
            shortest = min(
                [sla.DEFAULT_FIRST_RESPONSE_S, sla.DEFAULT_NEXT_RESPONSE_S]
                + [min(a, b) for a, b in s.execute(select(Queue.first_response_s, Queue.next_response_s))]
            )
            # Not those whose breach of this waiting period (same line) is recorded: each
            # tick (every 0.5 s) loaded every waiting conversation as an ORM object and
            # worked out its clock again: with 5,000 waiting customers, half a core.
            recorded_already = exists().where(
                SlaBreach.conversation_id == Conversation.id,
                SlaBreach.due_at >= Conversation.waiting_since,
                SlaBreach.queue_id.is_not_distinct_from(Conversation.queue_id),
            )
            waiting = s.scalars(
                select(Conversation).where(
                    Conversation.status.in_(ACTIVE),
                    Conversation.waiting_since.is_not(None),
                    Conversation.waiting_since <= now - timedelta(seconds=shortest),
                    ~recorded_already,
                )
            )
            for c in waiting:
                clock = sla_clock(load.queue(c.queue_id), c)
                if clock is None or clock.due_at > now:
                    continue
                key = (c.id, clock.kind, clock.due_at)
                if key in self._breaches_seen:
                    continue
                seen = s.scalars(
                    select(SlaBreach.id).where(
                        SlaBreach.conversation_id == c.id,
                        SlaBreach.kind == clock.kind,
                        SlaBreach.due_at == clock.due_at,
                    )
                ).first()
                if len(self._breaches_seen) > 100_000:
                    self._breaches_seen.clear()
                if seen is not None:
                    self._breaches_seen.add(key)
                    continue
                recorded.append(key)
                s.add(
                    SlaBreach(
                        conversation_id=c.id,
                        queue_id=c.queue_id,
                        kind=clock.kind,
                        target_s=int(clock.target_s),
                        due_at=clock.due_at,
                        recorded_at=now,
                    )
                )
                s.flush()
                _emit_frame(
                    s,
                    events,
                    SlaBreached(
                        seq=0, conversation_id=c.id, kind=clock.kind, due_at=clock.due_at, queue_id=c.queue_id
                    ),
                )
        self._breaches_seen.update(recorded)  # committed
        return Outcome(len(events), events)

    def sla_breaches(self) -> list[tuple[int, str, int, datetime]]:
        """(conversation id, kind, target seconds, due time) of every recorded breach."""
        with self._sessions() as s:
            rows = s.execute(
                select(SlaBreach.conversation_id, SlaBreach.kind, SlaBreach.target_s, SlaBreach.due_at).order_by(
                    SlaBreach.id
                )
            )
            return [(cid, kind, target, due) for cid, kind, target, due in rows]

    def _add_note(self, operator_id: int, conversation_id: int, text: str, txn_id: str) -> Outcome[Sent]:
        sender = f"op:{operator_id}"
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            load = _Loader(s)
            old = s.scalars(
                select(Message).where(Message.sender_key == sender, Message.txn_id == txn_id)
            ).first()
            if old is not None:
                conv = s.get(Conversation, old.conversation_id)
                assert conv is not None
                return Outcome(Sent(load.message(old, conv.customer_id), duplicate=True))
            c = self._conv_for_update(s, conversation_id)
            m = self._note(s, c, operator_id, text, txn_id)
            info = load.message(m, c.customer_id)
            _emit(s, events, "message_created", info)
        return Outcome(Sent(info, duplicate=False), events)

    def _note(self, s: OrmSession, c: Conversation, operator_id: int, text: str, txn_id: str | None) -> Message:
        m = Message(
            conversation_id=c.id,
            author="operator",
            operator_id=operator_id,
            sender_key=f"op:{operator_id}",
            text=text,
            created_at=utcnow(),
            txn_id=txn_id,
            internal=True,
        )
        s.add(m)
        s.flush()
        return m

    def transfer(
        self,
        operator_id: int,
        conversation_id: int,
        *,
        to_operator: int | None,
        to_queue: int | None,
        note: str,
        txn_id: str,
    ) -> Outcome[ConversationInfo]:
        """Hand a conversation over with an internal note (kept in its history, never
        shown to the customer). To an operator: assigned to them at once. To a line:
        back to ``queued`` in that line, offered by its strategy."""
        if (to_operator is None) == (to_queue is None):
            raise ValueError("give exactly one of operator_id and queue_id")
        events: list[OperatorEvent] = []
        deliveries: list[tuple[int, int]] = []
        sender = f"op:{operator_id}"
        with self._sessions.begin() as s:
            load = _Loader(s)
            c = self._conv_for_update(s, conversation_id)
            if note:
                old = s.scalars(
                    select(Message).where(Message.sender_key == sender, Message.txn_id == txn_id)
                ).first()
                if old is not None:
                    return Outcome(load.conversation(c))  # a retry
            if c.status == "resolved":
                raise Conflict("the conversation is resolved")
            already = (to_operator is not None and c.status == "open" and c.assignee_id == to_operator) or (
                to_queue is not None and c.status == "queued" and c.queue_id == to_queue
            )
            if already and not note:
                return Outcome(load.conversation(c))  # a retry (or nothing to do)
            me = s.get(Operator, operator_id)
            if me is None:
                raise NotFound(f"no operator {operator_id}")
            if c.status == "open" and c.assignee_id != operator_id and me.role == "operator":
                raise Forbidden("only the assignee or a supervisor may transfer this conversation")
            previous = c.assignee_id if c.status == "open" else None
            note_msg = self._note(s, c, operator_id, note, txn_id) if note else None
            now = utcnow()
            if to_operator is not None:
                target = s.get(Operator, to_operator)
                if target is None:
                    raise NotFound(f"no operator {to_operator}")
                self._assign(s, c, target, now)
                c.declined_by = ""
            else:
                q = s.get(Queue, to_queue)
                if q is None:
                    raise NotFound(f"no line {to_queue}")
                c.status = "queued"
                c.assignee_id = None
                c.queue_id = q.id
                c.offered_to = None
                c.offer_expires_at = None
                c.declined_by = ""
                c.state = "open"
            c.updated_at = now
            s.flush()
            if note_msg is not None:
                _emit(s, events, "message_created", load.message(note_msg, c.customer_id))
            info = load.conversation(c)
            seq = _emit(s, events, "conversation_updated", info)
            if to_operator is not None:
                _must_deliver(s, deliveries, to_operator, seq)  # the receiver must not miss it
            for op_id in {previous, to_operator} - {None}:
                op = s.get(Operator, op_id)
                if op is not None:
                    _emit(s, events, "operator_updated", load.operator(op))
        return Outcome(info, events, deliveries=deliveries)

    def set_state(
        self, operator_id: int, conversation_id: int, state: str, snoozed_until: datetime | None, now: datetime
    ) -> Outcome[ConversationInfo]:
        """open / waiting (for the customer) / snoozed until a future time; the assignee
        or a supervisor."""
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}; use one of {', '.join(STATES)}")
        if state == "snoozed" and (snoozed_until is None or snoozed_until <= now):
            raise ValueError("snoozing needs a time in the future (snoozed_until)")
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            c = self._conv_for_update(s, conversation_id)
            load = _Loader(s)
            me = s.get(Operator, operator_id)
            if me is None:
                raise NotFound(f"no operator {operator_id}")
            if c.status != "open":
                raise Conflict("only an open (taken) conversation has a work state")
            if c.assignee_id != operator_id and me.role == "operator":
                raise Forbidden("only the assignee or a supervisor may change this conversation")
            c.state = state
            c.snoozed_until = snoozed_until if state == "snoozed" else None
            c.updated_at = utcnow()
            s.flush()
            info = load.conversation(c)
            _emit(s, events, "conversation_updated", info)
        return Outcome(info, events)

    def conversation_customer(self, conversation_id: int) -> int | None:
        with self._sessions() as s:
            return s.scalar(select(Conversation.customer_id).where(Conversation.id == conversation_id))

    def team_hours(self, now: datetime) -> tuple[bool, datetime | None]:
        """Is the first line open now; if not, when it opens again."""
        with self._sessions() as s:
            q = s.scalars(select(Queue).where(Queue.kind == "first").order_by(Queue.id)).first()
            back = sla.next_open(queue_schedule(q), now)
            return back == now, (None if back == now else back)

    # ------------------------------------------------------------------ lines (admin)

    def create_queue(
        self,
        name: str,
        *,
        kind: str = "second",
        strategy: str = "round_robin",
        offer_timeout_s: float = 20.0,
        first_response_s: int = sla.DEFAULT_FIRST_RESPONSE_S,
        next_response_s: int = sla.DEFAULT_NEXT_RESPONSE_S,
        timezone: str = "UTC",
        hours: str = "",
    ) -> Outcome[QueueInfo]:
        name = " ".join(name.split()).lower()
        if not name or len(name) > 64:
            raise ValueError("a line needs a name of 1 to 64 characters")
        if kind not in ("first", "second"):
            raise ValueError("kind must be 'first' or 'second'")
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
        if not 0 < offer_timeout_s <= 3600:
            raise ValueError("the offer timeout must be between 0 and 3600 seconds")
        if first_response_s <= 0 or next_response_s <= 0:
            raise ValueError("SLA targets must be positive numbers of seconds")
        schedule = sla.parse_schedule(timezone, hours or None)  # ScheduleError is a ValueError
        events: list[OperatorEvent] = []
        try:
            with self._sessions.begin() as s:
                if kind == "first" and s.scalars(select(Queue.id).where(Queue.kind == "first")).first():
                    raise ValueError("there already is a first line")
                q = Queue(
                    name=name,
                    kind=kind,
                    strategy=strategy,
                    offer_timeout_s=offer_timeout_s,
                    first_response_s=first_response_s,
                    next_response_s=next_response_s,
                    timezone=timezone,
                    hours=schedule.to_json() if schedule else "",
                    created_at=utcnow(),
                )
                s.add(q)
                s.flush()
                info = _queue_info(s, q)
                self._emit_queues(s, events)
        except IntegrityError:
            raise ValueError(f"a line named {name!r} already exists") from None
        return Outcome(info, events)

    def _emit_queues(self, s: OrmSession, events: list[OperatorEvent]) -> None:
        queues = [_queue_info(s, q) for q in s.scalars(select(Queue).order_by(Queue.id))]
        _emit_frame(s, events, QueuesUpdated(seq=0, queues=queues))

    def add_queue_member(self, queue_name: str, username: str) -> Outcome[QueueInfo]:
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            q = s.scalars(select(Queue).where(Queue.name == queue_name.strip().lower())).first()
            if q is None:
                raise ValueError(f"no line named {queue_name!r}")
            op = s.scalars(select(Operator).where(Operator.username == username.strip().lower())).first()
            if op is None:
                raise ValueError(f"no user named {username!r}")
            if s.get(QueueMember, (q.id, op.id)) is None:
                pos = int(s.scalar(select(func.count()).where(QueueMember.queue_id == q.id)) or 0)
                s.add(QueueMember(queue_id=q.id, operator_id=op.id, position=pos))
                s.flush()
                self._emit_queues(s, events)
            return Outcome(_queue_info(s, q), events)

    def queues(self) -> list[QueueInfo]:
        with self._sessions() as s:
            return [_queue_info(s, q) for q in s.scalars(select(Queue).order_by(Queue.id))]

    def set_vip(self, customer_id: int, vip: bool = True) -> None:
        with self._sessions.begin() as s:
            c = s.get(Customer, customer_id)
            if c is None:
                raise NotFound(f"no customer {customer_id}")
            c.vip = vip

    # ------------------------------------------------------------------ seeding support

    def has_identity(self, channel: str, external_id_hash: str) -> bool:
        with self._sessions() as s:
            return (
                s.scalars(
                    select(CustomerIdentity.id).where(
                        CustomerIdentity.channel == channel,
                        CustomerIdentity.external_id_hash == external_id_hash,
                    )
                ).first()
                is not None
            )

    def import_conversation(
        self,
        *,
        channel: str,
        external_id_hash: str,
        name: str,
        locale: str,
        first_seen: datetime,
        status: str,
        assignee_id: int | None,
        messages: Sequence[tuple[str, int | None, str, datetime]],
    ) -> int:
        """Write a finished past conversation in one go (demo data; no events: clients
        that are connected while seeding pick it up with their next sync)."""
        with self._sessions.begin() as s:
            cust = Customer(name=name, channel=channel, locale=locale, first_seen=first_seen)
            s.add(cust)
            s.flush()
            s.add(CustomerIdentity(customer_id=cust.id, channel=channel, external_id_hash=external_id_hash))
            created = messages[0][3] if messages else first_seen
            updated = messages[-1][3] if messages else first_seen
            waiting: datetime | None = None
            for author, _op, _text, at in messages:
                if author == "customer" and waiting is None:
                    waiting = at
                elif author == "operator":
                    waiting = None
            c = Conversation(
                customer_id=cust.id,
                channel=channel,
                status=status,
                assignee_id=assignee_id if status != "queued" else None,
                created_at=created,
                updated_at=updated,
                waiting_since=waiting if status != "resolved" else None,
            )
            s.add(c)
            s.flush()
            for author, op_id, text, at in messages:
                s.add(
                    Message(
                        conversation_id=c.id,
                        author=author,
                        operator_id=op_id,
                        sender_key=f"op:{op_id}" if author == "operator" else f"cust:{cust.id}",
                        text=text,
                        created_at=at,
                    )
                )
            return c.id
