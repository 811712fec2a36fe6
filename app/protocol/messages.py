"""Every frame of the wire protocol, as typed structs.

One JSON object per websocket text frame, discriminated by its ``type`` field.
docs/protocol.md is the human-readable contract; this module is its only
implementation, shared by the hub, the desktop client and the tests.
No I/O here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

PROTOCOL_VERSION = 1

OperatorRole = Literal["operator", "supervisor", "admin"]
OperatorStatus = Literal["online", "away", "offline"]
ConversationStatus = Literal["queued", "open", "resolved"]
Author = Literal["customer", "operator", "system"]
Channel = Literal["web"]


class _Frame(msgspec.Struct, tag_field="type", forbid_unknown_fields=False, omit_defaults=True):
    """Base of every frame. Unknown extra fields are ignored (forward compatibility)."""


# --------------------------------------------------------------------------- payloads


class OperatorInfo(msgspec.Struct, omit_defaults=True):
    id: int
    username: str
    display_name: str
    role: OperatorRole
    status: OperatorStatus = "offline"
    status_since: datetime | None = None
    active_chats: int = 0
    capacity: int = 3


class CustomerInfo(msgspec.Struct, omit_defaults=True):
    id: int
    name: str
    channel: Channel
    first_seen: datetime
    locale: str = ""


class MessageInfo(msgspec.Struct, omit_defaults=True):
    id: int
    conversation_id: int
    author: Author
    text: str
    created_at: datetime
    operator_id: int | None = None
    author_name: str = ""
    txn_id: str | None = None


class ConversationInfo(msgspec.Struct, omit_defaults=True):
    id: int
    customer: CustomerInfo
    channel: Channel
    status: ConversationStatus
    created_at: datetime
    assignee_id: int | None = None
    # When the customer started waiting for an answer (their oldest unanswered
    # message); None when the operator spoke last.
    waiting_since: datetime | None = None
    last_message: MessageInfo | None = None


class ErrorInfo(msgspec.Struct):
    code: str
    text: str


# --------------------------------------------------------------------------- both endpoints


class Hello(_Frame, tag="hello"):
    """First frame of an operator client (the web widget sends CustomerHello)."""

    protocol: int
    client: str = ""
    device_id: str = ""


class Welcome(_Frame, tag="welcome"):
    protocol: int
    hub_version: str
    epoch: str
    max_frame_bytes: int
    heartbeat_s: float


class Result(_Frame, tag="result"):
    """Success answer to a command; ``data`` depends on the command (see docs)."""

    txn_id: str
    data: dict[str, object] = {}


class Error(_Frame, tag="error"):
    """Failure answer to a command (with its txn_id) or to a bad frame (txn_id null)."""

    code: str
    text: str
    txn_id: str | None = None


# --------------------------------------------------------------------------- operator commands


class Auth(_Frame, tag="auth"):
    """Password login (username+password) or resume of a stored session (token)."""

    txn_id: str
    username: str = ""
    password: str = ""
    token: str = ""


class SignOut(_Frame, tag="sign_out"):
    txn_id: str


class Sync(_Frame, tag="sync"):
    """Ask for the current state: open conversations (mine + queue) and the team.
    With ``last_seq`` and the ``epoch`` it belongs to, the hub may answer with the
    missed events instead (``recovered: true``, docs/protocol.md "Resume")."""

    txn_id: str
    last_seq: int | None = None
    epoch: str = ""


class Ack(_Frame, tag="ack"):
    """Cumulative acknowledgement of must-deliver events: "I have applied every event
    sent to me up to ``seq``". No txn_id and no answer: it is idempotent."""

    seq: int


class History(_Frame, tag="history"):
    txn_id: str
    conversation_id: int
    before_id: int | None = None
    limit: int = 50


class SendMessage(_Frame, tag="send_message"):
    txn_id: str
    conversation_id: int
    text: str


class Take(_Frame, tag="take"):
    txn_id: str
    conversation_id: int


class Resolve(_Frame, tag="resolve"):
    txn_id: str
    conversation_id: int


class SetStatus(_Frame, tag="set_status"):
    txn_id: str
    status: OperatorStatus


# --------------------------------------------------------------------------- operator events


class ConversationUpdated(_Frame, tag="conversation_updated"):
    seq: int
    conversation: ConversationInfo
    # True on a must-deliver event for this recipient: answer with ``ack``.
    must_ack: bool = False


class MessageCreated(_Frame, tag="message_created"):
    seq: int
    message: MessageInfo
    must_ack: bool = False


class OperatorUpdated(_Frame, tag="operator_updated"):
    seq: int
    operator: OperatorInfo
    must_ack: bool = False


# --------------------------------------------------------------------------- customer (web chat)


class CustomerHello(_Frame, tag="customer_hello"):
    """First frame of the web widget. ``visitor_token`` is the secret the hub gave
    this browser earlier (kept in localStorage); empty for a first visit."""

    protocol: int
    visitor_token: str = ""
    name: str = ""
    locale: str = ""


class CustomerWelcome(_Frame, tag="customer_welcome"):
    protocol: int
    visitor_token: str
    customer_name: str
    conversation_id: int | None = None
    messages: list[MessageInfo] = []


class CustomerSend(_Frame, tag="customer_send"):
    txn_id: str
    text: str


OperatorCommand = Auth | SignOut | Sync | History | SendMessage | Take | Resolve | SetStatus
# Frames an operator sends that are not commands (no txn_id, no answer).
OperatorNotice = Ack
OperatorEvent = ConversationUpdated | MessageCreated | OperatorUpdated
CustomerCommand = CustomerSend

# What a hub reads on each endpoint, and what a client reads back.
OperatorInbound = Hello | OperatorCommand | OperatorNotice
OperatorOutbound = Welcome | Result | Error | OperatorEvent
CustomerInbound = CustomerHello | CustomerSend
CustomerOutbound = CustomerWelcome | Result | Error | MessageCreated

MAX_TEXT_CHARS = 8000
MAX_FRAME_BYTES = 128 * 1024
