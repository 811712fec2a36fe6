"""What every channel adapter hands the hub and gets from it, as plain values (no I/O).

A channel (Telegram, WhatsApp, e-mail) turns what it receives into an
:class:`InboundMessage` (who wrote, where to answer them, what they wrote, which files came
with it) and delivers an :class:`OutboundMessage` (an operator reply, made from the stored
message). The hub stores the first and queues the second; docs/architecture.md,
"Channels", says why.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

FileKind = Literal["photo", "document"]

# The channels with an adapter on the hub (``frontline-hub channel add KIND``).
ADAPTER_KINDS = ("telegram", "whatsapp", "email")
CHANNEL_STATES = ("stopped", "starting", "up", "retrying", "down")

# Texts are stored verbatim; a channel message that is only a file gets a text that says
# what it was, so that the inbox and the history show something readable.
NAME_MAX = 200
LABEL_MAX = 200


@dataclass(frozen=True)
class FileRef:
    """A file by reference: the channel keeps the bytes (Telegram: ``file_id``)."""

    kind: FileKind
    ref: str
    unique_ref: str = ""
    name: str = ""
    mime: str = ""
    size: int | None = None


@dataclass(frozen=True)
class MailThread:
    """E-mail only: what threads a mail (its Message-ID, the ids it answers from
    In-Reply-To and References, oldest first), its subject, the whole text when quoted
    history was trimmed from ``InboundMessage.text``, and where the original mail is
    (``<folder>/<uidvalidity>/<uid>`` on the IMAP server)."""

    message_id: str
    refs: tuple[str, ...] = ()
    subject: str = ""
    full_text: str = ""
    source: str = ""


@dataclass(frozen=True)
class InboundMessage:
    """One customer message as a channel received it.

    ``external_id``: who wrote, stable for this channel (Telegram: the user id); the hub
    keeps only its hash as the identity. ``address``: where replies go (Telegram: the chat
    id). ``key``: unique per message on this channel (Telegram: ``<chat id>:<message_id>``),
    so a message received twice (a webhook retried, getUpdates after a restart) is stored
    once. ``name``/``label``/``locale`` describe the customer for a new card (``label`` is
    what operators see of the identity, e.g. ``@username``). ``phone``: the sender's
    number in E.164 when the channel is a phone number (WhatsApp); the hub puts it on the
    card, so a card with the same number elsewhere gets a merge proposal. ``email``: the sender's
    address (normalised as the card stores it) when the channel is e-mail; the hub puts
    it on the card, so a card with the same address gets a merge proposal. ``thread``:
    e-mail threading (a reply lands in the conversation it answers)."""

    channel: str
    external_id: str
    address: str
    key: str
    text: str
    files: tuple[FileRef, ...] = ()
    name: str = ""
    label: str = ""
    locale: str = ""
    # the text the customer wrote with the files (also in ``text``, after the file lines)
    caption: str = ""
    # hub files (app/storage/files.py) the adapter fetched and kept: attached to the message
    attachments: tuple[int, ...] = ()
    phone: str = ""
    email: str = ""
    thread: MailThread | None = None


@dataclass(frozen=True)
class OutboundMessage:
    """An operator reply on its way out (one ``channel_outbox`` row)."""

    outbox_id: int
    conversation_id: int
    message_id: int
    address: str
    text: str
    files: tuple[FileRef, ...] = ()
    attempts: int = 0
    # hub files of the reply (app.storage.files.OutboundFile: name, mime, size, path)
    attachments: tuple[Any, ...] = ()
    # WhatsApp: {"name", "language", "params"} of an approved template sent instead of the
    # text (which holds the rendered template); None: the text
    template: Mapping[str, Any] | None = None


def identity_hash(channel: str, external_id: str) -> str:
    """What ``customer_identities.external_id_hash`` holds for a channel identity."""
    return hashlib.sha256(f"{channel}:{external_id}".encode()).hexdigest()


def file_text(files: tuple[FileRef, ...], caption: str) -> str:
    """The stored text of a message with files: ``[photo]`` / ``[document: name]`` lines,
    then the caption: what is stored when the files are not fetched into hub storage
    (an adapter without ``keep_file``); the references are kept in ``message_files``."""
    lines = []
    for f in files:
        if f.kind == "photo":
            lines.append("[photo]")
        else:
            lines.append(f"[document: {f.name}]" if f.name else "[document]")
    if caption.strip():
        lines.append(caption)
    return "\n".join(lines)


def backoff_delay(attempt: int, base_s: float, max_s: float, rng: random.Random | None = None) -> float:
    """The wait before retry number ``attempt`` (0 for the first): base·2^attempt capped at
    ``max_s``, times a random factor in [0.5, 1.5) so that many hubs do not retry at once."""
    delay: float = min(max_s, base_s * float(2 ** min(attempt, 30)))
    factor: float = 0.5 + (rng or random).random()
    return delay * factor


def inbound_text(text: str, max_chars: int) -> str:
    """A channel message's text as stored: trimmed; a message with nothing to show says
    so (never dropped); one longer than the hub's limit is cut with ``…`` (channels have
    limits of their own, Telegram's 4096 characters are well below the hub's 8000)."""
    cleaned = text.strip()
    if not cleaned:
        return "[empty message]"
    if len(cleaned) > max_chars:
        return cleaned[: max_chars - 1] + "…"
    return cleaned


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, cut at a line break or a space
    where there is one in the second half of a part (a channel's size limit)."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n", limit // 2, limit), rest.rfind(" ", limit // 2, limit))
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts
