"""E-mail as the hub reads and writes it: pure code, no I/O (the IMAP/SMTP adapter is
app/hub/channels/email.py).

- :func:`parse_mail`: raw RFC 5322 bytes -> :class:`ParsedMail` with the stdlib ``email``
  package (``policy=default``). It never raises: a wrong or missing charset, bad base64 or
  quoted-printable, 8-bit bytes in headers are decoded with U+FFFD and listed in
  ``problems`` (the adapter logs them).
- The text shown to operators is text/plain when the mail has it, else its HTML turned
  into text by :func:`html_to_text` (``html.parser``; scripts and styles dropped, line
  breaks kept, link targets written out; HTML is never rendered anywhere).
- :func:`trim_quoted`: the quoted history of a reply ("On … wrote:" and the ``>`` lines
  after it, Outlook's "-----Original Message-----") is cut from the shown text; the whole
  text is kept beside it.
- :func:`auto_reply_reason`: out-of-office notes, bounces and bulk mail (RFC 3834
  ``Auto-Submitted``, ``Precedence``, …) are recognised so they never open a conversation.
- :func:`build_reply`: an operator reply as a proper mail (From, To, Subject "Re: …",
  In-Reply-To, References, Message-ID, text/plain UTF-8; with files multipart/mixed, the
  text part first, each file an attachment with its name and type).
- Attachments (parts with ``Content-Disposition: attachment`` or a file name, and inline
  pictures, named or not) come out decoded in ``ParsedMail.attachments`` for the adapter
  to keep in hub storage; the shown text lists the named ones (``[attachment: name]``)
  for when there is no storage.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Any

from app.domain.contacts import normalize_email
from app.domain.errors import InvalidEmail

SUBJECT_MAX = 255
HEADER_ID_MAX = 255
REFS_MAX = 20  # Message-IDs kept in a reply's References (the oldest and the newest ones)
QUOTE_NOTE = "[quoted text hidden]"


@dataclass(frozen=True)
class Attachment:
    name: str
    mime: str
    size: int
    part: str  # the part's position in the mail ("2", "2.1"), where its bytes are
    inline: bool = False
    data: bytes = field(default=b"", repr=False, compare=False)  # the decoded content
    named: bool = True  # False: an inline picture without a file name (not listed in the text)


@dataclass
class ParsedMail:
    """What the hub takes from one mail."""

    message_id: str  # without angle brackets; "" when the mail has none
    refs: tuple[str, ...]  # References then In-Reply-To, oldest first, no duplicates
    subject: str
    from_address: str  # normalised like the customer card (app/domain/contacts.py); "" if none
    from_name: str
    text: str  # what operators see: the body without quoted history, attachments listed
    full_text: str  # the whole body text (before trimming)
    trimmed: bool
    attachments: tuple[Attachment, ...]
    auto_reply: str  # why it is an automatic mail ("" for a person's mail)
    html_only: bool = False
    problems: list[str] = field(default_factory=list)
    shown: str = ""  # ``text`` without the attachment lines


# ----------------------------------------------------------------------------- headers


def clean_header(value: Any) -> str:
    """A header value as text: 8-bit bytes (kept by the parser as surrogates) read as
    UTF-8 with U+FFFD for what is not; folded whitespace made single spaces."""
    text = str(value) if value is not None else ""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return " ".join(text.split())


def _raw_header(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _header(msg: Message, name: str, problems: list[str]) -> str:
    """A header decoded (RFC 2047) by the parser; the raw value when decoding fails."""
    raw = _raw_header(msg, name)
    if raw is None:
        return ""
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        problems.append(f"8-bit bytes in the {name} header")
    try:
        value = msg.get(name)
    except Exception as exc:  # the header parser of older Pythons raises on odd input
        problems.append(f"{name} header could not be parsed ({type(exc).__name__})")
        value = raw
    return clean_header(value)


_MSGID = re.compile(r"<([^<>\s]+)>")


def message_ids(value: str) -> list[str]:
    """The Message-IDs in a header value (``<a@b> <c@d>``), without brackets."""
    found = _MSGID.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip().strip("<>")]  # a bare id without brackets
    return [m[:HEADER_ID_MAX] for m in found if m]


def _sender(msg: Message, problems: list[str]) -> tuple[str, str]:
    """(address normalised as the card stores it, display name) of From (else Sender,
    Reply-To is not trusted for identity)."""
    for name in ("From", "Sender"):
        raw = _raw_header(msg, name)
        if raw is None:
            continue
        display, addr = "", ""
        try:
            header = msg.get(name)
            addresses = getattr(header, "addresses", ())
            if addresses:
                display, addr = addresses[0].display_name, addresses[0].addr_spec
        except Exception as exc:
            problems.append(f"{name} header could not be parsed ({type(exc).__name__})")
        if not addr:
            display, addr = email.utils.parseaddr(clean_header(raw))
        addr = clean_header(addr).strip("<>")
        try:
            return normalize_email(addr), clean_header(display)
        except InvalidEmail:
            problems.append(f"{name} address {addr[:80]!r} is not an e-mail address")
            return "", clean_header(display)
    return "", ""


# ----------------------------------------------------------------------------- bodies


def decode_part(part: Message, problems: list[str], where: str) -> str:
    """A text part's content as text: its transfer encoding undone leniently (bad base64
    or quoted-printable gives what can be read), its charset applied with U+FFFD for what
    does not decode; no charset: UTF-8, else Windows-1252 (what unlabelled mail mostly is)."""
    try:
        payload = part.get_payload(decode=True)
    except Exception as exc:
        problems.append(f"{where}: content could not be decoded ({type(exc).__name__})")
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        payload = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    for defect in getattr(part, "defects", []):
        problems.append(f"{where}: {type(defect).__name__}")
    charset = part.get_content_charset()
    if charset:
        try:
            text = payload.decode(charset)
        except LookupError:
            problems.append(f"{where}: unknown charset {charset!r}, read as UTF-8")
            text = payload.decode("utf-8", "replace")
        except UnicodeDecodeError:
            problems.append(f"{where}: not valid {charset}, undecodable bytes replaced")
            text = payload.decode(charset, "replace")
    else:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{where}: no charset and not UTF-8, read as UTF-8 with replacements")
            text = payload.decode("utf-8", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _is_attachment(part: Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    if disposition == "attachment":
        return True
    return bool(part.get_filename()) and part.get_content_maintype() not in ("multipart",)


def _walk(msg: Message, path: str = "") -> list[tuple[str, Message]]:
    """Leaf parts with their positions ("1", "2.1"), as IMAP numbers them."""
    if msg.is_multipart():
        out: list[tuple[str, Message]] = []
        payload = msg.get_payload()
        if isinstance(payload, list):
            for i, sub in enumerate(payload, 1):
                if isinstance(sub, Message):
                    out += _walk(sub, f"{path}.{i}" if path else str(i))
        return out
    return [(path or "1", msg)]


def _filename(part: Message, problems: list[str]) -> str:
    try:
        name = part.get_filename() or ""
    except Exception as exc:
        problems.append(f"attachment name could not be read ({type(exc).__name__})")
        name = ""
    name = clean_header(name).replace("/", "_").replace("\\", "_")
    return name[:255]


# ----------------------------------------------------------------------------- HTML


class _HtmlText(HTMLParser):
    """HTML -> plain text. Nothing is fetched or run: script/style/head content is
    dropped, block elements end lines, ``<br>`` breaks them, list items get "- ", a link
    keeps its target as text ("label (https://…)"), blockquotes become "> " lines (so the
    quote trimming sees them)."""

    _SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "object", "iframe"})
    _BLOCK = frozenset(
        {
            "p", "div", "table", "tr", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
            "blockquote", "pre", "hr", "section", "article", "header", "footer", "address",
            "dl", "dt", "dd", "form", "fieldset", "center", "body", "html", "main", "nav", "figure",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line = ""
        self.skip = 0
        self.quote = 0
        self.pre = 0
        self.links: list[str | None] = []
        self.link_text: list[str] = []

    def _flush(self, blank: bool = False) -> None:
        text = self.line.strip() if not self.pre else self.line.rstrip()
        if text or blank:
            self.lines.append(("> " * self.quote) + text if text else ">" * self.quote if self.quote else "")
        self.line = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip += 1
            return
        if self.skip:
            return
        if tag == "br":
            self._flush(blank=True)
        elif tag in self._BLOCK:
            self._flush()
            if tag == "p" and self.lines and self.lines[-1].strip(">").strip():
                self.lines.append(">" * self.quote if self.quote else "")
            if tag == "blockquote":
                self.quote += 1
            elif tag == "li":
                self.line = "- "
            elif tag == "pre":
                self.pre += 1
            elif tag == "hr":
                self.lines.append("----")
        elif tag in ("td", "th"):
            if self.line.strip():
                self.line += "  "
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
            self.link_text.append(self.line)
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self.line += f"[{alt}]"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            return
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag == "a" and self.links:
            href = (self.links.pop() or "").strip()
            before = self.link_text.pop()
            label = self.line[len(before):].strip() if self.line.startswith(before) else ""
            if href.lower().startswith(("http://", "https://", "mailto:", "tel:")):
                target = href[7:] if href.lower().startswith("mailto:") else href
                if target != label:
                    self.line += f" ({target})" if label else target
        elif tag in self._BLOCK:
            self._flush()
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
            elif tag == "p":
                self.lines.append(">" * self.quote if self.quote else "")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            parts = data.split("\n")
            self.line += parts[0]
            for more in parts[1:]:
                self._flush(blank=True)
                self.line = more
            return
        text = re.sub(r"\s+", " ", data)
        if not self.line.strip() and not self.line.endswith("- "):
            text = text.lstrip()
        self.line += text

    def text(self) -> str:
        self._flush()
        out = "\n".join(self.lines)
        out = re.sub(r"\n{3,}", "\n\n", out)
        return out.strip("\n")


def html_to_text(html: str) -> str:
    """Plain text of an HTML mail body (see :class:`_HtmlText`); never raises."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; this is belt and braces
        return re.sub(r"<[^>]*>", " ", html)
    return parser.text()


# ----------------------------------------------------------------------------- quoted history

_ATTRIBUTION = re.compile(
    r"^(on\b.{0,300}\bwrote|am\b.{0,300}\bschrieb|le\b.{0,300}\ba écrit"
    r"|.{0,300}\b(пишет|пише|написал|написала|написав))\s*:\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^(on|am|le)\b.{0,200}$", re.IGNORECASE)
_OUTLOOK = re.compile(
    r"^\s*(-{2,}\s*(original message|исходное сообщение|вихідне повідомлення|ursprüngliche nachricht)\s*-{2,}"
    r"|_{20,})\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*(from|от|від|von)\s*:\s*\S", re.IGNORECASE)


def trim_quoted(text: str) -> tuple[str, bool]:
    """(the text without the quoted history of a reply, whether anything was cut).

    Cut: from an attribution line ("On Mon, 1 Jan 2026 Olena <o@x> wrote:", also split
    over two lines, and its Russian/Ukrainian/German/French forms) when only quoted
    (``>``) or blank lines follow it; from Outlook's "-----Original Message-----" or a
    line of underscores followed by "From:"; and a block of ``>`` lines at the end.
    Quoted lines between the customer's own lines (an answer written into the quote)
    stay. When cutting would leave nothing, the text is kept whole."""
    lines = text.split("\n")
    cut: int | None = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if _OUTLOOK.match(stripped):
            rest = [x for x in lines[i + 1 : i + 4] if x.strip()]
            if "original" in stripped.lower() or "исход" in stripped.lower() or "вихід" in stripped.lower() or (
                rest and _OUTLOOK_FROM.match(rest[0])
            ):
                cut = i
                break
        attribution = bool(_ATTRIBUTION.match(stripped))
        start = i
        if not attribution and i + 1 < len(lines) and _ATTRIBUTION_START.match(stripped):
            joined = f"{stripped} {lines[i + 1].strip()}"
            if _ATTRIBUTION.match(joined):
                attribution, i = True, i + 1
        if attribution:
            after = [x for x in lines[i + 1 :] if x.strip()]
            if all(x.lstrip().startswith(">") for x in after):
                cut = start
                break
    if cut is None:
        end = len(lines)
        while end > 0 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
            end -= 1
        if any(x.lstrip().startswith(">") for x in lines[end:]):
            cut = end
    if cut is None:
        return text, False
    kept = "\n".join(lines[:cut]).rstrip()
    if not kept.strip():
        return text, False
    return kept, True


# ----------------------------------------------------------------------------- automatic mail

_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|autoreply|auto:|out of (the )?office|abwesenheitsnotiz"
    r"|автоматический ответ|автоответ|автоматична відповідь|автовідповідь|delivery status notification"
    r"|undeliverable|undelivered mail|mail delivery (failed|failure)|returned mail)",
    re.IGNORECASE,
)


def auto_reply_reason(msg: Message, from_address: str, problems: list[str]) -> str:
    """Why this mail was sent by a machine ("" for a person's mail): RFC 3834
    ``Auto-Submitted`` other than ``no``; ``Precedence: bulk/junk/list/auto_reply``;
    ``X-Autoreply``/``X-Autorespond``; a bounce (empty ``Return-Path``, a
    ``multipart/report``, MAILER-DAEMON); an out-of-office subject."""
    auto = _header(msg, "Auto-Submitted", problems).lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    precedence = _header(msg, "Precedence", problems).lower().strip()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if _raw_header(msg, name) is not None:
            return f"{name} header"
    if _raw_header(msg, "Return-Path") is not None and _header(msg, "Return-Path", problems).strip() in ("<>", ""):
        return "bounce (empty Return-Path)"
    if msg.get_content_type() == "multipart/report":
        return "delivery report"
    local = from_address.split("@")[0].lower()
    if local in ("mailer-daemon", "postmaster"):
        return f"bounce (from {local})"
    subject = _header(msg, "Subject", problems)
    if _AUTO_SUBJECT.match(subject):
        return f"automatic subject {subject[:60]!r}"
    return ""


# ----------------------------------------------------------------------------- parse


def parse_mail(raw: bytes) -> ParsedMail:
    """One mail as the hub stores it; never raises (problems are listed)."""
    problems: list[str] = []
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    for defect in msg.defects:
        problems.append(f"headers: {type(defect).__name__}")
    ids = message_ids(_header(msg, "Message-ID", problems))
    message_id = ids[0] if ids else ""
    refs: list[str] = []
    for ref in message_ids(_header(msg, "References", problems)) + message_ids(
        _header(msg, "In-Reply-To", problems)
    ):
        if ref not in refs and ref != message_id:
            refs.append(ref)
    subject = _header(msg, "Subject", problems)[:SUBJECT_MAX]
    address, name = _sender(msg, problems)

    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for path, part in _walk(msg):
        ctype = part.get_content_type()
        if _is_attachment(part) or not part.get_content_maintype() == "text":
            if ctype.startswith("multipart/"):
                continue
            fname = _filename(part, problems)
            inline = (part.get("Content-Disposition") or "").lower().startswith("inline")
            unnamed_inline = not fname and bool(inline or part.get("Content-ID"))
            if unnamed_inline and part.get_content_maintype() != "image":
                continue  # an inline part without a name that is not a picture
            try:
                payload = part.get_payload(decode=True)
                data = payload if isinstance(payload, bytes) else b""
            except Exception:
                problems.append(f"part {path}: attachment could not be decoded")
                data = b""
            if unnamed_inline:  # a picture in the body (a screenshot pasted, a logo): kept, not listed
                ext = {"jpeg": "jpg"}.get(part.get_content_subtype(), part.get_content_subtype())
                fname = f"image-{path}.{ext}"[:255]
            attachments.append(
                Attachment(fname or f"part-{path}", ctype, len(data), path, inline or unnamed_inline, data,
                           named=not unnamed_inline)
            )
            continue
        if ctype == "text/plain":
            plain.append(decode_part(part, problems, f"part {path}"))
        elif ctype == "text/html":
            html.append(decode_part(part, problems, f"part {path}"))
        else:  # text/calendar, text/csv ... without a file name: listed like a file
            try:
                payload = part.get_payload(decode=True)
                data = payload if isinstance(payload, bytes) else b""
            except Exception:
                data = b""
            attachments.append(
                Attachment(f"part-{path}.{part.get_content_subtype()}", ctype, len(data), path, data=data)
            )
    html_only = False
    if plain:
        body = "\n\n".join(p.strip("\n") for p in plain)
    elif html:
        html_only = True
        body = "\n\n".join(html_to_text(h) for h in html)
    else:
        body = ""
    body = "\n".join(line.rstrip() for line in body.split("\n")).strip()
    shown, trimmed = trim_quoted(body)
    if trimmed:
        shown = f"{shown}\n\n{QUOTE_NOTE}"
    lines = [shown] if shown.strip() else []
    lines += [f"[attachment: {a.name}]" for a in attachments if a.named]
    return ParsedMail(
        message_id=message_id,
        refs=tuple(refs),
        subject=subject,
        from_address=address,
        from_name=name[:200],
        text="\n".join(lines),
        full_text=body,
        trimmed=trimmed,
        attachments=tuple(attachments),
        auto_reply=auto_reply_reason(msg, address, problems),
        html_only=html_only,
        problems=list(dict.fromkeys(problems)),
        shown=shown if shown.strip() else "",
    )


def mail_key(message_id: str, fallback: str) -> str:
    """The channel key of a mail (``InboundMessage.key``, at most 64 characters): its
    Message-ID hashed (the same mail fetched again, or delivered into the mailbox twice,
    is stored once), else ``fallback`` (the mailbox's UIDVALIDITY and UID)."""
    if message_id:
        return "mid:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()[:56]
    return f"uid:{fallback}"[:64]


# ----------------------------------------------------------------------------- replies


def reply_subject(subject: str) -> str:
    """"Re: " + the subject, without stacking "Re: Re:"."""
    subject = clean_header(subject)
    if re.match(r"^\s*(re|aw|ответ|відп)\s*:", subject, re.IGNORECASE):
        return subject[:SUBJECT_MAX]
    return f"Re: {subject}"[:SUBJECT_MAX] if subject else "Re: your message"


def references(refs: list[str]) -> list[str]:
    """A References chain bounded to :data:`REFS_MAX` ids: the first (the thread's root)
    and the newest ones, as RFC 5322 suggests for long threads."""
    unique: list[str] = []
    for r in refs:
        if r and r not in unique:
            unique.append(r)
    if len(unique) <= REFS_MAX:
        return unique
    return [unique[0], *unique[-(REFS_MAX - 1) :]]


def new_message_id(domain: str, seed: str) -> str:
    """A Message-ID (without brackets) for a reply: unique, the sender's domain."""
    return email.utils.make_msgid(idstring=f"frontline.{seed}", domain=domain or "frontline.invalid").strip("<>")


def build_reply(
    *,
    from_address: str,
    from_name: str,
    to: str,
    subject: str,
    text: str,
    message_id: str,
    in_reply_to: str = "",
    refs: list[str] | None = None,
    date: datetime | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> EmailMessage:
    """An operator reply as a mail: text/plain UTF-8; with ``attachments`` (name, type,
    bytes) multipart/mixed, the text part first, then each file as an attachment."""
    msg = EmailMessage(policy=policy.SMTP)
    local, _, domain = from_address.partition("@")
    msg["From"] = Address(display_name=from_name, username=local, domain=domain)
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(date or datetime.now(UTC))
    msg["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    chain = references(refs or [])
    if chain:
        msg["References"] = " ".join(f"<{r}>" for r in chain)
    # our replies are written by people, but out-of-office robots need not answer them
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    msg.set_content(text if text.endswith("\n") else text + "\n", charset="utf-8")
    for name, mime, data in attachments or []:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
    return msg
