"""Channels on the hub's database: configured adapters and their health, customers and
conversations that came through a channel, the outbox of replies, file references.

Same rules as :mod:`app.storage.repo`: every public method is one transaction and returns
plain values, a change and its events are written together, and the methods block (the
hub calls them on its database thread). The hub makes one :class:`ChannelStore` over its
:class:`Store`; the CLI makes its own.

How a reply reaches the outbox: an operator reply is stored by ``Store.operator_send``
exactly as for the web chat (the hot send paths know nothing of channels). Then
:meth:`ChannelStore.enqueue_replies` copies every operator reply of a channel conversation
that has no outbox row yet into ``channel_outbox``, in message order, past a watermark kept
in ``hub_meta``. The hub runs it right after such a reply is published and every second as
a backstop, and at start: a hub killed between the reply's commit and the copy still sends
the reply after its restart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from app.domain.channels import FileRef, InboundMessage, OutboundMessage, identity_hash
from app.domain.contacts import MAX_EMAILS
from app.domain.errors import Conflict, NotFound
from app.domain.wa_templates import Template, WindowClosed, window_open
from app.protocol.messages import ConversationInfo, CustomerUpdated, MessageInfo, OperatorEvent
from app.storage import email as email_threads
from app.storage.files import FileStore
from app.storage.models import (
    ChannelConfig,
    ChannelConversation,
    Conversation,
    Customer,
    CustomerEmail,
    CustomerIdentity,
    CustomerPhone,
    HubMeta,
    Message,
    MessageFile,
    Operator,
    OutboxItem,
    Queue,
    StoredFile,
    WaTemplate,
)
from app.storage.repo import ACTIVE, Outcome, Sent, Store, _emit, _emit_frame, _emit_message, _Loader, utcnow

SWEPT_KEY = "channel_outbox_swept"  # hub_meta: the highest message id enqueue_replies looked at
SYSTEM_SENDER = "sys:channel"


@dataclass(frozen=True)
class ChannelRecord:
    """A configured channel and the health the running hub last wrote."""

    name: str
    kind: str
    settings: dict[str, Any]
    enabled: bool
    state: str
    state_since: datetime | None
    last_error: str
    last_ok_at: datetime | None
    cursor: str
    updated_at: datetime


@dataclass(frozen=True)
class ChannelStatus:
    """What ``frontline-hub channel status`` shows: the record and its outbox."""

    channel: ChannelRecord
    pending: int
    failed: int
    sent: int
    oldest_pending_at: datetime | None


@dataclass(frozen=True)
class Received:
    """Where an inbound channel message landed. ``duplicate``: it was stored before (same
    channel key); nothing new was written."""

    customer_id: int
    conversation_id: int
    message_id: int
    duplicate: bool
    new_customer: bool
    new_conversation: bool


def _record(row: ChannelConfig) -> ChannelRecord:
    try:
        settings = json.loads(row.settings or "{}")
    except ValueError:
        settings = {}
    return ChannelRecord(
        name=row.name,
        kind=row.kind,
        settings=settings if isinstance(settings, dict) else {},
        enabled=bool(row.enabled),
        state=row.state,
        state_since=row.state_since,
        last_error=row.last_error,
        last_ok_at=row.last_ok_at,
        cursor=row.cursor,
        updated_at=row.updated_at,
    )


def _files(raw: str) -> tuple[FileRef, ...]:
    if not raw:
        return ()
    return tuple(FileRef(**f) for f in json.loads(raw))


class ChannelStore:
    def __init__(self, store: Store, files: FileStore | None = None) -> None:
        self.store = store
        self.files = files  # hub files: attachments of replies going out

    @property
    def _sessions(self) -> sessionmaker[OrmSession]:
        return self.store._sessions  # the Store's own or its thread's batch (Store.batch)

    # ------------------------------------------------------------------ configuration and health

    def configure(
        self, name: str, kind: str, settings: Mapping[str, Any], enabled: bool = True
    ) -> tuple[ChannelRecord, bool]:
        """Add a channel or replace its settings; (the record, True if it was new). The
        running hub picks the change up within a few seconds."""
        now = utcnow()
        with self._sessions.begin() as s:
            row = s.get(ChannelConfig, name)
            created = row is None
            if row is None:
                row = ChannelConfig(name=name, kind=kind, created_at=now, state="stopped", state_since=now)
                s.add(row)
            elif row.kind != kind:
                raise ValueError(f"channel {name!r} is a {row.kind} channel, not {kind}")
            row.settings = json.dumps(dict(settings), sort_keys=True)
            row.enabled = enabled
            row.updated_at = now
            s.flush()
            return _record(row), created

    def remove(self, name: str) -> bool:
        """Forget a channel's configuration (its conversations, identities and outbox rows
        stay; replies to it wait until it is added again)."""
        with self._sessions.begin() as s:
            row = s.get(ChannelConfig, name)
            if row is None:
                return False
            s.delete(row)
            return True

    def records(self) -> list[ChannelRecord]:
        with self._sessions() as s:
            return [_record(r) for r in s.scalars(select(ChannelConfig).order_by(ChannelConfig.name))]

    def set_health(
        self, name: str, state: str, since: datetime, last_error: str, last_ok_at: datetime | None
    ) -> None:
        """Record what the running hub sees of a channel (for ``channel status``)."""
        with self._sessions.begin() as s:
            s.execute(
                update(ChannelConfig)
                .where(ChannelConfig.name == name)
                .values(state=state, state_since=since, last_error=last_error[:2000], last_ok_at=last_ok_at)
            )

    def cursor(self, name: str) -> str:
        with self._sessions() as s:
            return s.scalar(select(ChannelConfig.cursor).where(ChannelConfig.name == name)) or ""

    def set_cursor(self, name: str, cursor: str) -> None:
        with self._sessions.begin() as s:
            s.execute(update(ChannelConfig).where(ChannelConfig.name == name).values(cursor=cursor[:64]))

    def status(self) -> list[ChannelStatus]:
        with self._sessions() as s:
            counts: dict[tuple[str, str], int] = {}
            for channel, state, n in s.execute(
                select(OutboxItem.channel, OutboxItem.state, func.count()).group_by(
                    OutboxItem.channel, OutboxItem.state
                )
            ):
                counts[(channel, state)] = int(n)
            oldest: dict[str, Any] = {}
            for channel, first in s.execute(
                select(OutboxItem.channel, func.min(OutboxItem.created_at))
                .where(OutboxItem.state == "pending")
                .group_by(OutboxItem.channel)
            ):
                oldest[channel] = first
            records = [_record(row) for row in s.scalars(select(ChannelConfig).order_by(ChannelConfig.name))]
            # replies to a channel that was removed still wait: show them under its name
            known = {r.name for r in records}
            for name in sorted({channel for channel, _state in counts} - known):
                records.append(
                    ChannelRecord(
                        name=name,
                        kind=name,
                        settings={},
                        enabled=False,
                        state="stopped",
                        state_since=None,
                        last_error="not configured (frontline-hub channel add)",
                        last_ok_at=None,
                        cursor="",
                        updated_at=utcnow(),
                    )
                )
            out = []
            for rec in records:
                out.append(
                    ChannelStatus(
                        channel=rec,
                        pending=counts.get((rec.name, "pending"), 0),
                        failed=counts.get((rec.name, "failed"), 0),
                        sent=counts.get((rec.name, "sent"), 0),
                        oldest_pending_at=_aware(oldest.get(rec.name)),
                    )
                )
            return out

    # ------------------------------------------------------------------ inbound

    def receive(self, msg: InboundMessage) -> Outcome[Received]:
        """Store a customer message that came through a channel, in ONE transaction: the
        customer and their identity (made on first contact: a returning sender lands on
        the same customer), the message (as ``Store.customer_send`` stores a web chat
        message: a new conversation when none is active), the conversation's link to the
        identity its replies go to, and the file references. A message whose channel key
        was stored before changes nothing (``duplicate``). Not to be called inside
        ``Store.batch`` (it makes its own)."""
        store = self.store
        digest = identity_hash(msg.channel, msg.external_id)
        with store.batch():
            with self._sessions.begin() as s:
                ident = s.scalars(
                    select(CustomerIdentity).where(
                        CustomerIdentity.channel == msg.channel, CustomerIdentity.external_id_hash == digest
                    )
                ).first()
                new_customer = ident is None
                if ident is None:
                    customer = Customer(
                        name=msg.name or f"{msg.channel.title()} {msg.external_id}",
                        channel=msg.channel,
                        locale=msg.locale[:16],
                        first_seen=utcnow(),
                    )
                    s.add(customer)
                    s.flush()
                    ident = CustomerIdentity(
                        customer_id=customer.id,
                        channel=msg.channel,
                        external_id_hash=digest,
                        label=msg.label,
                        address=msg.address,
                    )
                    s.add(ident)
                    s.flush()
                else:  # what the channel says of the identity may change (a new @username)
                    if msg.label and ident.label != msg.label:
                        ident.label = msg.label
                    if msg.address and ident.address != msg.address:
                        ident.address = msg.address
                customer_id, identity_id = ident.customer_id, ident.id
                old = s.execute(
                    select(Message.id, Message.conversation_id).where(
                        Message.sender_key == f"cust:{customer_id}", Message.txn_id == msg.key
                    )
                ).first()
            if old is not None:
                return Outcome(Received(customer_id, old.conversation_id, old.id, True, False, False))
            if msg.attachments:
                self._adopt(customer_id, msg.attachments)
            thread_conversation = None
            if msg.thread is not None:  # e-mail: a reply goes into the conversation it answers
                with self._sessions.begin() as s:
                    thread_conversation = email_threads.find_thread(s, msg.channel, customer_id, msg.thread.refs)
            sent = store.customer_send(
                customer_id,
                msg.text,
                msg.key,
                channel=msg.channel,
                attachments=list(msg.attachments),
                conversation_id=thread_conversation,
            )
            message = sent.value.message
            card_events: list[OperatorEvent] = []
            with self._sessions.begin() as s:
                if msg.phone and new_customer:
                    # first contact only: a number an operator later removes from the card
                    # stays removed (the identity still knows where to answer)
                    self._add_phone(s, card_events, customer_id, msg.phone)
                if msg.thread is not None:
                    email_threads.record_inbound(
                        s, msg.channel, message.conversation_id, message.id, msg.key, msg.thread
                    )
                if msg.email:
                    self._add_email(s, card_events, customer_id, msg.email, announce=not new_customer)
                new_conversation = s.get(ChannelConversation, message.conversation_id) is None
                if new_conversation:
                    s.add(
                        ChannelConversation(
                            conversation_id=message.conversation_id, channel=msg.channel, identity_id=identity_id
                        )
                    )
                for position, f in enumerate(msg.files):
                    s.add(
                        MessageFile(
                            message_id=message.id,
                            position=position,
                            channel=msg.channel,
                            kind=f.kind,
                            ref=f.ref[:255],
                            unique_ref=f.unique_ref[:128],
                            name=f.name[:255],
                            mime=f.mime[:128],
                            size=f.size,
                        )
                    )
        received = Received(customer_id, message.conversation_id, message.id, False, new_customer, new_conversation)
        return Outcome(received, [*sent.events, *card_events], sent.customer_messages, sent.deliveries)

    @staticmethod
    def _add_email(
        s: OrmSession, events: list[OperatorEvent], customer_id: int, address: str, *, announce: bool
    ) -> None:
        """The channel's e-mail address on the customer's card (the address the customer
        writes from), unless the card has it; a card elsewhere with the same address gets a
        merge proposal (``merge_proposed``), as when an operator types it."""
        from app.storage.customers import _load_profiles
        from app.storage.merges import propose

        if email_threads.has_email(s, customer_id, address):
            return
        count = int(
            s.scalar(select(func.count()).select_from(CustomerEmail).where(CustomerEmail.customer_id == customer_id))
            or 0
        )
        if count >= MAX_EMAILS:
            return  # a full card keeps its addresses; the identity still knows the channel's
        s.add(CustomerEmail(customer_id=customer_id, address=address, created_at=utcnow()))
        s.flush()
        if announce:
            _emit_frame(s, events, CustomerUpdated(seq=0, customer=_load_profiles(s, [customer_id])[customer_id]))
        propose(s, events, customer_id, [], [address])

    @staticmethod
    def _add_phone(s: OrmSession, events: list[OperatorEvent], customer_id: int, e164: str) -> None:
        """The channel's phone number on a new customer's card (WhatsApp: the number the
        customer writes from); a card elsewhere with the same number gets a merge proposal
        (``merge_proposed``), as when an operator types it."""
        from app.storage.merges import propose

        s.add(CustomerPhone(customer_id=customer_id, e164=e164, created_at=utcnow()))
        s.flush()
        propose(s, events, customer_id, [e164], [])

    def _adopt(self, customer_id: int, file_ids: tuple[int, ...]) -> None:
        """Files an adapter fetched before the customer was known (no uploader yet)
        become the customer's, so that they may be attached to the customer's message."""
        with self._sessions.begin() as s:
            s.execute(
                update(StoredFile)
                .where(
                    StoredFile.id.in_(list(file_ids)),
                    StoredFile.customer_id.is_(None),
                    StoredFile.operator_id.is_(None),
                )
                .values(customer_id=customer_id)
            )

    def file_refs(self, message_id: int) -> list[FileRef]:
        with self._sessions() as s:
            rows = s.scalars(
                select(MessageFile).where(MessageFile.message_id == message_id).order_by(MessageFile.position)
            )
            return [
                FileRef(kind=r.kind, ref=r.ref, unique_ref=r.unique_ref, name=r.name, mime=r.mime, size=r.size)  # type: ignore[arg-type]
                for r in rows
            ]

    def conversation_channels(self) -> dict[int, str]:
        """Active (queued or open) conversations that came through a channel: id -> channel."""
        with self._sessions() as s:
            rows = s.execute(
                select(ChannelConversation.conversation_id, ChannelConversation.channel)
                .join(Conversation, Conversation.id == ChannelConversation.conversation_id)
                .where(Conversation.status.in_(ACTIVE))
            )
            return {int(cid): str(channel) for cid, channel in rows}

    # ------------------------------------------------------------------ outbound

    def enqueue_replies(self) -> int:
        """Copy the operator replies (not internal notes) of channel conversations written
        since the last call into the outbox, in message order; how many. Idempotent
        (``message_id`` is unique in the outbox, and a watermark in ``hub_meta`` says how
        far it has looked)."""
        with self._sessions.begin() as s:
            newest = int(s.scalar(select(func.max(Message.id))) or 0)
            meta = s.get(HubMeta, SWEPT_KEY)
            if meta is None:
                # first run on this database: look from the first message of a channel conversation
                first = s.scalar(
                    select(func.min(Message.id)).join(
                        ChannelConversation, ChannelConversation.conversation_id == Message.conversation_id
                    )
                )
                meta = HubMeta(key=SWEPT_KEY, value=str((int(first) - 1) if first is not None else newest))
                s.add(meta)
            swept = int(meta.value)
            if newest <= swept:
                return 0
            rows = s.execute(
                select(
                    Message.id,
                    Message.conversation_id,
                    Message.text,
                    ChannelConversation.channel,
                    CustomerIdentity.address,
                )
                .join(ChannelConversation, ChannelConversation.conversation_id == Message.conversation_id)
                .join(CustomerIdentity, CustomerIdentity.id == ChannelConversation.identity_id)
                .where(
                    Message.id > swept,
                    Message.id <= newest,
                    Message.author == "operator",
                    Message.internal.is_(False),
                )
                .order_by(Message.id)
            ).all()
            have = set(
                s.scalars(select(OutboxItem.message_id).where(OutboxItem.message_id.in_([r.id for r in rows])))
            ) if rows else set()
            now = utcnow()
            added = 0
            for r in rows:
                if r.id in have:
                    continue
                s.add(
                    OutboxItem(
                        channel=r.channel,
                        conversation_id=r.conversation_id,
                        message_id=r.id,
                        address=r.address,
                        text=r.text,
                        created_at=now,
                    )
                )
                added += 1
            meta.value = str(newest)
            return added

    def pending(self, channel: str, limit: int = 50) -> list[OutboundMessage]:
        """The channel's waiting replies, oldest first."""
        with self._sessions() as s:
            rows = s.scalars(
                select(OutboxItem)
                .where(OutboxItem.channel == channel, OutboxItem.state == "pending")
                .order_by(OutboxItem.id)
                .limit(limit)
            ).all()
            attached = self.files.outbound_files([r.message_id for r in rows]) if self.files and rows else {}
            return [
                OutboundMessage(
                    outbox_id=r.id,
                    conversation_id=r.conversation_id,
                    message_id=r.message_id,
                    address=r.address,
                    text=r.text,
                    files=_files(r.files),
                    attempts=r.attempts,
                    attachments=attached.get(r.message_id, ()),
                    template=json.loads(r.template) if r.template else None,
                )
                for r in rows
            ]

    def add_outbound(self, message_id: int, files: tuple[FileRef, ...]) -> int:
        """Queue a stored operator message with files (the hub's attachment flow, to come;
        tests use it): the outbox row of ``message_id`` gets the file references, made
        now if the sweep has not made it yet. Its id."""
        payload = json.dumps([f.__dict__ for f in files])
        with self._sessions.begin() as s:
            row = s.scalars(select(OutboxItem).where(OutboxItem.message_id == message_id)).first()
            if row is None:
                m = s.get(Message, message_id)
                link = s.get(ChannelConversation, m.conversation_id) if m is not None else None
                if m is None or link is None:
                    raise NotFound(f"message {message_id} is not in a channel conversation")
                ident = s.get(CustomerIdentity, link.identity_id)
                assert ident is not None
                row = OutboxItem(
                    channel=link.channel,
                    conversation_id=m.conversation_id,
                    message_id=m.id,
                    address=ident.address,
                    text=m.text,
                    created_at=utcnow(),
                )
                s.add(row)
            row.files = payload
            s.flush()
            return row.id

    def mark_sent(self, outbox_id: int, external_id: str) -> None:
        now = utcnow()
        with self._sessions.begin() as s:
            s.execute(
                update(OutboxItem)
                .where(OutboxItem.id == outbox_id)
                .values(
                    state="sent",
                    external_id=external_id[:64],
                    sent_at=now,
                    last_attempt_at=now,
                    attempts=OutboxItem.attempts + 1,
                    last_error="",
                )
            )

    def mark_attempt(self, outbox_id: int, error: str) -> None:
        """A try that failed for a reason that passes (the row stays pending)."""
        with self._sessions.begin() as s:
            s.execute(
                update(OutboxItem)
                .where(OutboxItem.id == outbox_id)
                .values(attempts=OutboxItem.attempts + 1, last_error=error[:2000], last_attempt_at=utcnow())
            )

    def mark_failed(self, outbox_id: int, error: str, channel_title: str) -> Outcome[None]:
        """The channel refused the reply for good (e.g. the customer blocked the bot): the
        row becomes ``failed`` and the conversation gets an internal note saying so, as a
        ``message_created`` event, so the operator sees the reply did not arrive."""
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            row = s.get(OutboxItem, outbox_id)
            if row is None or row.state != "pending":
                return Outcome(None)
            now = utcnow()
            row.state = "failed"
            row.attempts += 1
            row.last_error = error[:2000]
            row.last_attempt_at = now
            text = f"Not delivered through {channel_title}: {error}"
            self._note(s, events, row.conversation_id, text, f"outbox:{outbox_id}", now)
        return Outcome(None, events)

    def mark_undelivered(
        self, channel: str, outbox_id: int | None, external_id: str, error: str, channel_title: str
    ) -> Outcome[bool]:
        """The service took a reply and reported later that it did not reach the customer
        (WhatsApp's ``failed`` status): the row (found by ``outbox_id``, else by the
        service's message id) becomes ``failed`` and the conversation gets the internal
        note :meth:`mark_failed` writes. False when it is not one of ours; a second report
        of the same reply changes nothing."""
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            row = s.get(OutboxItem, outbox_id) if outbox_id is not None else None
            if row is None and external_id:
                row = s.scalars(
                    select(OutboxItem).where(
                        OutboxItem.channel == channel, OutboxItem.external_id.like(f"{external_id[:64]}%")
                    )
                ).first()
            if row is None or row.channel != channel:
                return Outcome(False)
            txn = f"outbox:{row.id}"
            if s.scalar(select(Message.id).where(Message.sender_key == SYSTEM_SENDER, Message.txn_id == txn)):
                return Outcome(True)  # told already
            now = utcnow()
            row.state = "failed"
            row.last_error = error[:2000]
            row.last_attempt_at = now
            self._note(s, events, row.conversation_id, f"Not delivered through {channel_title}: {error}", txn, now)
        return Outcome(True, events)

    @staticmethod
    def _note(
        s: OrmSession, events: list[OperatorEvent], conversation_id: int, text: str, txn: str, now: datetime
    ) -> None:
        conv = s.get(Conversation, conversation_id)
        assert conv is not None
        note = Message(
            conversation_id=conv.id,
            author="system",
            operator_id=None,
            sender_key=SYSTEM_SENDER,
            text=text[:2000],
            created_at=now,
            txn_id=txn,
            internal=True,
        )
        s.add(note)
        s.flush()
        info: MessageInfo = _Loader(s).message(note, conv.customer_id)
        _emit(s, events, "message_created", info)

    # ------------------------------------------------------------------ writing first

    def start_conversation(
        self,
        operator_id: int,
        customer_id: int,
        channel: str,
        identity_id: int,
        text: str,
        txn_id: str,
        *,
        template: str = "",
        window: timedelta | None = None,
    ) -> Outcome[tuple[ConversationInfo, MessageInfo]]:
        """An operator writes first to a customer on one of their channel identities
        (``conversation_start``), in ONE transaction: a new conversation on that channel,
        open and assigned to the operator, linked to the identity its replies go to, with
        the operator's message in it (copied to the outbox by :meth:`enqueue_replies`, like
        any reply). ``identity_id`` 0: the customer's only identity on ``channel``.
        Refused (``NotFound``/``Conflict``) when the customer has no identity there, or
        already has an active conversation on that channel (write there). A retry with the
        same ``txn_id`` returns what the first try made.

        ``window``: the channel delivers free text only this long after the customer last
        wrote (WhatsApp: 24 hours): without a ``template`` (the JSON the outbox row carries,
        ``text`` then being the rendered template) a customer whose window is closed, or
        who never wrote, is refused with :class:`WindowClosed`."""
        sender = f"op:{operator_id}"
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            load = _Loader(s)
            old = s.scalars(select(Message).where(Message.sender_key == sender, Message.txn_id == txn_id)).first()
            if old is not None:
                conv = s.get(Conversation, old.conversation_id)
                assert conv is not None
                return Outcome((load.conversation(conv, old), load.message(old, conv.customer_id)))
            customer = s.get(Customer, customer_id)
            if customer is None or customer.merged_into is not None:
                raise NotFound(f"no customer {customer_id}")
            idents = list(
                s.scalars(
                    select(CustomerIdentity)
                    .where(CustomerIdentity.customer_id == customer_id, CustomerIdentity.channel == channel)
                    .order_by(CustomerIdentity.id)
                )
            )
            if identity_id:
                idents = [i for i in idents if i.id == identity_id]
            if not idents or not idents[0].address:
                raise NotFound(f"the customer has no {channel} identity to write to")
            if len(idents) > 1:
                raise Conflict(f"the customer has several {channel} identities: name one (identity_id)")
            ident = idents[0]
            active = s.scalars(
                select(Conversation.id).where(
                    Conversation.customer_id == customer_id,
                    Conversation.channel == channel,
                    Conversation.status.in_(ACTIVE),
                )
            ).first()
            if active is not None:
                raise Conflict(
                    f"the customer already has an active {channel} conversation (#{active}): write there"
                )
            if window is not None and not template:
                last = self._last_customer_at(s, ident.id)
                if not window_open(last, utcnow()):
                    raise WindowClosed(
                        "the customer has not written on this channel in the last 24 hours"
                        if last is not None
                        else "the customer has never written on this channel"
                    )
            op = s.get(Operator, operator_id)
            if op is None:
                raise NotFound(f"no operator {operator_id}")
            now = utcnow()
            first = s.scalars(select(Queue.id).where(Queue.kind == "first").order_by(Queue.id)).first()
            c = Conversation(
                customer_id=customer_id,
                channel=channel,
                status="open",
                state="waiting",  # the customer's turn
                assignee_id=operator_id,
                created_at=now,
                updated_at=now,
                waiting_since=None,
                first_response_at=now,
                queue_id=first,
            )
            s.add(c)
            s.flush()
            op.last_assigned_at = now
            s.add(ChannelConversation(conversation_id=c.id, channel=channel, identity_id=ident.id))
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
            if template:
                # the outbox row now, with the template: the sweep skips a message that has one
                s.add(
                    OutboxItem(
                        channel=channel,
                        conversation_id=c.id,
                        message_id=m.id,
                        address=ident.address,
                        text=text,
                        template=template,
                        created_at=now,
                    )
                )
            info = load.message(m, customer_id)
            conv_info = load.conversation(c, m)
            _emit(s, events, "conversation_updated", conv_info)
            _emit(s, events, "operator_updated", load.operator(op))
            _emit_message(s, events, info, None)
        return Outcome((conv_info, info), events)

    # ------------------------------------------------------------------ WhatsApp templates and the window

    @staticmethod
    def _meta_key(channel: str) -> str:
        return f"wa_templates:{channel}"[:64]

    def save_templates(self, channel: str, templates: Sequence[Template], fetched_at: datetime) -> None:
        """Replace the channel's templates with what the Graph API just listed."""
        with self._sessions.begin() as s:
            s.execute(delete(WaTemplate).where(WaTemplate.channel == channel))
            seen: set[tuple[str, str]] = set()
            for t in templates:
                if (t.name, t.language) in seen:
                    continue
                seen.add((t.name, t.language))
                s.add(
                    WaTemplate(
                        channel=channel,
                        name=t.name,
                        language=t.language,
                        status=t.status,
                        category=t.category,
                        header=t.header,
                        body=t.body,
                        footer=t.footer,
                        params=t.params,
                        usable=t.usable,
                        why_not=t.why_not[:200],
                        fetched_at=fetched_at,
                    )
                )
            key = self._meta_key(channel)
            meta = s.get(HubMeta, key)
            if meta is None:
                s.add(HubMeta(key=key, value=fetched_at.isoformat()))
            else:
                meta.value = fetched_at.isoformat()

    def templates(self, channel: str) -> tuple[list[Template], datetime | None]:
        """The channel's stored templates (every status, by name and language) and when
        they were fetched (None: never)."""
        with self._sessions() as s:
            rows = s.scalars(
                select(WaTemplate).where(WaTemplate.channel == channel).order_by(WaTemplate.name, WaTemplate.language)
            ).all()
            meta = s.get(HubMeta, self._meta_key(channel))
            fetched = _aware(meta.value) if meta is not None else None
            return [_template(r) for r in rows], fetched

    def template(self, channel: str, name: str, language: str) -> Template | None:
        with self._sessions() as s:
            row = s.get(WaTemplate, (channel, name, language))
            return _template(row) if row is not None else None

    @staticmethod
    def _last_customer_at(s: OrmSession, identity_id: int) -> datetime | None:
        """When the customer last wrote through this identity (any of its conversations:
        WhatsApp's window belongs to the number, not to one conversation)."""
        return _aware(
            s.scalar(
                select(func.max(Message.created_at))
                .join(ChannelConversation, ChannelConversation.conversation_id == Message.conversation_id)
                .where(ChannelConversation.identity_id == identity_id, Message.author == "customer")
            )
        )

    def last_customer_at(self, conversation_id: int) -> tuple[str, datetime | None] | None:
        """(channel, when its customer last wrote through the conversation's identity), or
        None when the conversation did not come through a channel."""
        with self._sessions() as s:
            link = s.get(ChannelConversation, conversation_id)
            if link is None:
                return None
            return link.channel, self._last_customer_at(s, link.identity_id)

    def stored_reply(self, operator_id: int, txn_id: str) -> bool:
        """Whether the operator's command ``txn_id`` stored a message already (a retry)."""
        with self._sessions() as s:
            return s.scalar(
                select(Message.id).where(Message.sender_key == f"op:{operator_id}", Message.txn_id == txn_id)
            ) is not None

    def send_template(
        self, operator_id: int, conversation_id: int, text: str, template: str, txn_id: str
    ) -> Outcome[Sent]:
        """Store an operator's template message (``text``: the rendered template) exactly
        as any reply (``Store.operator_send``: the same checks and events) and, in the same
        transaction, its outbox row carrying ``template`` (JSON name/language/params), so
        the channel sends the template and never the text. A retry with the same txn_id
        returns the stored message and writes nothing."""
        with self._sessions() as s:
            done = s.scalar(
                select(Message.id).where(Message.sender_key == f"op:{operator_id}", Message.txn_id == txn_id)
            )
        if done is not None:
            return self.store.operator_send(operator_id, conversation_id, text, txn_id)
        with self.store.batch():  # one transaction: the message and its outbox row
            outcome = self.store.operator_send(operator_id, conversation_id, text, txn_id)
            with self._sessions.begin() as s:
                link = s.get(ChannelConversation, conversation_id)
                ident = s.get(CustomerIdentity, link.identity_id) if link is not None else None
                if link is None or ident is None:
                    raise NotFound(f"conversation {conversation_id} did not come through a channel")
                s.add(
                    OutboxItem(
                        channel=link.channel,
                        conversation_id=conversation_id,
                        message_id=outcome.value.message.id,
                        address=ident.address,
                        text=text,
                        template=template,
                        created_at=utcnow(),
                    )
                )
        return outcome


def _template(row: WaTemplate) -> Template:
    return Template(
        name=row.name,
        language=row.language,
        status=row.status,
        category=row.category,
        header=row.header,
        body=row.body,
        footer=row.footer,
        params=row.params,
        usable=bool(row.usable),
        why_not=row.why_not,
    )


def _aware(value: Any) -> datetime | None:
    """``min()`` over a UTC column comes back naive on SQLite (no type processing)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        from datetime import UTC

        return value.replace(tzinfo=UTC)
    return value if isinstance(value, datetime) else None
