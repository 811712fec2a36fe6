"""The bot first line's records (app/hub/kb_bot.py): the per-line switch, the offer made
in a web conversation, what the customer made of it, and the counts for the stats.

Same rules as :mod:`app.storage.repo`: every public method is one transaction and writes
a change with its events. The operator-facing notes are internal system messages
(author ``system``, sender ``sys:kbbot``), so every operator client shows them in the
conversation like the channel notes, and the customer never sees them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from app.domain.errors import NotFound
from app.protocol.messages import ConversationInfo, MessageInfo, OperatorEvent
from app.storage.models import Conversation, KbBotOffer, Message, Operator, Queue
from app.storage.repo import ACTIVE, Outcome, Store, _emit, _Loader, utcnow

SYSTEM_SENDER = "sys:kbbot"
Decision = Literal["helped", "handed_over"]


@dataclass(frozen=True)
class BotTarget:
    """A conversation the bot may answer: its customer and the first message's text."""

    conversation_id: int
    customer_id: int
    text: str


@dataclass(frozen=True)
class BotStats:
    offered: int  # conversations the bot made an offer in
    helped: int  # ... that the customer closed with "This helped"
    handed_over: int  # ... where the customer asked for a person or wrote again
    conversations: int  # web conversations started in the same period
    # ... "This helped" after an operator had already replied: not answered by the bot
    helped_after_reply: int = 0

    @property
    def pending(self) -> int:
        return self.offered - self.helped - self.handed_over - self.helped_after_reply

    @property
    def answered_share(self) -> float:
        """The share of web conversations answered by the bot."""
        return self.helped / self.conversations if self.conversations else 0.0

    @property
    def helped_share(self) -> float:
        """The share of offers the customer said helped."""
        return (self.helped + self.helped_after_reply) / self.offered if self.offered else 0.0


class KbBotStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    # ------------------------------------------------------------------ the switch

    def set_queue(self, name: str, on: bool) -> Outcome[bool]:
        """Switch the bot first line on or off for the line ``name``."""
        events: list[OperatorEvent] = []
        with self._store._sessions.begin() as s:
            q = s.scalars(select(Queue).where(Queue.name == " ".join(name.split()).lower())).first()
            if q is None:
                raise ValueError(f"no line named {name!r}")
            if q.bot_first_line != on:
                q.bot_first_line = on
                s.flush()
                self._store._emit_queues(s, events)
        return Outcome(on, events)

    # ------------------------------------------------------------------ the offer

    def target(self, conversation_id: int, *, no_queue_default: bool) -> BotTarget | None:
        """The conversation when the bot should look at it: an active web conversation
        whose line has the bot on (``no_queue_default`` for a hub without lines), with
        exactly one customer message and nothing else (no operator answer yet) and no
        offer made; else None."""
        with self._store._sessions() as s:
            c = s.get(Conversation, conversation_id)
            if c is None or c.channel != "web" or c.status not in ACTIVE:
                return None
            if not self._bot_on(s, c, no_queue_default):
                return None
            if s.get(KbBotOffer, conversation_id) is not None:
                return None
            rows = list(
                s.execute(
                    select(Message.author, Message.text)
                    .where(Message.conversation_id == conversation_id, Message.internal.is_(False))
                    .order_by(Message.id)
                    .limit(2)
                )
            )
            if len(rows) != 1 or rows[0].author != "customer" or not rows[0].text.strip():
                return None
            return BotTarget(c.id, c.customer_id, rows[0].text)

    @staticmethod
    def _bot_on(s: OrmSession, c: Conversation, no_queue_default: bool) -> bool:
        if c.queue_id is not None:
            q = s.get(Queue, c.queue_id)
            return bool(q is not None and q.bot_first_line)
        has_queues = s.scalars(select(Queue.id).limit(1)).first() is not None
        return not has_queues and no_queue_default

    def offer(
        self, conversation_id: int, article_id: str, title: str, lang: str, score: float
    ) -> Outcome[bool]:
        """Record the offer and tell the operators (an internal system note). False (no
        change) when the conversation moved on meanwhile: a second message, an operator's
        answer, resolved, or an offer already made."""
        events: list[OperatorEvent] = []
        with self._store._sessions.begin() as s:
            c = s.get(Conversation, conversation_id)
            if c is None or c.status not in ACTIVE or s.get(KbBotOffer, conversation_id) is not None:
                return Outcome(False)
            shown = int(
                s.scalar(
                    select(func.count())
                    .select_from(Message)
                    .where(Message.conversation_id == conversation_id, Message.internal.is_(False))
                )
                or 0
            )
            if shown != 1:
                return Outcome(False)
            now = utcnow()
            s.add(
                KbBotOffer(
                    conversation_id=conversation_id,
                    article_id=article_id,
                    title=title[:300],
                    lang=lang,
                    score=score,
                    outcome="offered",
                    offered_at=now,
                )
            )
            self._note(s, events, c, f"Bot offered: {title} ({article_id})", "offer", now)
        return Outcome(True, events)

    def pending(self, conversation_id: int) -> KbBotOffer | None:
        """The offer in this conversation the customer has not answered yet."""
        with self._store._sessions() as s:
            row = s.get(KbBotOffer, conversation_id)
            return row if row is not None and row.outcome == "offered" else None

    def decide(self, conversation_id: int, decision: Decision) -> Outcome[tuple[Decision, ConversationInfo | None]]:
        """The customer's answer: ``helped`` resolves the conversation as answered by the
        bot, ``handed_over`` leaves it with the team; both with a note for operators.
        ``helped`` after an operator has replied leaves it open (the stats count it
        apart: not answered by the bot). Answering again changes nothing and gives the
        first answer."""
        events: list[OperatorEvent] = []
        with self._store._sessions.begin() as s:
            offer = s.get(KbBotOffer, conversation_id)
            if offer is None:
                raise NotFound(f"no bot offer in conversation {conversation_id}")
            if offer.outcome != "offered":
                return Outcome((offer.outcome, None))  # type: ignore[arg-type]
            c = s.get(Conversation, conversation_id)
            assert c is not None
            now = utcnow()
            offer.decided_at = now
            info = None
            answered = (
                s.scalar(
                    select(func.count())
                    .select_from(Message)
                    .where(
                        Message.conversation_id == conversation_id,
                        Message.author == "operator",
                        Message.internal.is_(False),
                    )
                )
                or 0
            )
            if decision == "helped" and answered:
                # an operator has written to the customer meanwhile: closing the
                # conversation under them would cut their answer short
                offer.outcome = decision
                self._note(s, events, c, f"The customer said the bot's article helped ({offer.article_id}); "
                           "an operator has replied, so the conversation stays open", "helped", now)
            elif decision == "helped":
                offer.outcome = decision
                self._note(s, events, c, f"The customer said the bot's article helped ({offer.article_id}): "
                           "resolved by the bot", "helped", now)
                if c.status in ACTIVE:
                    previous = c.assignee_id if c.status == "open" else None
                    c.status = "resolved"
                    c.updated_at = now
                    c.waiting_since = None
                    c.offered_to = None
                    c.offer_expires_at = None
                    s.flush()
                    load = _Loader(s)
                    info = load.conversation(c)
                    _emit(s, events, "conversation_updated", info)
                    prev_op = s.get(Operator, previous) if previous is not None else None
                    if prev_op is not None:
                        _emit(s, events, "operator_updated", load.operator(prev_op))
            else:
                offer.outcome = decision
                self._note(s, events, c, "The customer wants a person: the bot's article did not answer", "handed", now)
        return Outcome((decision, info), events)

    @staticmethod
    def _note(
        s: OrmSession, events: list[OperatorEvent], c: Conversation, text: str, what: str, now: datetime
    ) -> None:
        note = Message(
            conversation_id=c.id,
            author="system",
            operator_id=None,
            sender_key=SYSTEM_SENDER,
            text=text[:2000],
            created_at=now,
            txn_id=f"{what}:{c.id}",
            internal=True,
        )
        s.add(note)
        s.flush()
        info: MessageInfo = _Loader(s).message(note, c.customer_id)
        _emit(s, events, "message_created", info)

    # ------------------------------------------------------------------ stats

    def stats(self, since: datetime | None = None) -> BotStats:
        """Offers and their outcomes, and the web conversations started, since ``since``
        (default: all time)."""
        with self._store._sessions() as s:
            q = select(KbBotOffer.outcome, func.count()).group_by(KbBotOffer.outcome)
            convs = select(func.count()).select_from(Conversation).where(Conversation.channel == "web")
            if since is not None:
                q = q.where(KbBotOffer.offered_at >= since)
                convs = convs.where(Conversation.created_at >= since)
            counts = {outcome: int(n) for outcome, n in s.execute(q)}
            replied = (
                select(Message.id)
                .where(
                    Message.conversation_id == KbBotOffer.conversation_id,
                    Message.author == "operator",
                    Message.internal.is_(False),
                    Message.created_at <= KbBotOffer.decided_at,
                )
                .exists()
            )
            late_q = select(func.count()).select_from(KbBotOffer).where(KbBotOffer.outcome == "helped", replied)
            if since is not None:
                late_q = late_q.where(KbBotOffer.offered_at >= since)
            late = int(s.scalar(late_q) or 0)
            return BotStats(
                offered=sum(counts.values()),
                helped=counts.get("helped", 0) - late,
                handed_over=counts.get("handed_over", 0),
                conversations=int(s.scalar(convs) or 0),
                helped_after_reply=late,
            )
