"""A local double of Meta's WhatsApp Business Cloud API (the Graph API) on 127.0.0.1.

It speaks the same HTTP+JSON as https://graph.facebook.com where the hub depends on it:

- ``GET /<version>/<phone_number_id>`` answers the number's ``display_phone_number`` and
  ``verified_name``; ``POST /<version>/<phone_number_id>/messages`` with
  ``Authorization: Bearer <token>`` and ``{"messaging_product": "whatsapp", "to", "type",
  <type>: {…}}`` answers ``{"messaging_product": "whatsapp", "contacts": [{"input",
  "wa_id"}], "messages": [{"id": "wamid.…"}]}``;
- errors as the Graph API writes them: ``{"error": {"message", "type", "code",
  "error_subcode", "error_data": {"messaging_product", "details"}, "fbtrace_id"}}`` — a
  wrong token is 401 / code 190, an unknown phone number id 400 / code 100 subcode 33,
  a message without ``messaging_product`` 400 / code 100;
- the 24-hour customer-service window: a free-form message to a number that has not
  written in the last 24 hours is taken (200, a wamid) and then reported ``failed`` with
  error 131047 in a status webhook, as the real service does
  (``window_sync=True``: refused at once with 400 / 131047 instead);
- it plays Meta's side of the webhook: :meth:`user_message` / :meth:`deliver` POST a
  notification to the hub's callback URL signed with ``X-Hub-Signature-256`` (HMAC-SHA256
  of the raw body with the app secret), :meth:`verify` makes the GET handshake; every
  status of our messages (``sent``, ``delivered`` or ``failed``) is delivered the same way;
- media: ``GET /<version>/<media id>`` answers ``{"messaging_product", "url", "mime_type",
  "sha256", "file_size", "id"}`` for a file a customer sent (:meth:`add_media`), and
  ``GET <url>`` with the bearer token gives its bytes (401 without it, 404 once the file
  is gone: :meth:`expire_media`); ``POST /<version>/<phone_number_id>/media`` takes a
  multipart upload (``messaging_product=whatsapp``, ``type``, ``file``) of a type WhatsApp
  supports and answers ``{"id": <media id>}`` (``uploads``); a message may then send
  that id;
- message templates: ``GET /<version>/<WABA id>/message_templates?fields=…&limit=…&after=…``
  lists ``templates`` as the Graph API does (``{"data": [{"name", "language", "status",
  "category", "components", "id"}], "paging": {"cursors": {"before", "after"}, "next"}}``,
  ``next`` only while more pages follow); a ``"type": "template"`` message is checked as
  the Cloud API checks it: the name and ``language.code`` must name a template of the
  account (else 404 / 132001), an approved one (pending or rejected: 132001 as well;
  paused: 132015; disabled: 132016), and the body parameters must be as many as its
  ``{{n}}`` (else 400 / 132000, or 132018 for a value with a line break). A template is
  delivered whether or not the customer's 24-hour window is open (``templates_sent``);
- :meth:`fail` makes calls fail with a given HTTP status and error code (429 / 130429,
  500 / 131000, 401 / 190 …) a number of times or until :meth:`recover`; every request
  is recorded (``calls``), every message taken in ``sent``.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.helpers import serve_http

# what GET /<WABA id>/message_templates lists unless a test sets its own
DEFAULT_TEMPLATES: list[dict[str, Any]] = [
    {
        "name": "order_update",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "1141230000000001",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Your order"},
            {"type": "BODY", "text": "Hello {{1}}, your order {{2}} is on its way.",
             "example": {"body_text": [["Olena", "A-1077"]]}},
            {"type": "FOOTER", "text": "Frontline shop"},
        ],
    },
    {
        "name": "order_update",
        "language": "uk",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "1141230000000002",
        "components": [{"type": "BODY", "text": "Вітаємо, {{1}}! Замовлення {{2}} вже в дорозі."}],
    },
    {
        "name": "follow_up",
        "language": "en_US",
        "status": "APPROVED",
        "category": "MARKETING",
        "id": "1141230000000003",
        "components": [
            {"type": "BODY", "text": "We have an answer to your question. Reply to this message to continue."},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Continue"}]},
        ],
    },
    {
        "name": "spring_sale",
        "language": "en_US",
        "status": "PENDING",
        "category": "MARKETING",
        "id": "1141230000000004",
        "components": [{"type": "BODY", "text": "Spring sale: {{1}} off"}],
    },
    {
        "name": "invoice_pdf",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "id": "1141230000000005",
        "components": [{"type": "HEADER", "format": "DOCUMENT"}, {"type": "BODY", "text": "Your invoice {{1}}"}],
    },
]

ACCESS_TOKEN = "EAAGtestWhatsAppAccessToken0123456789abcdefZZ"  # the shape of a real one, not one
APP_SECRET = "0123456789abcdef0123456789abcdef"
VERIFY_TOKEN = "frontline-verify-7f3a"
PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"
DISPLAY_NUMBER = "15550783881"
WINDOW_S = 24 * 3600
MEDIA_PATH = "/whatsapp_business/attachments/"  # where media URLs point (lookaside.fbsbx.com at Meta)
# what /media takes (developers.facebook.com/docs/whatsapp/cloud-api/reference/media#supported-media-types)
UPLOAD_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/webp", "application/pdf", "text/plain", "audio/ogg", "video/mp4",
     "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
)


@dataclass
class Media:
    data: bytes
    mime: str
    file_size: Any  # what GET /<media id> says (Meta may say more than the bytes served)
    name: str = ""


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int = 200


@dataclass
class _Failure:
    status: int
    code: int
    message: str
    details: str
    times: int | None  # None: until recover()
    subcode: int | None = None


def graph_error(status: int, code: int, message: str, details: str = "", subcode: int | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEfGhIjK",
    }
    if subcode is not None:
        err["error_subcode"] = subcode
    if details:
        err["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": err}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class GraphApiDouble:
    token: str = ACCESS_TOKEN
    app_secret: str = APP_SECRET
    phone_number_id: str = PHONE_NUMBER_ID
    callback_url: str = ""  # the hub's webhook URL; statuses are delivered there
    window_sync: bool = False
    send_statuses: bool = True
    calls: list[Call] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    webhook_answers: list[tuple[int, Any]] = field(default_factory=list)
    media: dict[str, Media] = field(default_factory=dict)
    uploads: list[tuple[str, str, str, bytes]] = field(default_factory=list)  # (media id, name, type, bytes)
    downloads: list[str] = field(default_factory=list)  # media ids whose bytes were fetched
    waba_id: str = WABA_ID
    templates: list[dict[str, Any]] = field(default_factory=lambda: json.loads(json.dumps(DEFAULT_TEMPLATES)))
    templates_page: int = 2  # templates per page when the caller's limit is larger (shows the paging)
    templates_sent: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._last_inbound: dict[str, float] = {}
        self._failures: list[_Failure] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._hooks: list[threading.Thread] = []

    # ------------------------------------------------------------------ server

    def start(self) -> GraphApiDouble:
        self._server, self._thread = serve_http(self._handle, "graph-api-double")
        return self

    def stop(self) -> None:
        for t in list(self._hooks):
            t.join(5)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ------------------------------------------------------------------ what the test does

    def new_wamid(self) -> str:
        # real ones are long base64 strings (longer than 64 characters)
        n = next(self._ids)
        return "wamid.HBgMMzgwNjcxMjM0NTY3FQIAERgSQzJBMTlCMDQ2NkU2OTc0QTYxAA" + f"{n:08d}" + "=="

    def message_payload(
        self,
        wa_id: str,
        text: str | None = None,
        *,
        name: str = "Olena Koval",
        kind: str = "text",
        content: dict[str, Any] | None = None,
        wamid: str = "",
        phone_number_id: str = "",
    ) -> dict[str, Any]:
        """A notification as Meta sends it for one customer message."""
        msg: dict[str, Any] = {
            "from": wa_id,
            "id": wamid or self.new_wamid(),
            "timestamp": str(int(time.time())),
            "type": kind,
        }
        if kind == "text":
            msg["text"] = {"body": text or ""}
        else:
            msg[kind] = content if content is not None else {}
        return self.notification(
            {"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [msg]},
            phone_number_id=phone_number_id,
        )

    def notification(self, value: dict[str, Any], *, phone_number_id: str = "") -> dict[str, Any]:
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": WABA_ID,
                    "changes": [
                        {
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": DISPLAY_NUMBER,
                                    "phone_number_id": phone_number_id or self.phone_number_id,
                                },
                                **value,
                            },
                            "field": "messages",
                        }
                    ],
                }
            ],
        }

    def user_message(self, wa_id: str, text: str | None = None, **kw: Any) -> tuple[int, Any, dict[str, Any]]:
        """A customer writes from ``wa_id``: POST the notification to the hub, signed.
        (status, answer, the notification)."""
        payload = self.message_payload(wa_id, text, **kw)
        with self._lock:
            self._last_inbound[wa_id] = time.time()
        status, answer = self.deliver(payload)
        return status, answer, payload

    def add_media(self, data: bytes, mime: str, *, file_size: Any = None) -> str:
        """A file a customer sent: its media id (to put in an image / document message)."""
        media_id = str(1_000_000_000_000_000 + next(self._ids))
        with self._lock:
            self.media[media_id] = Media(data, mime, len(data) if file_size is None else file_size)
        return media_id

    def expire_media(self, media_id: str) -> None:
        """The file is gone at Meta (media is kept 30 days): its URL answers 404."""
        with self._lock:
            self.media.pop(media_id, None)

    def age_window(self, wa_id: str, hours: float = 25.0) -> None:
        """The customer's last message is ``hours`` old (the 24-hour window closes)."""
        with self._lock:
            self._last_inbound[wa_id] = time.time() - hours * 3600

    def deliver(
        self, payload: Any = None, *, raw: bytes | None = None, signature: str | None = "", url: str = ""
    ) -> tuple[int, Any]:
        """POST a notification to the hub as Meta does (``signature``: "" the right one,
        None none, another string that one). (status, decoded answer)."""
        body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
        if signature == "":
            headers["X-Hub-Signature-256"] = sign(self.app_secret, body)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        target = url or self.callback_url
        assert target, "no callback URL"
        return _http("POST", target, body, headers)

    def verify(self, verify_token: str, challenge: str = "1158201444", mode: str = "subscribe") -> tuple[int, Any]:
        """Meta's GET handshake when the callback URL is saved in the app dashboard."""
        query = urlencode({"hub.mode": mode, "hub.verify_token": verify_token, "hub.challenge": challenge})
        return _http("GET", f"{self.callback_url}?{query}", None, {})

    def fail(
        self,
        status: int,
        code: int,
        message: str = "error",
        *,
        details: str = "",
        times: int | None = None,
        subcode: int | None = None,
    ) -> None:
        """The next ``times`` calls (None: all until :meth:`recover`) fail so."""
        with self._lock:
            self._failures.append(_Failure(status, code, message, details, times, subcode))

    def recover(self) -> None:
        with self._lock:
            self._failures.clear()

    def texts_to(self, wa_id: str) -> list[str]:
        with self._lock:
            return [m["text"]["body"] for m in self.sent if m["to"] == wa_id and m["type"] == "text"]

    def set_template_status(self, name: str, language: str, status: str) -> None:
        """Meta changed a template's status (approved, paused, disabled …)."""
        with self._lock:
            for t in self.templates:
                if t["name"] == name and t["language"] == language:
                    t["status"] = status

    def calls_to(self, suffix: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path.endswith(suffix)]

    # ------------------------------------------------------------------ the API

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in req.headers.items()}
        body: dict[str, Any] = {}
        if req.command == "GET" and parts.path == MEDIA_PATH:
            self._download(req, parse_qs(parts.query).get("mid", [""])[0], headers)
            return
        if headers.get("content-type", "").startswith("multipart/form-data"):
            call = Call(req.command, parts.path, {}, headers)
            with self._lock:
                self.calls.append(call)
            status, payload = self._upload(parts.path, raw, headers)
            call.status = status
            self._answer(req, status, payload)
            return
        if raw:
            try:
                decoded = json.loads(raw)
            except ValueError:
                self._answer(req, 400, graph_error(400, 100, "(#100) Invalid JSON"))
                return
            body = decoded if isinstance(decoded, dict) else {}
        call = Call(req.command, parts.path, body, headers)
        with self._lock:
            self.calls.append(call)
        status, payload, after = self._route(req.command, parts.path, body, headers, parts.query)
        call.status = status
        self._answer(req, status, payload)
        if after is not None:
            self._later(after)

    def _route(
        self, method: str, path: str, body: dict[str, Any], headers: dict[str, str], query: str = ""
    ) -> tuple[int, Any, dict[str, Any] | None]:
        pieces = path.strip("/").split("/")
        if len(pieces) < 2 or not pieces[0].startswith("v"):
            return 400, graph_error(400, 2500, "Unknown path components"), None
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token"), None
        with self._lock:
            failure = self._failures[0] if self._failures else None
            if failure is not None and failure.times is not None:
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.pop(0)
        if failure is not None:
            return failure.status, graph_error(
                failure.status, failure.code, failure.message, failure.details, failure.subcode
            ), None
        if method == "GET" and len(pieces) == 2 and pieces[1] in self.media:
            media_id = pieces[1]
            m = self.media[media_id]
            return 200, {
                "messaging_product": "whatsapp",
                "url": f"{self.url}{MEDIA_PATH}?mid={media_id}&ext=1732960000&hash=ATtestHash",
                "mime_type": m.mime,
                "sha256": hashlib.sha256(m.data).hexdigest(),
                "file_size": m.file_size,
                "id": media_id,
            }, None
        if method == "GET" and len(pieces) == 3 and pieces[1] == self.waba_id and pieces[2] == "message_templates":
            return self._list_templates(path, parse_qs(query))
        if pieces[1] != self.phone_number_id:
            return 400, graph_error(
                400, 100, f"Unsupported post request. Object with ID '{pieces[1]}' does not exist", subcode=33
            ), None
        if method == "GET" and len(pieces) == 2:
            return 200, {
                "display_phone_number": "+1 555-078-3881",
                "verified_name": "Frontline Test",
                "id": self.phone_number_id,
            }, None
        if method == "POST" and len(pieces) == 3 and pieces[2] == "messages":
            return self._send(body)
        return 400, graph_error(400, 100, "Unsupported request"), None

    def _list_templates(self, path: str, q: dict[str, list[str]]) -> tuple[int, Any, None]:
        """``GET /<WABA id>/message_templates``: a page of templates with the fields asked for."""
        fields = [f for f in (q.get("fields", [""])[0]).split(",") if f] or ["name", "language", "status", "id"]
        try:
            limit = min(int(q.get("limit", ["25"])[0]), self.templates_page)
            start = int(q.get("after", ["0"])[0] or 0)
        except ValueError:
            return 400, graph_error(400, 100, "(#100) Invalid parameter"), None
        with self._lock:
            everything = [dict(t) for t in self.templates]
        page = everything[start : start + limit]
        data = [{k: t[k] for k in [*fields, "id"] if k in t} for t in page]
        answer: dict[str, Any] = {"data": data}
        if page:
            answer["paging"] = {"cursors": {"before": str(start), "after": str(start + len(page))}}
            if start + len(page) < len(everything):
                answer["paging"]["next"] = (
                    f"{self.url}{path}?{urlencode({'fields': ','.join(fields), 'limit': limit})}"
                    f"&after={start + len(page)}"
                )
        return 200, answer, None

    def _check_template(self, content: dict[str, Any]) -> tuple[int, Any] | None:
        """A template message as the Cloud API checks it; None when it may go out."""
        name = content.get("name")
        language = content.get("language")
        code = language.get("code") if isinstance(language, dict) else None
        if not isinstance(name, str) or not isinstance(code, str):
            return 400, graph_error(400, 131008, "Required parameter is missing", "template name and language.code")
        with self._lock:
            found = next((t for t in self.templates if t["name"] == name and t["language"] == code), None)
        status = found["status"] if found else ""
        if found is None or status in ("PENDING", "REJECTED", "IN_APPEAL"):
            return 404, graph_error(
                404, 132001, "(#132001) Template name does not exist in the translation",
                f"template name ({name}) does not exist in {code}",
            )
        if status == "PAUSED":
            return 400, graph_error(400, 132015, "(#132015) Template is Paused", f"template {name} is paused")
        if status == "DISABLED":
            return 400, graph_error(400, 132016, "(#132016) Template is disabled", f"template {name} is disabled")
        body_text = next((c.get("text", "") for c in found["components"] if c.get("type") == "BODY"), "")
        expected = max((int(n) for n in re.findall(r"\{\{(\d+)\}\}", body_text)), default=0)
        given: list[Any] = []
        for comp in content.get("components") or []:
            if isinstance(comp, dict) and comp.get("type") == "body":
                given += comp.get("parameters") or []
        if len(given) != expected:
            return 400, graph_error(
                400, 132000, "(#132000) Number of parameters does not match the expected number of params",
                f"body: number of localizable_params ({len(given)}) does not match the expected number of "
                f"params ({expected})",
            )
        for p in given:
            text = p.get("text") if isinstance(p, dict) and p.get("type") == "text" else None
            if not isinstance(text, str) or not text:
                return 400, graph_error(400, 131008, "Required parameter is missing", "parameter text")
            if "\n" in text or "\t" in text or "     " in text:
                return 400, graph_error(
                    400, 132018, "(#132018) There was an issue with the parameters in your template.",
                    "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
                )
        return None

    def _download(self, req: BaseHTTPRequestHandler, media_id: str, headers: dict[str, str]) -> None:
        """A media URL: the bytes, only with the bearer token (as lookaside.fbsbx.com)."""
        with self._lock:
            self.calls.append(Call("GET", MEDIA_PATH, {"mid": media_id}, headers))
            m = self.media.get(media_id)
        if headers.get("authorization") != f"Bearer {self.token}":
            self._answer(req, 401, graph_error(401, 190, "Invalid OAuth access token"))
            return
        if m is None:
            self._answer(req, 404, graph_error(404, 100, "media not found"))
            return
        with self._lock:
            self.downloads.append(media_id)
        req.send_response(200)
        req.send_header("Content-Type", m.mime)
        req.send_header("Content-Length", str(len(m.data)))
        req.end_headers()
        req.wfile.write(m.data)

    def _upload(self, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        """``POST /<version>/<phone_number_id>/media``: multipart/form-data."""
        pieces = path.strip("/").split("/")
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if len(pieces) != 3 or pieces[1] != self.phone_number_id or pieces[2] != "media":
            return 400, graph_error(400, 100, "Unsupported post request")
        head = f"Content-Type: {headers['content-type']}\r\n\r\n".encode()
        form = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
        fields: dict[str, str] = {}
        file: tuple[str, str, bytes] | None = None
        for part in form.iter_parts():
            disposition = part.get("Content-Disposition", "")
            name = part.get_param("name", header="content-disposition")
            data = part.get_payload(decode=True) or b""
            if "filename=" in disposition and name == "file":
                file = (part.get_filename() or "", part.get_content_type(), data)
            elif isinstance(name, str):
                fields[name] = data.decode()
        if fields.get("messaging_product") != "whatsapp":
            return 400, graph_error(400, 100, "(#100) The parameter messaging_product is required.")
        if file is None:
            return 400, graph_error(400, 100, "(#100) The parameter file is required.")
        mime = fields.get("type", "")
        if mime not in UPLOAD_TYPES or file[1] != mime:
            return 400, graph_error(400, 131053, "Media upload error", f"Unsupported file type {mime}")
        media_id = str(2_000_000_000_000_000 + next(self._ids))
        with self._lock:
            self.media[media_id] = Media(file[2], mime, len(file[2]), file[0])
            self.uploads.append((media_id, file[0], mime, file[2]))
        return 200, {"id": media_id}

    def _send(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, Any] | None]:
        if body.get("messaging_product") != "whatsapp":
            return 400, graph_error(
                400, 100, "(#100) The parameter messaging_product is required.", "messaging_product is required"
            ), None
        to, kind = str(body.get("to", "")), body.get("type", "text")
        content = body.get(kind)
        if not to or not isinstance(content, dict):
            return 400, graph_error(400, 131008, "Required parameter is missing"), None
        if kind == "text" and not isinstance(content.get("body"), str):
            return 400, graph_error(400, 131008, "Required parameter is missing", "text.body is required"), None
        if kind in ("image", "document") and not (content.get("id") or content.get("link")):
            return 400, graph_error(400, 131008, "Required parameter is missing", "id or link is required"), None
        if kind == "template":
            refused = self._check_template(content)
            if refused is not None:
                return refused[0], refused[1], None
        with self._lock:
            last = self._last_inbound.get(to)
        # a template is delivered outside the window too: that is what templates are for
        in_window = kind == "template" or (last is not None and time.time() - last < WINDOW_S)
        if not in_window and self.window_sync:
            return 400, graph_error(
                400,
                131047,
                "Re-engagement message",
                "Message failed to send because more than 24 hours have passed since the customer last "
                "replied to this number.",
            ), None
        wamid = self.new_wamid()
        with self._lock:
            self.sent.append({**body, "id": wamid})
            if kind == "template":
                self.templates_sent.append({**body, "id": wamid})
        status: dict[str, Any] = {
            "id": wamid,
            "status": "delivered" if in_window else "failed",
            "timestamp": str(int(time.time())),
            "recipient_id": to,
        }
        if "biz_opaque_callback_data" in body:
            status["biz_opaque_callback_data"] = body["biz_opaque_callback_data"]
        if not in_window:
            status["errors"] = [
                {
                    "code": 131047,
                    "title": "Re-engagement message",
                    "message": "Re-engagement message",
                    "error_data": {
                        "details": "Message failed to send because more than 24 hours have passed since the "
                        "customer last replied to this number."
                    },
                }
            ]
        answer = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }
        after = self.notification({"statuses": [status]}) if self.send_statuses and self.callback_url else None
        return 200, answer, after

    def _later(self, payload: dict[str, Any]) -> None:
        """Deliver a status webhook after the answer, from another thread (as Meta does)."""

        def run() -> None:
            try:
                self.webhook_answers.append(self.deliver(payload))
            except Exception as exc:  # the hub may be stopping
                self.webhook_answers.append((0, repr(exc)))

        t = threading.Thread(target=run, name="graph-api-double-status", daemon=True)
        self._hooks.append(t)
        t.start()

    def _answer(self, req: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json; charset=UTF-8")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)


def _http(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, _decode(resp.read(), resp.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as err:
        return err.code, _decode(err.read(), err.headers.get("Content-Type", ""))


def _decode(data: bytes, ctype: str) -> Any:
    if ctype.startswith("application/json"):
        try:
            return json.loads(data or b"null")
        except ValueError:
            return data
    return data.decode("utf-8", "replace")
