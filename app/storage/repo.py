"""Repositories: every public method is one transaction and returns plain values
(frozen dataclasses or app.protocol payload structs), never ORM objects.

A change and the event rows that describe it are written in the same transaction;
the events come back in :class:`Outcome` so the hub can broadcast them after commit.
These methods block: the hub calls them on its single database thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

import msgspec
from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from app.domain.errors import Conflict, Forbidden, NotFound
from app.domain.routing import OperatorLoad, RoutableConversation, choose_operator
from app.domain.tokens import new_epoch
from app.protocol.messages import (
    ConversationInfo,
    ConversationUpdated,
    CustomerInfo,
    MessageCreated,
    MessageInfo,
    OperatorEvent,
    OperatorInfo,
    OperatorUpdated,
)
from app.storage.models import (
    Conversation,
    Customer,
    CustomerIdentity,
    Delivery,
    Event,
    HubMeta,
    Message,
    Operator,
    Session,
)

T = TypeVar("T")

ROLES = ("operator", "supervisor", "admin")
STATUSES = ("online", "away", "offline")
ACTIVE = ("queued", "open")
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
class Sent:
    """A stored message; ``duplicate`` is True when it was stored by an earlier try."""

    message: MessageInfo
    duplicate: bool


def customer_view(msg: MessageInfo) -> MessageInfo:
    """The message as a customer may see it: no operator id, no txn id of others."""
    return msgspec.structs.replace(msg, operator_id=None, txn_id=None)


class _Loader:
    """Turns rows into protocol payloads inside one transaction, with small caches."""

    def __init__(self, s: OrmSession) -> None:
        self.s = s
        self._op_names: dict[int, str] | None = None
        self._customers: dict[int, CustomerInfo] = {}

    def op_name(self, op_id: int | None) -> str:
        if self._op_names is None:
            self._op_names = dict(
                (i, n) for i, n in self.s.execute(select(Operator.id, Operator.display_name))
            )
        return self._op_names.get(op_id or -1, "")

    def customer(self, customer_id: int) -> CustomerInfo:
        info = self._customers.get(customer_id)
        if info is None:
            c = self.s.get(Customer, customer_id)
            if c is None:
                raise NotFound(f"no customer {customer_id}")
            info = self._customers[customer_id] = _customer_info(c)
        return info

    def message(self, m: Message, customer_id: int) -> MessageInfo:
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
        )

    def conversation(self, c: Conversation, last: Message | bool | None = True) -> ConversationInfo:
        if last is True:
            last = self.s.scalars(
                select(Message).where(Message.conversation_id == c.id).order_by(Message.id.desc()).limit(1)
            ).first()
        last_info = self.message(last, c.customer_id) if isinstance(last, Message) else None
        return ConversationInfo(
            id=c.id,
            customer=self.customer(c.customer_id),
            channel=c.channel,  # type: ignore[arg-type]
            status=c.status,  # type: ignore[arg-type]
            created_at=c.created_at,
            assignee_id=c.assignee_id,
            waiting_since=c.waiting_since,
            last_message=last_info,
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


def decode_event(seq: int, kind: str, payload: str) -> OperatorEvent:
    """An event frame from its ``events`` row."""
    value = msgspec.json.decode(payload, type=_EVENT_PAYLOADS[kind])
    if isinstance(value, ConversationInfo):
        return ConversationUpdated(seq=seq, conversation=value)
    if isinstance(value, MessageInfo):
        return MessageCreated(seq=seq, message=value)
    assert isinstance(value, OperatorInfo)
    return OperatorUpdated(seq=seq, operator=value)


class Store:
    """All database access of the hub."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

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

    def sync_state(self) -> SyncState:
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
            convs = list(
                s.scalars(
                    select(Conversation).where(Conversation.status.in_(ACTIVE)).order_by(Conversation.id)
                )
            )
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
            return SyncState(seq, conversations, operators)

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
            return HistoryPage([load.message(m, c.customer_id) for m in reversed(rows[:limit])], has_more)

    # ------------------------------------------------------------------ operator actions

    def _conv_for_update(self, s: OrmSession, conversation_id: int) -> Conversation:
        c = s.get(Conversation, conversation_id)
        if c is None:
            raise NotFound(f"no conversation {conversation_id}")
        return c

    def _assign(self, s: OrmSession, c: Conversation, op: Operator, now: datetime) -> None:
        c.status = "open"
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
            self._assign(s, c, op, utcnow())
            s.flush()
            info = load.conversation(c)
            _emit(s, events, "conversation_updated", info)
            _emit(s, events, "operator_updated", load.operator(op))
        return Outcome(info, events)

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

    def operator_send(self, operator_id: int, conversation_id: int, text: str, txn_id: str) -> Outcome[Sent]:
        """Store an operator's reply. Only the assignee writes; a queued conversation is
        taken first. A retry with the same txn_id returns the stored message."""
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
            was_waiting = c.waiting_since is not None
            c.waiting_since = None
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
            info = load.message(m, c.customer_id)
            if took or was_waiting:
                _emit(s, events, "conversation_updated", load.conversation(c, m))
            if took:
                _emit(s, events, "operator_updated", load.operator(op))
            _emit(s, events, "message_created", info)
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

    def create_visitor(self, channel: str, external_id_hash: str, name: str, locale: str) -> VisitorState:
        with self._sessions.begin() as s:
            c = Customer(name=name, channel=channel, locale=locale[:16], first_seen=utcnow())
            s.add(c)
            s.flush()
            s.add(CustomerIdentity(customer_id=c.id, channel=channel, external_id_hash=external_id_hash))
            s.flush()
            return self._visitor_state(s, c.id)

    def _open_conversation(self, s: OrmSession, customer_id: int) -> Conversation | None:
        return s.scalars(
            select(Conversation)
            .where(Conversation.customer_id == customer_id, Conversation.status.in_(ACTIVE))
            .order_by(Conversation.id.desc())
            .limit(1)
        ).first()

    def _visitor_state(self, s: OrmSession, customer_id: int) -> VisitorState:
        load = _Loader(s)
        customer = load.customer(customer_id)
        conv = self._open_conversation(s, customer_id)
        messages: list[MessageInfo] = []
        if conv is not None:
            rows = list(
                s.scalars(
                    select(Message)
                    .where(Message.conversation_id == conv.id)
                    .order_by(Message.id.desc())
                    .limit(HISTORY_MAX)
                )
            )
            messages = [customer_view(load.message(m, customer_id)) for m in reversed(rows)]
        return VisitorState(customer, conv.id if conv else None, messages)

    def customer_send(self, customer_id: int, text: str, txn_id: str) -> Outcome[Sent]:
        """Store a customer's message; the first one opens a queued conversation.
        Idempotent per (customer, txn_id)."""
        sender = f"cust:{customer_id}"
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            load = _Loader(s)
            old = s.scalars(
                select(Message).where(Message.sender_key == sender, Message.txn_id == txn_id)
            ).first()
            if old is not None:
                return Outcome(Sent(customer_view(load.message(old, customer_id)), duplicate=True))
            customer = s.get(Customer, customer_id)
            if customer is None:
                raise NotFound(f"no customer {customer_id}")
            now = utcnow()
            c = self._open_conversation(s, customer_id)
            if c is None:
                c = Conversation(
                    customer_id=customer_id,
                    channel=customer.channel,
                    status="queued",
                    created_at=now,
                    updated_at=now,
                    waiting_since=now,
                )
                s.add(c)
                s.flush()
                changed = True
            else:
                changed = c.waiting_since is None
                if changed:
                    c.waiting_since = now
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
            info = load.message(m, customer_id)
            if changed:
                _emit(s, events, "conversation_updated", load.conversation(c, m))
            _emit(s, events, "message_created", info)
        return Outcome(Sent(customer_view(info), duplicate=False), events)

    # ------------------------------------------------------------------ routing

    def route_queued(self) -> Outcome[list[tuple[int, int]]]:
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
