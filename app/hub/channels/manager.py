"""The hub's side of the channels: one :class:`ChannelManager` runs every configured
channel adapter, stores what they receive, feeds them the outbox and keeps their health.

- **Configuration** lives in the ``channels`` table (``frontline-hub channel add``); the
  manager reads it at start and every ``refresh_s`` seconds, so a channel added, changed or
  removed while the hub runs is started, restarted or stopped without a restart. A token
  is read from the environment variable or file the settings name, never from the
  database; a changed token restarts the channel too.
- **Inbound**: an adapter's ``receive`` stores the message (``ChannelStore.receive``: one
  transaction, events published in commit order like every other write) and routes a new
  conversation, then returns, so the adapter confirms to its service only what is stored.
- **Outbound**: operator replies are stored by the hub's usual send path; the manager
  copies the replies of channel conversations into ``channel_outbox``
  (``ChannelStore.enqueue_replies``) as soon as one is published, every ``sweep_s``
  seconds and at start, and one sender task per channel delivers them in outbox order. A
  failure that may pass keeps the reply and stops that channel's sending for a backoff
  (1, 2, 4 … ``retry_max_s`` seconds with jitter, or what the service asked for), then
  the same reply is tried first: order is kept, nothing is skipped, and pending rows
  survive a restart. A reply the service refuses for good fails alone, and the
  conversation gets an internal note saying so.
- **Health**: ``up`` / ``retrying`` / ``down`` with the last error, written to the
  ``channels`` row on every change (``frontline-hub channel status``), ``stopped`` when
  the hub stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from app.domain.channels import InboundMessage, backoff_delay
from app.domain.errors import DomainError
from app.domain.wa_templates import (
    WINDOW,
    Template,
    TemplateInvalid,
    WindowClosed,
    check_params,
    render,
    window_closes_at,
    window_open,
)
from app.hub.channels.base import (
    ChannelAdapter,
    ChannelContext,
    ConfigurationFailure,
    Health,
    Refused,
    TemporaryFailure,
    WebhookRequest,
    WebhookResponse,
)
from app.hub.channels.email import EmailAdapter
from app.hub.channels.telegram import TelegramAdapter
from app.hub.channels.whatsapp import WhatsAppAdapter
from app.protocol.errors import ErrorCode
from app.protocol.messages import AttachmentInfo, MessageCreated, WaTemplateChoice
from app.storage import Outcome
from app.storage.channels import ChannelRecord, ChannelStore, Received
from app.storage.repo import Sent, utcnow

log = logging.getLogger("frontline.hub.channels")

ADAPTERS: dict[str, type[ChannelAdapter]] = {
    TelegramAdapter.kind: TelegramAdapter,
    WhatsAppAdapter.kind: WhatsAppAdapter,
    EmailAdapter.kind: EmailAdapter,
}
STOP_GRACE_S = 5.0  # how long a stopping channel may take to finish the reply it is sending

P = ParamSpec("P")
R = TypeVar("R")


class ChannelUnavailable(DomainError):
    """The channel a command names is not configured (or not of the kind it needs)."""

    code = ErrorCode.CHANNEL_UNAVAILABLE


@dataclass(frozen=True)
class Window:
    """A conversation's customer-service window (WhatsApp: 24 hours from the customer's
    last message). ``applies`` False: its channel has none (free text always goes)."""

    applies: bool
    open: bool
    last_customer_at: datetime | None = None
    closes_at: datetime | None = None


class DbRunner:
    """How the manager reaches the database: the hub's database thread (``Hub._db`` for
    reads and plain writes, ``Hub._tx`` for writes whose events must be published)."""

    def __init__(
        self,
        db: Callable[..., Awaitable[Any]],
        tx: Callable[..., Awaitable[Outcome[Any]]],
    ) -> None:
        self.db = db
        self.tx = tx


def read_token(settings: dict[str, Any], name: str = "token") -> str:
    """The channel's secret ``name`` (its token, WhatsApp's ``app_secret`` …) from the
    environment variable (``<name>_env``) or file (``<name>_file``) its settings name."""
    env = settings.get(f"{name}_env")
    if isinstance(env, str) and env:
        return os.environ.get(env, "").strip()
    path = settings.get(f"{name}_file")
    if isinstance(path, str) and path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError:
            return ""
    return ""


@dataclass
class _Running:
    record: ChannelRecord
    fingerprint: str
    adapter: ChannelAdapter
    health: Health
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    sender: asyncio.Task[Any] | None = None
    health_dirty: bool = False
    health_writer: asyncio.Task[Any] | None = None


class ChannelManager:
    def __init__(
        self,
        store: ChannelStore,
        runner: DbRunner,
        route: Callable[[], None],
        *,
        refresh_s: float = 5.0,
        sweep_s: float = 1.0,
        retry_base_s: float = 1.0,
        retry_max_s: float = 60.0,
    ) -> None:
        self.store = store
        self._db = runner.db
        self._tx = runner.tx
        self._route = route
        self.refresh_s = refresh_s
        self.sweep_s = sweep_s
        self.retry_base_s = retry_base_s
        self.retry_max_s = retry_max_s
        self._running: dict[str, _Running] = {}
        self._conv_channels: dict[int, str] = {}
        self._sweep_wake = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._refresh_lock = asyncio.Lock()
        self._unknown_kinds: set[str] = set()
        self._loops: list[asyncio.Task[Any]] = []

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._conv_channels = await self._db(self.store.conversation_channels)
        await self._db(self.store.enqueue_replies)  # replies stored before a crash, not yet copied
        await self.refresh()
        self._loops = [self._spawn(self._refresher(), "channel refresh"), self._spawn(self._sweeper(), "outbox sweep")]

    async def stop(self) -> None:
        # the refresh and sweep loops first, then each channel (its sender finishes the
        # reply in flight), then whatever is left
        await _cancel(self._loops)
        for name in list(self._running):
            await self._stop_channel(name)
        await _cancel(list(self._tasks))

    def _spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("channel task %s failed", name)

        task = asyncio.ensure_future(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def refresh(self) -> None:
        """Start, restart or stop channels to match the ``channels`` table."""
        async with self._refresh_lock:
            records = await self._db(self.store.records)
            wanted: dict[str, ChannelRecord] = {}
            for r in records:
                if r.kind not in ADAPTERS:
                    if r.kind not in self._unknown_kinds:
                        self._unknown_kinds.add(r.kind)
                        log.warning("channel %s: no adapter for kind %r on this hub", r.name, r.kind)
                    continue
                if r.enabled:
                    wanted[r.name] = r
            for name in list(self._running):
                if name not in wanted:
                    log.info("channel %s removed or disabled: stopping it", name)
                    await self._stop_channel(name)
            for name, rec in wanted.items():
                token = read_token(rec.settings)
                secrets = {n: read_token(rec.settings, n) for n in ADAPTERS[rec.kind].secret_names}
                fingerprint = hashlib.sha256(
                    "\0".join([json.dumps(rec.settings, sort_keys=True), token, *secrets.values()]).encode()
                ).hexdigest()
                rt = self._running.get(name)
                if rt is not None and rt.fingerprint == fingerprint:
                    continue
                if rt is not None:
                    log.info("channel %s: settings or token changed, restarting it", name)
                    await self._stop_channel(name, write=False)
                self._start_channel(rec, token, fingerprint, secrets)

    async def _refresher(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading the channel settings failed")

    def _start_channel(
        self, rec: ChannelRecord, token: str, fingerprint: str, secrets: dict[str, str] | None = None
    ) -> None:
        name = rec.name
        secrets = secrets or {}
        holder: list[_Running] = []
        health = Health(lambda h: self._health_changed(holder[0]), secrets=(token, *secrets.values()))
        ctx = ChannelContext(
            name=name,
            settings=rec.settings,
            token=token,
            receive=self.receive,
            health=health,
            load_cursor=lambda: self._db(self.store.cursor, name),
            save_cursor=lambda value: self._db(self.store.set_cursor, name, value),
            retry_base_s=self.retry_base_s,
            retry_max_s=self.retry_max_s,
            secrets=secrets,
            keep_file=self.keep_file if self.store.files is not None else None,
            max_file_bytes=self.store.files.policy.max_bytes if self.store.files is not None else 0,
            storage=lambda fn: self._db(fn, self.store),
        )
        try:
            adapter = ADAPTERS[rec.kind](ctx)
            ctx.delivery_failed = lambda outbox_id, external_id, why: self._delivery_failed(
                adapter, outbox_id, external_id, why
            )
        except ValueError as exc:
            log.warning("channel %s: settings refused: %s", name, exc)
            rt = _Running(rec, fingerprint, _Inert(ctx), health)
            holder.append(rt)
            self._running[name] = rt
            health.down(f"settings refused: {exc}")
            return
        rt = _Running(rec, fingerprint, adapter, health)
        holder.append(rt)
        self._running[name] = rt
        self._health_changed(rt)  # starting
        rt.tasks.append(self._spawn(adapter.run(), f"{name} receiver"))
        rt.sender = self._spawn(self._sender(rt), f"{name} sender")
        rt.tasks.append(rt.sender)
        log.info("channel %s (%s) started", name, rec.kind)

    async def _stop_channel(self, name: str, write: bool = True) -> None:
        rt = self._running.pop(name, None)
        if rt is None:
            return
        # a reply being sent is finished and marked first (else it would go out again after
        # a restart); the sender stops before the next one, or is cancelled after the grace
        rt.stopping.set()
        if rt.sender is not None:
            await asyncio.wait({rt.sender}, timeout=STOP_GRACE_S)
        await _cancel(rt.tasks)
        if rt.health_writer is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await rt.health_writer
        if write:
            with contextlib.suppress(Exception):
                await self._db(
                    self.store.set_health, name, "stopped", utcnow(), rt.health.last_error, rt.health.last_ok_at
                )

    # ------------------------------------------------------------------ health

    def _health_changed(self, rt: _Running) -> None:
        rt.health_dirty = True
        if rt.health_writer is None or rt.health_writer.done():
            rt.health_writer = self._spawn(self._write_health(rt), f"{rt.record.name} health")

    async def _write_health(self, rt: _Running) -> None:
        while rt.health_dirty:
            rt.health_dirty = False
            h = rt.health
            await self._db(self.store.set_health, rt.record.name, h.state, h.since, h.last_error, h.last_ok_at)

    def states(self) -> dict[str, str]:
        """Channel name -> state, as this hub sees them now."""
        return {name: rt.health.state for name, rt in sorted(self._running.items())}

    def health(self, name: str) -> Health | None:
        rt = self._running.get(name)
        return rt.health if rt else None

    # ------------------------------------------------------------------ inbound

    async def keep_file(self, data: bytes, name: str, mime: str, source: str) -> AttachmentInfo:
        """Check and keep a file an adapter fetched (the bytes on a worker thread, the row
        on the database thread); :class:`~app.domain.files.FileRejected` when refused. The
        file has no owner until ``receive`` attaches it to the customer's message."""
        files = self.store.files
        assert files is not None
        kept = await asyncio.to_thread(files.keep_bytes_blob, data, name, mime)
        info: AttachmentInfo = await self._db(files.add, kept, source=source)
        return info

    async def receive(self, msg: InboundMessage) -> Received:
        """Store a message an adapter received (its events are published in commit order)."""
        outcome = await self._tx(self.store.receive, msg)
        got: Received = outcome.value
        self._conv_channels[got.conversation_id] = msg.channel
        if got.duplicate:
            log.info("channel %s: message %s was stored before", msg.channel, msg.key)
        elif got.new_conversation:
            self._route()
        return got

    async def _delivery_failed(
        self, adapter: ChannelAdapter, outbox_id: int | None, external_id: str, why: str
    ) -> bool:
        """A reply the service took and later reported undelivered: the outbox row becomes
        ``failed`` and the conversation gets the same internal note as a refusal."""
        name = adapter.ctx.name
        outcome = await self._tx(
            self.store.mark_undelivered, name, outbox_id, external_id, adapter.ctx.health.redact(why), adapter.title
        )
        found: bool = outcome.value
        if found:
            log.warning("channel %s: reply %s was not delivered: %s", name, external_id or outbox_id, why)
        return found

    def channel_state(self, name: str) -> str | None:
        """The state of a running channel (None: not configured on this hub)."""
        rt = self._running.get(name)
        return rt.health.state if rt is not None else None

    async def start_conversation(
        self,
        operator_id: int,
        customer_id: int,
        channel: str,
        identity_id: int,
        text: str,
        txn_id: str,
        template: WaTemplateChoice | None = None,
    ) -> Outcome[Any]:
        """An operator writes first on one of the customer's channels (``conversation_start``):
        a new conversation on that channel, assigned to them, whose first message goes out
        through the channel's outbox like any reply. On WhatsApp free text needs the
        customer's 24-hour window open (else :class:`WindowClosed`); a ``template`` is
        checked against the stored approved ones, stored rendered and sent as a template."""
        windowed = self.kind(channel) == "whatsapp"
        payload = ""
        if template is not None:
            if not windowed:
                raise TemplateInvalid(f"{channel} has no message templates (WhatsApp only)")
            t = await self._approved(channel, template)
            params = check_params(t, template.params)
            text = render(t, params)
            payload = _template_json(t, params)
        outcome = await self._tx(
            self.store.start_conversation,
            operator_id,
            customer_id,
            channel,
            identity_id,
            text,
            txn_id,
            template=payload,
            window=WINDOW if windowed else None,
        )
        conversation_id = outcome.value[0].id
        self._conv_channels[conversation_id] = channel
        self._sweep_wake.set()
        self._wake_sender(channel)
        return outcome

    # ------------------------------------------------------------------ WhatsApp: templates and the window

    def kind(self, name: str) -> str | None:
        """The kind of a channel running on this hub (None: not configured here)."""
        rt = self._running.get(name)
        return rt.record.kind if rt is not None else None

    def _wake_sender(self, name: str) -> None:
        rt = self._running.get(name)
        if rt is not None:
            rt.wake.set()

    def has_window(self, conversation_id: int) -> bool:
        """Cheap (no database): is this active conversation on a channel with a
        customer-service window (WhatsApp)? Only those pay for :meth:`check_free_text`."""
        name = self._conv_channels.get(conversation_id)
        return name is not None and self.kind(name) == "whatsapp"

    async def window(self, conversation_id: int) -> Window:
        found = await self._db(self.store.last_customer_at, conversation_id)
        if found is None or self.kind(found[0]) != "whatsapp":
            return Window(applies=False, open=True)
        last = found[1]
        return Window(True, window_open(last, utcnow()), last, window_closes_at(last))

    async def check_free_text(self, conversation_id: int, operator_id: int, txn_id: str) -> None:
        """:class:`WindowClosed` when free text would not reach the customer: refused here,
        before anything is stored or sent (not after a round trip to Meta). The retry of a
        reply stored before the window closed is let through (it answers what was stored)."""
        w = await self.window(conversation_id)
        if w.applies and not w.open and not await self._db(self.store.stored_reply, operator_id, txn_id):
            when = (
                "has not written in the last 24 hours"
                if w.last_customer_at is not None
                else "has never written on this channel"
            )
            raise WindowClosed(f"the customer {when}: WhatsApp only delivers approved templates now")

    def _whatsapp(self, channel: str) -> WhatsAppAdapter:
        rt = self._running.get(channel)
        if rt is None or rt.record.kind != "whatsapp":
            raise ChannelUnavailable(f"there is no WhatsApp channel {channel!r} on this hub")
        if not isinstance(rt.adapter, WhatsAppAdapter):
            raise ChannelUnavailable(f"the {channel} channel's settings were refused: {rt.health.last_error}")
        return rt.adapter

    async def templates(self, channel: str, refresh: bool = False) -> tuple[list[Template], datetime | None, str]:
        """The approved templates Frontline can fill in, when they were fetched, and why
        the last fetch failed ("" when it worked). ``refresh``: fetch them from Meta first
        (a failure keeps the stored list)."""
        adapter = self._whatsapp(channel)
        error = await adapter.refresh_templates() if refresh else adapter.templates_error
        found, fetched = await self._db(self.store.templates, channel)
        return [t for t in found if t.approved and t.usable], fetched, error

    async def _approved(self, channel: str, choice: WaTemplateChoice) -> Template:
        t: Template | None = await self._db(self.store.template, channel, choice.name, choice.language)
        what = f"{choice.name} ({choice.language})"
        if t is None:
            raise TemplateInvalid(f"there is no template {what} on this channel: refresh the list")
        if not t.approved:
            raise TemplateInvalid(
                f"the template {what} is {t.status.lower()}, not approved: WhatsApp would not deliver it"
            )
        if not t.usable:
            raise TemplateInvalid(f"the template {what} has {t.why_not}: Frontline cannot fill it in")
        return t

    async def send_template(
        self, operator_id: int, conversation_id: int, choice: WaTemplateChoice, txn_id: str
    ) -> Outcome[Sent]:
        """Store an approved template as the operator's reply (its rendered text) and send
        it as a template: checked first (known, approved, the right number of values),
        :class:`TemplateInvalid` naming what is wrong before anything is stored."""
        found = await self._db(self.store.last_customer_at, conversation_id)
        if found is None or self.kind(found[0]) != "whatsapp":
            raise TemplateInvalid("templates are for WhatsApp conversations only")
        channel = found[0]
        t = await self._approved(channel, choice)
        params = check_params(t, choice.params)
        outcome: Outcome[Sent] = await self._tx(
            self.store.send_template, operator_id, conversation_id, render(t, params), _template_json(t, params), txn_id
        )
        self._wake_sender(channel)
        return outcome

    async def webhook(self, name: str, segment: str, request: WebhookRequest) -> WebhookResponse:
        rt = self._running.get(name)
        path = rt.adapter.webhook_path() if rt is not None else None
        if rt is None or path is None or not hmac.compare_digest(segment.encode(), path.encode()):
            return WebhookResponse(404, {"ok": False, "description": "not found"})
        return await rt.adapter.handle_webhook(request)

    # ------------------------------------------------------------------ outbound

    def observe(self, outcome: Outcome[Any]) -> None:
        """Called by the hub for every published write (on the loop, in commit order): an
        operator reply in a channel conversation wakes the outbox sweep at once."""
        for ev in outcome.events:
            if isinstance(ev, MessageCreated):
                m = ev.message
                if m.author == "operator" and not m.internal and m.conversation_id in self._conv_channels:
                    self._sweep_wake.set()
                    return

    async def _sweeper(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.sweep_s):
                    await self._sweep_wake.wait()
            self._sweep_wake.clear()
            if not self._running and not self._conv_channels:
                continue  # a hub with the web chat only: nothing to look for
            try:
                added = await self._db(self.store.enqueue_replies)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox sweep failed")
                continue
            if added:
                for rt in self._running.values():
                    rt.wake.set()

    async def _sender(self, rt: _Running) -> None:
        """Deliver the channel's outbox in order, one reply at a time."""
        name = rt.record.name
        attempt = 0
        while not rt.stopping.is_set():
            await _first(rt.wake, rt.stopping, max(self.sweep_s, 1.0) * 5)
            rt.wake.clear()
            while not rt.stopping.is_set():
                items = await self._db(self.store.pending, name, 50)
                if not items:
                    break
                for item in items:
                    if rt.stopping.is_set():
                        return
                    try:
                        external_id = await rt.adapter.send(item)
                    except asyncio.CancelledError:
                        raise
                    except Refused as exc:
                        text = rt.health.redact(exc.text)
                        log.warning("channel %s: reply %d refused for good: %s", name, item.message_id, text)
                        await self._tx(self.store.mark_failed, item.outbox_id, text, rt.adapter.title)
                        rt.health.ok()  # the service answered: the channel works
                        continue
                    except Exception as exc:
                        if isinstance(exc, TemporaryFailure | ConfigurationFailure):
                            text = exc.text
                        else:
                            log.exception("channel %s: sending reply %d failed", name, item.message_id)
                            text = f"internal error: {type(exc).__name__}"
                        text = rt.health.redact(text)
                        await self._db(self.store.mark_attempt, item.outbox_id, text)
                        if isinstance(exc, ConfigurationFailure):
                            rt.health.down(text)
                            delay = self.retry_max_s
                        else:
                            rt.health.retrying(text)
                            retry_after = exc.retry_after if isinstance(exc, TemporaryFailure) else None
                            delay = retry_after if retry_after is not None else backoff_delay(
                                attempt, self.retry_base_s, self.retry_max_s
                            )
                            attempt += 1
                        log.info(
                            "channel %s: reply %d not delivered (%s); it and the replies after it wait, "
                            "next try in %.1f s",
                            name,
                            item.message_id,
                            text,
                            delay,
                        )
                        await _first(rt.stopping, None, delay)
                        break  # the same reply first again
                    else:
                        attempt = 0
                        await self._db(self.store.mark_sent, item.outbox_id, external_id)
                        rt.health.ok()


def _template_json(t: Template, params: list[str]) -> str:
    return json.dumps({"name": t.name, "language": t.language, "params": params}, ensure_ascii=False)


class _Inert(ChannelAdapter):
    """Stands in for an adapter whose settings were refused: receives and sends nothing."""

    kind = "inert"
    title = "channel"

    @classmethod
    def check_settings(cls, settings: Any) -> dict[str, Any]:
        return dict(settings)

    async def run(self) -> None:
        await asyncio.Event().wait()

    async def send(self, message: Any) -> str:
        raise ConfigurationFailure("the channel's settings were refused")


async def _first(event: asyncio.Event, other: asyncio.Event | None, timeout: float) -> None:
    """Wait until ``event`` (or ``other``) is set, at most ``timeout`` seconds."""
    if event.is_set() or (other is not None and other.is_set()):
        return
    waits = [asyncio.ensure_future(event.wait())]
    if other is not None:
        waits.append(asyncio.ensure_future(other.wait()))
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


async def _cancel(tasks: list[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
