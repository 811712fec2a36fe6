"""E-mail: a support mailbox read by IMAP and answered by SMTP.

Receiving (:meth:`EmailAdapter.run`): one IMAP connection, logged in, the folder
(``INBOX``) selected. New mail is found by UID: the channel's cursor in the database is
``<UIDVALIDITY>:<last UID done>``, so a restart goes on after the last mail it stored,
neither importing one twice nor skipping one. On the first start, and when the server
says the folder's UIDVALIDITY changed (its UIDs mean something else now), the unseen
mail is taken. Each mail is stored (``ChannelContext.receive``; its key is its hashed
Message-ID, so a mail seen twice is stored once), then flagged ``\\Seen``, then the cursor
moves past it. Mail is never moved or deleted: the mailbox stays the archive of the
originals. Then the adapter waits for more: IMAP IDLE (RFC 2177) when the server lists
``IDLE`` in its CAPABILITY after login (new mail arrives at once; the IDLE is renewed
every ``idle_refresh_s``), else a poll every ``poll_interval_s``.

The IMAP client is a small one on asyncio streams (:class:`ImapClient`), like the HTTP
client of the Telegram adapter: IDLE holds a connection open for minutes and must stop
at once when the hub stops (cancelling the task closes the socket). imaplib has no IDLE
before Python 3.14 and would block a thread per channel in a read that cannot be
interrupted cleanly.

Sending (:meth:`EmailAdapter.send`): the reply's headers come from the database
(``EmailStore.reply_thread``: "Re: <subject>", In-Reply-To and References of the mail it
answers, our Message-ID made and stored *before* the first try so the customer's answer
threads and a retry keeps the id); the mail goes out with ``smtplib`` in a worker thread
(one short call per reply, bounded by a timeout; no dependency). SMTP answers map to the
outbox's rules: 4xx and connection failures are temporary (retried with backoff), a 5xx
for the recipient or the content refuses that reply alone (the operator gets a note),
a refused login or sender makes the channel ``down``.

Files: the attachments of a mail (and the pictures inline in its body) are decoded and
kept in hub storage (``ChannelContext.keep_file``, the same size limit and type checks as
every file) and attached to the stored message; one the hub does not take is listed in
the text with the reason (``[attachment scan.pdf not stored: too big (12.0 MiB), the
limit is 10.0 MiB]``) and the mail is stored all the same. An operator's files go out as
attachments of the reply (multipart/mixed, the text part first), read from hub storage.

Passwords are read from the environment variable or file the settings name (the IMAP
password is the channel's token; the SMTP one defaults to it), never stored or logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import smtplib
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.domain.channels import FileRef, InboundMessage, MailThread, OutboundMessage, backoff_delay, inbound_text
from app.domain.contacts import normalize_email
from app.domain.errors import InvalidEmail
from app.domain.files import FileRejected, human_size
from app.domain.mail import ParsedMail, build_reply, mail_key, parse_mail
from app.hub.channels.base import (
    ChannelAdapter,
    ChannelContext,
    ChannelFailure,
    ConfigurationFailure,
    Refused,
    TemporaryFailure,
)
from app.protocol import MAX_TEXT_CHARS
from app.storage.email import EmailStore, ReplyThread

log = logging.getLogger("frontline.hub.channels.email")

TLS_MODES = ("none", "starttls", "ssl")
IMAP_PORTS = {"none": 143, "starttls": 143, "ssl": 993}
SMTP_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
MAX_MAIL_BYTES = 25 * 1024 * 1024  # a bigger mail is read up to this size (attachments cut)
MAX_FAILURES = 5  # a mail our side fails to store this often is skipped (logged)
LINE_LIMIT = 4 * 1024 * 1024


class ImapError(Exception):
    """The server answered NO or BAD."""

    def __init__(self, command: str, status: str, text: str) -> None:
        super().__init__(f"{command}: {status} {text}")
        self.command = command
        self.status = status
        self.text = text


def _quote(value: str) -> bytes | str:
    """An IMAP string: quoted when it can be, else a literal (bytes)."""
    if value.isascii() and "\r" not in value and "\n" not in value and "\0" not in value:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value.encode("utf-8")


_LITERAL = re.compile(rb"\{(\d+)\}\r\n$")
_STATUS = re.compile(r"^(\S+) (OK|NO|BAD)\b ?(.*)$", re.IGNORECASE | re.DOTALL)


class ImapClient:
    """The few IMAP4rev1 commands the channel needs, on asyncio streams."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout_s: float) -> None:
        self.reader = reader
        self.writer = writer
        self.timeout_s = timeout_s
        self._tag = 0
        self.capabilities: set[str] = set()

    @classmethod
    async def connect(
        cls, host: str, port: int, tls: str, timeout_s: float, context: ssl.SSLContext | None
    ) -> ImapClient:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(
                host, port, ssl=context if tls == "ssl" else None, limit=LINE_LIMIT
            )
        client = cls(reader, writer, timeout_s)
        try:
            greeting = await client._line()
            if not greeting.upper().startswith(b"* OK") and not greeting.upper().startswith(b"* PREAUTH"):
                raise ImapError("connect", "BAD", greeting.decode("utf-8", "replace").strip())
            if tls == "starttls":
                await client.command("STARTTLS")
                assert context is not None
                async with asyncio.timeout(timeout_s):
                    await writer.start_tls(context, server_hostname=host)
        except BaseException:
            client.close()
            raise
        return client

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()

    async def _line(self) -> bytes:
        async with asyncio.timeout(self.timeout_s):
            line = await self.reader.readline()
        if not line:
            raise ConnectionError("the IMAP server closed the connection")
        return line

    async def _response(self) -> tuple[bytes, list[bytes]]:
        """One response: its text (literals replaced by ``{}``) and its literals."""
        line = await self._line()
        text = b""
        literals: list[bytes] = []
        while True:
            m = _LITERAL.search(line)
            if m is None:
                text += line
                return text, literals
            size = int(m.group(1))
            text += line[: m.start()] + b"{}"
            async with asyncio.timeout(self.timeout_s + size / 100_000):
                literals.append(await self.reader.readexactly(size))
            line = await self._line()

    async def command(self, *args: str | bytes) -> list[tuple[bytes, list[bytes]]]:
        """Send a command; its untagged responses. :class:`ImapError` on NO/BAD."""
        self._tag += 1
        tag = f"F{self._tag:04d}"
        name = args[0] if isinstance(args[0], str) else "command"
        line = tag.encode()
        for a in args:
            if isinstance(a, bytes):  # a literal: sent after the server's "+"
                self.writer.write(line + b" {%d}\r\n" % len(a))
                await self._continuation(name)
                line = a
            else:
                line += b" " + a.encode()
        self.writer.write(line + b"\r\n")
        await self.writer.drain()
        untagged: list[tuple[bytes, list[bytes]]] = []
        while True:
            text, literals = await self._response()
            if text.startswith(tag.encode() + b" "):
                m = _STATUS.match(text.decode("utf-8", "replace").strip())
                status = m.group(2).upper() if m else "BAD"
                if status != "OK":
                    raise ImapError(str(name), status, (m.group(3) if m else text.decode("utf-8", "replace"))[:300])
                self._note(text)
                return untagged
            if text.startswith(b"+"):
                continue
            self._note(text)
            untagged.append((text, literals))

    async def _continuation(self, name: str) -> None:
        await self.writer.drain()
        while True:
            text, _ = await self._response()
            if text.startswith(b"+"):
                return
            m = _STATUS.match(text.decode("utf-8", "replace").strip())
            if m and not text.startswith(b"*"):
                raise ImapError(name, m.group(2).upper(), m.group(3)[:300])

    def _note(self, text: bytes) -> None:
        m = re.search(rb"\[CAPABILITY ([^\]]*)\]", text) or re.match(rb"\* CAPABILITY (.*)", text.strip())
        if m:
            self.capabilities = {c.upper() for c in m.group(1).decode("ascii", "replace").split()}

    async def login(self, user: str, password: str) -> None:
        await self.command("LOGIN", *_args(_quote(user)), *_args(_quote(password)))

    async def capability(self) -> set[str]:
        await self.command("CAPABILITY")
        return self.capabilities

    async def select(self, folder: str) -> tuple[int, int]:
        """(UIDVALIDITY, UIDNEXT) of the selected folder."""
        untagged = await self.command("SELECT", *_args(_quote(folder)))
        validity = nxt = 0
        for text, _ in untagged:
            if m := re.search(rb"\[UIDVALIDITY (\d+)\]", text):
                validity = int(m.group(1))
            if m := re.search(rb"\[UIDNEXT (\d+)\]", text):
                nxt = int(m.group(1))
        return validity, nxt

    async def search(self, *criteria: str) -> list[int]:
        untagged = await self.command("UID", "SEARCH", *criteria)
        uids: list[int] = []
        for text, _ in untagged:
            if text.upper().startswith(b"* SEARCH"):
                uids += [int(x) for x in text[8:].split() if x.isdigit()]
        return sorted(set(uids))

    async def fetch(self, uid: int, max_bytes: int) -> bytes | None:
        """The mail with this UID (at most ``max_bytes`` of it), None if it is gone;
        ``BODY.PEEK`` leaves its flags alone (it is flagged \\Seen once stored)."""
        untagged = await self.command("UID", "FETCH", str(uid), f"(UID BODY.PEEK[]<0.{max_bytes}>)")
        for text, literals in untagged:
            if b"FETCH" in text.upper() and literals and re.search(rb"UID %d\b" % uid, text):
                return literals[0]
        return None

    async def flag_seen(self, uid: int) -> None:
        await self.command("UID", "STORE", str(uid), "+FLAGS.SILENT", "(\\Seen)")

    async def idle(self, timeout_s: float) -> bool:
        """IDLE until the folder changes (True) or ``timeout_s`` passes (False)."""
        self._tag += 1
        tag = f"F{self._tag:04d}".encode()
        self.writer.write(tag + b" IDLE\r\n")
        await self.writer.drain()
        changed = False
        while True:  # until "+ idling"
            text, _ = await self._response()
            if text.startswith(b"+"):
                break
            if text.startswith(tag + b" "):
                raise ImapError("IDLE", "BAD", text.decode("utf-8", "replace").strip()[:300])
            changed = changed or _is_change(text)
        if not changed:
            try:
                async with asyncio.timeout(timeout_s):
                    while True:
                        line = await self.reader.readline()
                        if not line:
                            raise ConnectionError("the IMAP server closed the connection")
                        if _is_change(line):
                            changed = True
                            break
                        if _LITERAL.search(line):  # not expected during IDLE: keep the stream in step
                            await self.reader.readexactly(int(_LITERAL.search(line).group(1)))  # type: ignore[union-attr]
            except TimeoutError:
                pass
        self.writer.write(b"DONE\r\n")
        await self.writer.drain()
        while True:
            text, _ = await self._response()
            if text.startswith(tag + b" "):
                if not text[len(tag) + 1 :].upper().startswith(b"OK"):
                    raise ImapError("IDLE", "NO", text.decode("utf-8", "replace").strip()[:300])
                return changed
            changed = changed or _is_change(text)

    async def noop(self) -> None:
        await self.command("NOOP")

    async def logout(self) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await self.command("LOGOUT")


def _args(value: str | bytes) -> tuple[str | bytes]:
    return (value,)


def _is_change(text: bytes) -> bool:
    upper = text.upper()
    return upper.startswith(b"* ") and (upper.rstrip().endswith(b" EXISTS") or upper.rstrip().endswith(b" RECENT"))


def read_secret(env: Any, path: Any) -> str:
    """A secret from the environment variable or file named in the settings."""
    if isinstance(env, str) and env:
        return os.environ.get(env, "").strip()
    if isinstance(path, str) and path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError:
            return ""
    return ""


class EmailAdapter(ChannelAdapter):
    kind = "email"
    title = "e-mail"

    def __init__(self, ctx: ChannelContext) -> None:
        super().__init__(ctx)
        s = self.check_settings(ctx.settings)
        self.s = s
        self.folder: str = s["imap_folder"]
        self.from_address: str = s["from_address"]
        self.from_name: str = s["from_name"]
        self.domain = self.from_address.rpartition("@")[2]
        self._attempt = 0
        self._failures: dict[int, int] = {}
        self.idle_active = False  # tests and status: the connection is in IDLE now
        smtp_pw = self._smtp_password()
        if smtp_pw:
            ctx.health.add_secret(smtp_pw)

    @classmethod
    def check_settings(cls, settings: Mapping[str, Any]) -> dict[str, Any]:
        s = dict(settings)
        s.setdefault("tls", "ssl")
        if s["tls"] not in TLS_MODES:
            raise ValueError(f"tls must be one of {', '.join(TLS_MODES)}")
        s.setdefault("smtp_tls", s["tls"])
        if s["smtp_tls"] not in TLS_MODES:
            raise ValueError(f"smtp_tls must be one of {', '.join(TLS_MODES)}")
        for key in ("imap_host", "imap_user", "smtp_host", "from_address"):
            if not isinstance(s.get(key), str) or not s[key].strip():
                raise ValueError(f"{key.replace('_', '-')} is required")
        s.setdefault("imap_port", IMAP_PORTS[s["tls"]])
        s.setdefault("smtp_port", SMTP_PORTS[s["smtp_tls"]])
        for key in ("imap_port", "smtp_port"):
            if isinstance(s[key], bool) or not isinstance(s[key], int) or not 0 < s[key] < 65536:
                raise ValueError(f"{key.replace('_', '-')} must be a port number (1-65535)")
        if not s.get("token_env") and not s.get("token_file"):
            raise ValueError("say where the IMAP password is: an environment variable or a file")
        try:
            s["from_address"] = normalize_email(s["from_address"])
        except InvalidEmail as exc:
            raise ValueError(f"from-address: {exc}") from None
        s.setdefault("from_name", "")
        s.setdefault("imap_folder", "INBOX")
        s.setdefault("smtp_user", "")
        s.setdefault("poll_interval_s", 60)
        s.setdefault("idle", True)
        s.setdefault("idle_refresh_s", 300)
        s.setdefault("request_timeout_s", 30)
        s.setdefault("max_mail_bytes", MAX_MAIL_BYTES)
        s.setdefault("tls_ca_file", "")
        if s["tls_ca_file"] and not Path(str(s["tls_ca_file"])).is_file():
            raise ValueError(f"tls-ca-file {s['tls_ca_file']} is not a file")
        for key, low in (("poll_interval_s", 0.05), ("idle_refresh_s", 1), ("request_timeout_s", 0.5)):
            if isinstance(s[key], bool) or not isinstance(s[key], int | float) or s[key] < low:
                raise ValueError(f"{key} must be a number of seconds, at least {low}")
        if not isinstance(s["idle"], bool):
            raise ValueError("idle must be true or false")
        return s

    # ------------------------------------------------------------------ secrets, TLS

    def _imap_password(self) -> str:
        return self.ctx.token

    def _smtp_password(self) -> str:
        """Read at every send (a changed password works without a restart); the IMAP
        password when no SMTP one is named."""
        s = self.ctx.settings
        if s.get("smtp_password_env") or s.get("smtp_password_file"):
            return read_secret(s.get("smtp_password_env"), s.get("smtp_password_file"))
        return self.ctx.token

    def _tls_context(self) -> ssl.SSLContext:
        """Certificates checked against the system's CAs, or the office's own CA
        (``tls_ca_file``)."""
        context = ssl.create_default_context(cafile=self.s["tls_ca_file"] or None)
        return context

    # ------------------------------------------------------------------ receiving

    async def run(self) -> None:
        health = self.ctx.health
        if not self._imap_password():
            health.down("no IMAP password: set the environment variable or file named in the channel's settings")
            await asyncio.Event().wait()
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except ConfigurationFailure as exc:
                health.down(exc.text)
                log.warning("email channel %s is down: %s", self.ctx.name, health.redact(exc.text))
                await asyncio.sleep(self.ctx.retry_max_s)
            except Exception as exc:  # the server, the network, or a reply we could not read
                if not isinstance(exc, ChannelFailure | ImapError | OSError | EOFError | TimeoutError):
                    log.exception("email channel %s: unexpected failure reading the mailbox", self.ctx.name)
                text = exc.text if isinstance(exc, ChannelFailure) else f"IMAP: {_describe(exc)}"
                health.retrying(text)
                delay = backoff_delay(self._attempt, self.ctx.retry_base_s, self.ctx.retry_max_s)
                self._attempt += 1
                log.info("email channel %s: %s; retrying in %.1f s", self.ctx.name, health.redact(text), delay)
                await asyncio.sleep(delay)

    async def _session(self) -> None:
        s = self.s
        tls = s["tls"]
        context = self._tls_context() if tls != "none" else None
        client = await ImapClient.connect(s["imap_host"], s["imap_port"], tls, float(s["request_timeout_s"]), context)
        try:
            try:
                await client.login(s["imap_user"], self._imap_password())
            except ImapError as exc:
                raise ConfigurationFailure(f"IMAP login refused for {s['imap_user']}: {exc.text}") from None
            caps = await client.capability()
            try:
                validity, uidnext = await client.select(self.folder)
            except ImapError as exc:
                raise ConfigurationFailure(f"IMAP folder {self.folder!r}: {exc.text}") from None
            use_idle = bool(s["idle"]) and "IDLE" in caps
            self.ctx.health.ok()
            self._attempt = 0
            log.info(
                "email channel %s: reading %s of %s@%s by %s",
                self.ctx.name,
                self.folder,
                s["imap_user"],
                s["imap_host"],
                "IMAP IDLE" if use_idle else f"polling every {s['poll_interval_s']} s",
            )
            while True:
                await self._fetch_new(client, validity, uidnext)
                uidnext = 0
                if use_idle:
                    self.idle_active = True
                    try:
                        await client.idle(float(s["idle_refresh_s"]))
                    finally:
                        self.idle_active = False
                else:
                    await asyncio.sleep(float(s["poll_interval_s"]))
                    await client.noop()
                self.ctx.health.ok()
        finally:
            if not asyncio.current_task().cancelling():  # type: ignore[union-attr]
                await client.logout()
            client.close()

    async def _fetch_new(self, client: ImapClient, validity: int, uidnext: int) -> None:
        cursor = await self.ctx.load_cursor()
        stored_validity, _, stored_uid = cursor.partition(":")
        if stored_validity == str(validity) and stored_uid.isdigit():
            last = int(stored_uid)
            uids = [u for u in await client.search("UID", f"{last + 1}:*") if u > last]
        else:
            if cursor:
                log.warning(
                    "email channel %s: the folder's UIDVALIDITY changed (%s -> %d): taking its unseen mail",
                    self.ctx.name,
                    stored_validity,
                    validity,
                )
            last = 0
            uids = await client.search("UNSEEN")
            if uidnext > 1 and not uids:
                await self.ctx.save_cursor(f"{validity}:{uidnext - 1}")
        for uid in uids:
            raw = await client.fetch(uid, int(self.s["max_mail_bytes"]))
            if raw is not None:
                if not await self._take(uid, validity, raw):
                    raise TemporaryFailure(f"storing mail {uid} failed")
                await client.flag_seen(uid)
            last = max(last, uid)
            await self.ctx.save_cursor(f"{validity}:{last}")
        if uidnext > 1 and uids and uidnext - 1 > last:
            await self.ctx.save_cursor(f"{validity}:{uidnext - 1}")

    def to_inbound(
        self,
        parsed: ParsedMail,
        uid: int,
        validity: int,
        truncated: bool,
        notes: list[str] | None = None,
        kept: tuple[int, ...] = (),
    ) -> InboundMessage:
        """``notes``: when the attachments were kept in hub storage, what is said of the ones
        that were not (the text then lists no others); None: all listed by name."""
        source = f"{self.folder}/{validity}/{uid}"
        text = parsed.text if notes is None else "\n".join([parsed.shown, *notes] if parsed.shown else notes)
        if not parsed.refs and parsed.subject:
            text = f"Subject: {parsed.subject}\n\n{text}"  # a new thread: what it is about
        if truncated:
            text += f"\n[the mail was larger than {int(self.s['max_mail_bytes']) // 1_000_000} MB and was cut]"
        files = tuple(
            FileRef(
                kind="photo" if a.mime.startswith("image/") else "document",
                ref=f"imap:{source}/{a.part}"[:255],
                name=a.name,
                mime=a.mime[:128],
                size=a.size,
            )
            for a in parsed.attachments
            if a.named
        )
        return InboundMessage(
            channel=self.ctx.name,
            external_id=parsed.from_address,
            address=parsed.from_address,
            key=mail_key(parsed.message_id, f"{validity}:{uid}"),
            text=inbound_text(text, MAX_TEXT_CHARS) if text.strip() or not kept else "",  # files only: no text
            files=files,
            attachments=kept,
            name=(parsed.from_name or parsed.from_address)[:200],
            label=parsed.from_address[:200],
            email=parsed.from_address,
            caption=parsed.shown[:MAX_TEXT_CHARS],
            thread=MailThread(
                message_id=parsed.message_id,
                refs=parsed.refs,
                subject=parsed.subject,
                full_text=parsed.full_text if parsed.trimmed else "",
                source=source,
            ),
        )

    async def _take(self, uid: int, validity: int, raw: bytes) -> bool:
        """Store one mail; True once it needs no more work (stored, or ignored on purpose),
        False when storing failed (it is tried again, at most MAX_FAILURES times)."""
        name = self.ctx.name
        try:
            parsed = parse_mail(raw)
        except Exception:  # parse_mail does not raise; a bug must not stop the mailbox
            log.exception("email channel %s: mail %d could not be read, skipped", name, uid)
            return True
        if parsed.problems:
            log.warning("email channel %s: mail %d (%s): %s", name, uid, parsed.message_id, "; ".join(parsed.problems))
        if not parsed.from_address:
            log.warning("email channel %s: mail %d has no usable sender address: ignored", name, uid)
            return True
        if parsed.from_address.lower() == self.from_address.lower():
            log.info("email channel %s: mail %d is from our own address: ignored", name, uid)
            return True
        if parsed.auto_reply:
            log.info("email channel %s: mail %d is automatic (%s): ignored", name, uid, parsed.auto_reply)
            return True
        truncated = len(raw) >= int(self.s["max_mail_bytes"])
        try:
            kept, notes = await self.keep_files(parsed)
            await self.ctx.receive(self.to_inbound(parsed, uid, validity, truncated, notes, kept))
        except asyncio.CancelledError:
            raise
        except Exception:
            failures = self._failures[uid] = self._failures.get(uid, 0) + 1
            if failures >= MAX_FAILURES:
                log.exception("email channel %s: mail %d could not be stored %d times, skipped", name, uid, failures)
                self._failures.pop(uid, None)
                return True
            log.exception("email channel %s: storing mail %d failed", name, uid)
            return False
        self._failures.pop(uid, None)
        return True

    async def keep_files(self, parsed: ParsedMail) -> tuple[tuple[int, ...], list[str] | None]:
        """The mail's attachments kept in hub storage: their ids, and a line for each one
        refused (too big, a type the hub does not take, broken). (), None without storage."""
        if self.ctx.keep_file is None:
            return (), None
        limit = self.ctx.max_file_bytes
        kept: list[int] = []
        notes: list[str] = []
        for a in parsed.attachments:
            what = f"attachment {a.name}" if a.named else "picture in the mail"
            if a.size > limit:
                notes.append(f"[{what} not stored: too big ({human_size(a.size)}), the limit is {human_size(limit)}]")
                continue
            if not a.data:
                notes.append(f"[{what} not stored: it is empty or could not be decoded]")
                continue
            try:
                info = await self.ctx.keep_file(a.data, a.name, a.mime, "email")
            except FileRejected as exc:
                notes.append(f"[{what} not stored: {exc.text}]")
                continue
            kept.append(info.id)
        return tuple(kept), notes

    # ------------------------------------------------------------------ sending

    async def send(self, message: OutboundMessage) -> str:
        if not message.address:
            raise Refused("the conversation has no e-mail address to answer")
        if self.ctx.storage is None:
            raise ConfigurationFailure("the e-mail channel runs without the hub's database")
        default_subject = f"Message from {self.from_name}" if self.from_name else "Your message"
        name, conversation_id, message_id, domain = (
            self.ctx.name,
            message.conversation_id,
            message.message_id,
            self.domain,
        )
        thread: ReplyThread = await self.ctx.storage(
            lambda cs: EmailStore(cs.store).reply_thread(name, conversation_id, message_id, domain, default_subject)
        )
        text = message.text
        if message.files:  # files by a channel's reference (not in hub storage): say what was meant
            text += "\n\n" + "\n".join(f"[attachment: {f.name or f.ref}]" for f in message.files)
        files = [(f.name, f.mime, await asyncio.to_thread(Path(f.path).read_bytes)) for f in message.attachments]
        mail = build_reply(
            from_address=self.from_address,
            from_name=self.from_name,
            to=message.address,
            subject=thread.subject,
            text=text,
            message_id=thread.message_id,
            in_reply_to=thread.in_reply_to,
            refs=thread.references,
            attachments=files,
        )
        await asyncio.to_thread(self._smtp_send, mail, message.address)
        return thread.message_id[:64]

    def _smtp_send(self, mail: Any, to: str) -> None:
        s = self.s
        tls, host, port = s["smtp_tls"], s["smtp_host"], int(s["smtp_port"])
        timeout = float(s["request_timeout_s"])
        try:
            smtp: smtplib.SMTP
            if tls == "ssl":
                smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=self._tls_context())
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            with smtp:
                smtp.ehlo()
                if tls == "starttls":
                    smtp.starttls(context=self._tls_context())
                    smtp.ehlo()
                if s["smtp_user"]:
                    smtp.login(s["smtp_user"], self._smtp_password())
                smtp.send_message(mail, from_addr=self.from_address, to_addrs=[to])
        except smtplib.SMTPAuthenticationError as exc:
            raise ConfigurationFailure(f"SMTP login refused: {exc.smtp_code} {_smtp_text(exc.smtp_error)}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, resp = next(iter(exc.recipients.values()), (0, b""))
            text = f"the mail server refused {to}: {code} {_smtp_text(resp)}"
            if 500 <= code < 600:
                raise Refused(text) from None
            raise TemporaryFailure(text) from None
        except smtplib.SMTPSenderRefused as exc:
            text = (
                f"the mail server refused the sender {self.from_address}: "
                f"{exc.smtp_code} {_smtp_text(exc.smtp_error)}"
            )
            if 500 <= exc.smtp_code < 600:
                raise ConfigurationFailure(text) from None
            raise TemporaryFailure(text) from None
        except smtplib.SMTPDataError as exc:
            text = f"the mail server refused the mail: {exc.smtp_code} {_smtp_text(exc.smtp_error)}"
            if 500 <= exc.smtp_code < 600:
                raise Refused(text) from None
            raise TemporaryFailure(text) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise ConfigurationFailure(f"SMTP: {exc} (check --smtp-tls)") from None
        except ssl.SSLCertVerificationError as exc:
            raise ConfigurationFailure(
                f"SMTP: the server's certificate was not accepted: {exc.verify_message}"
            ) from None
        except smtplib.SMTPResponseException as exc:
            text = f"SMTP: {exc.smtp_code} {_smtp_text(exc.smtp_error)}"
            if 500 <= exc.smtp_code < 600:
                raise ConfigurationFailure(text) from None
            raise TemporaryFailure(text) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"SMTP {host}:{port}: {_describe(exc)}") from None


def _smtp_text(value: Any) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())[:300]


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
