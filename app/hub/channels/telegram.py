"""Telegram: a bot through the Bot API (https://core.telegram.org/bots/api).

Receiving, one of two modes (``settings["mode"]``):

- ``polling``: ``getUpdates`` with ``offset`` (the next update_id, kept in the channel's
  cursor in the database, so a restart goes on where it stopped) and a long-poll
  ``timeout``. Any webhook of the bot is deleted first (Telegram refuses getUpdates
  while one is set).
- ``webhook``: ``setWebhook`` with ``<public_url>/channels/<name>/<secret path>`` and a
  ``secret_token`` that Telegram sends back in ``X-Telegram-Bot-Api-Secret-Token``; both
  secrets are derived from the bot token (never stored). Telegram retries a webhook
  request until it gets a 2xx, so the hub answers 200 only once the message is stored,
  and 200 as well for updates it ignores on purpose.

Sending: ``sendMessage`` (text over 4096 characters in several messages), ``sendPhoto``
and ``sendDocument`` by ``file_id`` or URL. Answers are read as Telegram writes them:
``{"ok": true, "result": …}`` or ``{"ok": false, "error_code": …, "description": …,
"parameters": {"retry_after": …}}``.

The token is part of every Bot API URL: URLs are never logged, and every error text is
cleaned of the token before it reaches a log line or the channel's state.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.domain.channels import FileRef, InboundMessage, OutboundMessage, backoff_delay, file_text, inbound_text
from app.domain.channels import split_text as split_message
from app.hub.channels.base import (
    ChannelAdapter,
    ChannelContext,
    ChannelFailure,
    ConfigurationFailure,
    FileTooBig,
    Refused,
    TemporaryFailure,
    WebhookRequest,
    WebhookResponse,
    derived_secret,
)
from app.hub.channels.http_client import FormFile, HttpFailure, ResponseTooLarge, get, post_json, post_multipart
from app.protocol import MAX_TEXT_CHARS

log = logging.getLogger("frontline.hub.channels.telegram")

DEFAULT_API_URL = "https://api.telegram.org"
MODES = ("polling", "webhook")
TEXT_LIMIT = 4096  # sendMessage
CAPTION_LIMIT = 1024  # sendPhoto / sendDocument
ALLOWED_UPDATES = ["message"]
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name
MAX_UPDATE_FAILURES = 5  # an update our side fails to store this often is skipped (logged)

# what a message without text or a supported file is stored as
_OTHER_CONTENT = {
    "sticker": "[sticker]",
    "voice": "[voice message]",
    "audio": "[audio]",
    "video": "[video]",
    "video_note": "[video message]",
    "animation": "[animation]",
    "location": "[location]",
    "venue": "[location]",
    "contact": "[contact]",
    "poll": "[poll]",
    "dice": "[dice]",
    "game": "[game]",
    "story": "[story]",
}


class BadUpdate(ValueError):
    """An update that is not what the Bot API sends (logged and skipped)."""


class ApiError(Exception):
    def __init__(self, method: str, code: int, description: str, retry_after: float | None) -> None:
        super().__init__(f"{method}: {code} {description}")
        self.method = method
        self.code = code
        self.description = description
        self.retry_after = retry_after


class BotApi:
    """Bot API calls: ``await api.call("sendMessage", {...})`` → the ``result``, or a
    :class:`ChannelFailure` by what went wrong."""

    def __init__(self, base_url: str, token: str, timeout_s: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s

    async def call(
        self,
        method: str,
        params: dict[str, Any],
        timeout_s: float | None = None,
        files: list[FormFile] | None = None,
    ) -> Any:
        """``files``: sent as multipart/form-data (the other parameters as form fields)."""
        url = f"{self.base_url}/bot{self.token}/{method}"
        try:
            if files:
                fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
                resp = await post_multipart(url, fields, files, timeout_s or self.timeout_s)
            else:
                resp = await post_json(url, params, timeout_s or self.timeout_s)
        except HttpFailure as exc:
            raise TemporaryFailure(f"{method}: {exc}") from None
        try:
            data = resp.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or "ok" not in data:
            # not the Bot API speaking (a proxy's error page, a wrong api_url)
            if resp.status in (404, 401):
                raise ConfigurationFailure(f"{method}: HTTP {resp.status} without a Bot API answer (check api_url)")
            raise TemporaryFailure(f"{method}: HTTP {resp.status} without a Bot API answer")
        if data.get("ok") is True:
            return data.get("result")
        code = data.get("error_code")
        code = code if isinstance(code, int) else resp.status
        description = str(data.get("description") or "")[:500]
        params_ = data.get("parameters")
        retry_after = params_.get("retry_after") if isinstance(params_, dict) else None
        retry = float(retry_after) if isinstance(retry_after, int | float) and retry_after >= 0 else None
        raise _failure(ApiError(method, code, description, retry))


    async def download(self, file_id: str, max_bytes: int) -> bytes:
        """A file's bytes: ``getFile`` for its path, then ``GET /file/bot<token>/<path>``.
        :class:`TooBig` when Telegram says it is larger than ``max_bytes``, or it is."""
        info = await self.call("getFile", {"file_id": file_id})
        if not isinstance(info, dict) or not isinstance(info.get("file_path"), str):
            raise Refused("getFile: no file_path in the answer (the file may be over the Bot API's 20 MB)")
        size = info.get("file_size")
        if isinstance(size, int) and size > max_bytes:
            raise TooBig(size)
        url = f"{self.base_url}/file/bot{self.token}/{info['file_path']}"
        try:
            resp = await get(url, self.timeout_s * 4, max_bytes)
        except ResponseTooLarge as exc:
            raise TooBig(exc.size) from None
        except HttpFailure as exc:
            raise TemporaryFailure(f"file download: {exc}") from None
        if resp.status != 200:
            if resp.status >= 500:
                raise TemporaryFailure(f"file download: HTTP {resp.status}")
            raise Refused(f"file download: HTTP {resp.status}")
        return resp.body


TooBig = FileTooBig


def _failure(err: ApiError) -> ChannelFailure:
    text = f"{err.method}: {err.code} {err.description}".strip()
    if err.code == 429:
        return TemporaryFailure(text, err.retry_after)
    if err.code in (401, 404):  # Unauthorized (token revoked) / Not Found (no such bot token)
        return ConfigurationFailure(text)
    if err.code in (400, 403):  # chat not found, bot blocked by the user, bad file id...
        return Refused(text)
    return TemporaryFailure(text, err.retry_after)  # 409 conflict, 5xx: may pass


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadUpdate(f"{what} is not an integer")
    return value


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadUpdate(f"{what} is not an object")
    return value


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse_message(msg: Any) -> InboundMessage | None:
    """A Bot API ``Message`` as an inbound message; None for one that is not a customer
    writing to the bot (a group chat, another bot); :class:`BadUpdate` when malformed."""
    msg = _obj(msg, "message")
    message_id = _int(msg.get("message_id"), "message.message_id")
    chat = _obj(msg.get("chat"), "message.chat")
    chat_id = _int(chat.get("id"), "message.chat.id")
    if chat.get("type") != "private":
        return None
    sender = _obj(msg.get("from"), "message.from")
    user_id = _int(sender.get("id"), "message.from.id")
    if sender.get("is_bot") is True:
        return None
    files: list[FileRef] = []
    photo = msg.get("photo")
    if photo is not None:
        if not isinstance(photo, list) or not photo:
            raise BadUpdate("message.photo is not a list of sizes")
        sizes = [_obj(p, "message.photo[]") for p in photo]
        best = max(sizes, key=lambda p: (p.get("file_size") or 0, (p.get("width") or 0) * (p.get("height") or 0)))
        file_id = _str(best.get("file_id"))
        if not file_id:
            raise BadUpdate("message.photo[] has no file_id")
        size = best.get("file_size")
        files.append(
            FileRef(
                kind="photo",
                ref=file_id,
                unique_ref=_str(best.get("file_unique_id")),
                mime="image/jpeg",
                size=size if isinstance(size, int) else None,
            )
        )
    document = msg.get("document")
    if document is not None:
        doc = _obj(document, "message.document")
        file_id = _str(doc.get("file_id"))
        if not file_id:
            raise BadUpdate("message.document has no file_id")
        size = doc.get("file_size")
        files.append(
            FileRef(
                kind="document",
                ref=file_id,
                unique_ref=_str(doc.get("file_unique_id")),
                name=_str(doc.get("file_name"))[:255],
                mime=_str(doc.get("mime_type"))[:128],
                size=size if isinstance(size, int) else None,
            )
        )
    text = _str(msg.get("text")) or _str(msg.get("caption"))
    caption = text.strip() if files else ""  # with files: what goes with them once they are fetched
    if files:
        text = file_text(tuple(files), text)
    elif not text.strip():
        kind = next((k for k in _OTHER_CONTENT if k in msg), None)
        text = _OTHER_CONTENT[kind] if kind else "[unsupported message]"
        if kind == "sticker" and isinstance(msg.get("sticker"), dict):
            emoji = _str(msg["sticker"].get("emoji"))
            text = f"[sticker {emoji}]" if emoji else text
    first, last = _str(sender.get("first_name")), _str(sender.get("last_name"))
    username = _str(sender.get("username"))
    name = " ".join(p for p in (first.strip(), last.strip()) if p) or (f"@{username}" if username else "")
    return InboundMessage(
        channel="telegram",
        external_id=str(user_id),
        address=str(chat_id),
        key=f"{chat_id}:{message_id}",
        text=inbound_text(text, MAX_TEXT_CHARS),
        files=tuple(files),
        name=(name or f"Telegram {user_id}")[:200],
        label=f"@{username}"[:200] if username else "",
        locale=_str(sender.get("language_code"))[:16],
        caption=caption[:MAX_TEXT_CHARS],
    )


def parse_update(update: Any) -> tuple[int, InboundMessage | None, str]:
    """(update_id, the message or None, why it is ignored). :class:`BadUpdate` when the
    update is malformed."""
    update = _obj(update, "update")
    update_id = _int(update.get("update_id"), "update_id")
    if "message" not in update:
        kinds = sorted(k for k in update if k != "update_id")
        return update_id, None, f"update type {', '.join(kinds) or '(none)'} is not handled"
    msg = parse_message(update["message"])
    if msg is None:
        return update_id, None, "not a private chat with a person"
    return update_id, msg, ""


class TelegramAdapter(ChannelAdapter):
    kind = "telegram"
    title = "Telegram"

    def __init__(self, ctx: ChannelContext) -> None:
        super().__init__(ctx)
        s = self.check_settings(ctx.settings)
        self.mode: str = s["mode"]
        self.api = BotApi(s["api_url"], ctx.token, float(s["request_timeout_s"]))
        self.poll_timeout_s = int(s["poll_timeout_s"])
        self.public_url: str = s.get("public_url", "")
        self._path = derived_secret(ctx.token, f"telegram webhook path {ctx.name}", 32) if ctx.token else ""
        self._secret = derived_secret(ctx.token, f"telegram webhook secret {ctx.name}", 48) if ctx.token else ""
        self._failures: dict[int, int] = {}  # update_id -> failed attempts to store it
        self._attempt = 0
        self.bot_username = ""

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> dict[str, Any]:
        s = dict(settings)
        s.setdefault("mode", "polling")
        s.setdefault("api_url", DEFAULT_API_URL)
        s.setdefault("poll_timeout_s", 25)
        s.setdefault("request_timeout_s", 15)
        if s["mode"] not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        api = urlsplit(str(s["api_url"]))
        if api.scheme not in ("http", "https") or not api.hostname:
            raise ValueError("api_url must be an http(s) URL such as https://api.telegram.org")
        if not s.get("token_env") and not s.get("token_file"):
            raise ValueError("say where the bot token is: token_env (an environment variable) or token_file")
        if s["mode"] == "webhook":
            pub = urlsplit(str(s.get("public_url", "")))
            if pub.scheme not in ("http", "https") or not pub.hostname:
                raise ValueError(
                    "webhook mode needs public_url: the https address Telegram reaches the hub's webhook listener at"
                )
            s["public_url"] = str(s["public_url"]).rstrip("/")
        if not isinstance(s["poll_timeout_s"], int) or not 0 <= s["poll_timeout_s"] <= 50:
            raise ValueError("poll_timeout_s must be a whole number of seconds from 0 to 50")
        if not isinstance(s["request_timeout_s"], int | float) or s["request_timeout_s"] <= 0:
            raise ValueError("request_timeout_s must be a positive number of seconds")
        return s

    # ------------------------------------------------------------------ receiving

    def webhook_path(self) -> str | None:
        return self._path if self.mode == "webhook" and self._path else None

    @property
    def webhook_url(self) -> str:
        return f"{self.public_url}/channels/{self.ctx.name}/{self._path}"

    async def run(self) -> None:
        health = self.ctx.health
        if not self.ctx.token:
            health.down("no bot token: set the environment variable or file named in the channel's settings")
            await asyncio.Event().wait()  # nothing to do until the settings change
        setup = self._setup_webhook if self.mode == "webhook" else self._setup_polling
        await self._until_done(setup)
        if self.mode == "webhook":
            await asyncio.Event().wait()  # updates arrive as webhook requests
        while True:
            await self._until_done(self._poll_once)

    async def _until_done(self, step: Any) -> None:
        """Run ``step`` until it succeeds, backing off after failures (health says why)."""
        health = self.ctx.health
        while True:
            try:
                await step()
            except ConfigurationFailure as exc:
                health.down(exc.text)
                log.warning("telegram channel %s is down: %s", self.ctx.name, health.redact(exc.text))
                await asyncio.sleep(self.ctx.retry_max_s)
            except ChannelFailure as exc:
                health.retrying(exc.text)
                delay = self._next_delay(getattr(exc, "retry_after", None))
                log.info(
                    "telegram channel %s: %s; retrying in %.1f s", self.ctx.name, health.redact(exc.text), delay
                )
                await asyncio.sleep(delay)
            else:
                self._attempt = 0
                return

    def _next_delay(self, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        delay = backoff_delay(self._attempt, self.ctx.retry_base_s, self.ctx.retry_max_s)
        self._attempt += 1
        return delay

    async def _setup_polling(self) -> None:
        me = await self.api.call("getMe", {})
        self.bot_username = _str(me.get("username")) if isinstance(me, dict) else ""
        # getUpdates is refused while a webhook is set; keep the updates waiting
        await self.api.call("deleteWebhook", {"drop_pending_updates": False})
        self.ctx.health.ok()
        log.info("telegram channel %s: polling as @%s", self.ctx.name, self.bot_username)

    async def _setup_webhook(self) -> None:
        me = await self.api.call("getMe", {})
        self.bot_username = _str(me.get("username")) if isinstance(me, dict) else ""
        await self.api.call(
            "setWebhook",
            {"url": self.webhook_url, "secret_token": self._secret, "allowed_updates": ALLOWED_UPDATES},
        )
        self.ctx.health.ok()
        # the URL holds the secret path: only where it points is logged
        log.info("telegram channel %s: webhook set at %s/channels/%s/…", self.ctx.name, self.public_url, self.ctx.name)

    @property
    def _bot_id(self) -> str:
        """The bot's public id (the token's part before the colon)."""
        return self.ctx.token.split(":", 1)[0]

    async def _poll_once(self) -> None:
        # the cursor is "<bot id>:<offset>": update ids are per bot, so another bot's token
        # starts from its own beginning
        bot, _, stored = (await self.ctx.load_cursor()).rpartition(":")
        offset = int(stored) if bot == self._bot_id and stored.isdigit() else 0
        params: dict[str, Any] = {"timeout": self.poll_timeout_s, "allowed_updates": ALLOWED_UPDATES}
        if offset:
            params["offset"] = offset
        result = await self.api.call("getUpdates", params, timeout_s=self.poll_timeout_s + self.api.timeout_s)
        self.ctx.health.ok()
        if not isinstance(result, list):
            raise TemporaryFailure("getUpdates: the result is not a list")
        next_offset = offset
        try:
            for update in result:
                done = await self._take(update)
                if done is not None:
                    next_offset = max(next_offset, done + 1)
        finally:
            if next_offset != offset:
                await self.ctx.save_cursor(f"{self._bot_id}:{next_offset}")

    async def _take(self, update: Any) -> int | None:
        """Store one update; its update_id once it needs no more work (stored, ignored or
        malformed), None for a malformed one without an id. Raises when storing failed
        (the poll is retried from this update: storing is idempotent)."""
        try:
            update_id, msg, why = parse_update(update)
        except BadUpdate as exc:
            uid = update.get("update_id") if isinstance(update, dict) else None
            log.warning("telegram channel %s: malformed update %s skipped: %s", self.ctx.name, uid, exc)
            return uid if isinstance(uid, int) and not isinstance(uid, bool) else None
        if msg is None:
            log.info("telegram channel %s: update %d ignored: %s", self.ctx.name, update_id, why)
            return update_id
        try:
            await self.ctx.receive(await self.fetch_files(msg))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            failures = self._failures[update_id] = self._failures.get(update_id, 0) + 1
            if failures >= MAX_UPDATE_FAILURES:
                log.exception(
                    "telegram channel %s: update %d could not be stored %d times, skipped",
                    self.ctx.name,
                    update_id,
                    failures,
                )
                self._failures.pop(update_id, None)
                return update_id
            raise TemporaryFailure(f"storing update {update_id} failed: {type(exc).__name__}") from exc
        self._failures.pop(update_id, None)
        return update_id

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResponse:
        """Telegram's webhook request: 401 without the secret header, 403 with a wrong one,
        400 for a body that is not a JSON object, 200 once the message is stored (or for an
        update ignored on purpose: Telegram would only send it again), 500 when storing
        failed (Telegram retries)."""
        if request.method != "POST":
            return WebhookResponse(405, {"ok": False, "description": "POST only"})
        got = request.headers.get(SECRET_HEADER)
        if got is None:
            log.warning("telegram channel %s: webhook request without the secret header refused", self.ctx.name)
            return WebhookResponse(401, {"ok": False, "description": "secret token required"})
        if not hmac.compare_digest(got.encode(), self._secret.encode()):
            log.warning("telegram channel %s: webhook request with a wrong secret refused", self.ctx.name)
            return WebhookResponse(403, {"ok": False, "description": "wrong secret token"})
        self.ctx.health.ok()
        try:
            update = json.loads(request.body.decode("utf-8"))
        except ValueError:
            log.warning("telegram channel %s: webhook body is not JSON (%d bytes)", self.ctx.name, len(request.body))
            return WebhookResponse(400, {"ok": False, "description": "the body is not JSON"})
        if not isinstance(update, dict):
            log.warning("telegram channel %s: webhook body is not an update object", self.ctx.name)
            return WebhookResponse(400, {"ok": False, "description": "the body is not an update object"})
        try:
            update_id, msg, why = parse_update(update)
        except BadUpdate as exc:
            log.warning(
                "telegram channel %s: malformed update %s ignored: %s", self.ctx.name, update.get("update_id"), exc
            )
            return WebhookResponse(200, {"ok": True})
        if msg is None:
            log.info("telegram channel %s: update %d ignored: %s", self.ctx.name, update_id, why)
            return WebhookResponse(200, {"ok": True})
        try:
            await self.ctx.receive(await self.fetch_files(msg))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("telegram channel %s: update %d could not be stored", self.ctx.name, update_id)
            return WebhookResponse(500, {"ok": False, "description": "not stored, send it again"})
        return WebhookResponse(200, {"ok": True})

    async def fetch_files(self, msg: InboundMessage) -> InboundMessage:
        """Fetch the message's photos and documents into hub storage (getFile + the file
        download) and attach them (:meth:`ChannelAdapter.store_fetched_files`: what is not kept is
        said in the text; the message itself is never lost). Unreachable Telegram raises
        TemporaryFailure: the whole update is tried again."""

        async def fetch(f: FileRef, limit: int) -> tuple[bytes, str, str]:
            if f.size is not None and f.size > limit:
                raise TooBig(f.size)
            data = await self.api.download(f.ref, limit)
            return data, f.name or f"photo-{f.unique_ref or 'telegram'}.jpg", f.mime

        return await self.store_fetched_files(msg, fetch, "Telegram")

    # ------------------------------------------------------------------ sending

    async def send(self, message: OutboundMessage) -> str:
        """sendMessage (in parts of 4096 characters), or sendPhoto / sendDocument for
        files (the text as the caption of the first when it fits, else sent before)."""
        if not self.ctx.token:
            raise ConfigurationFailure("no bot token")
        chat_id: int | str = message.address
        if message.address.lstrip("-").isdigit():
            chat_id = int(message.address)
        if not message.address:
            raise Refused("the conversation has no Telegram chat to answer")
        ids: list[str] = []
        text = message.text
        if message.attachments:
            ids += await self._send_attachments(chat_id, text, message.attachments)
        elif message.files:
            caption = text if len(text) <= CAPTION_LIMIT else ""
            if not caption and text:
                ids += await self._send_text(chat_id, text)
            for i, f in enumerate(message.files):
                method, field = ("sendPhoto", "photo") if f.kind == "photo" else ("sendDocument", "document")
                params: dict[str, Any] = {"chat_id": chat_id, field: f.ref}
                if i == 0 and caption:
                    params["caption"] = caption
                ids.append(_message_id(await self.api.call(method, params)))
        else:
            ids += await self._send_text(chat_id, text)
        return ",".join(ids)

    async def _send_attachments(self, chat_id: int | str, text: str, files: tuple[Any, ...]) -> list[str]:
        """Hub files as uploads (multipart/form-data): images with sendPhoto, the rest
        (PDF, GIF) with sendDocument; the text as the first one's caption when it fits."""
        ids: list[str] = []
        caption = text if len(text) <= CAPTION_LIMIT else ""
        if text and not caption:
            ids += await self._send_text(chat_id, text)
        for i, f in enumerate(files):
            data = await asyncio.to_thread(Path(f.path).read_bytes)
            photo = f.mime in ("image/jpeg", "image/png", "image/webp")
            method, field = ("sendPhoto", "photo") if photo else ("sendDocument", "document")
            params: dict[str, Any] = {"chat_id": chat_id}
            if i == 0 and caption:
                params["caption"] = caption
            result = await self.api.call(method, params, files=[FormFile(field, f.name, f.mime, data)])
            ids.append(_message_id(result))
        return ids

    async def _send_text(self, chat_id: int | str, text: str) -> list[str]:
        return [
            _message_id(await self.api.call("sendMessage", {"chat_id": chat_id, "text": part}))
            for part in split_message(text, TEXT_LIMIT)
        ]


def _message_id(result: Any) -> str:
    if isinstance(result, dict) and isinstance(result.get("message_id"), int):
        return str(result["message_id"])
    return ""

