"""The customer timeline on the hub: everything that happened with a customer, of every
kind, newest first, keyset-paged (docs/architecture.md "The customer timeline").

Each kind is a :class:`TimelineSource`: it knows how to list the (at, id) keys of its
entries older than a cursor, newest first and at most ``n`` (one indexed query), and how
to turn chosen ids into :class:`TimelineEntry` values. A page asks every source for
``limit + 1`` keys, merges them by (at, kind, id), keeps ``limit`` and loads only those.
A later kind (calls, callbacks, survey answers) is one more source in ``SOURCES``.

Also the notes written on the customer card (``customer_notes``): add and edit, with
their ``timeline_entry_saved`` event in the same transaction.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, func, literal_column, or_, select, true
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from app.domain.errors import Conflict, Forbidden, InvalidValue, NotFound
from app.domain.text import clean_text
from app.protocol.messages import (
    NOTE_MAX_CHARS,
    MergeInfo,
    OperatorEvent,
    TimelineCursor,
    TimelineEntry,
    TimelineEntrySaved,
)
from app.storage.models import Conversation, Customer, CustomerMerge, CustomerNote, Message
from app.storage.repo import Outcome, Store, _emit_frame, _Loader, utcnow

PAGE_MAX = 50
Key = tuple[datetime, int]  # (at, id) of one entry
EDITORS = ("supervisor", "admin")  # may change anyone's note on a card


def _older(at_col: Any, id_col: Any, kind: str, before: TimelineCursor | None) -> Any:
    """The SQL condition "(at, kind, id) < before" for the rows of one kind: entries are
    ordered newest first by that triple, so within a kind it is a plain keyset on
    (at, id), and across kinds the kind names break ties of equal times."""
    if before is None:
        return true()
    if kind < before.kind:
        return at_col <= before.at
    if kind > before.kind:
        return at_col < before.at
    return or_(at_col < before.at, and_(at_col == before.at, id_col < before.id))


class TimelineSource(Protocol):
    """One kind of timeline entry (the extension point for calls, callbacks, surveys)."""

    kind: str

    def keys(self, s: OrmSession, customer_id: int, before: TimelineCursor | None, n: int) -> list[Key]:
        """At most ``n`` (at, id) of this kind older than ``before``, newest first."""
        ...

    def load(self, s: OrmSession, loader: _Loader, customer_id: int, ids: Sequence[int]) -> dict[int, TimelineEntry]:
        """The entries of these ids (of ``customer_id``'s timeline)."""
        ...


class _Conversations:
    kind = "conversation"

    def keys(self, s: OrmSession, customer_id: int, before: TimelineCursor | None, n: int) -> list[Key]:
        q = (
            select(Conversation.created_at, Conversation.id)
            .where(
                Conversation.customer_id == customer_id,
                _older(Conversation.created_at, Conversation.id, self.kind, before),
            )
            .order_by(Conversation.created_at.desc(), Conversation.id.desc())
            .limit(n)
        )
        return [(at, i) for at, i in s.execute(q)]

    def load(self, s: OrmSession, loader: _Loader, customer_id: int, ids: Sequence[int]) -> dict[int, TimelineEntry]:
        convs = list(s.scalars(select(Conversation).where(Conversation.id.in_(ids))))
        last_ids: dict[int, int] = {
            cid: mid
            for cid, mid in s.execute(
                select(Message.conversation_id, func.max(Message.id))
                .where(Message.conversation_id.in_(ids))
                .group_by(Message.conversation_id)
            )
        }
        last = {m.id: m for m in s.scalars(select(Message).where(Message.id.in_(list(last_ids.values()))))}
        out = {}
        for c in convs:
            info = loader.conversation(c, last.get(last_ids.get(c.id, 0)))
            out[c.id] = TimelineEntry(kind=self.kind, id=c.id, at=c.created_at, conversation_id=c.id, conversation=info)
        return out


def _operator_notes() -> Any:
    """Operators' internal notes (the terms of the partial index ix_messages_operator_notes)."""
    return and_(Message.internal == true(), Message.author == literal_column("'operator'"))


class _ConversationNotes:
    kind = "note"

    def keys(self, s: OrmSession, customer_id: int, before: TimelineCursor | None, n: int) -> list[Key]:
        q = (
            select(Message.created_at, Message.id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Conversation.customer_id == customer_id,
                _operator_notes(),
                _older(Message.created_at, Message.id, self.kind, before),
            )
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(n)
        )
        return [(at, i) for at, i in s.execute(q)]

    def load(self, s: OrmSession, loader: _Loader, customer_id: int, ids: Sequence[int]) -> dict[int, TimelineEntry]:
        notes = list(s.scalars(select(Message).where(Message.id.in_(ids))))
        convs = {
            c.id: loader.conversation(c, None)  # to open it in a click (its last message left out)
            for c in s.scalars(select(Conversation).where(Conversation.id.in_({m.conversation_id for m in notes})))
        }
        out = {}
        for m in notes:
            entry = note_entry(m, loader.op_name(m.operator_id))
            entry.conversation = convs.get(m.conversation_id)
            out[m.id] = entry
        return out


def note_entry(m: Message, author_name: str) -> TimelineEntry:
    return TimelineEntry(
        kind="note",
        id=m.id,
        at=m.created_at,
        conversation_id=m.conversation_id,
        text=m.text,
        author_id=m.operator_id,
        author_name=author_name,
    )


class _CustomerNotes:
    kind = "customer_note"

    def keys(self, s: OrmSession, customer_id: int, before: TimelineCursor | None, n: int) -> list[Key]:
        q = (
            select(CustomerNote.created_at, CustomerNote.id)
            .where(
                CustomerNote.customer_id == customer_id,
                _older(CustomerNote.created_at, CustomerNote.id, self.kind, before),
            )
            .order_by(CustomerNote.created_at.desc(), CustomerNote.id.desc())
            .limit(n)
        )
        return [(at, i) for at, i in s.execute(q)]

    def load(self, s: OrmSession, loader: _Loader, customer_id: int, ids: Sequence[int]) -> dict[int, TimelineEntry]:
        return {
            n.id: customer_note_entry(n, loader.op_name(n.operator_id))
            for n in s.scalars(select(CustomerNote).where(CustomerNote.id.in_(ids)))
        }


def customer_note_entry(n: CustomerNote, author_name: str) -> TimelineEntry:
    return TimelineEntry(
        kind="customer_note",
        id=n.id,
        at=n.created_at,
        text=n.text,
        author_id=n.operator_id,
        author_name=author_name,
        edited_at=n.edited_at,
    )


class _Merges:
    kind = "merge"

    def keys(self, s: OrmSession, customer_id: int, before: TimelineCursor | None, n: int) -> list[Key]:
        q = (
            select(CustomerMerge.created_at, CustomerMerge.id)
            .where(
                or_(CustomerMerge.kept_id == customer_id, CustomerMerge.merged_id == customer_id),
                _older(CustomerMerge.created_at, CustomerMerge.id, self.kind, before),
            )
            .order_by(CustomerMerge.created_at.desc(), CustomerMerge.id.desc())
            .limit(n)
        )
        return [(at, i) for at, i in s.execute(q)]

    def load(self, s: OrmSession, loader: _Loader, customer_id: int, ids: Sequence[int]) -> dict[int, TimelineEntry]:
        rows = list(s.scalars(select(CustomerMerge).where(CustomerMerge.id.in_(ids))))
        names: dict[int, str] = {
            cid: name
            for cid, name in s.execute(
                select(Customer.id, Customer.name).where(
                    Customer.id.in_({r.kept_id for r in rows} | {r.merged_id for r in rows})
                )
            )
        }
        out = {}
        for r in rows:
            info = MergeInfo(
                id=r.id,
                kept_id=r.kept_id,
                merged_id=r.merged_id,
                operator_id=r.operator_id,
                created_at=r.created_at,
                undone_at=r.undone_at,
                undone_by=r.undone_by,
            )
            other = r.merged_id if r.kept_id == customer_id else r.kept_id
            out[r.id] = TimelineEntry(
                kind=self.kind,
                id=r.id,
                at=r.created_at,
                merge=info,
                author_id=r.operator_id,
                author_name=loader.op_name(r.operator_id),
                other_id=other,
                other_name=names.get(other, ""),
            )
        return out


# Every kind the timeline lists. A new kind: a class with ``kind``, ``keys`` and ``load``
# here, a TIMELINE_KINDS name in app/protocol/messages.py, and a row look in the card.
SOURCES: tuple[TimelineSource, ...] = (_Conversations(), _ConversationNotes(), _CustomerNotes(), _Merges())


class TimelineStore:
    """The customer timeline's storage. Uses its Store's sessions (and so its transactions)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def _sessions(self) -> sessionmaker[OrmSession]:
        return self.store._sessions

    def page(
        self,
        customer_id: int,
        before: TimelineCursor | None = None,
        limit: int = 20,
        kinds: Iterable[str] = (),
    ) -> tuple[list[TimelineEntry], bool]:
        """A page of the customer's timeline, newest first by (at, kind, id), and whether
        older entries follow. ``kinds`` (empty: all) filters; an unknown kind is an
        InvalidValue. NotFound for an unknown customer."""
        limit = max(1, min(PAGE_MAX, limit))
        wanted = set(kinds)
        known = {src.kind for src in SOURCES}
        if wanted - known:
            raise InvalidValue(f"unknown timeline kind(s): {', '.join(sorted(wanted - known))}")
        sources = [src for src in SOURCES if not wanted or src.kind in wanted]
        with self._sessions.begin() as s:
            if s.get(Customer, customer_id) is None:
                raise NotFound(f"no customer {customer_id}")
            # every source's newest limit+1 keys, merged newest first by (at, kind, id)
            streams = [[(at, src.kind, i) for at, i in src.keys(s, customer_id, before, limit + 1)] for src in sources]
            merged = list(heapq.merge(*streams, reverse=True))
            chosen = merged[:limit]
            loader = _Loader(s)
            by_kind: dict[str, list[int]] = {}
            for _at, kind, i in chosen:
                by_kind.setdefault(kind, []).append(i)
            loaded: dict[tuple[str, int], TimelineEntry] = {}
            for src in sources:
                ids = by_kind.get(src.kind)
                if ids:
                    for i, entry in src.load(s, loader, customer_id, ids).items():
                        loaded[(src.kind, i)] = entry
            page = [loaded[(kind, i)] for _at, kind, i in chosen if (kind, i) in loaded]
            return page, len(merged) > limit

    # ------------------------------------------------------------------ notes on the card

    def save_note(
        self,
        operator_id: int,
        role: str,
        customer_id: int,
        text: str,
        txn_id: str,
        note_id: int | None = None,
    ) -> Outcome[TimelineEntry]:
        """Add a note to the card (``note_id`` None) or change one. The text is trimmed;
        empty or longer than NOTE_MAX_CHARS is refused (``empty_text``, ``text_too_long``)
        and nothing is written. Only the note's author or a supervisor/admin changes it
        (``forbidden``). A retried add (same operator and txn_id) returns the stored note.
        Each change writes a ``timeline_entry_saved`` event."""
        cleaned = clean_text(text, max_chars=NOTE_MAX_CHARS)
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            loader = _Loader(s)
            if note_id is None:
                done = s.scalars(
                    select(CustomerNote).where(CustomerNote.operator_id == operator_id, CustomerNote.txn_id == txn_id)
                ).first()
                if done is not None:
                    if done.customer_id != customer_id:
                        raise Conflict("this txn_id was already used for a note on another customer")
                    return Outcome(customer_note_entry(done, loader.op_name(done.operator_id)))
                c = s.get(Customer, customer_id)
                if c is None:
                    raise NotFound(f"no customer {customer_id}")
                if c.merged_into is not None:
                    raise Conflict(f"customer {customer_id} was merged into customer {c.merged_into}: write there")
                note = CustomerNote(
                    customer_id=customer_id, operator_id=operator_id, txn_id=txn_id, text=cleaned, created_at=utcnow()
                )
                s.add(note)
                s.flush()
            else:
                found = s.get(CustomerNote, note_id)
                if found is None or found.customer_id != customer_id:
                    raise NotFound(f"no note {note_id} on customer {customer_id}")
                note = found
                if note.operator_id != operator_id and role not in EDITORS:
                    raise Forbidden("only the note's author or a supervisor may change it")
                if note.text == cleaned:
                    return Outcome(customer_note_entry(note, loader.op_name(note.operator_id)))
                note.text = cleaned
                note.edited_at = utcnow()
                note.edited_by = operator_id
                s.flush()
            entry = customer_note_entry(note, loader.op_name(note.operator_id))
            _emit_frame(s, events, TimelineEntrySaved(seq=0, customer_id=customer_id, entry=entry))
        return Outcome(entry, events)
