"""The operator's session with the hub: login, state, commands, reconnect.

No Qt here. The UI's bridge subscribes to the :class:`Emitter` attributes and turns
them into Qt signals; widgets never see this object.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

import msgspec

from app.client.connection import (
    CommandFailed,
    ConnectionLost,
    HubConnection,
    HubUnreachable,
    new_txn_id,
)
from app.client.secrets import SecretStore
from app.protocol import close_code_is_final, convert
from app.protocol.errors import CloseCode
from app.protocol.messages import (
    AcceptOffer,
    Auth,
    ConversationInfo,
    ConversationOffered,
    ConversationState,
    ConversationUpdated,
    DeclineOffer,
    History,
    MessageCreated,
    MessageInfo,
    OfferExpired,
    OperatorInfo,
    OperatorStatus,
    OperatorUpdated,
    QueueInfo,
    QueuesUpdated,
    Resolve,
    SendMessage,
    SetState,
    SetStatus,
    SignOut,
    Sync,
    Take,
    Transfer,
    Typing,
    TypingEvent,
    Viewing,
    ViewingEvent,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

LinkState = Literal["disconnected", "connecting", "online", "reconnecting", "ended"]


class Emitter(Generic[T]):
    """A tiny observer list: ``connect(fn)``, ``emit(value)``."""

    def __init__(self) -> None:
        self._subs: list[Callable[[T], None]] = []

    def connect(self, fn: Callable[[T], None]) -> None:
        self._subs.append(fn)

    def emit(self, value: T) -> None:
        for fn in list(self._subs):
            try:
                fn(value)
            except Exception:
                log.exception("listener failed")


@dataclass(frozen=True)
class LinkChange:
    state: LinkState
    detail: str = ""
    since: datetime | None = None


@dataclass
class _History:
    messages: list[MessageInfo] = field(default_factory=list)
    ids: set[int] = field(default_factory=set)
    has_more: bool = True

    def add(self, msg: MessageInfo) -> bool:
        if msg.id in self.ids:
            return False
        self.ids.add(msg.id)
        if self.messages and msg.id < self.messages[-1].id:
            self.messages.append(msg)
            self.messages.sort(key=lambda m: m.id)
        else:
            self.messages.append(msg)
        return True


class SessionEnded(Exception):
    """The hub ended this session for good (revoked, expired, signed out)."""


class _Data(msgspec.Struct):
    """The union of the fields that command results carry (docs/protocol.md)."""

    conversation: ConversationInfo | None = None
    message: MessageInfo | None = None
    operator: OperatorInfo | None = None
    messages: list[MessageInfo] = []
    has_more: bool = False
    token: str = ""
    expires_at: datetime | None = None
    epoch: str = ""
    seq: int = 0
    conversations: list[ConversationInfo] = []
    operators: list[OperatorInfo] = []
    queues: list[QueueInfo] = []


def _data(raw: dict[str, object]) -> _Data:
    return convert(raw, _Data)


def _secret_key(hub_url: str) -> str:
    return f"session:{hub_url.strip().rstrip('/')}"


class OperatorSession:
    """Everything the operator's window knows about the hub, kept current."""

    def __init__(self, secrets: SecretStore, device_id: str) -> None:
        self.secrets = secrets
        self.device_id = device_id
        self.hub_url = ""
        self.me: OperatorInfo | None = None
        self.epoch = ""
        self.seq = 0
        self.conversations: dict[int, ConversationInfo] = {}
        self.operators: dict[int, OperatorInfo] = {}
        self._histories: dict[int, _History] = {}
        self._token = ""
        self._conn: HubConnection | None = None
        self._reconnect_task: asyncio.Task[None] | None = None
        self._closing = False
        self.link = LinkChange("disconnected")
        self.connect_timeout = 8.0
        # observers
        self.link_changed: Emitter[LinkChange] = Emitter()
        self.synced: Emitter[None] = Emitter()
        self.conversation_changed: Emitter[ConversationInfo] = Emitter()
        self.message_added: Emitter[MessageInfo] = Emitter()
        self.operator_changed: Emitter[OperatorInfo] = Emitter()
        self.session_ended: Emitter[str] = Emitter()
        # routing v1: lines, offers to me, typing and viewing (ephemeral)
        self.queues: dict[int, QueueInfo] = {}
        self.offers: dict[int, ConversationOffered] = {}
        self.typing: dict[int, TypingEvent] = {}
        self.viewers: dict[int, list[int]] = {}
        self.offers_changed: Emitter[None] = Emitter()
        self.offer_expired: Emitter[OfferExpired] = Emitter()
        self.typing_changed: Emitter[TypingEvent] = Emitter()
        self.viewers_changed: Emitter[ViewingEvent] = Emitter()
        self.queues_changed: Emitter[None] = Emitter()

    # ------------------------------------------------------------------ login

    @property
    def remembered(self) -> bool:
        return bool(self.hub_url) and self.secrets.get(_secret_key(self.hub_url)) is not None

    async def login(self, url: str, username: str, password: str, *, remember: bool = False) -> OperatorInfo:
        """Log in with a password. Raises HubUnreachable or CommandFailed (auth_failed...)."""
        auth = Auth(txn_id=new_txn_id(), username=username, password=password)
        return await self._login(url, auth, remember)

    async def login_with_stored_token(self, url: str) -> OperatorInfo | None:
        """Resume the session remembered for this hub; None if there is none or it expired."""
        token = self.secrets.get(_secret_key(url))
        if not token:
            return None
        try:
            return await self._login(url, Auth(txn_id=new_txn_id(), token=token), remember=True)
        except CommandFailed:
            self.secrets.delete(_secret_key(url))
            return None

    async def _login(self, url: str, auth: Auth, remember: bool) -> OperatorInfo:
        self._set_link("connecting")
        try:
            conn = await HubConnection.open(url, device_id=self.device_id, timeout=self.connect_timeout)
        except HubUnreachable:
            self._set_link("disconnected")
            raise
        try:
            data = _data(await conn.request(auth))
        except (CommandFailed, ConnectionLost):
            await conn.close()
            self._set_link("disconnected")
            raise
        assert data.operator is not None
        self.hub_url = url
        self._token = data.token
        self.me = data.operator
        self._closing = False
        if remember and self.secrets.available:
            self.secrets.set(_secret_key(url), data.token)
        self._attach(conn)
        await self._sync()
        self._set_link("online")
        return data.operator

    async def sign_out(self) -> None:
        """Revoke the token on the hub, forget it locally, close the link."""
        self._closing = True
        self._cancel_reconnect()
        self.secrets.delete(_secret_key(self.hub_url))
        conn = self._conn
        if conn is not None and conn.is_open:
            with contextlib.suppress(CommandFailed, ConnectionLost, TimeoutError):
                await conn.request(SignOut(txn_id=new_txn_id()), timeout=5)
            await conn.close()
        self._conn = None
        self._token = ""
        self._set_link("ended", "signed out")

    async def close(self) -> None:
        """Leave without signing out (the app is quitting)."""
        self._closing = True
        self._cancel_reconnect()
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    # ------------------------------------------------------------------ commands

    async def _request(self, command: Any) -> _Data:
        conn = self._conn
        if conn is None or not conn.is_open:
            raise ConnectionLost(None)
        return _data(await conn.request(command))

    async def send_message(self, conversation_id: int, text: str, *, internal: bool = False) -> MessageInfo:
        command = SendMessage(
            txn_id=new_txn_id(), conversation_id=conversation_id, text=text, internal=internal
        )
        data = await self._request(command)
        assert data.message is not None
        self._on_message(data.message)
        return data.message

    async def take(self, conversation_id: int) -> ConversationInfo:
        data = await self._request(Take(txn_id=new_txn_id(), conversation_id=conversation_id))
        assert data.conversation is not None
        self._on_conversation(data.conversation)
        return data.conversation

    async def resolve(self, conversation_id: int) -> ConversationInfo:
        data = await self._request(Resolve(txn_id=new_txn_id(), conversation_id=conversation_id))
        assert data.conversation is not None
        self._on_conversation(data.conversation)
        return data.conversation

    async def set_status(self, status: OperatorStatus) -> OperatorInfo:
        data = await self._request(SetStatus(txn_id=new_txn_id(), status=status))
        assert data.operator is not None
        self._on_operator(data.operator)
        return data.operator

    async def accept_offer(self, conversation_id: int) -> ConversationInfo:
        data = await self._request(AcceptOffer(txn_id=new_txn_id(), conversation_id=conversation_id))
        assert data.conversation is not None
        self._on_conversation(data.conversation)
        return data.conversation

    async def decline_offer(self, conversation_id: int) -> ConversationInfo:
        data = await self._request(DeclineOffer(txn_id=new_txn_id(), conversation_id=conversation_id))
        assert data.conversation is not None
        self._on_conversation(data.conversation)
        return data.conversation

    async def transfer(
        self, conversation_id: int, *, operator_id: int | None = None, queue_id: int | None = None, note: str = ""
    ) -> ConversationInfo:
        command = Transfer(
            txn_id=new_txn_id(),
            conversation_id=conversation_id,
            operator_id=operator_id,
            queue_id=queue_id,
            note=note,
        )
        data = await self._request(command)
        assert data.conversation is not None
        self._on_conversation(data.conversation)
        return data.conversation

    async def set_state(
        self, conversation_id: int, state: ConversationState, snoozed_until: datetime | None = None
    ) -> ConversationInfo:
        command = SetState(
            txn_id=new_txn_id(), conversation_id=conversation_id, state=state, snoozed_until=snoozed_until
        )
        data = await self._request(command)
        assert data.conversation is not None
        self._on_conversation(data.conversation)
        return data.conversation

    async def notify_typing(self, conversation_id: int, typing: bool) -> None:
        if self._conn is not None and self._conn.is_open:
            await self._conn.send_ephemeral(Typing(conversation_id=conversation_id, typing=typing))

    async def notify_viewing(self, conversation_id: int | None) -> None:
        if self._conn is not None and self._conn.is_open:
            await self._conn.send_ephemeral(Viewing(conversation_id=conversation_id))

    async def load_history(self, conversation_id: int, *, older: bool = False) -> list[MessageInfo]:
        """Newest page first time; with ``older`` the page before what is loaded."""
        hist = self._histories.setdefault(conversation_id, _History())
        if hist.messages and not older:
            return hist.messages
        before = hist.messages[0].id if (older and hist.messages) else None
        command = History(txn_id=new_txn_id(), conversation_id=conversation_id, before_id=before)
        data = await self._request(command)
        for m in data.messages:
            hist.add(m)
        hist.has_more = data.has_more
        return hist.messages

    def messages_of(self, conversation_id: int) -> list[MessageInfo]:
        hist = self._histories.get(conversation_id)
        return list(hist.messages) if hist else []

    def has_more_history(self, conversation_id: int) -> bool:
        hist = self._histories.get(conversation_id)
        return hist.has_more if hist else True

    # ------------------------------------------------------------------ events

    def _attach(self, conn: HubConnection) -> None:
        self._conn = conn
        conn.start(self._on_event, self._on_closed)

    def _on_event(self, frame: Any) -> None:
        if isinstance(frame, TypingEvent):
            self.typing[frame.conversation_id] = frame
            self.typing_changed.emit(frame)
            return
        if isinstance(frame, ViewingEvent):
            self.viewers[frame.conversation_id] = list(frame.operator_ids)
            self.viewers_changed.emit(frame)
            return
        seq = getattr(frame, "seq", 0)
        if seq and seq <= self.seq:
            return  # already contained in the last sync
        if seq:
            self.seq = seq
        if isinstance(frame, ConversationUpdated):
            self._on_conversation(frame.conversation)
        elif isinstance(frame, MessageCreated):
            self._on_message(frame.message)
        elif isinstance(frame, OperatorUpdated):
            self._on_operator(frame.operator)
        elif isinstance(frame, ConversationOffered):
            self._on_conversation(frame.conversation)
            if self.me is not None and frame.operator_id == self.me.id:
                self.offers[frame.conversation.id] = frame
                self.offers_changed.emit(None)
        elif isinstance(frame, OfferExpired):
            if self.me is not None and frame.operator_id == self.me.id:
                self.offers.pop(frame.conversation_id, None)
                self.offers_changed.emit(None)
                self.offer_expired.emit(frame)
        elif isinstance(frame, QueuesUpdated):
            self.queues = {q.id: q for q in frame.queues}
            self.queues_changed.emit(None)

    def _on_conversation(self, conv: ConversationInfo) -> None:
        offer = self.offers.get(conv.id)
        if offer is not None and (conv.status != "queued" or conv.offered_to != offer.operator_id):
            del self.offers[conv.id]  # accepted, taken, transferred or moved on
            self.offers_changed.emit(None)
        if conv.status == "resolved":
            self.conversations.pop(conv.id, None)
        else:
            self.conversations[conv.id] = conv
        self.conversation_changed.emit(conv)

    def _on_message(self, msg: MessageInfo) -> None:
        hist = self._histories.get(msg.conversation_id)
        added = hist.add(msg) if hist is not None else True
        conv = self.conversations.get(msg.conversation_id)
        if conv is not None and (conv.last_message is None or conv.last_message.id <= msg.id):
            self.conversations[conv.id] = msgspec.structs.replace(conv, last_message=msg)
        if added:
            self.message_added.emit(msg)

    def _on_operator(self, op: OperatorInfo) -> None:
        self.operators[op.id] = op
        if self.me is not None and op.id == self.me.id:
            self.me = op
        self.operator_changed.emit(op)

    async def _sync(self) -> None:
        data = await self._request(Sync(txn_id=new_txn_id(), last_seq=self.seq or None))
        if self.epoch and data.epoch != self.epoch:
            self._histories.clear()
        self.epoch = data.epoch
        self.seq = data.seq
        self.conversations = {c.id: c for c in data.conversations}
        self.operators = {o.id: o for o in data.operators}
        self.queues = {q.id: q for q in data.queues}
        self.typing.clear()
        self.viewers.clear()
        me_id = self.me.id if self.me is not None else None
        self.offers = {
            c.id: ConversationOffered(
                seq=data.seq, operator_id=me_id, expires_at=c.offer_expires_at, conversation=c
            )
            for c in data.conversations
            if me_id is not None and c.offered_to == me_id and c.offer_expires_at is not None
        }
        if self.me is not None and self.me.id in self.operators:
            self.me = self.operators[self.me.id]
        # Histories loaded before a reconnect may have missed messages: drop them, they
        # reload on demand (replaying the gap is the resume protocol's job).
        self._histories.clear()
        self.synced.emit(None)
        self.offers_changed.emit(None)
        self.queues_changed.emit(None)

    def _on_closed(self, code: int | None) -> None:
        self._conn = None
        if self._closing:
            return
        if close_code_is_final(code):
            reasons: dict[int, str] = {
                CloseCode.AUTH_REVOKED: "session revoked",
                CloseCode.SIGNED_OUT: "signed out",
                CloseCode.PROTOCOL_MISMATCH: "this hub speaks another protocol version",
            }
            reason = reasons.get(code or 0, f"closed by the hub ({code})")
            self._set_link("ended", reason)
            self.session_ended.emit(reason)
            return
        self._set_link("reconnecting")
        self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.5
        while not self._closing:
            try:
                conn = await HubConnection.open(self.hub_url, device_id=self.device_id, timeout=5)
                try:
                    data = _data(await conn.request(Auth(txn_id=new_txn_id(), token=self._token)))
                except CommandFailed as exc:
                    await conn.close()
                    self.secrets.delete(_secret_key(self.hub_url))
                    self._set_link("ended", exc.text)
                    self.session_ended.emit(exc.text)
                    return
                if data.operator is not None:
                    self.me = data.operator
                self._attach(conn)
                await self._sync()
                self._set_link("online")
                return
            except (HubUnreachable, ConnectionLost, TimeoutError) as exc:
                log.info("reconnect failed: %s", exc)
            await asyncio.sleep(delay * (0.5 + random.random()))  # backoff with jitter
            delay = min(delay * 2, 15.0)

    def _cancel_reconnect(self) -> None:
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
            self._reconnect_task = None

    def _set_link(self, state: LinkState, detail: str = "") -> None:
        since = self.link.since if state == self.link.state else datetime.now(UTC)
        self.link = LinkChange(state, detail, since)
        self.link_changed.emit(self.link)
