"""A local double of the Telegram Bot API on 127.0.0.1 (no outside network in tests).

It speaks the same HTTP+JSON as https://api.telegram.org: ``POST /bot<TOKEN>/<method>``
with a JSON (or form) body, answers ``{"ok": true, "result": …}`` or ``{"ok": false,
"error_code": …, "description": …}`` (``"parameters": {"retry_after": N}`` with 429), and
behaves like the real one where the hub depends on it:

- ``getUpdates`` long-polls (waits up to ``timeout`` seconds for an update), confirms every
  update below ``offset`` (they are gone for good), and is refused with 409 while a webhook
  is set;
- ``setWebhook`` / ``deleteWebhook`` / ``getWebhookInfo`` keep the webhook; the test then
  plays Telegram's part with :meth:`BotApiDouble.deliver_webhook` (POST the update to the
  registered URL with the ``X-Telegram-Bot-Api-Secret-Token`` header);
- ``sendMessage`` / ``sendPhoto`` / ``sendDocument`` answer a ``Message``; a chat that never
  wrote to the bot is ``400 Bad Request: chat not found``, a chat in ``blocked`` is
  ``403 Forbidden: bot was blocked by the user``, a wrong token ``401 Unauthorized``;
- it can be told to fail: :meth:`fail` (any status, e.g. 503 with an HTML page like a
  proxy's), :meth:`rate_limit` (429 with retry_after), :meth:`stall` (no answer until
  :meth:`recover`), and records every call it received (``calls``) and every message the
  bot sent (``sent``).
"""

from __future__ import annotations

import email.policy
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.helpers import serve_http

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # the shape of a real token, not one
BOT = {"id": 123456789, "is_bot": True, "first_name": "Frontline", "username": "frontline_test_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Failure:
    status: int
    body: bytes
    methods: frozenset[str] | None
    times: int | None  # None: until recover()


@dataclass
class BotApiDouble:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    webhook: dict[str, Any] | None = None
    # files the bot can fetch (getFile + GET /file/bot<token>/<path>), by file_id
    files: dict[str, bytes] = field(default_factory=dict)
    # files the bot sent as uploads (multipart/form-data): (method, field, file name, type, bytes)
    uploads: list[tuple[str, str, str, str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._updates: list[tuple[int, Any]] = []  # (update_id, the update as sent)
        self._next_update = 500_000
        self._next_message = 1
        self._failures: list[_Failure] = []
        self._stalled: frozenset[str] | None = None
        self._known_chats: set[int] = set()
        self._paths: dict[str, bytes] = {}
        self._closing = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ server

    def start(self) -> BotApiDouble:
        self._server, self._thread = serve_http(self._handle, "bot-api-double")
        return self

    def stop(self) -> None:
        with self._lock:
            self._closing = True
            self._lock.notify_all()
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

    def user_message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        first_name: str = "Iryna",
        last_name: str = "",
        username: str = "",
        language_code: str = "uk",
        chat_id: int | None = None,
        chat_type: str = "private",
        photo: bool | bytes = False,  # bytes: the large size's content, served by getFile
        document: tuple[str, str] | tuple[str, str, bytes] | None = None,  # (file name, mime type[, bytes])
        caption: str = "",
        extra: dict[str, Any] | None = None,
        queue: bool = True,
    ) -> dict[str, Any]:
        """A ``message`` update as Telegram sends it when a user writes to the bot; queued
        for getUpdates unless ``queue`` is false (then the test delivers it by webhook)."""
        with self._lock:
            update_id = self._next_update
            self._next_update += 1
            message_id = self._next_message
            self._next_message += 1
        sender: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            sender["last_name"] = last_name
        if username:
            sender["username"] = username
        if language_code:
            sender["language_code"] = language_code
        chat: dict[str, Any] = {"id": chat_id if chat_id is not None else user_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name
        else:
            chat["title"] = "Some group"
        message: dict[str, Any] = {"message_id": message_id, "from": sender, "chat": chat, "date": int(time.time())}
        if text is not None:
            message["text"] = text
        if photo is not False:
            large = f"AgACAgIAAx-large-{message_id}"
            message["photo"] = [
                {"file_id": f"AgACAgIAAx-small-{message_id}", "file_unique_id": f"AQADs{message_id}",
                 "file_size": len(photo) // 2 if isinstance(photo, bytes) else 1320, "width": 90, "height": 67},
                {"file_id": large, "file_unique_id": f"AQADl{message_id}",
                 "file_size": len(photo) if isinstance(photo, bytes) else 48213, "width": 1280, "height": 960},
            ]
            if isinstance(photo, bytes):  # both sizes serve it (the hub takes the largest by size)
                self.files[large] = self.files[f"AgACAgIAAx-small-{message_id}"] = photo
        if document is not None:
            doc_id = f"BQACAgIAAx-doc-{message_id}"
            message["document"] = {
                "file_name": document[0],
                "mime_type": document[1],
                "file_id": doc_id,
                "file_unique_id": f"AgADd{message_id}",
                "file_size": len(document[2]) if len(document) == 3 else 20480,  # type: ignore[misc]
            }
            if len(document) == 3:
                self.files[doc_id] = document[2]  # type: ignore[misc]
        if caption:
            message["caption"] = caption
        if extra:
            message.update(extra)
        update = {"update_id": update_id, "message": message}
        with self._lock:
            self._known_chats.add(chat["id"])
            if queue:
                self._updates.append((update_id, update))
                self._lock.notify_all()
        return update

    def push_raw(self, update: Any) -> int:
        """Queue anything as an update (malformed ones, unknown types); its update_id."""
        with self._lock:
            update_id = self._next_update
            self._next_update += 1
            if isinstance(update, dict) and "update_id" not in update:
                update = {"update_id": update_id, **update}
            self._updates.append((update_id, update))
            self._lock.notify_all()
        return update_id

    def pending_updates(self) -> list[int]:
        """update_ids not yet confirmed by a getUpdates offset."""
        with self._lock:
            return [uid for uid, _ in self._updates]

    def fail(
        self,
        status: int = 503,
        *,
        methods: tuple[str, ...] | None = None,
        times: int | None = None,
        html: bool = False,
        description: str = "",
    ) -> None:
        """Answer calls (of ``methods``, or all) with ``status`` (``times`` times, or until
        :meth:`recover`); ``html``: an HTML page as a proxy in front would send."""
        if html:
            body = f"<html><body><h1>{status} Service Unavailable</h1></body></html>".encode()
        else:
            body = json.dumps(
                {"ok": False, "error_code": status, "description": description or _DESCRIPTIONS.get(status, "Error")}
            ).encode()
        with self._lock:
            self._failures.append(_Failure(status, body, frozenset(methods) if methods else None, times))

    def rate_limit(self, retry_after: int, *, methods: tuple[str, ...] = ("sendMessage",), times: int = 1) -> None:
        body = json.dumps(
            {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            }
        ).encode()
        with self._lock:
            self._failures.append(_Failure(429, body, frozenset(methods), times))

    def stall(self, methods: tuple[str, ...] = ("sendMessage",)) -> None:
        """Accept calls of ``methods`` but answer none of them until :meth:`recover`."""
        with self._lock:
            self._stalled = frozenset(methods)

    def recover(self) -> None:
        with self._lock:
            self._failures.clear()
            self._stalled = None
            self._lock.notify_all()

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def texts_to(self, chat_id: int) -> list[str]:
        """Texts the bot sent to ``chat_id`` successfully, in order."""
        with self._lock:
            return [m.get("text", m.get("caption", "")) for m in self.sent if m["chat"]["id"] == chat_id]

    def deliver_webhook(self, update: Any, *, secret: str | None = "", url: str = "",
                        raw: bytes | None = None) -> tuple[int, Any]:
        """Play Telegram: POST ``update`` to the registered webhook with its secret header
        (``secret=None``: no header; another string: that one). (status, JSON answer)."""
        hook = self.webhook
        assert hook is not None or url, "no webhook is set"
        target = url or hook["url"]  # type: ignore[index]
        headers = {"Content-Type": "application/json"}
        token = hook.get("secret_token", "") if hook else ""
        if secret is None:
            pass
        elif secret == "":
            headers["X-Telegram-Bot-Api-Secret-Token"] = token
        else:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = raw if raw is not None else json.dumps(update).encode()
        req = urllib.request.Request(target, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            data = err.read()
            try:
                return err.code, json.loads(data or b"null")
            except ValueError:
                return err.code, data

    # ------------------------------------------------------------------ the API

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        ctype = req.headers.get("Content-Type", "")
        if parts.path.startswith("/file/bot") and req.command == "GET":
            self._serve_file(req, parts.path)
            return
        if raw:
            if ctype.startswith("multipart/form-data"):
                try:
                    fields, uploaded = _parse_multipart(ctype, raw)
                except ValueError:
                    self._answer(req, *self._error(400, "Bad Request: can't parse multipart/form-data"))
                    return
                params.update(fields)
                params["_files"] = uploaded
            elif ctype.startswith("application/json"):
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._answer(req, *self._error(400, "Bad Request: can't parse JSON"))
                    return
                if isinstance(body, dict):
                    params.update(body)
            else:
                params.update(parse_qsl(raw.decode()))
        pieces = parts.path.split("/")
        if len(pieces) != 3 or not pieces[1].startswith("bot"):
            self._answer(req, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, method = pieces[1][3:], pieces[2]
        call = Call(method, params)
        with self._lock:
            self.calls.append(call)
            if token != self.token:
                call.status = 401
                status, payload = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            else:
                status, payload = self._failure_for(method)
            stalled = self._stalled is not None and method in self._stalled
        if status:
            call.status = status
            if isinstance(payload, bytes):
                self._answer_raw(req, status, payload, "text/html" if payload.startswith(b"<") else "application/json")
            else:
                self._answer(req, status, payload)
            return
        if stalled:
            with self._lock:
                self._lock.wait_for(lambda: self._stalled is None or self._closing)
            if self._closing:
                return
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            call.status = 404
            self._answer(req, 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"})
            return
        status, result = handler(params)
        call.status = status
        if status == 200:
            self._answer(req, 200, {"ok": True, "result": result})
        else:
            self._answer(req, status, result)

    def _serve_file(self, req: BaseHTTPRequestHandler, path: str) -> None:
        """``GET /file/bot<token>/<file_path>``: the bytes, as api.telegram.org serves them."""
        token, _, file_path = path[len("/file/bot"):].partition("/")
        with self._lock:
            self.calls.append(Call("file", {"file_path": file_path}))
            data = None if token != self.token else self._paths.get(file_path)
        if data is None:
            self._answer(req, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self._answer_raw(req, 200, data, "application/octet-stream")

    def _api_getFile(self, params: dict[str, Any]) -> tuple[int, Any]:
        file_id = str(params.get("file_id", ""))
        with self._lock:
            data = self.files.get(file_id)
            if data is None:
                return self._error(400, "Bad Request: invalid file_id")
            if len(data) > 20 * 1024 * 1024:
                return self._error(400, "Bad Request: file is too big")
            file_path = f"documents/file_{abs(hash(file_id)) % 10_000}.bin"
            self._paths[file_path] = data
        return 200, {"file_id": file_id, "file_unique_id": file_id[-8:], "file_size": len(data), "file_path": file_path}

    def _failure_for(self, method: str) -> tuple[int, Any]:
        for f in self._failures:
            if f.methods is not None and method not in f.methods:
                continue
            if f.times is not None:
                f.times -= 1
                if f.times <= 0:
                    self._failures.remove(f)
            return f.status, f.body
        return 0, None

    def _answer(self, req: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        self._answer_raw(req, status, json.dumps(payload).encode(), "application/json")

    def _answer_raw(self, req: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str) -> None:
        try:
            req.send_response(status)
            req.send_header("Content-Type", ctype)
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            req.wfile.write(body)
        except OSError:
            pass  # the hub went away (a cancelled long poll)

    @staticmethod
    def _error(code: int, description: str) -> tuple[int, dict[str, Any]]:
        return code, {"ok": False, "error_code": code, "description": description}

    def _api_getMe(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, {**BOT, "can_join_groups": True, "can_read_all_group_messages": False,
                     "supports_inline_queries": False}

    def _api_getUpdates(self, params: dict[str, Any]) -> tuple[int, Any]:
        with self._lock:
            if self.webhook is not None:
                return self._error(
                    409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
                    "delete the webhook first"
                )
        try:
            offset = int(params.get("offset", 0))
            timeout = float(params.get("timeout", 0))
            limit = int(params.get("limit", 100))
        except (TypeError, ValueError):
            return self._error(400, "Bad Request: wrong parameter")
        deadline = time.monotonic() + timeout
        with self._lock:
            self._updates = [(uid, u) for uid, u in self._updates if uid >= offset]  # confirmed: gone
            while not self._updates and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(left)
            return 200, [u for _uid, u in self._updates[:limit]]

    def _api_setWebhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        url = str(params.get("url", ""))
        if url and not url.startswith(("https://", "http://")):
            return self._error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = str(params.get("secret_token", ""))
        if secret and (len(secret) > 256 or not all(c.isalnum() or c in "_-" for c in secret)):
            return self._error(400, "Bad Request: secret token contains unallowed characters")
        with self._lock:
            self.webhook = {"url": url, "secret_token": secret, "allowed_updates": params.get("allowed_updates")} \
                if url else None
        return 200, True

    def _api_deleteWebhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        with self._lock:
            self.webhook = None
            if params.get("drop_pending_updates") in (True, "true", "True"):
                self._updates.clear()
        return 200, True

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> tuple[int, Any]:
        with self._lock:
            hook = self.webhook
            return 200, {"url": hook["url"] if hook else "", "has_custom_certificate": False,
                         "pending_update_count": len(self._updates)}

    def _send(self, params: dict[str, Any], content: dict[str, Any]) -> tuple[int, Any]:
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, TypeError, ValueError):
            return self._error(400, "Bad Request: chat not found")
        with self._lock:
            if chat_id in self.blocked:
                return self._error(403, "Forbidden: bot was blocked by the user")
            if chat_id not in self._known_chats:
                return self._error(400, "Bad Request: chat not found")
            message_id = self._next_message
            self._next_message += 1
            message = {"message_id": message_id, "from": BOT, "chat": {"id": chat_id, "type": "private"},
                       "date": int(time.time()), **content}
            self.sent.append(message)
        return 200, message

    def _api_sendMessage(self, params: dict[str, Any]) -> tuple[int, Any]:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            return self._error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return self._error(400, "Bad Request: message is too long")
        return self._send(params, {"text": text})

    def _uploaded(self, method: str, field_name: str, params: dict[str, Any]) -> str | None:
        """The file_id of a file uploaded in the multipart field ``field_name``, if any."""
        for name, filename, ctype, data in params.get("_files", []):
            if name == field_name:
                with self._lock:
                    self.uploads.append((method, name, filename, ctype, data))
                    file_id = f"uploaded-{len(self.uploads)}"
                    self.files[file_id] = data
                return file_id
        return None

    def _api_sendPhoto(self, params: dict[str, Any]) -> tuple[int, Any]:
        photo = self._uploaded("sendPhoto", "photo", params) or params.get("photo")
        if not isinstance(photo, str) or not photo:
            return self._error(400, "Bad Request: there is no photo in the request")
        content: dict[str, Any] = {"photo": [{"file_id": photo, "file_unique_id": "x", "width": 1, "height": 1}]}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._send(params, content)

    def _api_sendDocument(self, params: dict[str, Any]) -> tuple[int, Any]:
        document = self._uploaded("sendDocument", "document", params) or params.get("document")
        if not isinstance(document, str) or not document:
            return self._error(400, "Bad Request: there is no document in the request")
        content: dict[str, Any] = {"document": {"file_id": document, "file_unique_id": "y"}}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._send(params, content)


_DESCRIPTIONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
}


def _parse_multipart(ctype: str, raw: bytes) -> tuple[dict[str, str], list[tuple[str, str, str, bytes]]]:
    """A multipart/form-data body: its plain fields and its file parts (field, file
    name, Content-Type, bytes). ValueError when it is not well formed."""
    msg = BytesParser(policy=email.policy.HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
    if not msg.is_multipart():
        raise ValueError("not multipart")
    fields: dict[str, str] = {}
    files: list[tuple[str, str, str, bytes]] = []
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ValueError("a part without a name")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files.append((name, filename, part.get_content_type(), data))
        else:
            fields[name] = data.decode()
    return fields, files
