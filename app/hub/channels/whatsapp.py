"""WhatsApp: a business phone number through Meta's WhatsApp Business Cloud API
(https://developers.facebook.com/docs/whatsapp/cloud-api).

Receiving is by webhook only (the Cloud API has nothing to poll). Meta's app dashboard
is given ``<public_url>/channels/<name>/webhook`` as the callback URL and a *verify
token* of the admin's choosing; then:

- ``GET`` with ``hub.mode=subscribe``, ``hub.verify_token`` and ``hub.challenge``: the
  verification handshake. The hub answers the challenge as plain text when the verify
  token matches, 403 otherwise.
- ``POST`` notifications, each signed: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of
  the raw body with the app secret>``. Without the header: 401; a wrong signature: 403
  (both logged, nothing read). The body is ``{"object": "whatsapp_business_account",
  "entry": [{"changes": [{"field": "messages", "value": {"metadata":
  {"phone_number_id": …}, "contacts": [{"profile": {"name": …}, "wa_id": …}],
  "messages": [{"from", "id", "timestamp", "type", <type>: {…}}], "statuses": […]}}]}]}``.
  A body that is not a JSON object with an ``entry`` list is 400. Everything else is
  answered 200 (Meta retries anything else for days): a message is stored (its ``wamid``
  makes that idempotent: a retried notification is stored once) before the answer, and
  500 only when storing failed, so that Meta sends it again. Parts that are not for us
  (another phone number id, another ``field``) or malformed (a message without ``from``)
  are logged and skipped without losing the rest of the notification.
- Message types: ``text``; ``image`` / ``document`` are fetched into hub storage before
  the message is stored (``GET /{version}/{media id}`` answers ``{url, mime_type,
  file_size}``, then ``GET <url>`` with the same bearer token gives the bytes; Meta's
  media URLs live five minutes, so this is done at once) and attached, the caption is the
  text; a file over the hub's limit, of a type the hub does not take, or one Meta will not
  hand out is not fetched and the text says so (``[photo not stored: too big (12.0 MiB),
  the limit is 10.0 MiB]``), the message is stored all the same. The media id stays a
  file reference (``message_files``). ``sticker`` / ``audio`` / ``video`` and the others
  are stored as a readable placeholder (``[voice message]``, ``[location: …]``, ``[contact]``,
  ``[reaction 👍]``, the tapped button's text …); a type this code does not know is
  stored as ``[unsupported message: <type>]``, never dropped.
- ``statuses``: ``failed`` for one of our replies (found by ``biz_opaque_callback_data``,
  which carries the outbox id, or by its wamid) marks it failed and writes the same
  internal note as a refusal, so the operator knows it did not arrive; ``sent`` /
  ``delivered`` / ``read`` are logged at debug level (not stored).

Sending: ``POST {api_url}/{api_version}/{phone_number_id}/messages`` with
``Authorization: Bearer <token>`` and ``{"messaging_product": "whatsapp", "to": <wa_id>,
"type": "text", "text": {"body": …}}`` (text over 4096 characters in several messages);
hub files of an operator reply are uploaded first (``POST /{version}/{phone_number_id}/media``,
multipart with ``messaging_product=whatsapp``, ``type`` and ``file``; the answer is
``{"id": <media id>}``), then sent by that id: JPEG and PNG up to 5 MB as ``image``, the
rest (PDF, GIF, WebP, bigger pictures) as ``document`` with its ``filename``; the text is
the first file's caption when it fits. Files by reference: ``image`` / ``document`` with
``{"id": <media id>}`` or ``{"link": <https URL>}``. Errors are read as the Graph API writes them (``{"error": {"code",
"message", "error_data": {"details"}}}``):

- unreachable, 5xx, 429 and the throttling codes → :class:`TemporaryFailure` (backoff);
- 131047 (more than 24 hours since the customer last wrote: only template messages are
  allowed then), 131026 (undeliverable) and other 4xx about this message →
  :class:`Refused` with a sentence for the operator;
- 401, 190 (token expired or revoked), 10/200 (permission), 100 with subcode 33 (no such
  phone number id) → :class:`ConfigurationFailure`: the channel is ``down``.

Templates: outside the customer's 24-hour window WhatsApp delivers only a message template
approved by Meta. With the channel's ``waba_id`` (the WhatsApp Business Account id) the
adapter lists them (``GET /{version}/{waba_id}/message_templates?fields=name,language,
status,category,components``, page by page through ``paging.cursors.after``) every
``templates_refresh_s`` seconds, when asked (``refresh_templates``) and after Meta refused a
template as unknown, paused or disabled; the hub stores the list (``wa_templates``) so it
survives a restart while Meta is unreachable. A reply whose outbox row carries a template is
sent as ``{"type": "template", "template": {"name", "language": {"code"}, "components":
[{"type": "body", "parameters": [{"type": "text", "text": …}]}]}}``; Meta's template errors
(132000 parameter count, 132001 unknown template, 132015 paused …) are refusals with a
sentence for the operator.

The token, the app secret and the verify token are read from the environment variables
or files the settings name (``token_env`` / ``app_secret_env`` / ``verify_token_env``, or
``*_file``), never stored, never logged (error texts are cleaned of them).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from app.domain.channels import FileRef, InboundMessage, OutboundMessage, backoff_delay, file_text, inbound_text
from app.domain.channels import split_text as split_message
from app.domain.contacts import format_phone, normalize_phone
from app.domain.errors import InvalidValue
from app.domain.wa_templates import Template, parse_template
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
)
from app.hub.channels.http_client import (
    FormFile,
    HttpFailure,
    HttpResponse,
    ResponseTooLarge,
    get,
    get_json,
    post_json,
    post_multipart,
)
from app.protocol import MAX_TEXT_CHARS
from app.storage.repo import utcnow

log = logging.getLogger("frontline.hub.channels.whatsapp")

DEFAULT_API_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
WEBHOOK_SEGMENT = "webhook"  # /channels/<name>/webhook: the requests are signed, the URL is not a secret
SIGNATURE_HEADER = "x-hub-signature-256"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_PREFIX = "frontline-outbox:"  # biz_opaque_callback_data of our replies
IMAGE_TYPES = ("image/jpeg", "image/png")  # what WhatsApp sends as an image message
IMAGE_MAX_BYTES = 5 * 1024 * 1024  # WhatsApp's limit for images (documents: 100 MB)
_PHOTO_EXT = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}

# error codes of the Graph / Cloud API (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)
RE_ENGAGEMENT = 131047
UNDELIVERABLE = 131026
TEMPORARY_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131056, 133004})
CONFIGURATION_CODES = frozenset({0, 3, 10, 190, 200, 131005, 131031, 133010})

REFUSAL_TEXTS = {
    RE_ENGAGEMENT: (
        "the customer has not written in 24 hours; WhatsApp only allows template messages then"
    ),
    470: "the customer has not written in 24 hours; WhatsApp only allows template messages then",
    UNDELIVERABLE: (
        "WhatsApp could not deliver it to this number (it may not have WhatsApp, or has not accepted "
        "the latest terms)"
    ),
    131030: "the number is not on the test number's list of allowed recipients",
    131051: "WhatsApp does not support this kind of message",
    131052: "WhatsApp could not download the file",
    131053: "WhatsApp could not take the file (it takes JPEG and PNG pictures, PDF and office documents)",
    131021: "the customer's number is the business number itself",
    # template messages (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)
    132000: "WhatsApp says the number of values does not match the template",
    132001: "WhatsApp does not know this template in this language (deleted, or not approved yet)",
    132005: "the filled-in template is too long for WhatsApp",
    132007: "the filled-in template breaks WhatsApp's format rules",
    132012: "a template value has a format WhatsApp does not take",
    132015: "the template is paused by WhatsApp (its quality is low)",
    132016: "the template is disabled by WhatsApp",
    132018: "a template value has a line break, a tab or more than four spaces in a row",
}
# template errors after which the list the hub keeps is out of date: fetch it again
STALE_TEMPLATE_CODES = frozenset({132001, 132015, 132016})
TEMPLATE_FIELDS = "name,language,status,category,components,parameter_format"

# what a message of another type is stored as
_PLACEHOLDERS = {
    "sticker": "[sticker]",
    "audio": "[audio]",
    "voice": "[voice message]",
    "video": "[video]",
    "location": "[location]",
    "contacts": "[contact]",
    "reaction": "[reaction]",
    "order": "[order]",
    "system": "[system message]",
    "unsupported": "[unsupported message]",
    "unknown": "[unsupported message]",
}


class BadNotification(ValueError):
    """A part of a notification that is not what the Cloud API sends (logged, skipped)."""


def signature(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends with ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def message_key(wamid: str) -> str:
    """The channel key of a message: its wamid, hashed to fit the 64-character key column
    (wamids are often longer)."""
    return "wa:" + hashlib.sha256(wamid.encode()).hexdigest()[:56]


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadNotification(f"{what} is not an object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadNotification(f"{what} is not a list")
    return value


def customer_phone(wa_id: str) -> str:
    """The E.164 number of a WhatsApp id (its digits with the country code), or "" when
    it is not a valid number."""
    if not wa_id.isdigit():
        return ""
    try:
        return normalize_phone("+" + wa_id)
    except InvalidValue:
        return ""


def parse_message(msg: Any, names: Mapping[str, str], channel: str = "whatsapp") -> InboundMessage:
    """One entry of ``value.messages`` as an inbound message (``names``: wa_id -> profile
    name from ``value.contacts``); :class:`BadNotification` when it lacks what every
    message has."""
    msg = _obj(msg, "message")
    sender = _str(msg.get("from"))
    wamid = _str(msg.get("id"))
    if not sender or not wamid:
        raise BadNotification("a message without from or id")
    kind = _str(msg.get("type")) or "unknown"
    body = msg.get(kind) if isinstance(msg.get(kind), dict) else {}
    assert isinstance(body, dict)
    files: list[FileRef] = []
    text = caption = ""
    if kind == "text":
        text = _str(body.get("body"))
    elif kind in ("image", "document"):
        media_id = _str(body.get("id"))
        if not media_id:
            raise BadNotification(f"an {kind} without a media id")
        files.append(
            FileRef(
                kind="photo" if kind == "image" else "document",
                ref=media_id,
                unique_ref=_str(body.get("sha256"))[:128],
                name=_str(body.get("filename"))[:255],
                mime=_str(body.get("mime_type"))[:128],
            )
        )
        caption = _str(body.get("caption")).strip()
        text = file_text(tuple(files), caption)
    elif kind == "audio" and body.get("voice") is True:
        text = _PLACEHOLDERS["voice"]
    elif kind == "video":
        caption = _str(body.get("caption"))
        text = "[video]" + (f"\n{caption}" if caption.strip() else "")
    elif kind == "sticker":
        text = "[sticker]"
    elif kind == "location":
        where = ", ".join(p for p in (_str(body.get("name")), _str(body.get("address"))) if p)
        lat, lon = body.get("latitude"), body.get("longitude")
        if not where and isinstance(lat, int | float) and isinstance(lon, int | float):
            where = f"{lat:.5f}, {lon:.5f}"
        text = f"[location: {where}]" if where else "[location]"
    elif kind == "reaction":
        emoji = _str(body.get("emoji"))
        text = f"[reaction {emoji}]" if emoji else "[reaction removed]"
    elif kind == "button":  # a quick-reply button of a template
        text = _str(body.get("text")) or "[button]"
    elif kind == "interactive":
        reply = body.get("button_reply") or body.get("list_reply") or {}
        text = _str(reply.get("title")) if isinstance(reply, dict) else ""
        text = text or "[interactive reply]"
    elif kind in _PLACEHOLDERS:
        text = _PLACEHOLDERS[kind]
    else:
        text = f"[unsupported message: {kind[:40]}]"
    wa_id = sender
    phone = customer_phone(wa_id)
    name = names.get(wa_id, "").strip()
    return InboundMessage(
        channel=channel,
        external_id=wa_id,
        address=wa_id,
        key=message_key(wamid),
        text=inbound_text(text, MAX_TEXT_CHARS),
        files=tuple(files),
        name=(name or (format_phone(phone) if phone else f"WhatsApp {wa_id}"))[:200],
        label=(format_phone(phone) if phone else f"+{wa_id}")[:200],
        phone=phone,
        caption=caption[:MAX_TEXT_CHARS],
    )


class Notification:
    """What one webhook body holds for a phone number: its messages and statuses, and
    what was skipped (why, for the log)."""

    def __init__(self) -> None:
        self.messages: list[InboundMessage] = []
        self.statuses: list[dict[str, Any]] = []
        self.skipped: list[str] = []


def parse_notification(payload: Any, phone_number_id: str, channel: str = "whatsapp") -> Notification:
    """The messages and statuses of a webhook body addressed to ``phone_number_id``.
    :class:`BadNotification` only when the body as a whole is not a notification (not an
    object, no ``entry`` list); a bad part is skipped and named in ``skipped``."""
    if not isinstance(payload, dict):
        raise BadNotification("the body is not a JSON object")
    out = Notification()
    if payload.get("object") != "whatsapp_business_account":
        out.skipped.append(f"object {str(payload.get('object'))[:60]!r} is not whatsapp_business_account")
        return out
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise BadNotification("entry is not a list")
    for entry in entries:
        try:
            changes = _list(_obj(entry, "entry[]").get("changes"), "entry[].changes")
        except BadNotification as exc:
            out.skipped.append(str(exc))
            continue
        for change in changes:
            try:
                change = _obj(change, "changes[]")
                if change.get("field") != "messages":
                    out.skipped.append(f"field {str(change.get('field'))[:60]!r} is not handled")
                    continue
                value = _obj(change.get("value"), "changes[].value")
                meta = value.get("metadata")
                target = _str(meta.get("phone_number_id")) if isinstance(meta, dict) else ""
                if target != phone_number_id:
                    out.skipped.append(f"for another phone number id ({target or 'none'})")
                    continue
                names: dict[str, str] = {}
                for contact in _list(value.get("contacts"), "contacts"):
                    if isinstance(contact, dict):
                        profile = contact.get("profile")
                        pname = _str(profile.get("name")) if isinstance(profile, dict) else ""
                        names[_str(contact.get("wa_id"))] = pname
                for msg in _list(value.get("messages"), "messages"):
                    try:
                        out.messages.append(parse_message(msg, names, channel))
                    except BadNotification as exc:
                        out.skipped.append(f"message skipped: {exc}")
                for status in _list(value.get("statuses"), "statuses"):
                    if isinstance(status, dict) and _str(status.get("id")) and _str(status.get("status")):
                        out.statuses.append(status)
                    else:
                        out.skipped.append("a status without id or status")
            except BadNotification as exc:
                out.skipped.append(str(exc))
    return out


def status_error(status: Mapping[str, Any]) -> str:
    """What an operator reads of a ``failed`` status."""
    errors = status.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code = first.get("code")
    if isinstance(code, int) and code in REFUSAL_TEXTS:
        return REFUSAL_TEXTS[code]
    data = first.get("error_data")
    details = _str(data.get("details")) if isinstance(data, dict) else ""
    text = details or _str(first.get("message")) or _str(first.get("title")) or "WhatsApp reported it failed"
    return f"{text} ({code})" if isinstance(code, int) else text


class GraphApi:
    """Cloud API calls with the bearer token; the answer's JSON, or a
    :class:`ChannelFailure` by what went wrong."""

    def __init__(self, base_url: str, version: str, token: str, timeout_s: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.version = version
        self.token = token
        self.timeout_s = timeout_s

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{self.version}/{path}"

    async def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            resp = await post_json(self._url(path), payload, self.timeout_s, self._headers())
        except HttpFailure as exc:
            raise TemporaryFailure(f"{path.rsplit('/', 1)[-1]}: {exc}") from None
        return self._read(resp)

    async def get(self, path: str) -> dict[str, Any]:
        try:
            resp = await get_json(self._url(path), self.timeout_s, self._headers())
        except HttpFailure as exc:
            raise TemporaryFailure(f"GET {path.split('?')[0]}: {exc}") from None
        return self._read(resp)

    async def upload(self, path: str, fields: dict[str, str], file: FormFile) -> dict[str, Any]:
        try:
            resp = await post_multipart(self._url(path), fields, [file], self.timeout_s * 4, self._headers())
        except HttpFailure as exc:
            raise TemporaryFailure(f"media upload: {exc}") from None
        return self._read(resp)

    async def download(self, media_id: str, max_bytes: int) -> tuple[bytes, str]:
        """A customer's media: its URL and type from ``GET /{media id}``, then the bytes
        from that URL (with the bearer token). :class:`TooBig` when Meta says it is larger
        than ``max_bytes``, or it is; :class:`Refused` when Meta will not hand it out."""
        info = await self.get(media_id)
        url = _str(info.get("url"))
        size = info.get("file_size")
        size = int(size) if isinstance(size, str) and size.isdigit() else size
        if isinstance(size, int) and not isinstance(size, bool) and size > max_bytes:
            raise TooBig(size)
        target, api = urlsplit(url), urlsplit(self.base_url)
        # the token goes only to Meta over TLS (or to the API address the admin set)
        if not (target.scheme == "https" or (target.scheme, target.netloc) == (api.scheme, api.netloc)):
            raise Refused("the media answer has no https url")
        try:
            resp = await get(url, self.timeout_s * 4, max_bytes, self._headers())
        except ResponseTooLarge as exc:
            raise TooBig(exc.size) from None
        except HttpFailure as exc:
            raise TemporaryFailure(f"media download: {exc}") from None
        if resp.status != 200:
            if resp.status >= 500 or resp.status == 429:
                raise TemporaryFailure(f"media download: HTTP {resp.status}")
            raise Refused(f"media download: HTTP {resp.status}")
        return resp.body, _str(info.get("mime_type"))

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @staticmethod
    def _read(resp: HttpResponse) -> dict[str, Any]:
        try:
            data = resp.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            if resp.status in (401, 404):
                raise ConfigurationFailure(f"HTTP {resp.status} without a Graph API answer (check api_url)")
            raise TemporaryFailure(f"HTTP {resp.status} without a Graph API answer")
        error = data.get("error")
        if resp.status < 300 and not isinstance(error, dict):
            return data
        raise api_failure(resp.status, error if isinstance(error, dict) else {})


TooBig = FileTooBig


def api_failure(status: int, error: Mapping[str, Any]) -> ChannelFailure:
    """A Graph API error as the outbox understands it."""
    code = error.get("code")
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    subcode = error.get("error_subcode")
    data = error.get("error_data")
    details = _str(data.get("details")) if isinstance(data, dict) else ""
    message = _str(error.get("message"))[:300]
    raw = f"{status} {code if code is not None else ''} {details or message}".strip()
    if code in REFUSAL_TEXTS:
        refused = Refused(REFUSAL_TEXTS[code])
        refused.code = code
        return refused
    if status == 429 or code in TEMPORARY_CODES:
        return TemporaryFailure(f"WhatsApp is busy or rate limited: {raw}")
    if status == 401 or code in CONFIGURATION_CODES or (code == 100 and subcode == 33):
        return ConfigurationFailure(f"the access token or phone number id is refused: {raw}")
    if status >= 500:
        return TemporaryFailure(f"WhatsApp failed: {raw}")
    if 400 <= status < 500:
        return Refused(f"WhatsApp refused it: {details or message or raw}")
    return TemporaryFailure(raw)


class WhatsAppAdapter(ChannelAdapter):
    kind = "whatsapp"
    title = "WhatsApp"
    secret_names = ("app_secret", "verify_token")

    def __init__(self, ctx: ChannelContext) -> None:
        super().__init__(ctx)
        s = self.check_settings(ctx.settings)
        self.phone_number_id: str = s["phone_number_id"]
        self.api = GraphApi(s["api_url"], s["api_version"], ctx.token, float(s["request_timeout_s"]))
        self.app_secret = ctx.secrets.get("app_secret", "")
        self.verify_token = ctx.secrets.get("verify_token", "")
        self._attempt = 0
        self.waba_id: str = s.get("waba_id", "")
        self.templates_refresh_s = float(s["templates_refresh_s"])
        self._templates_lock = asyncio.Lock()
        self._templates_due = asyncio.Event()  # Meta said a template is unknown / paused: fetch again
        self.templates_error = ""  # why the last fetch failed ("" when it worked)

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> dict[str, Any]:
        s = dict(settings)
        s.setdefault("api_url", DEFAULT_API_URL)
        s.setdefault("api_version", DEFAULT_API_VERSION)
        s.setdefault("request_timeout_s", 15)
        s.setdefault("mode", "webhook")
        s.setdefault("templates_refresh_s", 3600)
        waba = str(s.get("waba_id", "") or "").strip()
        if waba and not waba.isdigit():
            raise ValueError("waba_id must be the numeric WhatsApp Business Account ID from Meta's API setup")
        s["waba_id"] = waba
        if not isinstance(s["templates_refresh_s"], int | float) or s["templates_refresh_s"] <= 0:
            raise ValueError("templates_refresh_s must be a positive number of seconds")
        number = str(s.get("phone_number_id", "")).strip()
        if not number.isdigit():
            raise ValueError("phone_number_id must be the numeric Phone number ID from Meta's WhatsApp API setup")
        s["phone_number_id"] = number
        api = urlsplit(str(s["api_url"]))
        if api.scheme not in ("http", "https") or not api.hostname:
            raise ValueError("api_url must be an http(s) URL such as https://graph.facebook.com")
        s["api_url"] = str(s["api_url"]).rstrip("/")
        version = str(s["api_version"])
        if not (version.startswith("v") and version[1:].replace(".", "").isdigit()):
            raise ValueError("api_version must look like v21.0")
        for name, what in (
            ("token", "the access token"),
            ("app_secret", "the app secret (it checks the webhook signatures)"),
            ("verify_token", "the verify token (of the webhook set-up)"),
        ):
            if not s.get(f"{name}_env") and not s.get(f"{name}_file"):
                raise ValueError(f"say where {what} is: {name}_env (an environment variable) or {name}_file")
        if s["mode"] != "webhook":
            raise ValueError("WhatsApp receives by webhook only")
        if not isinstance(s["request_timeout_s"], int | float) or s["request_timeout_s"] <= 0:
            raise ValueError("request_timeout_s must be a positive number of seconds")
        return s

    # ------------------------------------------------------------------ health

    async def run(self) -> None:
        """Check the token against the phone number once (``GET /{phone_number_id}``), then
        wait: messages arrive as webhook requests. A refused token is ``down`` and checked
        again every ``retry_max_s``; an unreachable API is retried with backoff."""
        health = self.ctx.health
        missing = [
            what
            for what, value in (
                ("access token", self.ctx.token),
                ("app secret", self.app_secret),
                ("verify token", self.verify_token),
            )
            if not value
        ]
        if missing:
            health.down(
                f"no {', no '.join(missing)}: set the environment variables or files named in the channel's settings"
            )
            await asyncio.Event().wait()
        while True:
            try:
                info = await self.api.get(f"{self.phone_number_id}?fields=display_phone_number,verified_name")
            except ConfigurationFailure as exc:
                health.down(exc.text)
                log.warning("whatsapp channel %s is down: %s", self.ctx.name, health.redact(exc.text))
                await asyncio.sleep(self.ctx.retry_max_s)
            except ChannelFailure as exc:
                health.retrying(exc.text)
                delay = backoff_delay(self._attempt, self.ctx.retry_base_s, self.ctx.retry_max_s)
                self._attempt += 1
                log.info("whatsapp channel %s: %s; retrying in %.1f s", self.ctx.name, health.redact(exc.text), delay)
                await asyncio.sleep(delay)
            else:
                self._attempt = 0
                health.ok()
                log.info(
                    "whatsapp channel %s: up as %s (%s)",
                    self.ctx.name,
                    _str(info.get("display_phone_number")) or self.phone_number_id,
                    _str(info.get("verified_name")),
                )
                await self._keep_templates()

    # ------------------------------------------------------------------ templates

    async def _keep_templates(self) -> None:
        """Fetch the templates now, then every ``templates_refresh_s`` seconds, or sooner
        when a send found the list out of date. Without a WABA id: nothing to fetch."""
        if not self.waba_id:
            await asyncio.Event().wait()
        while True:
            await self.refresh_templates()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.templates_refresh_s):
                    await self._templates_due.wait()
            self._templates_due.clear()

    async def fetch_templates(self) -> list[Template]:
        """Every template of the business account, as the Graph API lists them (paged)."""
        if not self.waba_id:
            raise ConfigurationFailure(
                "the channel has no WhatsApp Business Account id: frontline-hub channel add whatsapp ... --waba-id"
            )
        found: list[Template] = []
        after = ""
        for _page in range(50):  # 50 pages of 100: far more than an account may have
            query = f"fields={TEMPLATE_FIELDS}&limit=100" + (f"&after={quote(after)}" if after else "")
            data = await self.api.get(f"{self.waba_id}/message_templates?{query}")
            rows = data.get("data")
            for raw in rows if isinstance(rows, list) else []:
                t = parse_template(raw) if isinstance(raw, dict) else None
                if t is not None:
                    found.append(t)
            paging = data.get("paging")
            cursors = paging.get("cursors") if isinstance(paging, dict) else None
            after = _str(cursors.get("after")) if isinstance(cursors, dict) else ""
            if not after or not (isinstance(paging, dict) and paging.get("next")):
                break
        return found

    async def refresh_templates(self) -> str:
        """Fetch the templates and store them (the stored list stays when it fails): ""
        or why it failed, for the operator who asked."""
        async with self._templates_lock:
            try:
                templates = await self.fetch_templates()
                if self.ctx.storage is not None:
                    now = utcnow()
                    await self.ctx.storage(lambda cs: cs.save_templates(self.ctx.name, templates, now))
            except ChannelFailure as exc:
                self.templates_error = self.ctx.health.redact(exc.text)
                log.warning("whatsapp channel %s: templates not fetched: %s", self.ctx.name, self.templates_error)
            else:
                self.templates_error = ""
                approved = sum(1 for t in templates if t.approved)
                log.info(
                    "whatsapp channel %s: %d templates (%d approved)", self.ctx.name, len(templates), approved
                )
            return self.templates_error

    # ------------------------------------------------------------------ receiving

    def webhook_path(self) -> str | None:
        return WEBHOOK_SEGMENT

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResponse:
        if request.method == "GET":
            return self._verify(request)
        if request.method != "POST":
            return WebhookResponse(405, {"ok": False, "description": "GET or POST only"})
        got = request.headers.get(SIGNATURE_HEADER)
        if got is None:
            log.warning("whatsapp channel %s: webhook request without a signature refused", self.ctx.name)
            return WebhookResponse(401, {"ok": False, "description": "X-Hub-Signature-256 required"})
        if not self.app_secret:
            log.warning("whatsapp channel %s: webhook refused: the app secret is not set", self.ctx.name)
            return WebhookResponse(403, {"ok": False, "description": "the hub cannot check signatures"})
        if not hmac.compare_digest(got.strip().lower().encode(), signature(self.app_secret, request.body).encode()):
            log.warning("whatsapp channel %s: webhook request with a wrong signature refused", self.ctx.name)
            return WebhookResponse(403, {"ok": False, "description": "wrong signature"})
        try:
            payload = json.loads(request.body.decode("utf-8"))
        except ValueError:
            log.warning("whatsapp channel %s: webhook body is not JSON (%d bytes)", self.ctx.name, len(request.body))
            return WebhookResponse(400, {"ok": False, "description": "the body is not JSON"})
        try:
            note = parse_notification(payload, self.phone_number_id, self.ctx.name)
        except BadNotification as exc:
            log.warning("whatsapp channel %s: malformed notification refused: %s", self.ctx.name, exc)
            return WebhookResponse(400, {"ok": False, "description": str(exc)})
        for why in note.skipped:
            log.info("whatsapp channel %s: part of a notification ignored: %s", self.ctx.name, why)
        for msg in note.messages:
            try:
                await self.ctx.receive(await self.fetch_files(msg))
            except asyncio.CancelledError:
                raise
            except Exception:
                # the ones before are stored; a retry stores them once (the wamid is the key)
                log.exception("whatsapp channel %s: a message could not be stored", self.ctx.name)
                return WebhookResponse(500, {"ok": False, "description": "not stored, send it again"})
        for status in note.statuses:
            if not await self._status(status):
                return WebhookResponse(500, {"ok": False, "description": "not stored, send it again"})
        return WebhookResponse(200, {"ok": True})

    async def fetch_files(self, msg: InboundMessage) -> InboundMessage:
        """Fetch the message's image / document into hub storage and attach it
        (:meth:`ChannelAdapter.store_fetched_files`): one over the hub's size limit, of a type the
        hub does not take, or that Meta will not hand out (expired, deleted, refused) is
        said in the text instead and the message is stored all the same. Unreachable Graph
        API raises TemporaryFailure: the webhook answers 500 and Meta sends the
        notification again."""

        async def fetch(f: FileRef, limit: int) -> tuple[bytes, str, str]:
            data, mime = await self.api.download(f.ref, limit)
            # a photo has no name: one by its type (none when Meta says none; the content decides)
            ext = _PHOTO_EXT.get((f.mime or mime).split(";")[0].strip().lower(), "")
            return data, f.name or f"photo-{f.ref[:40]}{ext}", f.mime or mime

        # the message must not wait for an admin: a refused token or media id is a note
        return await self.store_fetched_files(msg, fetch, "WhatsApp", (Refused, ConfigurationFailure))

    def _verify(self, request: WebhookRequest) -> WebhookResponse:
        """Meta's verification request when the callback URL is saved."""
        q = request.query
        challenge = q.get("hub.challenge", "")
        if q.get("hub.mode") != "subscribe" or not challenge:
            return WebhookResponse(400, {"ok": False, "description": "not a verification request"})
        token = q.get("hub.verify_token", "")
        if not self.verify_token or not hmac.compare_digest(token.encode(), self.verify_token.encode()):
            log.warning("whatsapp channel %s: webhook verification with a wrong verify token refused", self.ctx.name)
            return WebhookResponse(403, {"ok": False, "description": "wrong verify token"})
        log.info("whatsapp channel %s: webhook verified by Meta", self.ctx.name)
        return WebhookResponse(200, text=challenge[:200])

    async def _status(self, status: Mapping[str, Any]) -> bool:
        """Handle one delivery status; False when it could not be stored (Meta retries)."""
        state, wamid = _str(status.get("status")), _str(status.get("id"))
        if state != "failed":
            log.debug("whatsapp channel %s: message %s %s", self.ctx.name, wamid, state)
            return True
        callback = _str(status.get("biz_opaque_callback_data"))
        outbox_id = None
        if callback.startswith(CALLBACK_PREFIX) and callback[len(CALLBACK_PREFIX) :].isdigit():
            outbox_id = int(callback[len(CALLBACK_PREFIX) :])
        why = status_error(status)
        errors = status.get("errors")
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
        if first.get("code") in STALE_TEMPLATE_CODES:
            self._templates_due.set()  # a template Meta no longer takes: the stored list is out of date
        if self.ctx.delivery_failed is None:
            log.warning("whatsapp channel %s: message %s not delivered: %s", self.ctx.name, wamid, why)
            return True
        try:
            found = await self.ctx.delivery_failed(outbox_id, wamid, why)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("whatsapp channel %s: the failed status of %s could not be stored", self.ctx.name, wamid)
            return False
        if not found:
            log.warning("whatsapp channel %s: a message not sent by this hub failed: %s", self.ctx.name, why)
        return True

    # ------------------------------------------------------------------ sending

    async def send(self, message: OutboundMessage) -> str:
        """Text (in parts of 4096 characters), or image / document by media id or link
        (the text as the first file's caption when it fits, else sent before)."""
        if not self.ctx.token:
            raise ConfigurationFailure("no access token")
        if not message.address:
            raise Refused("the conversation has no WhatsApp number to answer")
        ids: list[str] = []
        text = message.text
        if message.template is not None:
            return await self._send_template(message)
        if message.attachments:
            ids += await self._send_attachments(message, text)
        elif message.files:
            caption = text if len(text) <= CAPTION_LIMIT else ""
            if not caption and text:
                ids += await self._send_text(message, text)
            for i, f in enumerate(message.files):
                kind = "image" if f.kind == "photo" else "document"
                media: dict[str, Any] = {"link": f.ref} if f.ref.startswith(("https://", "http://")) else {"id": f.ref}
                if i == 0 and caption:
                    media["caption"] = caption
                if kind == "document" and f.name:
                    media["filename"] = f.name
                ids.append(await self._post(message, kind, media))
        else:
            ids += await self._send_text(message, text)
        return ",".join(ids)

    async def _send_attachments(self, message: OutboundMessage, text: str) -> list[str]:
        """Hub files: each uploaded to ``/media``, then sent by the id Meta gave it (JPEG
        and PNG up to 5 MB as ``image``, the rest as ``document`` with its file name); the
        text as the first one's caption when it fits, else sent before."""
        ids: list[str] = []
        caption = text if len(text) <= CAPTION_LIMIT else ""
        if text and not caption:
            ids += await self._send_text(message, text)
        for i, f in enumerate(message.attachments):
            data = await asyncio.to_thread(Path(f.path).read_bytes)
            try:
                answer = await self.api.upload(
                    f"{self.phone_number_id}/media",
                    {"messaging_product": "whatsapp", "type": f.mime},
                    FormFile("file", f.name, f.mime, data),
                )
            except Refused as exc:  # say which file (a reply may have several)
                raise Refused(f"{f.name}: {exc.text}") from None
            media_id = _str(answer.get("id"))
            if not media_id:
                raise TemporaryFailure("media upload: no id in the answer")
            kind = "image" if f.mime in IMAGE_TYPES and len(data) <= IMAGE_MAX_BYTES else "document"
            media: dict[str, Any] = {"id": media_id}
            if i == 0 and caption:
                media["caption"] = caption
            if kind == "document":
                media["filename"] = f.name
            ids.append(await self._post(message, kind, media))
        return ids

    async def _send_template(self, message: OutboundMessage) -> str:
        """An approved template with its body values (the stored text is its rendering)."""
        t = message.template
        assert t is not None
        content: dict[str, Any] = {"name": str(t.get("name", "")), "language": {"code": str(t.get("language", ""))}}
        params = [str(p) for p in t.get("params") or []]
        if params:
            content["components"] = [
                {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
            ]
        try:
            return await self._post(message, "template", content)
        except Refused as exc:
            if getattr(exc, "code", None) in STALE_TEMPLATE_CODES:
                self._templates_due.set()
            raise

    async def _send_text(self, message: OutboundMessage, text: str) -> list[str]:
        return [
            await self._post(message, "text", {"preview_url": False, "body": part})
            for part in split_message(text, TEXT_LIMIT)
        ]

    async def _post(self, message: OutboundMessage, kind: str, content: dict[str, Any]) -> str:
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.address,
            "type": kind,
            kind: content,
            "biz_opaque_callback_data": f"{CALLBACK_PREFIX}{message.outbox_id}",
        }
        data = await self.api.post(f"{self.phone_number_id}/messages", payload)
        sent = data.get("messages")
        if isinstance(sent, list) and sent and isinstance(sent[0], dict):
            return _str(sent[0].get("id"))
        return ""
