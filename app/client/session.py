"""The operator's session with the hub: login, state, commands, reconnect.

No Qt here. The UI's bridge subscribes to the :class:`Emitter` attributes and turns
them into Qt signals; widgets never see this object.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import msgspec

from app.client.cache import CacheBatch, SessionCache, Snapshot, token_hash
from app.client.connection import (
    CommandFailed,
    ConnectionLost,
    HubConnection,
    HubUnreachable,
    new_txn_id,
)
from app.client.files import FileClient
from app.client.outbox import DB_NAME, Clock, Outbox, OutboxItem, user_data_dir, utc_now
from app.client.secrets import SecretStore
from app.client.wa_templates import WaTemplateListing, WindowInfo
from app.protocol import close_code_is_final, convert
from app.protocol.errors import CloseCode
from app.protocol.messages import (
    MAX_TEXT_CHARS,
    AcceptOffer,
    Ack,
    Auth,
    ConversationInfo,
    ConversationOffered,
    ConversationStart,
    ConversationState,
    ConversationUpdated,
    ConversationWindow,
    CustomerChanges,
    CustomerConversations,
    CustomerGet,
    CustomerMerge,
    CustomerMergeCandidates,
    CustomerNoteSave,
    CustomerProfile,
    CustomerSearch,
    CustomersMerged,
    CustomerTimeline,
    CustomerUnmerge,
    CustomerUpdate,
    CustomerUpdated,
    CustomFieldDef,
    DeclineOffer,
    History,
    KbArticleDeleted,
    KbArticleDraft,
    KbArticleInfo,
    KbArticleUpdated,
    KbDelete,
    KbGet,
    KbHit,
    KbSave,
    KbSearch,
    KbSynonymsGet,
    KbSynonymsSet,
    MergeCandidate,
    MergeChoices,
    MergeInfo,
    MergeProposed,
    MessageCreated,
    MessageInfo,
    OfferExpired,
    OperatorEvent,
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
    SyncPage,
    Take,
    TemplateDelete,
    TemplateDraft,
    TemplateInfo,
    TemplateList,
    TemplateSave,
    TemplateUpdated,
    TimelineCursor,
    TimelineEntry,
    TimelineEntrySaved,
    Transfer,
    Typing,
    TypingEvent,
    Viewing,
    ViewingEvent,
    WaTemplateChoice,
    WaTemplateList,
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


def _by_id(m: MessageInfo) -> int:
    return m.id


@dataclass
class _History:
    messages: list[MessageInfo] = field(default_factory=list)
    ids: set[int] = field(default_factory=set)
    has_more: bool = True

    def add_page(self, page: list[MessageInfo]) -> None:
        """A history page (oldest first): an older page goes in front in one step."""
        new = [m for m in page if m.id not in self.ids]
        if self.messages and new and new[-1].id < self.messages[0].id and new == sorted(new, key=_by_id):
            self.ids.update(m.id for m in new)
            self.messages[:0] = new
            return
        for m in new:
            self.add(m)

    def add(self, msg: MessageInfo) -> bool:
        if msg.id in self.ids:
            return False
        self.ids.add(msg.id)
        if self.messages and msg.id < self.messages[-1].id:
            self.messages.append(msg)
            self.messages.sort(key=_by_id)
        else:
            self.messages.append(msg)
        return True


@dataclass
class _Dirty:
    """What changed since the last cache write (ids; the values are read at write time)."""

    full: bool = False
    conversations: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)
    operators: set[int] = field(default_factory=set)
    histories: dict[int, set[int] | None] = field(default_factory=dict)  # None: all messages
    templates: bool = False


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
    recovered: bool = False
    more_after: int | None = None  # a full-state sync continues with sync_page
    events: list[OperatorEvent] = []
    customer: CustomerProfile | None = None
    customers: list[CustomerProfile] = []
    fields: list[CustomFieldDef] = []
    candidates: list[MergeCandidate] = []
    merge: MergeInfo | None = None
    kept: CustomerProfile | None = None
    restored: CustomerProfile | None = None
    templates: list[TemplateInfo] = []
    template: TemplateInfo | None = None
    hits: list[KbHit] = []
    article: KbArticleInfo | None = None
    created: bool = False
    deleted: bool = False
    groups: list[list[str]] = []
    entries: list[TimelineEntry] = []
    entry: TimelineEntry | None = None


def _data(raw: dict[str, object]) -> _Data:
    return convert(raw, _Data)


def _secret_key(hub_url: str) -> str:
    return f"session:{hub_url.strip().rstrip('/')}"


def backoff_delays(
    first: float = 0.5, cap: float = 15.0, rng: Callable[[], float] = random.random
) -> Iterator[float]:
    """Reconnect waits: doubling from ``first`` up to ``cap``, each with +-50 % jitter
    (so a hub restart is not met by every client in the same millisecond)."""
    delay = first
    while True:
        yield delay * (0.5 + rng())
        delay = min(delay * 2, cap)


# Keepalive of the desktop client (docs/protocol.md "Keepalive"): a ping every 10 s, the
# connection is failed when its pong is not back within 10 s, and dropped at most 5 s
# later, so a half-open link is noticed within 25 s and the reconnect starts.
PING_INTERVAL_S = 10.0
PING_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 5.0
OUTBOX_CHECK_S = 5.0
# Cache writes are batched: the first change starts this timer, the batch then holds every
# change made meanwhile (one small transaction in the cache's writer thread).
CACHE_DELAY_S = 0.2


class OperatorSession:
    """Everything the operator's window knows about the hub, kept current."""

    def __init__(
        self,
        secrets: SecretStore,
        device_id: str,
        *,
        data_dir: Path | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.secrets = secrets
        self.device_id = device_id
        # the outbox file is opened at the first login (nothing is written before)
        self.data_dir = data_dir
        self.clock = clock
        self._outbox: Outbox | None = None
        # the local cache (same file): on while logged in (key: hub_url, me.id)
        self._cache: SessionCache | None = None
        self._cache_on = False
        self._dirty = _Dirty()
        self._cache_timer: asyncio.TimerHandle | None = None
        self._cache_writes: list[Any] = []  # concurrent futures of batches not yet applied
        self.cache_delay = CACHE_DELAY_S
        self._outbox_items: dict[str, OutboxItem] = {}  # txn_id -> pending/failed item
        self._waiters: dict[str, asyncio.Future[MessageInfo]] = {}
        self._wake_pending = False
        self._wake_fut: asyncio.Future[None] | None = None
        self._flush_task: asyncio.Task[None] | None = None
        self._flush_stop = False
        self._sync_buffer: list[Any] | None = None
        # how the last sync went: the gap was replayed, or the state was reloaded
        self.last_sync: Literal["", "recovered", "reloaded"] = ""
        self.ping_interval = PING_INTERVAL_S
        self.ping_timeout = PING_TIMEOUT_S
        self.close_timeout = CLOSE_TIMEOUT_S
        self.outbox_check_s = OUTBOX_CHECK_S
        self.reconnect_first_delay = 0.5
        self.hub_url = ""
        # attachments: upload, send with files, fetch (app/client/files.py)
        self.files = FileClient(self)
        self.me: OperatorInfo | None = None
        self.epoch = ""
        self.seq = 0
        self.conversations: dict[int, ConversationInfo] = {}
        self.operators: dict[int, OperatorInfo] = {}
        self._histories: dict[int, _History] = {}
        # customer id -> seq of the last customer_updated applied (update results never
        # overwrite a newer card that an event brought meanwhile)
        self._card_seq: dict[int, int] = {}
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
        self.outbox_changed: Emitter[OutboxItem] = Emitter()
        # the customer card: a card changed (customer_updated, or our own update); the
        # custom field definitions as of the last customer() read
        self.customer_changed: Emitter[CustomerProfile] = Emitter()
        self.custom_fields: list[CustomFieldDef] = []
        # identity merge: the hub thinks two cards are one person (merge_proposed); a
        # merge was made or undone by anyone (customers_merged, after customer_changed
        # for the cards it changed)
        self.merge_proposed: Emitter[MergeProposed] = Emitter()
        self.customers_merged: Emitter[CustomersMerged] = Emitter()
        # an entry of a customer's timeline saved (a note on a card; later calls, callbacks)
        self.timeline_entry_saved: Emitter[TimelineEntrySaved] = Emitter()
        # answer templates (team + own personal), read with load_templates and kept up to
        # date by template_updated events; templates_changed says the dict changed
        self.templates: dict[int, TemplateInfo] = {}
        self.templates_changed: Emitter[None] = Emitter()
        # the knowledge base: an article was created or changed / deleted (by anyone)
        self.kb_article_changed: Emitter[KbArticleInfo] = Emitter()
        self.kb_article_deleted: Emitter[str] = Emitter()

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
            conn = await self._open(url, self.connect_timeout)
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
        if self.hub_url != url or (self.me is not None and self.me.id != data.operator.id):
            self.epoch, self.seq = "", 0  # another hub or operator: nothing to resume
            self._histories.clear()
        self.hub_url = url
        self._token = data.token
        self._closing = False
        if not self.epoch:  # a fresh start: resume from the local cache when there is one
            snapshot = await self._read_cache(url, data.operator.id)
            if snapshot is not None:
                self._restore(snapshot)
        self.me = data.operator
        if remember and self.secrets.available:
            self.secrets.set(_secret_key(url), data.token)
        self._load_outbox()
        self._cache_on = True
        self._attach(conn)
        await self._sync()
        self._set_link("online")
        self._start_flusher()
        return data.operator

    async def _open(self, url: str, timeout: float) -> HubConnection:
        return await HubConnection.open(
            url,
            device_id=self.device_id,
            timeout=timeout,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            close_timeout=self.close_timeout,
        )

    async def start_offline(self, url: str) -> OperatorInfo | None:
        """Open the remembered session from the local cache while the hub cannot be
        reached: the state is the cached one, the link is "reconnecting" (with the usual
        backoff), replies go to the outbox. None without a remembered token or without a
        cache seen with that token."""
        token = self.secrets.get(_secret_key(url))
        if not token:
            return None
        loop = asyncio.get_running_loop()
        try:
            snapshot = await loop.run_in_executor(None, self._open_cache().load_for_token, url, token)
        except Exception:  # a broken file: no offline start, the login dialog instead
            log.exception("could not read the local cache")
            return None
        if snapshot is None:
            return None
        self.hub_url = url
        self._token = token
        self._closing = False
        self._restore(snapshot)
        self._load_outbox()
        self._cache_on = True
        self._set_link("reconnecting", "started offline")
        self._reconnect_task = loop.create_task(self._reconnect())
        self._start_flusher()
        assert self.me is not None
        return self.me

    async def sign_out(self) -> None:
        """Revoke the token on the hub, forget it locally, close the link. This
        operator's local cache is deleted too (the outbox keeps unsent replies)."""
        self._closing = True
        self._cancel_reconnect()
        self.secrets.delete(_secret_key(self.hub_url))
        self.files.forget()
        await self._drop_cache()
        conn = self._conn
        if conn is not None and conn.is_open:
            with contextlib.suppress(CommandFailed, ConnectionLost, TimeoutError):
                await conn.request(SignOut(txn_id=new_txn_id()), timeout=5)
            await conn.close()
        self._conn = None
        self._token = ""
        await self._stop_flusher()
        self._set_link("ended", "signed out")

    async def close(self) -> None:
        """Leave without signing out (the app is quitting). Unsent messages stay in the
        outbox file for the next start."""
        self._closing = True
        self._cancel_reconnect()
        await self._stop_flusher()
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
        if self._cache_timer is not None or self._dirty != _Dirty():
            self._write_cache()  # the last changes; close() waits for them (quitting: fine)
        self._cache_on = False
        if self._cache is not None:
            self._cache.close()
            self._cache = None
        self._cache_writes.clear()
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None

    # ------------------------------------------------------------------ commands

    async def _request(self, command: Any) -> _Data:
        conn = self._conn
        if conn is None or not conn.is_open:
            raise ConnectionLost(None)
        return _data(await conn.request(command))

    def send(self, conversation_id: int, text: str) -> OutboxItem:
        """Queue a reply in the durable outbox and return at once (online or not); it is
        sent in order as soon as the link is up. Raises CommandFailed (``empty_text``,
        ``text_too_long``) for text the hub would refuse, before anything is stored."""
        text = text.strip()
        if not text:
            raise CommandFailed("empty_text", "the message is empty")
        if len(text) > MAX_TEXT_CHARS:
            raise CommandFailed("text_too_long", f"at most {MAX_TEXT_CHARS} characters")
        assert self.me is not None, "log in first"
        item = self._open_outbox().add(self.hub_url, self.me.id, conversation_id, text)
        self._outbox_items[item.txn_id] = item
        self.outbox_changed.emit(item)
        self._wake_flusher()
        return item

    async def send_message(self, conversation_id: int, text: str, *, internal: bool = False) -> MessageInfo:
        """``send`` and wait until the hub stored it; CommandFailed if it was refused.
        Internal notes go straight to the hub (not through the outbox): a note that could
        not be stored says so at once and stays in the composer."""
        if internal:
            command = SendMessage(
                txn_id=new_txn_id(), conversation_id=conversation_id, text=text, internal=True
            )
            data = await self._request(command)
            assert data.message is not None
            self._on_message(data.message)
            return data.message
        item = self.send(conversation_id, text)
        fut: asyncio.Future[MessageInfo] = asyncio.get_running_loop().create_future()
        self._waiters[item.txn_id] = fut
        return await fut

    def resend(self, txn_id: str) -> OutboxItem | None:
        """Try a "not sent" message again (same txn_id, so never twice on the hub)."""
        item = self._open_outbox().retry(txn_id)
        if item is None:
            return None
        self._outbox_items[txn_id] = item
        self.outbox_changed.emit(item)
        self._wake_flusher()
        return item

    def outbox_of(self, conversation_id: int) -> list[OutboxItem]:
        """Unsent (pending or failed) replies of a conversation, in typing order."""
        return sorted(
            (i for i in self._outbox_items.values() if i.conversation_id == conversation_id),
            key=lambda i: i.local_id,
        )

    def newest_unsent(self) -> dict[int, OutboxItem]:
        """Conversation id -> its newest unsent (pending or failed) reply: what
        ``outbox_of(id)[-1]`` gives, for every conversation in one pass."""
        newest: dict[int, OutboxItem] = {}
        for item in self._outbox_items.values():
            old = newest.get(item.conversation_id)
            if old is None or item.local_id > old.local_id:
                newest[item.conversation_id] = item
        return newest

    @property
    def waiting_count(self) -> int:
        """Messages waiting to be sent (not counting "not sent" ones)."""
        return sum(1 for i in self._outbox_items.values() if i.state == "pending")

    def check_outbox(self) -> list[OutboxItem]:
        """Apply the 5-minute rule now: pending items that old become "not sent"."""
        if self._outbox is None or self.me is None:
            return []
        expired = self._outbox.expire(self.hub_url, self.me.id)
        for item in expired:
            self._outbox_items[item.txn_id] = item
            self._fail_waiter(item)
            self.outbox_changed.emit(item)
        return expired

    # ------------------------------------------------------------------ outbox internals

    def _open_outbox(self) -> Outbox:
        if self._outbox is None:
            folder = self.data_dir if self.data_dir is not None else user_data_dir()
            self._outbox = Outbox(folder / DB_NAME, clock=self.clock)
        return self._outbox

    def _load_outbox(self) -> None:
        assert self.me is not None
        items = self._open_outbox().items(self.hub_url, self.me.id)
        self._outbox_items = {i.txn_id: i for i in items}
        self.check_outbox()

    def _start_flusher(self) -> None:
        self._flush_stop = False
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_loop())
        self._wake_flusher()

    async def _stop_flusher(self) -> None:
        task, self._flush_task = self._flush_task, None
        self._flush_stop = True
        self._wake_flusher()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _wake_flusher(self) -> None:
        self._wake_pending = True
        fut = self._wake_fut
        if fut is not None and not fut.done():
            fut.set_result(None)

    async def _flush_loop(self) -> None:
        """Send pending items oldest first while the link is up; wake on new items,
        on reconnect, and every ``outbox_check_s`` for the 5-minute rule."""
        loop = asyncio.get_running_loop()
        while not self._flush_stop:
            # A future and a timer from this loop, not asyncio.Event/wait_for/timeout:
            # those can lose a cancel on 3.11 or check the running loop, which qasync
            # does not always set.
            if not self._wake_pending:
                fut: asyncio.Future[None] = loop.create_future()
                self._wake_fut = fut
                tick = loop.call_later(self.outbox_check_s, self._wake_flusher)
                try:
                    await fut
                finally:
                    tick.cancel()
                    self._wake_fut = None
            self._wake_pending = False
            if self._flush_stop:
                return
            self.check_outbox()
            try:
                await self._flush()
            except Exception:
                log.exception("outbox flush failed")

    async def _flush(self) -> None:
        while self.link.state == "online":
            pending = [i for i in self._outbox_items.values() if i.state == "pending"]
            if not pending:
                return
            item = min(pending, key=lambda i: i.local_id)
            command = SendMessage(txn_id=item.txn_id, conversation_id=item.conversation_id, text=item.text)
            try:
                data = await self._request(command)
            except (ConnectionLost, TimeoutError):
                return  # stays pending; the reconnect wakes us
            except CommandFailed as exc:
                if exc.code == "internal":
                    return  # a hub bug: keep it pending, the 5-minute rule decides
                failed = self._open_outbox().mark_failed(item.txn_id, exc.code)
                if failed is not None:
                    self._outbox_items[item.txn_id] = failed
                    self.outbox_changed.emit(failed)
                waiter = self._waiters.pop(item.txn_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_exception(exc)
                continue
            assert data.message is not None
            self._on_message(data.message)

    def _outbox_delivered(self, msg: MessageInfo) -> None:
        """The hub has this message (its result, or its event): the item is sent."""
        if msg.txn_id is None or msg.txn_id not in self._outbox_items:
            return
        del self._outbox_items[msg.txn_id]
        item = self._open_outbox().mark_sent(msg.txn_id, msg.id)
        if item is not None:
            self.outbox_changed.emit(item)
        waiter = self._waiters.pop(msg.txn_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(msg)

    def _fail_waiter(self, item: OutboxItem) -> None:
        waiter = self._waiters.pop(item.txn_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_exception(CommandFailed("not_sent", item.error))

    async def _conversation_command(self, command: Any) -> ConversationInfo:
        """Send a command whose result is a conversation, and apply that conversation."""
        data = await self._request(command)
        assert data.conversation is not None
        self._on_conversation(data.conversation)
        return data.conversation

    async def take(self, conversation_id: int) -> ConversationInfo:
        return await self._conversation_command(Take(txn_id=new_txn_id(), conversation_id=conversation_id))

    async def resolve(self, conversation_id: int) -> ConversationInfo:
        return await self._conversation_command(Resolve(txn_id=new_txn_id(), conversation_id=conversation_id))

    async def set_status(self, status: OperatorStatus) -> OperatorInfo:
        data = await self._request(SetStatus(txn_id=new_txn_id(), status=status))
        assert data.operator is not None
        self._on_operator(data.operator)
        return data.operator

    async def accept_offer(self, conversation_id: int) -> ConversationInfo:
        return await self._conversation_command(AcceptOffer(txn_id=new_txn_id(), conversation_id=conversation_id))

    async def decline_offer(self, conversation_id: int) -> ConversationInfo:
        return await self._conversation_command(DeclineOffer(txn_id=new_txn_id(), conversation_id=conversation_id))

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
        return await self._conversation_command(command)

    async def set_state(
        self, conversation_id: int, state: ConversationState, snoozed_until: datetime | None = None
    ) -> ConversationInfo:
        command = SetState(
            txn_id=new_txn_id(), conversation_id=conversation_id, state=state, snoozed_until=snoozed_until
        )
        return await self._conversation_command(command)

    async def notify_typing(self, conversation_id: int, typing: bool) -> None:
        if self._conn is not None and self._conn.is_open:
            await self._conn.send_ephemeral(Typing(conversation_id=conversation_id, typing=typing))

    async def notify_viewing(self, conversation_id: int | None) -> None:
        if self._conn is not None and self._conn.is_open:
            await self._conn.send_ephemeral(Viewing(conversation_id=conversation_id))

    async def load_history(self, conversation_id: int, *, older: bool = False) -> list[MessageInfo]:
        """Newest page first time; with ``older`` the page before what is loaded."""
        hist = self._histories.get(conversation_id)
        online = self._conn is not None and self._conn.is_open
        if hist is None or (online and not older and not self.follows(conversation_id)):
            # Not followed: the hub sends its messages only while it is on screen, so
            # what is kept may have gaps: start again from the newest page, saying
            # first that it is on screen (same socket, so the hub registers the
            # viewer before it reads the page: nothing falls between the two).
            hist = self._histories[conversation_id] = _History()
            if online and not self.follows(conversation_id):
                await self.notify_viewing(conversation_id)
        if hist.messages and not older:
            return hist.messages
        before = hist.messages[0].id if (older and hist.messages) else None
        command = History(txn_id=new_txn_id(), conversation_id=conversation_id, before_id=before)
        data = await self._request(command)
        fresh = not hist.messages
        hist.add_page(list(data.messages))
        hist.has_more = data.has_more
        if fresh:
            self._dirty_history(conversation_id)
        else:
            # an older page: only its messages are new to the cache (the writer upserts by
            # id); re-writing the whole history at each page grew with the depth scrolled
            # back (2,000 rows re-encoded and upserted per page, the writer thread holding
            # the GIL meanwhile: the window stalled without doing anything itself)
            for m in data.messages:
                self._dirty_history(conversation_id, m.id)
        return hist.messages

    def follows(self, conversation_id: int) -> bool:
        """Whether every message of the conversation reaches this client live: the hub
        sends a plain operator only the messages of their own conversations and of the
        queue (and of the one on screen); supervisors and admins get everything
        (docs/protocol.md, "Who receives which event")."""
        if self.me is None:
            return False
        if self.me.role != "operator":
            return True
        conv = self.conversations.get(conversation_id)
        return conv is not None and (conv.status != "open" or conv.assignee_id == self.me.id)

    def messages_of(self, conversation_id: int) -> list[MessageInfo]:
        hist = self._histories.get(conversation_id)
        return list(hist.messages) if hist else []

    def has_more_history(self, conversation_id: int) -> bool:
        hist = self._histories.get(conversation_id)
        return hist.has_more if hist else True

    # ------------------------------------------------------------------ customer card

    async def customer(self, customer_id: int) -> CustomerProfile:
        """The customer card; also refreshes ``custom_fields`` (the admin's field
        definitions). CommandFailed ``not_found`` for an unknown customer."""
        data = await self._request(CustomerGet(txn_id=new_txn_id(), customer_id=customer_id))
        assert data.customer is not None
        self.custom_fields = list(data.fields)
        return data.customer

    async def update_customer(
        self, customer_id: int, changes: CustomerChanges, *, region: str = "", txn_id: str | None = None
    ) -> CustomerProfile:
        """Change the card (partial: what ``changes`` leaves out stays). A refused value
        raises CommandFailed (``invalid_phone``, ``invalid_email``, ``invalid_field``,
        ``invalid_value``) and nothing is changed. ``region`` reads phone numbers written
        without a country code (default: the customer's locale). Pass the same ``txn_id``
        to retry an update whose answer was lost: it is applied once."""
        command = CustomerUpdate(
            txn_id=txn_id or new_txn_id(), customer_id=customer_id, changes=changes, region=region
        )
        seq_before = self.seq
        data = await self._request(command)
        assert data.customer is not None
        self._on_answered_card(data.customer, seq_before)
        return data.customer

    async def search_customers(self, query: str, *, limit: int = 20, region: str = "") -> list[CustomerProfile]:
        """Customers by name, phone (any format), e-mail or custom field value; exact
        matches first (docs/protocol.md "Customer card")."""
        data = await self._request(CustomerSearch(txn_id=new_txn_id(), query=query, limit=limit, region=region))
        return list(data.customers)

    async def customer_conversations(
        self, customer_id: int, *, before_id: int | None = None, limit: int = 20
    ) -> tuple[list[ConversationInfo], bool]:
        """A page of the customer's conversations (any status), newest first, and
        whether older ones follow; ``before_id`` (the last one of the previous page)
        pages back. CommandFailed ``not_found`` for an unknown customer."""
        command = CustomerConversations(txn_id=new_txn_id(), customer_id=customer_id, before_id=before_id, limit=limit)
        data = await self._request(command)
        return list(data.conversations), data.has_more

    async def customer_timeline(
        self,
        customer_id: int,
        *,
        before: TimelineCursor | None = None,
        limit: int = 20,
        kinds: Sequence[str] = (),
    ) -> tuple[list[TimelineEntry], bool]:
        """A page of the customer's timeline (conversations, notes, merges…), newest
        first, and whether older entries follow; ``before`` (the cursor of the previous
        page's last entry) pages back; ``kinds`` filters (empty: all)."""
        command = CustomerTimeline(
            txn_id=new_txn_id(), customer_id=customer_id, before=before, limit=limit, kinds=list(kinds)
        )
        data = await self._request(command)
        return list(data.entries), data.has_more

    async def save_customer_note(
        self, customer_id: int, text: str, *, note_id: int | None = None, txn_id: str | None = None
    ) -> TimelineEntry:
        """Add a note to the customer card (``note_id`` None) or change one. CommandFailed
        ``empty_text`` / ``text_too_long`` / ``forbidden`` / ``not_found``. Keep the
        ``txn_id`` for a retry after a lost answer: the hub stores the note once."""
        command = CustomerNoteSave(
            txn_id=txn_id or new_txn_id(), customer_id=customer_id, text=text, note_id=note_id
        )
        data = await self._request(command)
        assert data.entry is not None
        return data.entry

    async def merge_candidates(self, customer_id: int) -> list[MergeCandidate]:
        """Customers who share a phone number or an e-mail address with this one."""
        data = await self._request(CustomerMergeCandidates(txn_id=new_txn_id(), customer_id=customer_id))
        return list(data.candidates)

    async def merge_customers(
        self, keep_id: int, merge_id: int, choices: MergeChoices | None = None, *, txn_id: str | None = None
    ) -> tuple[MergeInfo, CustomerProfile]:
        """Merge card ``merge_id`` into ``keep_id`` (``choices``: which value wins where
        they differ); the merge and the kept card. Pass the same ``txn_id`` to retry."""
        command = CustomerMerge(
            txn_id=txn_id or new_txn_id(), keep_id=keep_id, merge_id=merge_id, choices=choices or MergeChoices()
        )
        seq_before = self.seq
        data = await self._request(command)
        assert data.merge is not None and data.customer is not None
        self._on_answered_card(data.customer, seq_before)
        return data.merge, data.customer

    async def unmerge_customers(
        self, merge_id: int, *, txn_id: str | None = None
    ) -> tuple[MergeInfo, CustomerProfile, CustomerProfile]:
        """Undo a merge: the merge (undone), the kept card and the restored one."""
        seq_before = self.seq
        data = await self._request(CustomerUnmerge(txn_id=txn_id or new_txn_id(), merge_id=merge_id))
        assert data.merge is not None and data.kept is not None and data.restored is not None
        self._on_answered_card(data.kept, seq_before)
        self._on_answered_card(data.restored, seq_before)
        return data.merge, data.kept, data.restored

    async def start_conversation(
        self,
        customer_id: int,
        channel: str,
        text: str,
        *,
        identity_id: int = 0,
        txn_id: str | None = None,
        template: WaTemplateChoice | None = None,
    ) -> tuple[ConversationInfo, MessageInfo]:
        """Write first to a customer on one of their channels (``conversation_start``): the
        new conversation (assigned to us) and its first message. CommandFailed
        ``channel_unavailable`` / ``not_found`` / ``conflict`` when the hub refuses; pass
        the same ``txn_id`` to retry."""
        command = ConversationStart(
            txn_id=txn_id or new_txn_id(),
            customer_id=customer_id,
            channel=channel,
            text=text,
            identity_id=identity_id,
            template=template,
        )
        data = await self._request(command)
        assert data.conversation is not None and data.message is not None
        return data.conversation, data.message

    # ------------------------------------------------------------------ WhatsApp templates and the window

    async def _raw_request(self, command: Any) -> dict[str, object]:
        conn = self._conn
        if conn is None or not conn.is_open:
            raise ConnectionLost(None)
        raw: dict[str, object] = await conn.request(command)
        return raw

    async def wa_templates(self, channel: str = "whatsapp", *, refresh: bool = False) -> WaTemplateListing:
        """The channel's approved templates (``refresh``: the hub fetches them from Meta
        first). CommandFailed ``channel_unavailable`` when there is no such channel."""
        raw = await self._raw_request(WaTemplateList(txn_id=new_txn_id(), channel=channel, refresh=refresh))
        return convert(raw, WaTemplateListing)

    async def conversation_window(self, conversation_id: int) -> WindowInfo:
        """Whether free text reaches the conversation's customer now (WhatsApp's 24 hours)."""
        raw = await self._raw_request(ConversationWindow(txn_id=new_txn_id(), conversation_id=conversation_id))
        return convert(raw, WindowInfo)

    async def send_template(
        self, conversation_id: int, template: WaTemplateChoice, *, txn_id: str | None = None
    ) -> MessageInfo:
        """Send an approved template (stored with its rendered text, shown like any reply).
        Not through the outbox: a refusal (``template_invalid``, ``channel_unavailable``)
        or a lost link is said at once and the dialog keeps what was filled in; pass the
        same ``txn_id`` to retry (the hub stores it once)."""
        command = SendMessage(
            txn_id=txn_id or new_txn_id(), conversation_id=conversation_id, text="", template=template
        )
        data = await self._request(command)
        assert data.message is not None
        self._on_message(data.message)
        return data.message

    # ------------------------------------------------------------------ answer templates

    async def load_templates(self) -> list[TemplateInfo]:
        """The templates this operator may use (the team's and their own), kept in
        ``templates``; later changes arrive as ``template_updated`` events."""
        conn = self._conn
        data = await self._request(TemplateList(txn_id=new_txn_id()))
        if self._closing or self._conn is not conn:
            # signed out (or another link) while the answer was on its way: it is no
            # longer this session's state, and must not refill what sign-out forgot
            return list(data.templates)
        self.templates = {t.id: t for t in data.templates}
        self._dirty_templates()
        self.templates_changed.emit(None)
        return list(data.templates)

    async def save_template(self, draft: TemplateDraft, *, txn_id: str | None = None) -> TemplateInfo:
        """Create (``draft.id`` None) or change a template. CommandFailed ``forbidden``
        (a team template by an operator), ``conflict`` (the shortcode is taken),
        ``invalid_value``. Pass the same ``txn_id`` to retry: it is saved once."""
        data = await self._request(TemplateSave(txn_id=txn_id or new_txn_id(), template=draft))
        assert data.template is not None
        self._on_template(data.template, deleted=False)
        return data.template

    async def delete_template(self, template_id: int, *, txn_id: str | None = None) -> TemplateInfo:
        data = await self._request(TemplateDelete(txn_id=txn_id or new_txn_id(), template_id=template_id))
        assert data.template is not None
        self._on_template(data.template, deleted=True)
        return data.template

    def _on_template(self, template: TemplateInfo, *, deleted: bool) -> None:
        known = self.templates.get(template.id)
        if deleted:
            if known is None:
                return
            del self.templates[template.id]
        else:
            if known is not None and known.updated_at > template.updated_at:
                return  # an event brought a newer version meanwhile
            self.templates[template.id] = template
        self._dirty_templates()
        self.templates_changed.emit(None)

    def _dirty_templates(self) -> None:
        """The templates changed: the cache keeps them (``/shortcode`` works offline)."""
        self._dirty.templates = True
        with contextlib.suppress(RuntimeError):  # no running loop (the app is closing): close() writes it
            self._touch_cache()

    # ------------------------------------------------------------------ knowledge base

    async def kb_search(
        self,
        query: str,
        *,
        lang: str = "",
        tags: Sequence[str] = (),
        limit: int = 10,
        visibility: str = "",
        fallback: bool = True,
    ) -> list[KbHit]:
        """Knowledge base articles for ``query``, best first (docs/protocol.md
        "Knowledge base"). An empty or unreadable query finds nothing, never an error."""
        command = KbSearch(
            txn_id=new_txn_id(),
            query=query[:2000],
            lang=lang,
            tags=list(tags),
            limit=limit,
            visibility=visibility,
            fallback=fallback,
        )
        return list((await self._request(command)).hits)

    async def kb_get(self, article_id: str) -> KbArticleInfo:
        """One article (Markdown body). CommandFailed ``not_found``."""
        data = await self._request(KbGet(txn_id=new_txn_id(), article_id=article_id))
        assert data.article is not None
        return data.article

    async def kb_save(self, draft: KbArticleDraft, *, txn_id: str | None = None) -> tuple[KbArticleInfo, bool]:
        """Create (``draft.id`` empty) or replace an article: (the article as stored,
        created). Supervisors and admins only (CommandFailed ``forbidden``); a bad value
        gives ``invalid_value``. Pass the same ``txn_id`` to retry: applied once."""
        data = await self._request(KbSave(txn_id=txn_id or new_txn_id(), article=draft))
        assert data.article is not None
        return data.article, data.created

    async def kb_delete(self, article_id: str, *, txn_id: str | None = None) -> bool:
        """Delete an article (supervisors and admins); False if there was none."""
        return (await self._request(KbDelete(txn_id=txn_id or new_txn_id(), article_id=article_id))).deleted

    async def kb_synonyms(self) -> list[list[str]]:
        return list((await self._request(KbSynonymsGet(txn_id=new_txn_id()))).groups)

    async def kb_set_synonyms(self, groups: Sequence[Sequence[str]]) -> list[list[str]]:
        """Replace the synonym groups (supervisors and admins); the groups as stored."""
        command = KbSynonymsSet(txn_id=new_txn_id(), groups=[list(g) for g in groups])
        return list((await self._request(command)).groups)

    def _on_answered_card(self, profile: CustomerProfile, seq_before: int) -> None:
        """A card a command answered with, unless an event brought that card while the
        command was on its way (``customer_updated``, ``customers_merged``): the event is
        at least as new as the answer (ours, or a colleague's later change)."""
        if self._card_seq.get(profile.id, 0) <= seq_before:
            self._on_customer(profile)

    def _on_customer(self, profile: CustomerProfile) -> None:
        """A card changed: conversations of that customer show its name and VIP flag."""
        for conv in list(self.conversations.values()):
            cust = conv.customer
            if cust.id == profile.id and (cust.name, cust.vip) != (profile.name, profile.vip):
                conv = msgspec.structs.replace(
                    conv, customer=msgspec.structs.replace(cust, name=profile.name, vip=profile.vip)
                )
                self.conversations[conv.id] = conv
                self._dirty_conversation(conv.id)
                self.conversation_changed.emit(conv)
        self.customer_changed.emit(profile)

    # ------------------------------------------------------------------ local cache

    def _open_cache(self) -> SessionCache:
        if self._cache is None:
            folder = self.data_dir if self.data_dir is not None else user_data_dir()
            self._cache = SessionCache(folder / DB_NAME)
        return self._cache

    async def _read_cache(self, url: str, operator_id: int) -> Snapshot | None:
        try:
            cache = self._open_cache()
            return await asyncio.get_running_loop().run_in_executor(None, cache.load, url, operator_id)
        except Exception:  # a broken file costs the replay, never the login
            log.exception("could not read the local cache")
            return None

    def _restore(self, snap: Snapshot) -> None:
        """Take the cached state as the session's (before a sync, or for an offline start)."""
        self.me = snap.me
        self.epoch = snap.epoch
        self.seq = snap.seq
        self.conversations = {c.id: c for c in snap.conversations}
        self.operators = {o.id: o for o in snap.operators}
        self.queues = {q.id: q for q in snap.queues}
        self._histories = {
            cid: _History(messages=list(h.messages), ids={m.id for m in h.messages}, has_more=h.has_more)
            for cid, h in snap.histories.items()
        }
        if snap.templates:
            self.templates = {t.id: t for t in snap.templates}
            self.templates_changed.emit(None)
        now = datetime.now(UTC)
        self.offers = {
            c.id: ConversationOffered(
                seq=snap.seq, operator_id=snap.me.id, expires_at=c.offer_expires_at, conversation=c
            )
            for c in snap.conversations
            if c.offered_to == snap.me.id and c.offer_expires_at is not None and c.offer_expires_at > now
        }

    def _touch_cache(self) -> None:
        """Something cached changed: write it (with epoch and seq) after ``cache_delay``."""
        if not self._cache_on or self._cache_timer is not None:
            return
        self._cache_timer = asyncio.get_running_loop().call_later(self.cache_delay, self._write_cache)

    def _dirty_conversation(self, conv_id: int, removed: bool = False) -> None:
        if removed:
            self._dirty.conversations.discard(conv_id)
            self._dirty.removed.add(conv_id)
            self._dirty.histories.pop(conv_id, None)
        else:
            if conv_id in self._dirty.removed:  # back again: its history is written anew
                self._dirty.removed.discard(conv_id)
                if conv_id in self._histories:
                    self._dirty.histories[conv_id] = None
            self._dirty.conversations.add(conv_id)
        self._touch_cache()

    def _dirty_history(self, conv_id: int, msg_id: int | None = None) -> None:
        ids = self._dirty.histories.get(conv_id, set())
        if msg_id is None or ids is None:
            self._dirty.histories[conv_id] = None
        else:
            ids.add(msg_id)
            self._dirty.histories[conv_id] = ids
        self._touch_cache()

    def _write_cache(self) -> None:
        """Encode what changed (on the loop: small) and hand it to the writer thread."""
        if self._cache_timer is not None:
            self._cache_timer.cancel()
            self._cache_timer = None
        dirty, self._dirty = self._dirty, _Dirty()
        if not self._cache_on or self.me is None or not self.epoch:
            return
        enc = msgspec.json.encode
        batch = CacheBatch(
            hub_url=self.hub_url,
            operator_id=self.me.id,
            token_hash=token_hash(self._token) if self._token else "",
            epoch=self.epoch,
            seq=self.seq,
            me=enc(self.me),
            queues=enc(list(self.queues.values())),
            full=dirty.full,
        )
        if dirty.full or dirty.templates:
            batch.templates = enc(list(self.templates.values()))
        if dirty.full:
            dirty.conversations = set(self.conversations)
            dirty.operators = set(self.operators)
            dirty.histories = dict.fromkeys(self._histories)
        for cid in dirty.conversations:
            conv = self.conversations.get(cid)
            if conv is not None:
                batch.conversations[cid] = enc(conv)
            else:
                batch.removed_conversations.add(cid)
        batch.removed_conversations |= dirty.removed
        for oid in dirty.operators:
            op = self.operators.get(oid)
            if op is not None:
                batch.operators[oid] = enc(op)
        for cid, ids in dirty.histories.items():
            hist = self._histories.get(cid)
            if hist is None or cid in batch.removed_conversations:
                continue
            batch.histories[cid] = hist.has_more
            for m in hist.messages:
                if ids is None or m.id in ids:
                    batch.messages.append((cid, m.id, enc(m)))
        fut = self._open_cache().write(batch)
        self._cache_writes.append(fut)
        fut.add_done_callback(self._cache_written)

    def _cache_written(self, fut: Any) -> None:
        with contextlib.suppress(ValueError):
            self._cache_writes.remove(fut)

    async def flush_cache(self) -> None:
        """Write what is pending now and wait until the file holds it."""
        if self._cache_timer is not None or self._dirty != _Dirty():
            self._write_cache()
        for fut in list(self._cache_writes):
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(fut)

    async def _drop_cache(self) -> None:
        """Forget this operator's cache, on disk and in memory (sign-out)."""
        self._cache_on = False
        if self._cache_timer is not None:
            self._cache_timer.cancel()
            self._cache_timer = None
        self._dirty = _Dirty()
        if self.me is not None and self.hub_url:
            await asyncio.wrap_future(self._open_cache().delete(self.hub_url, self.me.id))
        self.epoch, self.seq = "", 0
        self.conversations, self.operators, self.queues = {}, {}, {}
        self._histories.clear()
        self.offers.clear()
        self.templates = {}

    # ------------------------------------------------------------------ events

    def _attach(self, conn: HubConnection) -> None:
        """Take a signed-in connection; a sync always follows. Events the hub pushed
        since the sign-in are held for it: applied now, one would move ``seq`` past the
        events missed meanwhile, and the resume would skip them."""
        self._conn = conn
        self._sync_buffer = []
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
        if self._sync_buffer is not None:
            self._sync_buffer.append(frame)  # applied after the sync result, in order
            return
        self._apply(frame)
        if getattr(frame, "must_ack", False):
            self._ack()

    def _apply(self, frame: Any) -> None:
        seq = getattr(frame, "seq", 0)
        if seq and seq <= self.seq:
            return  # already applied, or contained in the last sync: de-duplicated by seq
        if seq:
            self.seq = seq
            self._touch_cache()
        if isinstance(frame, ConversationUpdated):
            self._on_conversation(frame.conversation)
        elif isinstance(frame, MessageCreated):
            if frame.conversation is not None:  # the turn this message changed
                self._on_conversation(msgspec.structs.replace(frame.conversation, last_message=frame.message))
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
            self._touch_cache()
            self.queues_changed.emit(None)
        elif isinstance(frame, CustomerUpdated):
            self._card_seq[frame.customer.id] = frame.seq
            self._on_customer(frame.customer)
        elif isinstance(frame, TimelineEntrySaved):
            self.timeline_entry_saved.emit(frame)
        elif isinstance(frame, MergeProposed):
            self.merge_proposed.emit(frame)
        elif isinstance(frame, CustomersMerged):
            self._card_seq[frame.kept.id] = frame.seq
            self._on_customer(frame.kept)
            if frame.merged is not None:
                self._card_seq[frame.merged.id] = frame.seq
                self._on_customer(frame.merged)
            self.customers_merged.emit(frame)
        elif isinstance(frame, TemplateUpdated):
            self._on_template(frame.template, deleted=frame.deleted)
        elif isinstance(frame, KbArticleUpdated):
            self.kb_article_changed.emit(frame.article)
        elif isinstance(frame, KbArticleDeleted):
            self.kb_article_deleted.emit(frame.article_id)

    def _ack(self) -> None:
        """Acknowledge (cumulatively) everything applied so far."""
        conn = self._conn
        if conn is not None and conn.is_open and self.seq:
            conn.notify(Ack(seq=self.seq))

    def _on_conversation(self, conv: ConversationInfo) -> None:
        offer = self.offers.get(conv.id)
        if offer is not None and (conv.status != "queued" or conv.offered_to != offer.operator_id):
            del self.offers[conv.id]  # accepted, taken, transferred or moved on
            self.offers_changed.emit(None)
        if conv.status == "resolved":
            self.conversations.pop(conv.id, None)
            self._dirty_conversation(conv.id, removed=True)
        else:
            self.conversations[conv.id] = conv
            self._dirty_conversation(conv.id)
        self.conversation_changed.emit(conv)

    def _on_message(self, msg: MessageInfo) -> None:
        self._outbox_delivered(msg)
        hist = self._histories.get(msg.conversation_id)
        added = hist.add(msg) if hist is not None else True
        conv = self.conversations.get(msg.conversation_id)
        if conv is not None and (conv.last_message is None or conv.last_message.id <= msg.id):
            self.conversations[conv.id] = msgspec.structs.replace(conv, last_message=msg)
            self._dirty_conversation(conv.id)
        if added and hist is not None:
            self._dirty_history(msg.conversation_id, msg.id)
        if added:
            self.message_added.emit(msg)

    def _on_operator(self, op: OperatorInfo) -> None:
        self.operators[op.id] = op
        if self.me is not None and op.id == self.me.id:
            self.me = op
        self._dirty.operators.add(op.id)
        self._touch_cache()
        self.operator_changed.emit(op)

    async def _sync(self) -> None:
        """Resume from ``seq`` when the hub still can (``recovered: true``: the missed
        events are in the result and are applied in order), else take the full state
        and reload the histories that were open by paging. Live events that arrive
        meanwhile are held back and applied afterwards (duplicates dropped by seq)."""
        command = Sync(txn_id=new_txn_id(), last_seq=self.seq or None, epoch=self.epoch)
        if self._sync_buffer is None:  # else events since the sign-in are already held
            self._sync_buffer = []
        try:
            data = await self._request(command)
            must_ack = False
            if data.recovered and data.epoch == self.epoch:
                for event in data.events:
                    self._apply(event)
                    must_ack = must_ack or event.must_ack
                self.seq = max(self.seq, data.seq)
                self.last_sync = "recovered"
                self._touch_cache()
            else:
                # the rest of the inbox, page by page, before anything is replaced: a cut
                # in the middle leaves the old state and seq, and the next sync starts over
                conversations = list(data.conversations)
                more_after = data.more_after
                while more_after is not None:
                    page = await self._request(SyncPage(txn_id=new_txn_id(), after_id=more_after))
                    conversations.extend(page.conversations)
                    more_after = page.more_after
                self.last_sync = "reloaded"
                reload = self._loaded_histories()
                if data.epoch != self.epoch:  # another database: ids mean other things
                    reload = dict.fromkeys(reload, 0)
                self.epoch = data.epoch
                self.seq = data.seq
                self.conversations = {c.id: c for c in conversations}
                self.operators = {o.id: o for o in data.operators}
                self.queues = {q.id: q for q in data.queues}
                self.typing.clear()
                self.viewers.clear()
                if self.me is not None and self.me.id in self.operators:
                    self.me = self.operators[self.me.id]
                me_id = self.me.id if self.me is not None else None
                self.offers = {
                    c.id: ConversationOffered(
                        seq=data.seq, operator_id=me_id, expires_at=c.offer_expires_at, conversation=c
                    )
                    for c in conversations
                    if me_id is not None and c.offered_to == me_id and c.offer_expires_at is not None
                }
                self._histories.clear()
                self._dirty = _Dirty(full=True)  # the cache is replaced (another epoch: dropped)
                # a full state is thousands of new long-lived objects: collect now, while
                # the inbox is being rebuilt anyway, so the collector's full pass does not
                # come later in the middle of the operator's scrolling (a 150-200 ms pause
                # with 5,000 conversations, measured by bench.ui_history's max_stall)
                gc.collect()
                self._touch_cache()
                for conv_id, newest in reload.items():
                    if conv_id in self.conversations:
                        await self._reload_history(conv_id, newest)
        finally:
            buffered, self._sync_buffer = self._sync_buffer or [], None
        for frame in buffered:
            self._apply(frame)
            must_ack = must_ack or getattr(frame, "must_ack", False)
        if must_ack:
            self._ack()
        self.synced.emit(None)
        self.offers_changed.emit(None)
        self.queues_changed.emit(None)

    def _loaded_histories(self) -> dict[int, int]:
        """conversation id -> newest message id known, for histories loaded so far."""
        return {cid: (h.messages[-1].id if h.messages else 0) for cid, h in self._histories.items()}

    async def _reload_history(self, conversation_id: int, newest_known: int) -> None:
        """Page back from the newest message until the page reaches what we had."""
        hist = self._histories.setdefault(conversation_id, _History())
        before: int | None = None
        while True:
            command = History(txn_id=new_txn_id(), conversation_id=conversation_id, before_id=before)
            data = await self._request(command)
            for m in data.messages:
                hist.add(m)
            hist.has_more = data.has_more
            self._dirty_history(conversation_id)
            if not data.has_more or not data.messages or data.messages[0].id <= newest_known:
                return
            before = data.messages[0].id

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
        delays = backoff_delays(self.reconnect_first_delay)
        while not self._closing:
            try:
                conn = await self._open(self.hub_url, 5)
                try:
                    data = _data(await conn.request(Auth(txn_id=new_txn_id(), token=self._token)))
                except CommandFailed as exc:
                    await conn.close()
                    self.secrets.delete(_secret_key(self.hub_url))
                    self._set_link("ended", exc.text)
                    self.session_ended.emit(exc.text)
                    return
                if data.operator is not None:
                    if self.me is not None and self.me.id != data.operator.id:
                        self.epoch, self.seq = "", 0  # not the cached operator: reload
                    self.me = data.operator
                self._attach(conn)
                await self._sync()
                self._set_link("online")
                self._wake_flusher()  # send what was typed meanwhile
                return
            except (HubUnreachable, ConnectionLost, TimeoutError) as exc:
                log.info("reconnect failed: %s", exc)
            await asyncio.sleep(next(delays))  # backoff with jitter

    def _cancel_reconnect(self) -> None:
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
            self._reconnect_task = None

    def _set_link(self, state: LinkState, detail: str = "") -> None:
        since = self.link.since if state == self.link.state else datetime.now(UTC)
        self.link = LinkChange(state, detail, since)
        self.link_changed.emit(self.link)
