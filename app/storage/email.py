"""E-mail threading on the hub's database (table ``email_messages``, migration 0010_email).

Every mail that came in and every reply the hub sent through an e-mail channel leaves its
Message-ID here, with its conversation. The functions that take an ``OrmSession`` run
inside the caller's transaction (``ChannelStore.receive``: the thread look-up, the stored
message and its Message-ID are one transaction); :class:`EmailStore` methods are one
transaction each, like every repository.

Threading rule (docs/architecture.md, "Channels"): a customer's mail whose In-Reply-To or
References name a Message-ID of an *active* conversation of the same customer on that
channel goes into that conversation; otherwise the usual channel rule applies (the
customer's active conversation on the channel, else a new one).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from app.domain.channels import MailThread
from app.domain.mail import new_message_id, references, reply_subject
from app.storage.models import Conversation, CustomerEmail, EmailMessage
from app.storage.repo import ACTIVE, Store, utcnow

NO_ID_PREFIX = "noid."  # a mail without a Message-ID is recorded under its channel key


@dataclass(frozen=True)
class ReplyThread:
    """How an operator reply is written as a mail: its Message-ID (made once, before the
    first try, and kept for retries), Subject, In-Reply-To and References."""

    message_id: str
    subject: str
    in_reply_to: str
    references: list[str]


def find_thread(s: OrmSession, channel: str, customer_id: int, refs: tuple[str, ...]) -> int | None:
    """The active conversation of ``customer_id`` on ``channel`` that one of ``refs``
    (Message-IDs, oldest first) belongs to; the newest reference wins."""
    wanted = [r for r in refs if r][-100:]
    if not wanted:
        return None
    rows = s.execute(
        select(EmailMessage.header_id, EmailMessage.conversation_id)
        .join(Conversation, Conversation.id == EmailMessage.conversation_id)
        .where(
            EmailMessage.channel == channel,
            EmailMessage.header_id.in_(wanted),
            Conversation.customer_id == customer_id,
            Conversation.channel == channel,
            Conversation.status.in_(ACTIVE),
        )
    ).all()
    found = {r.header_id: int(r.conversation_id) for r in rows}
    for ref in reversed(wanted):
        if ref in found:
            return found[ref]
    return None


def record_inbound(
    s: OrmSession, channel: str, conversation_id: int, message_id: int, key: str, thread: MailThread
) -> None:
    header = thread.message_id or f"{NO_ID_PREFIX}{key}"
    have = s.scalar(select(EmailMessage.id).where(EmailMessage.channel == channel, EmailMessage.header_id == header))
    if have is not None:  # the same Message-ID on another mail (a broken sender): keep the first
        return
    s.add(
        EmailMessage(
            channel=channel,
            conversation_id=conversation_id,
            message_id=message_id,
            direction="in",
            header_id=header[:255],
            subject=thread.subject[:255],
            refs=" ".join(references(list(thread.refs))),
            full_text=thread.full_text,
            source=thread.source[:255],
            created_at=utcnow(),
        )
    )


def has_email(s: OrmSession, customer_id: int, address: str) -> bool:
    found = s.scalar(
        select(CustomerEmail.id).where(CustomerEmail.customer_id == customer_id, CustomerEmail.address == address)
    )
    return found is not None


class EmailStore:
    """The e-mail adapter's reads and writes (one transaction each)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def _sessions(self) -> sessionmaker[OrmSession]:
        return self.store._sessions

    def reply_thread(
        self, channel: str, conversation_id: int, message_id: int, domain: str, default_subject: str
    ) -> ReplyThread:
        """The headers of the mail for operator message ``message_id``: the Message-ID
        made and recorded on the first call (the same on every retry), "Re: " + the subject
        of the mail it answers, In-Reply-To that mail (the conversation's newest mail from
        the customer, else our newest), References its chain plus it."""
        with self._sessions.begin() as s:
            mine = s.scalars(
                select(EmailMessage).where(EmailMessage.message_id == message_id, EmailMessage.direction == "out")
            ).first()
            parent = s.scalars(
                select(EmailMessage)
                .where(
                    EmailMessage.conversation_id == conversation_id,
                    EmailMessage.direction == "in",
                    EmailMessage.id < (mine.id if mine is not None else 2**62),
                )
                .order_by(EmailMessage.id.desc())
                .limit(1)
            ).first()
            if parent is None:
                parent = s.scalars(
                    select(EmailMessage)
                    .where(
                        EmailMessage.conversation_id == conversation_id,
                        EmailMessage.id < (mine.id if mine is not None else 2**62),
                    )
                    .order_by(EmailMessage.id.desc())
                    .limit(1)
                ).first()
            if parent is not None:
                subject = reply_subject(parent.subject) if parent.subject else default_subject
                has_id = not parent.header_id.startswith(NO_ID_PREFIX)
                in_reply_to = parent.header_id if has_id else ""
                chain = [*parent.refs.split(), *([parent.header_id] if has_id else [])]
            else:  # an operator writing first: a new thread
                subject, in_reply_to, chain = default_subject, "", []
            if mine is None:
                mine = EmailMessage(
                    channel=channel,
                    conversation_id=conversation_id,
                    message_id=message_id,
                    direction="out",
                    header_id=new_message_id(domain, str(message_id)),
                    subject=subject[:255],
                    refs=" ".join(references([*chain])),
                    created_at=utcnow(),
                )
                s.add(mine)
                s.flush()
            return ReplyThread(mine.header_id, mine.subject, in_reply_to, references(chain))

    def messages(self, conversation_id: int) -> list[tuple[str, str, str]]:
        """(direction, Message-ID, subject) of a conversation's mails, oldest first."""
        with self._sessions() as s:
            rows = s.execute(
                select(EmailMessage.direction, EmailMessage.header_id, EmailMessage.subject)
                .where(EmailMessage.conversation_id == conversation_id)
                .order_by(EmailMessage.id)
            )
            return [(r.direction, r.header_id, r.subject) for r in rows]

    def full_text(self, message_id: int) -> str:
        """The whole text of an inbound mail whose shown text was trimmed ("" if it was not)."""
        with self._sessions() as s:
            return s.scalar(select(EmailMessage.full_text).where(EmailMessage.message_id == message_id)) or ""
