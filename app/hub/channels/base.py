"""The one interface every channel adapter implements, and what the hub gives it.

An adapter knows its service (the Telegram Bot API, the WhatsApp Cloud API, IMAP/SMTP)
and nothing of the hub's storage, routing or operators:

- **inbound**: it receives (a long poll loop, or webhook requests the hub passes to
  :meth:`ChannelAdapter.handle_webhook`) and hands each customer message to
  ``ChannelContext.receive`` as an :class:`~app.domain.channels.InboundMessage`; the hub
  stores it (customer identity, conversation, message) and answers once it is committed,
  so an adapter confirms a message to its service only after it is safe;
- **outbound**: :meth:`ChannelAdapter.send` delivers one operator reply and says how it
  went by what it raises: nothing (delivered), :class:`TemporaryFailure` (the service is
  unreachable or busy: the reply stays in the outbox and the channel retries with
  backoff), :class:`ConfigurationFailure` (it cannot work until an admin acts: the
  channel is ``down``, replies wait), :class:`Refused` (this one reply can never be
  delivered: it fails alone and the operator is told);
- **health**: what it reports through ``ChannelContext.health`` is what admins see.

The web chat is a channel too, built into the hub before this interface: its inbound is
the ``/ws/customer`` websocket (identity: the widget's visitor token), its outbound the
push over that socket. It needs no outbox of its own because the conversation is one:
a visitor who was away gets every reply in ``customer_welcome`` when the widget
reconnects. docs/architecture.md, "Channels", says more.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar

from app.domain.channels import FileRef, InboundMessage, OutboundMessage
from app.domain.files import FileRejected, human_size
from app.protocol.messages import AttachmentInfo
from app.storage.channels import ChannelStore, Received
from app.storage.repo import utcnow


class ChannelFailure(Exception):
    """Base of what :meth:`ChannelAdapter.send` and the receivers raise."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class TemporaryFailure(ChannelFailure):
    """The service did not take the call now (unreachable, 5xx, rate limited): retry
    later, after ``retry_after`` seconds if the service said so."""

    def __init__(self, text: str, retry_after: float | None = None) -> None:
        super().__init__(text)
        self.retry_after = retry_after


class ConfigurationFailure(ChannelFailure):
    """The channel cannot work until an admin acts (no token, token refused)."""


class Refused(ChannelFailure):
    """The service refused this message for good (e.g. the customer blocked the bot)."""

    code: int | None = None  # the service's error code, when it gave one


class FileTooBig(Exception):
    """A channel's file over the hub's size limit (``size``: as the service said, if it did)."""

    def __init__(self, size: int | None) -> None:
        super().__init__("too big")
        self.size = size


@dataclass(frozen=True)
class WebhookRequest:
    method: str
    path: str  # what follows /channels/<name>/
    headers: Mapping[str, str]  # names lower-cased
    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)  # the URL's query (WhatsApp's hub.challenge)


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    text: str | None = None  # sent as text/plain instead of ``body`` (WhatsApp's verification echo)


OK_WRITE_S = 30.0


class Health:
    """A channel's state as admins see it (``frontline-hub channel status``, ``/healthz``
    of the webhook listener): ``starting``, ``up``, ``retrying`` or ``down``, since when,
    and the last error. ``on_change`` is called after every change (the hub stores it)."""

    def __init__(self, on_change: Callable[[Health], None] = lambda h: None, secrets: tuple[str, ...] = ()) -> None:
        self.state = "starting"
        self.since: datetime = utcnow()
        self.last_error = ""
        self.last_ok_at: datetime | None = None
        self._on_change = on_change
        self._secrets = tuple(s for s in secrets if s)

    def _set(self, state: str, error: str | None) -> None:
        if error is not None:
            error = self.redact(error)
        changed = state != self.state or (error is not None and error != self.last_error)
        now = utcnow()
        if state != self.state:
            self.since = now
        self.state = state
        if error is not None:
            self.last_error = error
        if state == "up":
            # "last worked" is kept fresh, but written at most every OK_WRITE_S seconds
            stale = self.last_ok_at is None or (now - self.last_ok_at).total_seconds() >= OK_WRITE_S
            changed = changed or stale
            if changed:
                self.last_ok_at = now
        if changed:
            self._on_change(self)

    def add_secret(self, secret: str) -> None:
        """One more secret to clean from errors (an adapter's second password)."""
        if secret and secret not in self._secrets:
            self._secrets = (*self._secrets, secret)

    def redact(self, text: str) -> str:
        """``text`` with every secret of the channel (its token) replaced."""
        for secret in self._secrets:
            text = text.replace(secret, "<secret>")
        return text

    def ok(self) -> None:
        self._set("up", None)

    def retrying(self, error: str) -> None:
        self._set("retrying", error)

    def down(self, error: str) -> None:
        self._set("down", error)


@dataclass
class ChannelContext:
    """What the hub gives an adapter."""

    name: str
    settings: Mapping[str, Any]
    token: str  # the channel's secret, read from where the settings name it ("" if none)
    receive: Callable[[InboundMessage], Awaitable[Received]]
    health: Health
    load_cursor: Callable[[], Awaitable[str]]
    save_cursor: Callable[[str], Awaitable[None]]
    retry_base_s: float = 1.0
    retry_max_s: float = 60.0
    # hub file storage (app/storage/files.py): ``await keep_file(data, name, mime, source)``
    # checks and keeps a fetched file (AttachmentInfo, or FileRejected); None: no storage
    keep_file: Callable[[bytes, str, str, str], Awaitable[AttachmentInfo]] | None = None
    max_file_bytes: int = 0
    # further secrets the adapter names in ``secret_names`` (WhatsApp's app secret and
    # verify token), read like the token from the variable or file its settings name
    secrets: Mapping[str, str] = field(default_factory=dict)
    # an outbound reply the service took but later reported undelivered (WhatsApp's
    # ``failed`` status): (outbox id or None, the service's message id, why) -> True if
    # it was one of ours and the operator was told
    delivery_failed: Callable[[int | None, str, str], Awaitable[bool]] | None = None
    # runs ``fn(channel_store)`` on the hub's database thread (an adapter with tables of
    # its own: the e-mail threads); None outside a hub
    storage: Callable[[Callable[[ChannelStore], Any]], Awaitable[Any]] | None = None
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("frontline.hub.channels"))


class ChannelAdapter(ABC):
    """One channel. The hub makes one per configured channel, calls :meth:`run` as a task
    (cancelled to stop it) and :meth:`send` from its outbox worker, one reply at a time in
    outbox order."""

    kind: ClassVar[str]
    title: ClassVar[str]  # what operators read in notes ("Not delivered through Telegram: …")
    # secrets besides the token, each read from ``<name>_env`` / ``<name>_file`` in the settings
    secret_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx

    @classmethod
    @abstractmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The settings as stored, with defaults filled in; ValueError naming what is wrong
        (``frontline-hub channel add`` calls this before writing)."""

    @abstractmethod
    async def run(self) -> None:
        """Receive until cancelled: a long-poll loop, or register the webhook and wait.
        Reports health; handles its own retries (it must not return early on a failure)."""

    @abstractmethod
    async def send(self, message: OutboundMessage) -> str:
        """Deliver one reply; the service's id for it. Raises a :class:`ChannelFailure`."""

    def webhook_path(self) -> str | None:
        """The secret last segment of this channel's webhook URL
        (``/channels/<name>/<segment>``), or None when it receives no webhooks."""
        return None

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResponse:
        """Answer one webhook request (the hub matched the path already)."""
        return WebhookResponse(404, {"ok": False, "description": "not found"})

    async def store_fetched_files(
        self,
        msg: InboundMessage,
        fetch: Callable[[FileRef, int], Awaitable[tuple[bytes, str, str]]],
        service: str,
        refused: tuple[type[Exception], ...] = (Refused,),
    ) -> InboundMessage:
        """Fetch a received message's files into hub storage and attach them: ``fetch(ref,
        limit)`` gives (bytes, name, declared type) or raises :class:`FileTooBig`, and the
        hub's check may refuse the bytes (``FileRejected``). A file that is not kept is said
        in the message's text instead, and the message is stored all the same; one of the
        ``refused`` errors (the service will not hand it out) is logged too. Anything else
        (the service unreachable: TemporaryFailure) goes to the caller, which gets the
        message again later."""
        if not msg.files or self.ctx.keep_file is None:
            return msg
        limit = self.ctx.max_file_bytes
        kept: list[int] = []
        notes: list[str] = []
        for f in msg.files:
            what = "photo" if f.kind == "photo" else f"document {f.name}".strip()
            try:
                data, name, mime = await fetch(f, limit)
                info = await self.ctx.keep_file(data, name, mime, self.kind)
                kept.append(info.id)
            except FileTooBig as exc:
                size = f" ({human_size(exc.size)})" if exc.size else ""
                notes.append(f"[{what} not stored: too big{size}, the limit is {human_size(limit)}]")
            except FileRejected as exc:
                notes.append(f"[{what} not stored: {exc.text}]")
            except refused as exc:
                notes.append(f"[{what} not stored: {service} did not hand it out]")
                text = exc.text if isinstance(exc, ChannelFailure) else str(exc)
                self.ctx.log.warning("%s channel %s: file %s: %s", self.kind, self.ctx.name, f.ref,
                                     self.ctx.health.redact(text))
        text = "\n".join([*notes, msg.caption] if msg.caption.strip() else notes)
        return replace(msg, text=text, attachments=tuple(kept))


def derived_secret(token: str, purpose: str, length: int = 40) -> str:
    """A secret made from the channel's token for one purpose (the webhook path, the
    webhook's secret header): stable across restarts, never stored, changed with the
    token; URL-safe characters only (``[A-Za-z0-9_-]``, as Telegram's secret_token wants)."""
    digest = hmac.new(token.encode(), f"frontline:{purpose}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]
