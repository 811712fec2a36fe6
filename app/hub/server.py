"""The hub: one websockets server for operators (/ws/operator), customers
(/ws/customer) and plain HTTP (widget files, /healthz). docs/protocol.md is the contract.

Threads: the asyncio loop handles every socket; all database work runs on ONE worker
thread (``Hub._db``), so the loop never blocks on SQLite and writes are serialised.
Events are published from that thread in commit order (``call_soon_threadsafe``), so
every connection receives them in ``seq`` order.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import msgspec
from sqlalchemy import Engine
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from app.domain.errors import Conflict, DomainError
from app.domain.files import DEFAULT_MAX_BYTES, DEFAULT_TYPES, FilePolicy
from app.domain.passwords import normalize_username
from app.domain.text import TextRejected, clean_text
from app.domain.tokens import new_token, token_hash
from app.hub import accounts
from app.hub.channels.manager import ChannelManager, DbRunner
from app.hub.channels.webhooks import WebhookServer
from app.hub.connection import (
    COMPRESS_MIN_BYTES,
    FAST_INFLIGHT_MAX,
    Conn,
    HubConnection,
    SmallFramesPlainFactory,
)
from app.hub.files import URL_TTL_S, FileRoute, Uploads, signed_path
from app.hub.http import HttpRoutes
from app.hub.kb import KbService
from app.hub.kb_bot import KbBot
from app.hub.kb_pages import KbPageRoute, public_path
from app.protocol import (
    MAX_FRAME_BYTES,
    PROTOCOL_VERSION,
    CloseCode,
    ErrorCode,
    ProtocolError,
    decode,
)
from app.protocol.codec import encode_bytes, to_builtins
from app.protocol.errors import BAD_FRAMES_BEFORE_CLOSE
from app.protocol.messages import (
    AcceptOffer,
    Ack,
    Auth,
    BotFeedback,
    BotSuggestion,
    ConversationInfo,
    ConversationOffered,
    ConversationStart,
    ConversationUpdated,
    ConversationWindow,
    CustomerConversations,
    CustomerGet,
    CustomerHello,
    CustomerHistory,
    CustomerInbound,
    CustomerMerge,
    CustomerMergeCandidates,
    CustomerNoteSave,
    CustomerSearch,
    CustomerSend,
    CustomerTimeline,
    CustomerTyping,
    CustomerUnmerge,
    CustomerUpdate,
    CustomerWelcome,
    DeclineOffer,
    Error,
    FileUploadBegin,
    FileUploadCancel,
    FileUploadChunk,
    FileUploadEnd,
    FileUrls,
    Hello,
    History,
    KbArticleInfo,
    KbDelete,
    KbGet,
    KbHit,
    KbSave,
    KbSearch,
    KbSynonymsGet,
    KbSynonymsSet,
    MessageCreated,
    OperatorEvent,
    OperatorInbound,
    OperatorTyping,
    Resolve,
    Result,
    SendMessage,
    SetState,
    SetStatus,
    SignOut,
    Sync,
    SyncPage,
    Take,
    TemplateDelete,
    TemplateList,
    TemplateSave,
    TemplateUpdated,
    Transfer,
    Typing,
    TypingEvent,
    Viewing,
    ViewingEvent,
    WaTemplateInfo,
    WaTemplateList,
    Welcome,
)
from app.storage import Outcome, Store, make_engine, upgrade
from app.storage.channels import ChannelStore
from app.storage.engine import CHECKPOINT_INTERVAL_S, checkpoint, checkpoint_in_background
from app.storage.files import FileStore, default_files_dir
from app.storage.repo import decode_event, utcnow

log = logging.getLogger("frontline.hub")
# websockets logs whole frames at DEBUG level, and frames carry passwords and tokens:
# its logger never goes below INFO, whatever the root level is.
ws_log = logging.getLogger("frontline.hub.ws")
ws_log.setLevel(logging.INFO)

HUB_VERSION = "0.1.0"
WEB = "web"
HELLO_REFUSED = 1008  # policy violation: the first frame was not a hello
BATCH_MAX = 32  # writes per group-commit transaction

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class HubConfig:
    db_url: str
    host: str = "127.0.0.1"
    port: int = 8765
    widget_dir: Path | None = None
    token_ttl: timedelta = timedelta(days=30)
    hello_timeout_s: float = 10.0
    # Keepalive: a ping every 10 s; no pong within 10 s fails the connection, and the
    # socket is dropped at most 5 s later (close handshake timeout): a half-open
    # connection is gone within 25 s (docs/protocol.md, "Keepalive").
    ping_interval_s: float = 10.0
    ping_timeout_s: float = 10.0
    close_timeout_s: float = 5.0
    send_queue_max: int = 1000
    max_frame_bytes: int = MAX_FRAME_BYTES
    # permessage-deflate only for messages of this size and more (SmallFramesPlain)
    compress_min_bytes: int = COMPRESS_MIN_BYTES
    # the time source of offers, snoozes and SLA clocks (tests inject a shifted clock)
    clock: Callable[[], datetime] = utcnow
    # how often offers, snoozes and SLA clocks are checked
    tick_s: float = 0.5
    # Resume: at most this many missed events are replayed; more means recovered: false.
    resume_cap: int = 1000
    # A full-state sync sends the team inbox in pages of this many conversations.
    sync_page_size: int = 500
    # Unacknowledged must-deliver events are re-sent to live connections this often.
    redeliver_interval_s: float = 10.0
    # Channels (app/hub/channels): the webhook listener (None: none; 0: a free port), how
    # often the channel settings are re-read and the outbox swept, the retry backoff.
    webhook_host: str | None = None  # default: ``host``
    webhook_port: int | None = None
    channels: bool = True
    channel_refresh_s: float = 5.0
    channel_sweep_s: float = 1.0
    channel_retry_base_s: float = 1.0
    channel_retry_max_s: float = 60.0
    # A customer waiting on an operator who has been offline this long goes back to the
    # queue (negative: never).
    orphan_after_s: float = 120.0
    # Attachments (docs/admin.md "Files"): where the bytes live (default: ``files`` next
    # to the SQLite database), the size limit, the types taken (detected by content).
    files_dir: Path | None = None
    max_file_bytes: int = DEFAULT_MAX_BYTES
    file_types: tuple[str, ...] = DEFAULT_TYPES
    file_url_ttl_s: int = URL_TTL_S
    # a file no message carries this long after its upload is deleted
    orphan_file_s: float = 24 * 3600.0
    # How often the knowledge base index looks for changes made outside this hub (an
    # import on the command line, another hub node): at most this often, before a search.
    kb_refresh_s: float = 5.0
    # The web chat's bot first line (app/hub/kb_bot.py) on a hub WITHOUT lines (queues);
    # with lines, each line's own switch decides (frontline-hub queue set ... --bot-first-line).
    bot_first_line: bool = False
    # The address customers reach the hub's HTTP side at (public article links,
    # docs/admin.md "Public address"): e.g. https://help.example.com; "" = http_url.
    public_url: str = ""


class HubError(DomainError):
    """A command failure with an explicit protocol code."""

    def __init__(self, code: ErrorCode, text: str) -> None:
        super().__init__(text)
        self.code = code


@dataclass
class _Presence:
    conns: set[Conn] = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _iso(dt: Any) -> str:
    return str(to_builtins(dt))


class Hub:
    """The hub server. ``await start()`` listens (``port`` 0 picks a free port),
    ``await stop()`` closes every connection with 1001 and releases the database."""

    def __init__(self, config: HubConfig) -> None:
        self.config = config
        self.port: int = config.port
        self.epoch: str = ""
        self._server: Server | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._store: Store | None = None
        self._presence: defaultdict[int, _Presence] = defaultdict(_Presence)
        self._customers: defaultdict[int, set[Conn]] = defaultdict(set)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._conn_counter = 0
        self._conv_customer: dict[int, int] = {}
        # active conversation -> (status, assignee): the per-recipient filter's facts
        self._owners: dict[int, tuple[str, int | None]] = {}
        # group commit of the hot writes (_submit): queued calls with what to do with
        # their outcome on the loop, and whether a drain job is queued or running on
        # the database thread
        self._batch_lock = threading.Lock()
        self._batch: list[tuple[Callable[[], Outcome[Any]], Done]] = []
        self._draining = False
        self._kick_due = False  # a _kick is scheduled on the loop
        # the highest seq of the event log this hub has published or passed over (database
        # thread only; None until the start read it): a gap below the next write's events
        # is events another process wrote (the CLI), published first, in order
        self._seen_seq: int | None = None
        # the channels (Telegram, ...): adapters, outbox, health; and their webhook listener
        self.channels: ChannelManager | None = None
        self.webhooks: WebhookServer | None = None
        # attachments: the storage, the unfinished uploads, the URL signing key
        self.files: FileStore | None = None
        self.uploads: Uploads | None = None
        self._file_secret = b""

        # the knowledge base search index (app/hub/kb.py), built in the background at start
        self.kb: KbService | None = None
        # the web chat's bot first line (app/hub/kb_bot.py)
        self.bot: KbBot | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def ws_url(self) -> str:
        return f"ws://{self._url_host}:{self.port}"

    @property
    def http_url(self) -> str:
        return f"http://{self._url_host}:{self.port}"

    @property
    def webhook_url(self) -> str:
        """The webhook listener's base URL ("" when there is none)."""
        if self.webhooks is None:
            return ""
        return f"http://{self._url_host}:{self.webhooks.port}"

    @property
    def public_base(self) -> str:
        """The public address of the hub's HTTP side (``--public-url``, else ``http_url``)."""
        return self.config.public_url.rstrip("/") or self.http_url

    def article_url(self, article_id: str, title: str, lang: str = "") -> str:
        """The page of a public article (app/hub/kb_pages.py)."""
        return self.public_base + public_path(article_id, title, lang)

    async def _public_articles(self, ids: list[str]) -> list[Any]:
        return [a for a in await self._db(self.store.kb.articles, ids) if a.visibility == "public"]

    @property
    def _url_host(self) -> str:
        host = self.config.host
        if host in ("", "0.0.0.0"):  # noqa: S104 - only naming the URL
            return "127.0.0.1"
        return f"[{host}]" if ":" in host else host

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frontline-db")
        engine = make_engine(self.config.db_url)
        background_checkpoints = checkpoint_in_background(engine)
        try:
            await self._db(upgrade, engine)
            self._store = Store(engine)
            self.kb = KbService(self._store, self._db, refresh_s=self.config.kb_refresh_s)
            self.bot = KbBot(
                self._store,
                self._db,
                self._tx,
                self._bot_search,
                self._send_to_customer,
                no_queue_default=self.config.bot_first_line,
            )
            await self._db(self._init_seen_seq)
            self.epoch = await self._db(self._store.epoch)
            self.files = FileStore(
                self._store._sessions,
                self.config.files_dir or default_files_dir(self.config.db_url),
                FilePolicy(self.config.max_file_bytes, tuple(self.config.file_types)),
            )
            await asyncio.to_thread(self.files.prepare)
            self._file_secret = await self._db(self.files.secret)
            self.uploads = Uploads(self.files, self._db)
            await self._tx(self._store.reset_presence)
            self._spawn(self._redeliver_loop(), "redeliver")
            self._spawn(self._orphan_files_loop(), "orphan files")
            if background_checkpoints:
                self._spawn(self._checkpoint_loop(), "checkpoint")
            self._server = await serve(
                self._handle,
                self.config.host,
                self.config.port,
                process_request=HttpRoutes(
                    self.config.widget_dir,
                    channel_states=self._channel_states,
                    files=FileRoute(self.files, self._file_secret, self._db),
                    kb=KbPageRoute(self._public_articles, lambda: self.public_base),
                ),
                max_size=self.config.max_frame_bytes,
                create_connection=HubConnection,
                compression=None,  # permessage-deflate, for frames of 1 KiB and more:
                extensions=[SmallFramesPlainFactory(self.config.compress_min_bytes)],
                ping_interval=self.config.ping_interval_s,
                ping_timeout=self.config.ping_timeout_s,
                close_timeout=self.config.close_timeout_s,
                logger=ws_log,
            )
            if self.config.channels:
                await self._start_channels()
        except BaseException:
            await self._stop_channels()
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()
                self._server = None
            await self._release()
            raise
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._spawn(self._ticker(), "ticker")
        self._spawn(self._route(), "route at start")
        if self.kb is not None:
            self.kb.start()  # the search index, on its own thread: the hub does not wait
        log.info("hub listening on %s (epoch %s)", self.ws_url, self.epoch)

    async def _start_channels(self) -> None:
        self.channels = ChannelManager(
            ChannelStore(self.store, self.files),
            DbRunner(self._db, self._tx),
            route=lambda: self._spawn(self._route(), "route channel conversation"),
            refresh_s=self.config.channel_refresh_s,
            sweep_s=self.config.channel_sweep_s,
            retry_base_s=self.config.channel_retry_base_s,
            retry_max_s=self.config.channel_retry_max_s,
        )
        await self.channels.start()
        if self.config.webhook_port is not None:
            self.webhooks = WebhookServer(
                self.channels.webhook,
                self.channels.states,
                self.config.webhook_host or self.config.host,
                self.config.webhook_port,
            )
            await self.webhooks.start()
            log.info("webhook listener on port %d", self.webhooks.port)

    async def _stop_channels(self) -> None:
        webhooks, self.webhooks = self.webhooks, None
        if webhooks is not None:
            await webhooks.stop()
        channels, self.channels = self.channels, None
        if channels is not None:
            await channels.stop()

    def _channel_states(self) -> dict[str, str]:
        return self.channels.states() if self.channels is not None else {}

    async def stop(self) -> None:
        await self._stop_channels()
        if self._server is not None:
            self._server.close(close_connections=True)  # 1001 going away
            await self._server.wait_closed()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._release()
        log.info("hub stopped")

    async def _release(self) -> None:
        self.bot = None
        kb, self.kb = self.kb, None
        if kb is not None:
            kb.close()
        store, self._store = self._store, None
        if self._executor is not None:
            if store is not None:
                await self._db(store.release_kept)  # the group commits' connection
                await self._db(store.engine.dispose)
            self._executor.shutdown(wait=True)
            self._executor = None

    # ------------------------------------------------------------------ database thread

    @property
    def store(self) -> Store:
        assert self._store is not None, "hub not started"
        return self._store

    async def _db(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run ``fn`` on the database thread."""
        assert self._loop is not None and self._executor is not None
        return await self._loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def _tx(self, fn: Callable[P, Outcome[R]], *args: P.args, **kwargs: P.kwargs) -> Outcome[R]:
        """Run a write on the database thread and publish its events in commit order."""
        loop = self._loop
        assert loop is not None

        def run() -> Outcome[R]:
            outcome = fn(*args, **kwargs)
            foreign = self._foreign_before([outcome])
            if foreign is not None:
                loop.call_soon_threadsafe(self._publish, foreign)
            if outcome.events or outcome.customer_messages:
                loop.call_soon_threadsafe(self._publish, outcome)
            return outcome

        assert self._executor is not None
        return await loop.run_in_executor(self._executor, run)

    async def _tx_batched(
        self, fn: Callable[P, Outcome[R]], *args: P.args, **kwargs: P.kwargs
    ) -> Outcome[R]:
        """``_tx`` for the hot writes (customer and operator messages) when a coroutine
        waits for them: :meth:`_submit` with a future."""
        assert self._loop is not None
        fut: asyncio.Future[Outcome[Any]] = self._loop.create_future()
        self._submit(functools.partial(fn, *args, **kwargs), functools.partial(_settle, fut))
        return await fut

    def _submit(self, call: Callable[[], Outcome[Any]], done: Done) -> None:
        """Queue a hot write for the database thread, which runs every write waiting at
        that moment in one transaction (group commit, up to ``BATCH_MAX``), then hands
        all their outcomes to the loop in one call: published in commit order, then
        each given to its ``done`` (on the loop)."""
        loop = self._loop
        assert loop is not None and self._executor is not None
        with self._batch_lock:
            self._batch.append((call, done))
        if not self._kick_due:
            # one wake-up of the database thread per loop turn, for every write queued
            # in it (a bigger group, and no executor hand-off per write)
            self._kick_due = True
            loop.call_soon(self._kick)

    def _kick(self) -> None:
        """Start a drain of the queued writes unless one is running (it takes them)."""
        self._kick_due = False
        with self._batch_lock:
            start = bool(self._batch) and not self._draining
            self._draining = self._draining or start
        if not start:
            return
        if self._executor is not None:
            self._executor.submit(self._drain)
            return
        with self._batch_lock:  # stopped meanwhile: nothing will run them
            items, self._batch, self._draining = self._batch, [], False
        for _call, done in items:
            done(HubError(ErrorCode.INTERNAL, "the hub is stopping"))

    def _drain(self) -> None:
        """On the database thread: run the queued writes in batches until none is left."""
        loop = self._loop
        assert loop is not None
        while True:
            with self._batch_lock:
                items = self._batch[:BATCH_MAX]
                del self._batch[:BATCH_MAX]
                if not items:
                    self._draining = False
                    return
            results = self._run_batch([call for call, _fut in items])
            foreign = self._foreign_before([r for r in results if isinstance(r, Outcome)])
            if foreign is not None:
                loop.call_soon_threadsafe(self._publish, foreign)
            loop.call_soon_threadsafe(self._deliver, [done for _call, done in items], results)

    def _init_seen_seq(self) -> None:
        self._seen_seq = self.store.last_seq()

    def _foreign_before(self, outcomes: Sequence[Outcome[Any]]) -> Outcome[None] | None:
        """On the database thread, after this hub's own write(s): the events another
        process (``frontline-hub queue …``, ``kb import`` …) wrote to the log since the
        last look, below these outcomes' events, to be published before them so every
        client still sees the log in seq order (a client skips a seq lower than one it
        has). SQLite runs one write transaction at a time, so a gap is exactly theirs.
        With no events here it costs a comparison."""
        seen = self._seen_seq
        if seen is None:
            return None
        lo = hi = 0
        for outcome in outcomes:
            for event in outcome.events:
                if event.seq:
                    lo = event.seq if not lo else min(lo, event.seq)
                    hi = max(hi, event.seq)
        if not lo:
            return None
        self._seen_seq = max(seen, hi)
        if lo <= seen + 1:
            return None
        return self._log_events(seen, lo)

    def _log_events(self, after: int, before: int | None) -> Outcome[None] | None:
        rows: list[tuple[int, str, str]] = []
        while True:
            page = self.store.events_after(after, limit=1000)
            wanted = [r for r in page if before is None or r[0] < before]
            rows.extend(wanted)
            if len(wanted) < 1000:
                break
            after = wanted[-1][0]
        if not rows:
            return None
        log.info("publishing %d event(s) another process wrote (seq %d..%d)", len(rows), rows[0][0], rows[-1][0])
        return Outcome(None, [decode_event(*row) for row in rows])

    def foreign_events(self) -> Outcome[None]:
        """On the database thread (the tick): events other processes wrote meanwhile."""
        seen = self._seen_seq
        if seen is None or self.store.last_seq() <= seen:
            return Outcome(None)
        found = self._log_events(seen, None)
        return found if found is not None else Outcome(None)

    def _run_batch(self, calls: list[Callable[[], Outcome[Any]]]) -> list[Outcome[Any] | BaseException]:
        store = self._store  # None while stopping: then one by one
        if store is not None:  # (a lone write too: the hot paths work inside a group)
            try:
                with store.batch(keep=True):  # (the connection stays for the next group)
                    return [call() for call in calls]
            except Exception:  # noqa: S110 - each is run (and fails) on its own below
                pass
        results: list[Outcome[Any] | BaseException] = []
        for call in calls:
            try:
                results.append(call())
            except Exception as exc:
                results.append(exc)
        return results

    def _deliver(self, dones: list[Done], results: list[Outcome[Any] | BaseException]) -> None:
        """On the loop: publish a batch's events in commit order, then answer the callers."""
        operator_conns = self._operator_conns()  # (once for the whole group)
        for result in results:
            if isinstance(result, Outcome) and (result.events or result.customer_messages):
                self._publish(result, operator_conns)
        for done, result in zip(dones, results, strict=True):
            try:
                done(result)
            except Exception:  # one caller's failure never keeps the others' answers
                log.exception("answering a hot write failed")

    def visible_to(self, conn: Conn, event: OperatorEvent) -> bool:
        """The per-recipient event filter, used for live events, replays and
        redeliveries alike (docs/protocol.md, "Who receives which event").

        Supervisors and admins receive everything. An operator receives every event
        except the messages of a conversation another operator holds (status open,
        someone else assigned) that is not on their screen (``viewing``): their inbox
        shows their own conversations and the queue, and the rest would only cost
        frames. Assignment and status changes (``conversation_updated``) reach every
        operator, so everyone's queue view stays right."""
        if conn.operator_id is None:
            return False
        if isinstance(event, TemplateUpdated):  # a personal template: its owner only
            return event.template.scope == "team" or event.template.owner_id == conn.operator_id
        if not isinstance(event, MessageCreated) or conn.role != "operator":
            return True
        conv_id = event.message.conversation_id
        if conn.viewing == conv_id:
            return True
        owner = self._owners.get(conv_id)
        if owner is None:  # not an active conversation the hub knows of: nobody is left out
            return True
        status, assignee = owner
        return status != "open" or assignee == conn.operator_id

    def _track(self, event: OperatorEvent) -> None:
        """Keep ``_owners`` (active conversation -> status, assignee) in step with the
        events, in commit order: what :meth:`visible_to` decides by."""
        conv: ConversationInfo | None = None
        if isinstance(event, ConversationUpdated | ConversationOffered):
            conv = event.conversation
        elif isinstance(event, MessageCreated):
            conv = event.conversation
        if conv is None:
            return
        if conv.status == "resolved":
            self._owners.pop(conv.id, None)
        else:
            self._owners[conv.id] = (conv.status, conv.assignee_id)

    def _publish(self, outcome: Outcome[Any], operator_conns: list[Conn] | None = None) -> None:
        """Send a committed write's events to the operators and its pushes to the
        customers. Each frame is encoded once and the same text goes to every recipient."""
        if operator_conns is None:
            operator_conns = self._operator_conns()
        if self.channels is not None:
            self.channels.observe(outcome)  # a reply in a channel conversation goes to its outbox
        must = set(outcome.deliveries) if outcome.deliveries else ()
        for event in outcome.events:
            self._track(event)
            text: bytes | None = None
            for conn in operator_conns:
                if not self.visible_to(conn, event):
                    continue
                if (conn.operator_id, event.seq) in must:
                    conn.send(msgspec.structs.replace(event, must_ack=True))
                else:
                    if text is None:
                        wire = outcome.wire.get(event.seq)
                        text = wire.encode() if wire else encode_bytes(event)
                    conn.send_text(text)
        for customer_id, message in outcome.customer_messages:
            seq = next(
                (
                    e.seq
                    for e in outcome.events
                    if isinstance(e, MessageCreated) and e.message.id == message.id
                ),
                0,
            )
            # send(), not send_text(): a reconnecting customer's connection holds pushes
            # until its welcome is out (Conn.hold), and only send() honours that.
            frame = MessageCreated(seq=seq, message=message)
            for conn in self._customers.get(customer_id, ()):
                conn.send(frame)

    def _spawn(self, coro: Awaitable[Any], name: str) -> None:
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task %s failed", name)

        task = asyncio.ensure_future(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def route(self) -> None:
        """One routing pass now (also run after every change that may free or need an operator)."""
        await self._route()

    async def _redeliver_loop(self) -> None:
        """Re-send unacknowledged must-deliver events to live connections."""
        interval = self.config.redeliver_interval_s
        while True:
            await asyncio.sleep(interval)
            if self._store is None:
                continue
            online = [op_id for op_id, p in self._presence.items() if p.conns]
            cutoff = utcnow() - timedelta(seconds=interval)
            due = await self._db(self.store.due_deliveries, online, cutoff)
            for op_id, event in due:
                self._send_to_operator(op_id, event)

    async def _orphan_files_loop(self) -> None:
        """Hourly: files nobody sent within a day are forgotten (docs/admin.md "Files")."""
        while True:
            if self.files is not None:
                try:
                    cutoff = utcnow() - timedelta(seconds=self.config.orphan_file_s)
                    gone = await self._db(self.files.sweep_orphans, cutoff)
                    if gone:
                        log.info("%d files that no message carries were deleted", gone)
                except Exception:
                    log.exception("sweeping unsent files failed")
            await asyncio.sleep(3600)

    async def _checkpoint_loop(self) -> None:
        """SQLite WAL checkpoints on a thread of their own, so that no commit on the
        database thread stalls for one (``checkpoint_in_background``). On an engine of
        their own: the database thread keeps its pooled connection (app/storage/hot.py)."""
        engine = make_engine(self.config.db_url)
        try:
            await self._checkpoints(engine)
        finally:
            engine.dispose()

    async def _checkpoints(self, engine: Engine) -> None:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="frontline-checkpoint") as pool:
            loop = asyncio.get_running_loop()
            while True:
                await asyncio.sleep(CHECKPOINT_INTERVAL_S)
                try:
                    await loop.run_in_executor(pool, checkpoint, engine)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("WAL checkpoint failed")

    def _send_to_operator(self, op_id: int, event: OperatorEvent) -> None:
        presence = self._presence.get(op_id)
        for conn in list(presence.conns) if presence else ():
            if self.visible_to(conn, event):
                conn.send(msgspec.structs.replace(event, must_ack=True))

    async def _route(self) -> None:
        if self._store is None:
            return
        outcome = await self._tx(self.store.route_queued, self.config.clock())
        for conv_id, op_id in outcome.value:
            log.info("routed conversation %d to operator %d", conv_id, op_id)

    async def tick(self) -> None:
        """One round of timed work: expired offers (their operator goes away and the chat
        is offered to the next one), snoozes that end, SLA breaches."""
        if self._store is None:
            return
        orphan_after = timedelta(seconds=self.config.orphan_after_s) if self.config.orphan_after_s >= 0 else None
        if self.uploads is not None:
            self.uploads.expire()
        await self._tx(self.foreign_events)  # CLI writes reach live windows within a tick
        outcome = await self._tx(self.store.tick, self.config.clock(), orphan_after)
        for conv_id, op_id in outcome.value.expired:
            log.info("offer of conversation %d to operator %d ran out: operator set away", conv_id, op_id)
        for conv_id, op_id in outcome.value.returned:
            log.info("operator %d is offline: waiting conversation %d back in the queue", op_id, conv_id)
        if outcome.value.expired or outcome.value.returned:
            await self._route()

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(self.config.tick_s)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("tick failed")

    # ------------------------------------------------------------------ connections

    async def _handle(self, ws: ServerConnection) -> None:
        path = ws.request.path.split("?", 1)[0] if ws.request else ""
        self._conn_counter += 1
        conn = Conn(ws, self.config.send_queue_max, f"{path}#{self._conn_counter}")
        try:
            if path == "/ws/operator":
                await self._operator_session(conn)
            elif path == "/ws/customer":
                await self._customer_session(conn)
        except ConnectionClosed:
            pass
        finally:
            if isinstance(ws, HubConnection):
                ws.fast = None
            try:
                await self._forget(conn)
            finally:
                await conn.finish()

    async def _forget(self, conn: Conn) -> None:
        self._forget_customer(conn)
        op_id = conn.operator_id
        if op_id is not None and conn.viewing is not None:
            old, conn.viewing = conn.viewing, None
            self._broadcast_viewers(old)
        if op_id is not None and self._store is not None:
            presence = self._presence[op_id]
            async with presence.lock:
                presence.conns.discard(conn)
                if not presence.conns:
                    await self._tx(self.store.set_status, op_id, "offline")

    async def _first_frame(self, conn: Conn, kind: Any, hello_type: type[Hello] | type[CustomerHello]) -> Any:
        """The hello, or None after answering and closing."""
        try:
            async with asyncio.timeout(self.config.hello_timeout_s):
                raw = await conn.ws.recv()
        except TimeoutError:
            conn.close(CloseCode.HELLO_TIMEOUT, "no hello in time")
            return None
        frame: Any = None
        if isinstance(raw, str):
            with contextlib.suppress(ProtocolError):
                frame = decode(raw, kind, max_bytes=self.config.max_frame_bytes)
        if not isinstance(frame, hello_type):
            txn_id = getattr(frame, "txn_id", None)
            conn.send(
                Error(code=ErrorCode.HELLO_REQUIRED, text="the first frame must be a hello", txn_id=txn_id)
            )
            conn.close(HELLO_REFUSED, "hello required")
            return None
        if frame.protocol != PROTOCOL_VERSION:
            conn.send(
                Error(
                    code=ErrorCode.PROTOCOL_MISMATCH,
                    text=f"this hub speaks protocol {PROTOCOL_VERSION}, not {frame.protocol}",
                )
            )
            conn.close(CloseCode.PROTOCOL_MISMATCH, "protocol mismatch")
            return None
        return frame

    async def _frames(self, conn: Conn, kind: Any) -> Any:
        """Yield decoded frames; answer bad ones with an error (txn_id null), close
        after too many bad frames in a row."""
        bad = 0
        async for raw in conn.ws:
            if conn.closing:
                return
            try:
                if not isinstance(raw, str):
                    raise ProtocolError(ErrorCode.BAD_JSON, "binary frames are not accepted; send JSON text")
                frame = decode(raw, kind, max_bytes=self.config.max_frame_bytes)
            except ProtocolError as exc:
                bad += 1
                conn.send(Error(code=exc.code, text=exc.text[:300]))
                if bad >= BAD_FRAMES_BEFORE_CLOSE:
                    log.info("%s: %d bad frames in a row, closing", conn.label, bad)
                    conn.close(CloseCode.TOO_MANY_BAD_FRAMES, "too many bad frames")
                    return
                continue
            bad = 0
            yield frame

    async def _answer(
        self, conn: Conn, frame: Any, handler: Callable[[Conn, Any], Awaitable[dict[str, Any]]]
    ) -> None:
        try:
            data = await handler(conn, frame)
        except ConnectionClosed:
            raise
        except Exception as exc:
            self._refuse(conn, frame, exc)
        else:
            self._reply(conn, frame.txn_id, data)

    @staticmethod
    def _reply(conn: Conn, txn_id: str, data: dict[str, Any]) -> None:
        conn.send(Result(txn_id=txn_id, data=data))
        after, conn.after_result = conn.after_result, []
        for extra in after:
            conn.send(extra)
        if conn.close_after_result is not None:
            conn.close(*conn.close_after_result)

    @staticmethod
    def _refuse(conn: Conn, frame: Any, exc: BaseException) -> None:
        """The error answer to a command that failed: its reason when it is the
        command's fault, "internal hub error" (and the log) when it is the hub's."""
        txn_id: str = frame.txn_id
        if isinstance(exc, DomainError | TextRejected):
            text = exc.text if isinstance(exc, DomainError) else str(exc)
            conn.send(Error(code=exc.code, text=text, txn_id=txn_id))
            return
        log.error(
            "%s: internal error in %s (txn_id %s)", conn.label, type(frame).__name__, txn_id, exc_info=exc
        )
        conn.send(Error(code=ErrorCode.INTERNAL, text="internal hub error (logged)", txn_id=txn_id))

    # ------------------------------------------------------------------ the fast lane

    def _fast_lane(self, conn: Conn, kind: Any, hot: type, take: Callable[[Conn, Any], bool]) -> None:
        """Let ``take`` have the connection's hot commands (frames of type ``hot`` of
        the union ``kind``) as they are parsed (HubConnection, docs/hub.md "The fast lane")."""
        ws = conn.ws
        if isinstance(ws, HubConnection):
            ws.fast = functools.partial(self._fast, conn, kind, hot, take)

    def _fast(self, conn: Conn, kind: Any, hot: type, take: Callable[[Conn, Any], bool], data: bytes) -> bool:
        """The fast lane's taker: True when ``take`` queued the frame; False leaves it
        to the reading task (another command, a bad frame, the lane full)."""
        if conn.fast_inflight >= FAST_INFLIGHT_MAX:
            return False
        try:
            frame = decode(data, kind, max_bytes=self.config.max_frame_bytes)
        except ProtocolError:
            return False  # the reading task answers it as always
        return type(frame) is hot and take(conn, frame)

    def _take_customer(self, conn: Conn, frame: CustomerSend) -> bool:
        """Queue a customer's message for the group commit without waiting for it: it
        is answered from :meth:`_deliver`. False (nothing done) when it needs the
        ordinary path: a text to refuse, or a bot offer waiting (a coroutine)."""
        if conn.closing or self._store is None or conn.customer_id is None:
            return False
        if self.bot is not None and conn.conversation_id is not None and self.bot.offer_waits(conn.conversation_id):
            return False
        try:
            call = self._customer_send_call(conn, frame)
        except TextRejected:
            return False
        return self._queue_hot(conn, frame, call, self._customer_sent)

    def _take_operator(self, conn: Conn, frame: SendMessage) -> bool:
        """An operator's reply, as :meth:`_take_customer` (not a WhatsApp one: those
        may call Meta's API)."""
        if conn.closing or self._store is None or conn.operator_id is None or self._on_whatsapp(frame):
            return False
        try:
            call = self._operator_send_call(conn, frame)
        except TextRejected:
            return False
        return self._queue_hot(conn, frame, call, _message_result)

    def _queue_hot(
        self,
        conn: Conn,
        frame: Any,
        call: Callable[[], Outcome[Any]],
        then: Callable[[Conn, Outcome[Any]], dict[str, Any]],
    ) -> bool:
        """Queue a hot command's write; :meth:`_fast_answer` answers it with ``then``."""
        conn.fast_begin()
        self._submit(call, functools.partial(self._fast_answer, conn, frame, then))
        return True

    async def _in_order(self, conn: Conn, frame: Any, take: Callable[[Conn, Any], bool] | None) -> bool:
        """The reading task's side of the fast lane, before it handles ``frame``:
        a hot command (``take`` given) is queued like the fast lane does, behind the
        ones in flight (True: done); any other command first waits until every hot
        command sent before it is answered."""
        if take is not None:
            if conn.fast_inflight >= FAST_INFLIGHT_MAX:
                await conn.settled()
            if take(conn, frame):
                return True
        if conn.fast_inflight:
            await conn.settled()
        return False

    def _fast_answer(
        self,
        conn: Conn,
        frame: Any,
        then: Callable[[Conn, Outcome[Any]], dict[str, Any]],
        result: Outcome[Any] | BaseException,
    ) -> None:
        """On the loop, from :meth:`_deliver`: answer a hot command of the fast lane."""
        try:
            if isinstance(result, BaseException):
                self._refuse(conn, frame, result)
            else:
                try:
                    data = then(conn, result)
                except Exception as exc:
                    self._refuse(conn, frame, exc)
                else:
                    self._reply(conn, frame.txn_id, data)
        finally:
            conn.fast_end()

    def _welcome(self) -> Welcome:
        return Welcome(
            protocol=PROTOCOL_VERSION,
            hub_version=HUB_VERSION,
            epoch=self.epoch,
            max_frame_bytes=self.config.max_frame_bytes,
            heartbeat_s=self.config.ping_interval_s,
        )

    # ------------------------------------------------------------------ operator endpoint

    async def _operator_session(self, conn: Conn) -> None:
        hello = await self._first_frame(conn, OperatorInbound, Hello)
        if hello is None:
            return
        conn.device_id = hello.device_id[:128]
        conn.send(self._welcome())
        handlers: dict[type, Callable[[Conn, Any], Awaitable[dict[str, Any]]]] = {
            Auth: self._auth,
            SignOut: self._sign_out,
            Sync: self._sync,
            SyncPage: self._sync_page,
            History: self._history,
            SendMessage: self._send_message,
            Take: self._take,
            Resolve: self._resolve,
            SetStatus: self._set_status,
            AcceptOffer: self._accept_offer,
            DeclineOffer: self._decline_offer,
            Transfer: self._transfer,
            SetState: self._set_state,
            CustomerGet: self._customer_get,
            CustomerUpdate: self._customer_update,
            CustomerSearch: self._customer_search,
            CustomerConversations: self._customer_conversations,
            CustomerTimeline: self._customer_timeline,
            CustomerNoteSave: self._customer_note_save,
            CustomerMergeCandidates: self._merge_candidates,
            CustomerMerge: self._customer_merge,
            CustomerUnmerge: self._customer_unmerge,
            **self._file_handlers(),
            ConversationStart: self._conversation_start,
            TemplateList: self._template_list,
            TemplateSave: self._template_save,
            TemplateDelete: self._template_delete,
            KbSearch: self._kb_search,
            KbGet: self._kb_get,
            KbSave: self._kb_save,
            KbDelete: self._kb_delete,
            KbSynonymsGet: self._kb_synonyms_get,
            KbSynonymsSet: self._kb_synonyms_set,
            WaTemplateList: self._wa_template_list,
            ConversationWindow: self._conversation_window,
        }
        self._fast_lane(conn, OperatorInbound, SendMessage, self._take_operator)
        async for frame in self._frames(conn, OperatorInbound):
            hot = self._take_operator if type(frame) is SendMessage else None
            if await self._in_order(conn, frame, hot):
                continue
            if isinstance(frame, Hello):
                conn.send(Error(code=ErrorCode.INVALID_FRAME, text="hello was already received"))
                continue
            if isinstance(frame, Typing | Viewing):
                if conn.operator_id is not None:  # ephemeral: no answer, ignored before auth
                    await self._ephemeral(conn, frame)
                continue
            if conn.operator_id is None and not isinstance(frame, Auth):
                conn.send(
                    Error(
                        code=ErrorCode.NOT_AUTHENTICATED,
                        text="sign in first (auth)",
                        txn_id=getattr(frame, "txn_id", None),
                    )
                )
                continue
            if isinstance(frame, Ack):
                await self._ack(conn, frame)
                continue
            await self._answer(conn, frame, handlers[type(frame)])
            if conn.closing:
                return

    async def _auth(self, conn: Conn, f: Auth) -> dict[str, Any]:
        if conn.operator_id is not None:
            raise Conflict("this connection is already signed in")
        loop = asyncio.get_running_loop()
        if f.token:
            digest = token_hash(f.token)
            rec = await self._db(self.store.find_session, digest)
            if rec is None or rec.revoked_at is not None:
                raise HubError(ErrorCode.AUTH_FAILED, "unknown or revoked session token")
            if rec.expires_at <= utcnow():
                raise HubError(ErrorCode.TOKEN_EXPIRED, "the session has expired: sign in with your password")
            op_id, token, expires = rec.operator_id, f.token, rec.expires_at
        elif f.username and f.password:
            try:
                username = normalize_username(f.username)
            except ValueError:
                username = ""
            creds = await self._db(self.store.credentials, username) if username else None
            stored = creds.password_hash if creds else accounts.dummy_hash()
            ok = await loop.run_in_executor(None, accounts.verify_password, stored, f.password)
            if creds is None or not ok:
                log.info("%s: failed sign-in", conn.label)
                raise HubError(ErrorCode.AUTH_FAILED, "wrong user name or password")
            if accounts.needs_rehash(stored):
                new_hash = await loop.run_in_executor(None, accounts.hash_password, f.password)
                await self._db(self.store.set_password_hash, creds.id, new_hash)
            op_id, token = creds.id, new_token()
            digest = token_hash(token)
            expires = await self._db(
                self.store.create_session, op_id, digest, conn.device_id, self.config.token_ttl
            )
        else:
            raise HubError(ErrorCode.AUTH_FAILED, "give a user name and password, or a session token")
        presence = self._presence[op_id]
        async with presence.lock:
            outcome = await self._tx(self.store.set_status, op_id, "online")
            conn.operator_id = op_id
            conn.role = outcome.value.role
            conn.token_sha256 = digest
            presence.conns.add(conn)
        log.info("%s: operator %d signed in", conn.label, op_id)
        self._spawn(self._route(), "route after sign-in")
        return {"token": token, "expires_at": _iso(expires), "operator": to_builtins(outcome.value)}

    async def _sign_out(self, conn: Conn, f: SignOut) -> dict[str, Any]:
        if conn.token_sha256 is not None:
            await self._db(self.store.revoke_session, conn.token_sha256)
            # every other live connection on the same session (a second window, a
            # reconnect still open) is closed as revoked: the token no longer works
            presence = self._presence.get(conn.operator_id) if conn.operator_id is not None else None
            for other in list(presence.conns) if presence else ():
                if other is not conn and other.token_sha256 == conn.token_sha256:
                    other.close(CloseCode.AUTH_REVOKED, "signed out elsewhere")
        log.info("%s: operator %s signed out", conn.label, conn.operator_id)
        # the result goes out first, then the close (Conn sends in order)
        conn.close_after_result = (CloseCode.SIGNED_OUT, "signed out")
        return {}

    async def _sync(self, conn: Conn, f: Sync) -> dict[str, Any]:
        """Resume (replay the gap) when the client's epoch matches and the gap is at most
        ``resume_cap`` events; else the full state with ``recovered: false``. Either way
        the operator's unacknowledged must-deliver events follow the result."""
        op_id = conn.operator_id
        assert op_id is not None
        if f.last_seq is not None and f.last_seq >= 0 and f.epoch == self.epoch:
            replay = await self._db(self.store.replay, op_id, f.last_seq, self.config.resume_cap)
            if replay.events is not None:
                events = []
                for ev in replay.events:
                    if not self.visible_to(conn, ev):
                        continue
                    if ev.seq in replay.pending:
                        ev = msgspec.structs.replace(ev, must_ack=True)
                    events.append(ev)
                await self._queue_redeliveries(conn, op_id, after_seq=f.last_seq)
                return {
                    "epoch": self.epoch,
                    "seq": replay.seq,
                    "recovered": True,
                    "events": to_builtins(events),
                }
        state = await self._db(self.store.sync_state, self.config.sync_page_size)
        await self._queue_redeliveries(conn, op_id, after_seq=state.seq)
        return {
            "epoch": self.epoch,
            "seq": state.seq,
            "recovered": False,
            "conversations": to_builtins(state.conversations),
            "more_after": state.more_after,
            "operators": to_builtins(state.operators),
            "queues": to_builtins(state.queues),
        }

    async def _sync_page(self, conn: Conn, f: SyncPage) -> dict[str, Any]:
        page = await self._db(self.store.conversations_page, f.after_id, self.config.sync_page_size)
        return {"conversations": to_builtins(page.conversations), "more_after": page.more_after}

    async def _queue_redeliveries(self, conn: Conn, op_id: int, after_seq: int) -> None:
        """Unacknowledged must-deliver events up to ``after_seq`` (later ones are in the
        replay or arrive live) go out right after the sync result."""
        due = await self._db(self.store.due_deliveries, [op_id], None, after_seq)
        conn.after_result.extend(
            msgspec.structs.replace(ev, must_ack=True) for _op, ev in due if self.visible_to(conn, ev)
        )

    async def _ack(self, conn: Conn, f: Ack) -> None:
        assert conn.operator_id is not None
        last = await self._db(self.store.last_seq)
        if f.seq < 0 or f.seq > last:
            conn.send(Error(code=ErrorCode.INVALID_FRAME, text=f"ack seq {f.seq} is not an event of this hub"))
            return
        await self._db(self.store.ack, conn.operator_id, f.seq)

    async def _history(self, conn: Conn, f: History) -> dict[str, Any]:
        page = await self._db(self.store.history, f.conversation_id, f.before_id, f.limit)
        return {"messages": to_builtins(page.messages), "has_more": page.has_more}

    def _on_whatsapp(self, f: SendMessage) -> bool:
        """A reply that goes out through the WhatsApp Cloud API (a template, or text in
        an open 24-hour window): not a plain hot write."""
        return f.template is not None or (
            not f.internal and self.channels is not None and self.channels.has_window(f.conversation_id)
        )

    def _operator_send_call(self, conn: Conn, f: SendMessage) -> Callable[[], Outcome[Any]]:
        assert conn.operator_id is not None
        return functools.partial(
            self.store.operator_send,
            conn.operator_id,
            f.conversation_id,
            _message_text(f.text, f.attachments),
            f.txn_id,
            f.internal,
            attachments=list(f.attachments),
        )

    async def _send_message(self, conn: Conn, f: SendMessage) -> dict[str, Any]:
        if self._on_whatsapp(f):
            return await self._send_on_whatsapp(conn, f)
        return _message_result(conn, await self._tx_batched(self._operator_send_call(conn, f)))

    async def _send_on_whatsapp(self, conn: Conn, f: SendMessage) -> dict[str, Any]:
        """A reply in a WhatsApp conversation: free text only inside the customer's 24-hour
        window (refused with ``window_closed`` before anything is stored), or an approved
        template (docs/protocol.md "WhatsApp templates")."""
        assert conn.operator_id is not None
        if self.channels is None:
            raise HubError(ErrorCode.CHANNEL_UNAVAILABLE, "no channels run on this hub: templates cannot be sent")
        if f.template is None:
            await self.channels.check_free_text(f.conversation_id, conn.operator_id, f.txn_id)
            outcome = await self._tx_batched(
                self.store.operator_send,
                conn.operator_id,
                f.conversation_id,
                _message_text(f.text, f.attachments),
                f.txn_id,
                f.internal,
                attachments=list(f.attachments),
            )
        else:
            if f.internal or f.attachments:
                raise HubError(ErrorCode.TEMPLATE_INVALID, "a template is sent alone: no files, not as a note")
            outcome = await self.channels.send_template(conn.operator_id, f.conversation_id, f.template, f.txn_id)
        return {"message": to_builtins(outcome.value.message)}

    async def _wa_template_list(self, conn: Conn, f: WaTemplateList) -> dict[str, Any]:
        if self.channels is None:
            raise HubError(ErrorCode.CHANNEL_UNAVAILABLE, "no channels run on this hub")
        found, fetched, error = await self.channels.templates(f.channel, f.refresh)
        templates = [
            WaTemplateInfo(
                name=t.name, language=t.language, category=t.category, body=t.body, params=t.params,
                header=t.header, footer=t.footer,
            )
            for t in found
        ]
        return {
            "templates": to_builtins(templates),
            "fetched_at": _iso(fetched) if fetched is not None else None,
            "error": error,
        }

    async def _conversation_window(self, conn: Conn, f: ConversationWindow) -> dict[str, Any]:
        if self.channels is None:
            return {"applies": False, "open": True, "last_customer_at": None, "closes_at": None}
        w = await self.channels.window(f.conversation_id)
        return {
            "applies": w.applies,
            "open": w.open,
            "last_customer_at": _iso(w.last_customer_at) if w.last_customer_at is not None else None,
            "closes_at": _iso(w.closes_at) if w.closes_at is not None else None,
        }

    async def _accept_offer(self, conn: Conn, f: AcceptOffer) -> dict[str, Any]:
        assert conn.operator_id is not None
        outcome = await self._tx(self.store.accept_offer, conn.operator_id, f.conversation_id)
        return {"conversation": to_builtins(outcome.value)}

    async def _decline_offer(self, conn: Conn, f: DeclineOffer) -> dict[str, Any]:
        assert conn.operator_id is not None
        outcome = await self._tx(self.store.decline_offer, conn.operator_id, f.conversation_id)
        if outcome.events:
            self._spawn(self._route(), "route after decline")
        return {"conversation": to_builtins(outcome.value)}

    async def _transfer(self, conn: Conn, f: Transfer) -> dict[str, Any]:
        assert conn.operator_id is not None
        note = clean_text(f.note) if f.note.strip() else ""
        try:
            outcome = await self._tx(
                self.store.transfer,
                conn.operator_id,
                f.conversation_id,
                to_operator=f.operator_id,
                to_queue=f.queue_id,
                note=note,
                txn_id=f.txn_id,
            )
        except ValueError as exc:
            raise HubError(ErrorCode.INVALID_FRAME, str(exc)) from None
        if outcome.value.status == "queued":
            self._spawn(self._route(), "route after transfer")
        return {"conversation": to_builtins(outcome.value)}

    async def _set_state(self, conn: Conn, f: SetState) -> dict[str, Any]:
        assert conn.operator_id is not None
        try:
            outcome = await self._tx(
                self.store.set_state,
                conn.operator_id,
                f.conversation_id,
                f.state,
                f.snoozed_until,
                self.config.clock(),
            )
        except ValueError as exc:
            raise HubError(ErrorCode.INVALID_FRAME, str(exc)) from None
        return {"conversation": to_builtins(outcome.value)}

    # ------------------------------------------------------------------ ephemeral: typing, viewing

    def _operator_conns(self) -> list[Conn]:
        return [c for p in self._presence.values() for c in p.conns]

    def _broadcast_viewers(self, conversation_id: int) -> None:
        conns = self._operator_conns()
        viewers = sorted({c.operator_id for c in conns if c.viewing == conversation_id and c.operator_id})
        event = ViewingEvent(conversation_id=conversation_id, operator_ids=viewers)
        for c in conns:
            c.send(event, sheddable=True)

    async def _customer_of(self, conversation_id: int) -> int | None:
        customer = self._conv_customer.get(conversation_id)
        if customer is None:
            customer = await self._db(self.store.conversation_customer, conversation_id)
            if customer is not None:
                if len(self._conv_customer) > 10_000:
                    self._conv_customer.clear()
                self._conv_customer[conversation_id] = customer
        return customer

    async def _ephemeral(self, conn: Conn, frame: Typing | Viewing) -> None:
        if isinstance(frame, Viewing):
            old, conn.viewing = conn.viewing, frame.conversation_id
            for conv_id in {old, frame.conversation_id} - {None}:
                assert conv_id is not None
                self._broadcast_viewers(conv_id)
            return
        event = TypingEvent(
            conversation_id=frame.conversation_id,
            who="operator",
            typing=frame.typing,
            operator_id=conn.operator_id,
        )
        for c in self._operator_conns():
            if c.operator_id != conn.operator_id:
                c.send(event, sheddable=True)
        customer = await self._customer_of(frame.conversation_id)
        for c in self._customers.get(customer or -1, ()):
            c.send(OperatorTyping(typing=frame.typing), sheddable=True)

    async def _take(self, conn: Conn, f: Take) -> dict[str, Any]:
        assert conn.operator_id is not None
        outcome = await self._tx(self.store.take, conn.operator_id, f.conversation_id)
        return {"conversation": to_builtins(outcome.value)}

    async def _resolve(self, conn: Conn, f: Resolve) -> dict[str, Any]:
        assert conn.operator_id is not None
        outcome = await self._tx(self.store.resolve, conn.operator_id, f.conversation_id)
        if outcome.events:
            self._spawn(self._route(), "route after resolve")
        return {"conversation": to_builtins(outcome.value)}

    async def _set_status(self, conn: Conn, f: SetStatus) -> dict[str, Any]:
        assert conn.operator_id is not None
        outcome = await self._tx(self.store.set_status, conn.operator_id, f.status)
        if f.status == "online":
            self._spawn(self._route(), "route after status")
        return {"operator": to_builtins(outcome.value)}

    # ------------------------------------------------------------------ customer card

    async def _customer_get(self, conn: Conn, f: CustomerGet) -> dict[str, Any]:
        """Any signed-in operator may read a card (with the custom field definitions)."""
        profile, fields = await self._db(self.store.customers.card, f.customer_id)
        return {"customer": to_builtins(profile), "fields": to_builtins(fields)}

    async def _customer_update(self, conn: Conn, f: CustomerUpdate) -> dict[str, Any]:
        """Any signed-in operator may edit a card; every value is checked by the store
        (invalid_phone, invalid_email, invalid_field, invalid_value: nothing written)."""
        assert conn.operator_id is not None
        outcome = await self._tx(
            self.store.customers.update, conn.operator_id, f.customer_id, f.changes, f.txn_id, f.region
        )
        return {"customer": to_builtins(outcome.value)}

    async def _customer_search(self, conn: Conn, f: CustomerSearch) -> dict[str, Any]:
        found = await self._db(self.store.customers.search, f.query, f.limit, f.region)
        return {"customers": to_builtins(found)}

    async def _customer_conversations(self, conn: Conn, f: CustomerConversations) -> dict[str, Any]:
        """Any signed-in operator may page through a customer's conversations (the card's
        timeline), as any may read a conversation's history."""
        page, has_more = await self._db(self.store.customers.conversations, f.customer_id, f.before_id, f.limit)
        return {"conversations": to_builtins(page), "has_more": has_more}

    async def _customer_timeline(self, conn: Conn, f: CustomerTimeline) -> dict[str, Any]:
        """Any signed-in operator may page through a customer's timeline (every kind)."""
        page, has_more = await self._db(self.store.timeline.page, f.customer_id, f.before, f.limit, f.kinds)
        return {"entries": to_builtins(page), "has_more": has_more}

    async def _customer_note_save(self, conn: Conn, f: CustomerNoteSave) -> dict[str, Any]:
        """Any signed-in operator may add a note to a card; its author, a supervisor or an
        admin may change it (the store checks: forbidden, empty_text, text_too_long)."""
        assert conn.operator_id is not None
        outcome = await self._tx(
            self.store.timeline.save_note, conn.operator_id, conn.role, f.customer_id, f.text, f.txn_id, f.note_id
        )
        return {"entry": to_builtins(outcome.value)}

    # ------------------------------------------------------------------ identity merge

    async def _merge_candidates(self, conn: Conn, f: CustomerMergeCandidates) -> dict[str, Any]:
        found = await self._db(self.store.merges.candidates, f.customer_id)
        return {"candidates": to_builtins(found)}

    async def _customer_merge(self, conn: Conn, f: CustomerMerge) -> dict[str, Any]:
        """Any signed-in operator may merge two cards (and undo it); each merge is
        recorded with who and when (docs/protocol.md, "Identity merge")."""
        assert conn.operator_id is not None
        outcome = await self._tx(
            self.store.merges.merge, conn.operator_id, f.keep_id, f.merge_id, f.choices, f.txn_id
        )
        info, kept = outcome.value
        log.info("%s: customer %d merged into %d (merge %d)", conn.label, f.merge_id, f.keep_id, info.id)
        return {"merge": to_builtins(info), "customer": to_builtins(kept)}

    async def _customer_unmerge(self, conn: Conn, f: CustomerUnmerge) -> dict[str, Any]:
        assert conn.operator_id is not None
        outcome = await self._tx(self.store.merges.unmerge, conn.operator_id, f.merge_id, f.txn_id)
        info, kept, restored = outcome.value
        log.info("%s: merge %d undone", conn.label, info.id)
        return {"merge": to_builtins(info), "kept": to_builtins(kept), "restored": to_builtins(restored)}

    # ------------------------------------------------------------------ writing first on a channel

    async def _conversation_start(self, conn: Conn, f: ConversationStart) -> dict[str, Any]:
        """An operator writes first on one of the customer's channels (docs/protocol.md,
        "Writing first on another channel"); only ever on the operator's explicit word."""
        assert conn.operator_id is not None
        text = clean_text(f.text) if f.template is None else ""
        state = self.channels.channel_state(f.channel) if self.channels is not None else None
        if state is None:
            raise HubError(ErrorCode.CHANNEL_UNAVAILABLE, f"the {f.channel} channel is not configured on this hub")
        if state == "down":
            raise HubError(ErrorCode.CHANNEL_UNAVAILABLE, f"the {f.channel} channel is down: nothing can be sent")
        assert self.channels is not None
        outcome = await self.channels.start_conversation(
            conn.operator_id, f.customer_id, f.channel, f.identity_id, text, f.txn_id, f.template
        )
        conversation, message = outcome.value
        log.info("%s: conversation %d started on %s", conn.label, conversation.id, f.channel)
        return {"conversation": to_builtins(conversation), "message": to_builtins(message)}
    # ------------------------------------------------------------------ answer templates

    async def _template_list(self, conn: Conn, f: TemplateList) -> dict[str, Any]:
        """The team's templates and the operator's personal ones."""
        assert conn.operator_id is not None
        found = await self._db(self.store.templates.visible, conn.operator_id)
        return {"templates": to_builtins(found)}

    async def _template_save(self, conn: Conn, f: TemplateSave) -> dict[str, Any]:
        """Permissions are the store's (personal: the owner; team: supervisors and
        admins), checked in the transaction that writes."""
        assert conn.operator_id is not None
        outcome = await self._tx(self.store.templates.save, conn.operator_id, f.template, f.txn_id)
        return {"template": to_builtins(outcome.value)}

    async def _template_delete(self, conn: Conn, f: TemplateDelete) -> dict[str, Any]:
        assert conn.operator_id is not None
        outcome = await self._tx(self.store.templates.delete, conn.operator_id, f.template_id, f.txn_id)
        return {"template": to_builtins(outcome.value)}

    # ------------------------------------------------------------------ knowledge base

    @property
    def _kb_service(self) -> KbService:
        if self.kb is None:
            raise HubError(ErrorCode.INTERNAL, "the hub is stopping")
        return self.kb

    async def kb_search(
        self, f: KbSearch, *, public_only: bool = False
    ) -> list[KbHit]:
        """Search for an operator (internal and public articles, or ``f.visibility``) or,
        with ``public_only``, for a customer (public articles only, whatever they ask)."""
        visibility = "public" if public_only else (f.visibility if f.visibility in ("internal", "public") else None)
        hits = await self._kb_service.search(
            f.query,
            lang=f.lang if f.lang in ("ru", "uk", "en") else None,
            tags=f.tags[:20],
            visibility=visibility,
            limit=max(1, min(f.limit, 50)),
            fallback=f.fallback,
        )
        return [
            KbHit(
                id=h.id,
                title=h.title,
                lang=h.lang,  # type: ignore[arg-type]
                score=h.score,
                snippet=h.snippet,
                highlights=list(h.highlights),
                title_highlights=list(h.title_highlights),
                visibility=h.visibility,  # type: ignore[arg-type]
                tags=list(h.tags),
                public_url=self.article_url(h.id, h.title, h.lang) if h.visibility == "public" else "",
            )
            for h in hits
        ]

    async def _kb_search(self, conn: Conn, f: KbSearch) -> dict[str, Any]:
        return {"hits": to_builtins(await self.kb_search(f))}

    async def _kb_get(self, conn: Conn, f: KbGet, *, public_only: bool = False) -> dict[str, Any]:
        from app.storage.kb import to_info

        article = await self._db(self.store.kb.get, f.article_id)
        if article is None or (public_only and article.visibility != "public"):
            raise HubError(ErrorCode.NOT_FOUND, f"no article {f.article_id!r}")
        return {"article": to_builtins(self._with_url(to_info(article)))}

    def _with_url(self, info: KbArticleInfo) -> KbArticleInfo:
        if info.visibility == "public":
            info.public_url = self.article_url(info.id, info.title, info.lang)
        return info

    def _kb_editor(self, conn: Conn) -> int:
        assert conn.operator_id is not None
        if conn.role not in ("supervisor", "admin"):
            raise HubError(ErrorCode.FORBIDDEN, "only supervisors and admins change the knowledge base")
        return conn.operator_id

    async def _kb_save(self, conn: Conn, f: KbSave) -> dict[str, Any]:
        from app.storage.kb import to_info

        op_id = self._kb_editor(conn)
        outcome = await self._tx(self.store.kb.save, op_id, f.article, f.txn_id)
        article, created, version = outcome.value
        self._kb_service.saved(article, version)
        info: KbArticleInfo = self._with_url(to_info(article))
        log.info("%s: knowledge base article %s %s", conn.label, article.id, "created" if created else "saved")
        return {"article": to_builtins(info), "created": created}

    async def _kb_delete(self, conn: Conn, f: KbDelete) -> dict[str, Any]:
        op_id = self._kb_editor(conn)
        outcome = await self._tx(self.store.kb.delete, op_id, f.article_id, f.txn_id)
        deleted, version = outcome.value
        self._kb_service.deleted(f.article_id, version)
        return {"deleted": deleted}

    async def _kb_synonyms_get(self, conn: Conn, f: KbSynonymsGet) -> dict[str, Any]:
        return {"groups": await self._db(self.store.kb.synonyms)}

    async def _kb_synonyms_set(self, conn: Conn, f: KbSynonymsSet) -> dict[str, Any]:
        self._kb_editor(conn)
        groups = await self._db(self.store.kb.set_synonyms, f.groups)
        self._kb_service.synonyms_set(groups)
        return {"groups": groups}

    async def _bot_search(self, query: str, **kwargs: Any) -> list[Any]:
        return await self._kb_service.search(query, **kwargs)

    def _send_to_customer(self, customer_id: int, frame: BotSuggestion) -> None:
        for c in list(self._customers.get(customer_id, ())):
            c.send(frame)

    async def _bot_first_message(self, conversation_id: int) -> None:
        if self.bot is None:
            return
        try:
            await self.bot.first_message(conversation_id)
        except Exception:
            # the bot is a nicety: the conversation is with the team whatever happens here
            log.exception("bot first line failed in conversation %d", conversation_id)

    async def _bot_feedback(self, conn: Conn, f: BotFeedback) -> dict[str, Any]:
        """The visitor's answer to the bot's offer (docs/protocol.md, "Bot first line")."""
        if conn.conversation_id is None or self.bot is None:
            raise HubError(ErrorCode.NOT_FOUND, "no bot offer to answer")
        outcome = await self.bot.decide(conn.conversation_id, "helped" if f.helped else "handed_over")
        return {"outcome": outcome}

    async def _customer_kb(self, conn: Conn, f: KbSearch | KbGet) -> dict[str, Any]:
        """The web widget may search and read public articles only."""
        if isinstance(f, KbGet):
            return await self._kb_get(conn, f, public_only=True)
        return {"hits": to_builtins(await self.kb_search(f, public_only=True))}

    # ------------------------------------------------------------------ customer endpoint

    async def _customer_session(self, conn: Conn) -> None:
        hello = await self._first_frame(conn, CustomerInbound, CustomerHello)
        if hello is None:
            return
        # Register for pushes BEFORE the state is read, holding them until the welcome is
        # sent: a reply committed after the read is pushed (not lost), one committed
        # before it is in the welcome (and its push is dropped by message id).
        conn.hold()
        state = None
        token = hello.visitor_token
        if token:
            digest = token_hash(token)
            customer_id = await self._db(self.store.visitor_customer, WEB, digest)
            if customer_id is not None:
                self._register_customer(conn, customer_id)
                state = await self._db(self.store.find_visitor, WEB, digest)
        if state is None:
            token = new_token()
            name = " ".join(hello.name.split())[:80] or f"Visitor {random.randint(1000, 9999)}"
            state = await self._db(self.store.create_visitor, WEB, token_hash(token), name, hello.locale)
            log.info("%s: new visitor, customer %d", conn.label, state.customer.id)
        # a new visitor has no conversation yet: nothing can be pushed before this point
        self._register_customer(conn, state.customer.id)
        conn.conversation_id = state.conversation_id
        team_open, back_at = await self._db(self.store.team_hours, self.config.clock())
        in_welcome = {m.id for m in state.messages}
        suggestion = await self.bot.pending_suggestion(state.conversation_id) if self.bot is not None else None
        conn.release(
            CustomerWelcome(
                protocol=PROTOCOL_VERSION,
                visitor_token=token,
                customer_name=state.customer.name,
                conversation_id=state.conversation_id,
                messages=state.messages,
                team_open=team_open,
                back_at=back_at,
                bot_suggestion=suggestion,
            ),
            drop=lambda f: isinstance(f, MessageCreated) and f.message.id in in_welcome,
        )
        file_handlers = self._file_handlers()
        self._fast_lane(conn, CustomerInbound, CustomerSend, self._take_customer)
        async for frame in self._frames(conn, CustomerInbound):
            if await self._in_order(conn, frame, self._take_customer if type(frame) is CustomerSend else None):
                continue
            if isinstance(frame, CustomerHello):
                conn.send(Error(code=ErrorCode.INVALID_FRAME, text="hello was already received"))
                continue
            if isinstance(frame, CustomerTyping):
                if conn.conversation_id is not None:
                    event = TypingEvent(
                        conversation_id=conn.conversation_id,
                        who="customer",
                        typing=frame.typing,
                        name=state.customer.name,
                    )
                    for c in self._operator_conns():
                        c.send(event, sheddable=True)
                continue
            if isinstance(frame, CustomerSend):  # the hot path first
                await self._answer(conn, frame, self._customer_send)
            elif isinstance(frame, CustomerHistory):
                await self._answer(conn, frame, self._customer_history)
            elif isinstance(frame, KbSearch | KbGet):
                await self._answer(conn, frame, self._customer_kb)
            elif isinstance(frame, BotFeedback):
                await self._answer(conn, frame, self._bot_feedback)
            else:
                await self._answer(conn, frame, file_handlers[type(frame)])

    def _register_customer(self, conn: Conn, customer_id: int) -> None:
        if conn.customer_id is not None and conn.customer_id != customer_id:
            self._forget_customer(conn)
        conn.customer_id = customer_id
        self._customers[customer_id].add(conn)

    def _forget_customer(self, conn: Conn) -> None:
        if conn.customer_id is not None:
            peers = self._customers.get(conn.customer_id)
            if peers is not None:
                peers.discard(conn)
                if not peers:
                    del self._customers[conn.customer_id]
            conn.customer_id = None

    async def _customer_history(self, conn: Conn, f: CustomerHistory) -> dict[str, Any]:
        assert conn.customer_id is not None
        if conn.conversation_id is None:
            return {"messages": [], "has_more": False}
        page = await self._db(
            self.store.customer_history, conn.customer_id, conn.conversation_id, f.before_id, f.limit
        )
        return {"messages": to_builtins(page.messages), "has_more": page.has_more}

    def _customer_send_call(self, conn: Conn, f: CustomerSend) -> Callable[[], Outcome[Any]]:
        assert conn.customer_id is not None
        return functools.partial(
            self.store.customer_send,
            conn.customer_id,
            _message_text(f.text, f.attachments),
            f.txn_id,
            attachments=list(f.attachments),
        )

    async def _customer_send(self, conn: Conn, f: CustomerSend) -> dict[str, Any]:
        outcome = await self._tx_batched(self._customer_send_call(conn, f))
        conversation_id = outcome.value.message.conversation_id
        if self.bot is not None and not outcome.value.duplicate and self.bot.offer_waits(conversation_id):
            await self.bot.customer_wrote(conversation_id)  # an unanswered offer: handed over
        return self._customer_sent(conn, outcome)

    def _customer_sent(self, conn: Conn, outcome: Outcome[Any]) -> dict[str, Any]:
        """After a customer's message is stored: routing and the bot first line for a
        new conversation; the result's data."""
        conversation_id = conn.conversation_id = outcome.value.message.conversation_id
        if any(
            isinstance(e, ConversationUpdated) and e.conversation.status == "queued" for e in outcome.events
        ):
            self._spawn(self._route(), "route new conversation")
            # the bot first line looks at a new web conversation (it checks that this is
            # its first message); routing goes on as usual meanwhile
            self._spawn(self._bot_first_message(conversation_id), "bot first line")
        if self.bot is not None and not outcome.value.duplicate and self.bot.offer_waits(conversation_id):
            # an offer made while this message was being stored (the fast lane only
            # takes a message when none waits): handed over, as on the ordinary path
            self._spawn(self.bot.customer_wrote(conversation_id), "bot offer handed over")
        return {"message": outcome.value.message}  # (encoded with the result: no to_builtins)

    # ------------------------------------------------------------------ files (both endpoints)

    def _file_handlers(self) -> dict[type, Callable[[Conn, Any], Awaitable[dict[str, Any]]]]:
        return {
            FileUploadBegin: self._file_upload_begin,
            FileUploadChunk: self._file_upload_chunk,
            FileUploadEnd: self._file_upload_end,
            FileUploadCancel: self._file_upload_cancel,
            FileUrls: self._file_urls,
        }

    @staticmethod
    def _owner(conn: Conn) -> tuple[str, int]:
        if conn.operator_id is not None:
            return ("op", conn.operator_id)
        if conn.customer_id is not None:
            return ("cust", conn.customer_id)
        raise HubError(ErrorCode.NOT_AUTHENTICATED, "sign in first")

    async def _file_upload_begin(self, conn: Conn, f: FileUploadBegin) -> dict[str, Any]:
        assert self.uploads is not None
        return await self.uploads.begin(self._owner(conn), f.txn_id, f.name, f.size, f.mime)

    async def _file_upload_chunk(self, conn: Conn, f: FileUploadChunk) -> dict[str, Any]:
        assert self.uploads is not None
        return await self.uploads.chunk(self._owner(conn), f.upload_id, f.offset, f.data)

    async def _file_upload_end(self, conn: Conn, f: FileUploadEnd) -> dict[str, Any]:
        assert self.uploads is not None
        info = await self.uploads.end(self._owner(conn), f.upload_id)
        return {"file": to_builtins(info)}

    async def _file_upload_cancel(self, conn: Conn, f: FileUploadCancel) -> dict[str, Any]:
        assert self.uploads is not None
        self.uploads.cancel(self._owner(conn), f.upload_id)
        return {}

    async def _file_urls(self, conn: Conn, f: FileUrls) -> dict[str, Any]:
        """Signed URLs for the files this sender may read (the others are left out)."""
        assert self.files is not None
        ids = [i for i in f.file_ids[:100] if isinstance(i, int)]
        kind, who = self._owner(conn)
        if kind == "op":
            readable = await self._db(self.files.readable_by_operator, who, ids)
        else:
            readable = await self._db(self.files.readable_by_customer, who, ids)
        urls: dict[str, str] = {}
        expires = 0
        for file_id in sorted(readable):
            urls[str(file_id)], expires = signed_path(self._file_secret, file_id, self.config.file_url_ttl_s)
        return {"urls": urls, "expires_at": _iso(datetime.fromtimestamp(expires, UTC)) if urls else None}


Done = Callable[[Outcome[Any] | BaseException], None]


def _settle(fut: asyncio.Future[Outcome[Any]], result: Outcome[Any] | BaseException) -> None:
    if fut.done():
        return
    if isinstance(result, BaseException):
        fut.set_exception(result)
    else:
        fut.set_result(result)


def _message_result(conn: Conn, outcome: Outcome[Any]) -> dict[str, Any]:
    return {"message": outcome.value.message}  # (encoded with the result: no to_builtins)


def _message_text(text: str, attachments: list[int]) -> str:
    """The text as stored: checked as always, but a message with files may have none."""
    if attachments and not text.strip():
        return ""
    return clean_text(text)
