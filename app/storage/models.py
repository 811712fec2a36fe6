"""SQLAlchemy models. Only app/storage sees these; everything else gets dataclasses or
protocol structs from the repositories."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, hands out aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


class HubMeta(Base):
    """Key/value facts about this database (``epoch``)."""

    __tablename__ = "hub_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class Operator(Base):
    __tablename__ = "operators"
    __table_args__ = (
        CheckConstraint("role IN ('operator', 'supervisor', 'admin')", name="role"),
        CheckConstraint("status IN ('online', 'away', 'busy', 'offline')", name="status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="offline")
    status_since: Mapped[datetime | None]
    capacity: Mapped[int] = mapped_column(Integer, default=3)
    last_assigned_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Session(Base):
    """A login. The token itself is never stored, only its SHA-256."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16), default="web")
    locale: Mapped[str] = mapped_column(String(16), default="")
    first_seen: Mapped[datetime]
    vip: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # the customer card (migration 0004); ``name`` above is the display name
    first_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    last_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    # merged into another customer (migration 0005): this card is hidden, kept for undo.
    # No FOREIGN KEY: adding one to an existing SQLite table means rebuilding it (and its
    # children's references); app/storage/merges.py is its only writer.
    merged_into: Mapped[int | None] = mapped_column(Integer, index=True)


class CustomerIdentity(Base):
    """How a channel recognises a customer. For ``web``: SHA-256 of the visitor token."""

    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id_hash"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id_hash: Mapped[str] = mapped_column(String(64))
    # what operators see of it (e.g. a Telegram @name); never the secret behind the hash
    label: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # where the channel reaches this identity (0006): a Telegram chat id; later a WhatsApp
    # number or an e-mail address. Empty for the web chat (its identity is a secret).
    address: Mapped[str] = mapped_column(String(255), default="", server_default="")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'open', 'resolved')", name="status"),
        Index("ix_conversations_status_created", "status", "created_at"),
        CheckConstraint("state IN ('open', 'waiting', 'snoozed')", name="state"),
        # the customer timeline (0013): a customer's conversations newest first, keyset-paged
        Index("ix_conversations_customer_created", "customer_id", "created_at", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    waiting_since: Mapped[datetime | None]
    # routing v1 (see docs/hub.md): the queue it waits in / belongs to, the pending offer
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"), index=True)
    offered_to: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    offer_expires_at: Mapped[datetime | None]
    declined_by: Mapped[str] = mapped_column(String(255), default="", server_default="")
    # work state of an active conversation: open, waiting (for the customer), snoozed
    state: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    snoozed_until: Mapped[datetime | None]
    # when an operator first answered (SLA: first-response target before, next-response after)
    first_response_at: Mapped[datetime | None]


class Message(Base):
    """One message. ``(sender_key, txn_id)`` is unique, so a retried command never
    inserts twice (sender_key: ``op:<id>`` or ``cust:<id>``)."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("author IN ('customer', 'operator', 'system')", name="author"),
        UniqueConstraint("sender_key", "txn_id"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        # the customer timeline (0013): operators' internal notes only (a small part of
        # the messages), by conversation and time
        Index(
            "ix_messages_operator_notes",
            "conversation_id",
            "created_at",
            "id",
            sqlite_where=sql_text("internal = 1 AND author = 'operator'"),
            postgresql_where=sql_text("internal AND author = 'operator'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    sender_key: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    txn_id: Mapped[str | None] = mapped_column(String(64))
    # an internal note: operators only, never sent to the customer
    internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class Event(Base):
    """The operator event log. ``seq`` never goes back and is never reused."""

    __tablename__ = "events"
    __table_args__ = {"sqlite_autoincrement": True}
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Queue(Base):
    """A line: the first line (kind ``first``, where new chats land) or a named second line."""

    __tablename__ = "queues"
    __table_args__ = (
        CheckConstraint("kind IN ('first', 'second')", name="kind"),
        CheckConstraint("strategy IN ('round_robin', 'least_loaded', 'manual')", name="strategy"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="second")
    strategy: Mapped[str] = mapped_column(String(16), default="round_robin")
    offer_timeout_s: Mapped[float] = mapped_column(Float, default=20.0)
    first_response_s: Mapped[int] = mapped_column(Integer, default=90)
    next_response_s: Mapped[int] = mapped_column(Integer, default=300)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # JSON {"mon": ["09:00-18:00"], ...}; empty: always open
    hours: Mapped[str] = mapped_column(Text, default="")
    last_offered_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    # the web chat's bot first line (app/hub/kb_bot.py): offer a public article that
    # answers a new conversation's first message (off by default)
    bot_first_line: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class QueueMember(Base):
    __tablename__ = "queue_members"
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class SlaBreach(Base):
    """One missed response target; (conversation, kind, due_at) is unique, so a breach is
    recorded once however often the hub checks."""

    __tablename__ = "sla_breaches"
    __table_args__ = (
        CheckConstraint("kind IN ('first', 'next')", name="kind"),
        UniqueConstraint("conversation_id", "kind", "due_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(8))
    target_s: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    recorded_at: Mapped[datetime]


class Delivery(Base):
    """A must-deliver event not yet acknowledged by its recipient (docs/protocol.md,
    "Acknowledged deliveries"). The row is deleted when the operator's cumulative
    ``ack`` reaches ``seq``; until then the hub re-sends the event."""

    __tablename__ = "deliveries"
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime]
    last_sent_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=1)


# --------------------------------------------------------------------------- customer card (0004)


class CustomerPhone(Base):
    """A phone number of a customer, E.164 (``+380671234567``); once per customer (two
    customers may share one: a household, or a merge still to be made)."""

    __tablename__ = "customer_phones"
    __table_args__ = (UniqueConstraint("customer_id", "e164"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    e164: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime]


class CustomerEmail(Base):
    """An e-mail address of a customer (domain lower-cased); once per customer."""

    __tablename__ = "customer_emails"
    __table_args__ = (UniqueConstraint("customer_id", "address"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(254), index=True)
    created_at: Mapped[datetime]


class CustomerTag(Base):
    __tablename__ = "customer_tags"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class CustomField(Base):
    """A field of the customer card defined by an admin (``frontline-hub field add``)."""

    __tablename__ = "custom_fields"
    __table_args__ = (CheckConstraint("type IN ('text', 'number', 'date')", name="type"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(8), default="text")
    created_at: Mapped[datetime]


class CustomerFieldValue(Base):
    """A customer's value of a custom field, normalised for its type (text as typed,
    number ``1234.5``, date ``YYYY-MM-DD``); no row: no value."""

    __tablename__ = "customer_field_values"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("custom_fields.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class CustomerChange(Base):
    """One applied ``customer_update``: who, when, what was asked (``changes`` JSON) and
    the card it produced (``result`` JSON). ``(operator_id, txn_id)`` is unique: a retried
    command finds its row and gets the same answer, changing nothing again."""

    __tablename__ = "customer_changes"
    __table_args__ = (UniqueConstraint("operator_id", "txn_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    txn_id: Mapped[str] = mapped_column(String(64))
    changes: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class CustomerMerge(Base):
    """A merge of one customer into another (``customer_merge``): who, when, and in
    ``record`` (JSON) exactly what moved or changed, so that it can be undone."""

    __tablename__ = "customer_merges"
    __table_args__ = (UniqueConstraint("operator_id", "txn_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kept_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    txn_id: Mapped[str] = mapped_column(String(64))
    record: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    undone_at: Mapped[datetime | None]
    undone_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    undo_txn_id: Mapped[str | None] = mapped_column(String(64))


class CustomerNote(Base):
    """A note an operator wrote on the customer card ("Add note", migration 0013): a
    timeline entry of its own. Only its author or a supervisor/admin edits it.
    ``(operator_id, txn_id)`` is unique: a retried add stores it once."""

    __tablename__ = "customer_notes"
    __table_args__ = (
        UniqueConstraint("operator_id", "txn_id"),
        Index("ix_customer_notes_customer_created", "customer_id", "created_at", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    txn_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    edited_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))


# --------------------------------------------------------------------------- channels (0006)


CHANNEL_STATES = ("stopped", "starting", "up", "retrying", "down")


class ChannelConfig(Base):
    """A configured channel adapter (``frontline-hub channel add``) and its health as the
    running hub last saw it. ``settings`` is JSON without secrets: a bot token is named
    by the environment variable or file that holds it, never stored here."""

    __tablename__ = "channels"
    __table_args__ = (CheckConstraint("state IN ('stopped', 'starting', 'up', 'retrying', 'down')", name="state"),)
    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    settings: Mapped[str] = mapped_column(Text, default="{}")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    state: Mapped[str] = mapped_column(String(16), default="stopped", server_default="stopped")
    state_since: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    last_ok_at: Mapped[datetime | None]
    # where receiving goes on after a restart (Telegram: the getUpdates offset)
    cursor: Mapped[str] = mapped_column(String(64), default="", server_default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ChannelConversation(Base):
    """A conversation that came through a channel other than the web chat, and the
    identity (and so the address) its replies go to."""

    __tablename__ = "channel_conversations"
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    identity_id: Mapped[int] = mapped_column(ForeignKey("customer_identities.id", ondelete="CASCADE"), index=True)


class OutboxItem(Base):
    """An operator reply on its way out through a channel. Made from the stored message
    (never instead of it); ``pending`` until the channel accepted it, then ``sent`` with
    the channel's id for it, or ``failed`` with the reason when the channel refuses it for
    good (the conversation then gets an internal note). Rows go out in ``id`` order."""

    __tablename__ = "channel_outbox"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'sent', 'failed')", name="state"),
        Index("ix_channel_outbox_channel_state_id", "channel", "state", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    address: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    # JSON list of file references to send with it (empty: text only)
    files: Mapped[str] = mapped_column(Text, default="", server_default="")
    # WhatsApp: JSON {"name", "language", "params"} of an approved template to send
    # instead of the text (empty: the text); ``text`` then holds the rendered template
    template: Mapped[str] = mapped_column(Text, default="", server_default="")
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    external_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    created_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class MessageFile(Base):
    """A file that came with a message through a channel, by reference: the channel keeps
    the bytes (Telegram: ``file_id``, fetched with getFile when needed). The message text
    says what it was (``[photo]``, ``[document: name]``); hub-side attachment storage is
    still to come."""

    __tablename__ = "message_files"
    __table_args__ = (
        CheckConstraint("kind IN ('photo', 'document')", name="kind"),
        UniqueConstraint("message_id", "position"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(255))
    unique_ref: Mapped[str] = mapped_column(String(128), default="", server_default="")
    name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    mime: Mapped[str] = mapped_column(String(128), default="", server_default="")
    size: Mapped[int | None] = mapped_column(Integer)


class StoredFile(Base):
    """A file kept by the hub (an upload, or one fetched from a channel). The bytes are a
    content-addressed file under the hub's files directory (``<sha256[:2]>/<sha256>``);
    this row is what the hub knows of it. Two rows may share the bytes (the same picture
    sent twice). docs/architecture.md, "Files"."""

    __tablename__ = "files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # who uploaded it: an operator, a customer (web chat or a channel), or neither (the hub)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    source: Mapped[str] = mapped_column(String(16), default="upload", server_default="upload")
    created_at: Mapped[datetime]


class MessageAttachment(Base):
    """A hub file attached to a message, in order."""

    __tablename__ = "message_attachments"
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)


class EmailMessage(Base):
    """A Message-ID of an e-mail conversation (migration 0010_email): every mail that came
    in (``direction`` ``in``) and every reply the hub sent (``out``, made before the mail
    goes out, so a retry keeps it and the customer's answer threads even after a crash).
    A customer's mail whose In-Reply-To/References name one of these lands in its
    conversation (app/storage/email.py). ``subject`` is the mail's subject (replies say
    "Re: " + the conversation's first one)."""

    __tablename__ = "email_messages"
    __table_args__ = (
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        UniqueConstraint("channel", "header_id"),
        Index("ix_email_messages_conversation_id_id", "conversation_id", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    # the hub's message (None only for a mail that was not stored as one)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    direction: Mapped[str] = mapped_column(String(3))
    # the Message-ID without its angle brackets, as written (cut at 255 characters)
    header_id: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255), default="", server_default="")
    # the mail's References + In-Reply-To (space-separated, newest last), so a reply's
    # References continue the customer's chain (RFC 5322 3.6.4)
    refs: Mapped[str] = mapped_column(Text, default="", server_default="")
    # the whole text when quoted history was trimmed from the shown message; where the
    # original mail is ("<folder>/<uidvalidity>/<uid>" on the IMAP server, kept \Seen)
    full_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    source: Mapped[str] = mapped_column(String(255), default="", server_default="")
    created_at: Mapped[datetime]


# --------------------------------------------------------------------------- answer templates (0008)


TEMPLATE_SCOPES = ("personal", "team")


class AnswerTemplate(Base):
    """An answer template (app/storage/templates.py): typed as ``/shortcode`` in the
    composer. ``scope_key`` is ``team`` or ``op:<owner id>`` and makes the shortcode
    unique per scope (a NULL owner would not take part in a unique constraint).
    ``attachments`` is an unused legacy column (always NULL): a template's files are
    rows of ``template_files``."""

    __tablename__ = "answer_templates"
    __table_args__ = (
        UniqueConstraint("scope_key", "shortcode"),
        CheckConstraint("scope IN ('personal', 'team')", name="scope"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), index=True)
    scope_key: Mapped[str] = mapped_column(String(32))
    shortcode: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64), server_default="")
    language: Mapped[str] = mapped_column(String(8), server_default="")
    attachments: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))


class TemplateFile(Base):
    """A hub file a template sends along (migration 0015_template_files), in order.
    Files referenced here are never swept as orphans (FileStore.sweep_orphans)."""

    __tablename__ = "template_files"
    template_id: Mapped[int] = mapped_column(
        ForeignKey("answer_templates.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)


class TemplateCommand(Base):
    """One applied ``template_save`` / ``template_delete``: ``(operator_id, txn_id)`` is
    unique, so a retried command finds its row and gets the same answer (``result``
    JSON), changing nothing again."""

    __tablename__ = "template_commands"
    __table_args__ = (UniqueConstraint("operator_id", "txn_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    txn_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class KbArticle(Base):
    """A knowledge base article (docs/architecture.md, "Knowledge base search"). ``tags``
    is a JSON list; ``content_hash`` (SHA-256 of title, body, lang, tags and visibility)
    lets an import skip unchanged articles and lets every hub node see which articles
    changed since it built its in-memory index."""

    __tablename__ = "kb_articles"
    __table_args__ = (
        CheckConstraint("lang IN ('ru', 'uk', 'en')", name="lang"),
        CheckConstraint("visibility IN ('internal', 'public')", name="visibility"),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(2))
    tags: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    visibility: Mapped[str] = mapped_column(String(16), default="internal", server_default="internal")
    updated_at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(128), default="", server_default="")
    content_hash: Mapped[str] = mapped_column(String(64))


class KbSynonymGroup(Base):
    """One admin-edited synonym group: a JSON list of words or phrases that mean the same."""

    __tablename__ = "kb_synonyms"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    words: Mapped[str] = mapped_column(Text)


class KbChange(Base):
    """One applied ``kb_save`` / ``kb_delete``: who, when, which article, and the answer
    (``result`` JSON). ``(operator_id, txn_id)`` is unique: a retried command gets the
    same answer and changes nothing again. Kept after the article is deleted (no FK)."""

    __tablename__ = "kb_changes"
    __table_args__ = (UniqueConstraint("operator_id", "txn_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[str] = mapped_column(String(64), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    txn_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class KbBotOffer(Base):
    """The bot first line's offer in one web conversation (app/hub/kb_bot.py): which
    article, and what the customer made of it: ``offered`` (no answer yet), ``helped``
    (the conversation was resolved by the bot) or ``handed_over`` (the customer asked
    for a person or wrote again). One per conversation: only a first message gets one."""

    __tablename__ = "kb_bot_offers"
    __table_args__ = (CheckConstraint("outcome IN ('offered', 'helped', 'handed_over')", name="outcome"),)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    lang: Mapped[str] = mapped_column(String(2))
    score: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(16), default="offered", server_default="offered")
    offered_at: Mapped[datetime] = mapped_column(index=True)
    decided_at: Mapped[datetime | None]


class WaTemplate(Base):
    """A message template of a WhatsApp channel's business account, as the hub last
    fetched it from the Graph API (app/hub/channels/whatsapp.py): every status is kept,
    only ``APPROVED`` ones that Frontline can fill in (``usable``) are offered. Kept
    across restarts, so the list is there when Meta is not reachable."""

    __tablename__ = "wa_templates"
    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(512), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32), default="", server_default="")
    header: Mapped[str] = mapped_column(Text, default="", server_default="")
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
    footer: Mapped[str] = mapped_column(Text, default="", server_default="")
    params: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    usable: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    why_not: Mapped[str] = mapped_column(String(200), default="", server_default="")
    fetched_at: Mapped[datetime]
