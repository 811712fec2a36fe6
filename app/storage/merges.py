"""Identity merge: one person who wrote from two channels (or was typed in twice) ends
on one customer card, and the merge can be undone.

- :meth:`MergeStore.candidates`: customers who share a phone number or an e-mail address
  with a customer (merged ones left out).
- :func:`propose` (called by a card update in the same transaction): a phone or e-mail
  just added that another customer has gives a ``merge_proposed`` event per pair.
- :meth:`MergeStore.merge`: the other card's conversations and channel identities move to
  the kept card; its phones, e-mails, tags and the custom field values the kept card
  lacks are added; where both cards have a different value the operator's
  :class:`MergeChoices` decide. The other card stays in the database, hidden
  (``merged_into``), and everything the merge moved or changed is recorded
  (``customer_merges.record``), with who and when.
- :meth:`MergeStore.unmerge`: moves back what the merge moved and takes back what it
  added; a value of the kept card is restored only where nobody changed it since.

Same rules as :mod:`app.storage.repo`: one transaction per call, the change and its
events together, idempotent per (operator, txn_id).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from app.domain.errors import Conflict, InvalidValue, NotFound
from app.protocol.messages import (
    CustomerProfile,
    CustomersMerged,
    CustomerUpdated,
    MergeCandidate,
    MergeChoices,
    MergeInfo,
    MergeProposed,
    OperatorEvent,
)
from app.storage.customers import _load_profiles, checked_profile, set_field_value
from app.storage.models import (
    Conversation,
    Customer,
    CustomerEmail,
    CustomerFieldValue,
    CustomerIdentity,
    CustomerMerge,
    CustomerNote,
    CustomerPhone,
    CustomerTag,
    CustomField,
)
from app.storage.repo import ACTIVE, Outcome, Store, _emit, _emit_frame, _Loader, utcnow

SCALARS = ("name", "first_name", "last_name", "locale", "notes", "vip")


class _Record(msgspec.Struct):
    """What a merge moved or changed (``customer_merges.record``), for its undo."""

    conversations: list[int] = []
    identities: list[int] = []
    customer_notes: list[int] = []  # notes written on the card (0013); older records: none
    phones_added: list[str] = []
    emails_added: list[str] = []
    tags_added: list[str] = []
    # custom field id -> the kept card's value before the merge ("" : none)
    fields_before: dict[int, str] = {}
    fields_after: dict[int, str] = {}
    # the kept card's own values before and after the merge (SCALARS)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}


def _info(m: CustomerMerge) -> MergeInfo:
    return MergeInfo(
        id=m.id,
        kept_id=m.kept_id,
        merged_id=m.merged_id,
        operator_id=m.operator_id,
        created_at=m.created_at,
        undone_at=m.undone_at,
        undone_by=m.undone_by,
    )


def _shared(s: OrmSession, customer_id: int, phones: Iterable[str], emails: Iterable[str]) -> dict[int, list[str]]:
    """Other (not merged) customers with one of these phones or e-mails, and the reasons."""
    found: dict[int, list[str]] = {}
    for model, column, values, kind in (
        (CustomerPhone, CustomerPhone.e164, phones, "phone"),
        (CustomerEmail, CustomerEmail.address, emails, "email"),
    ):
        wanted = sorted(set(values))
        if not wanted:
            continue
        for cid, value in s.execute(
            select(model.customer_id, column)
            .join(Customer, Customer.id == model.customer_id)
            .where(column.in_(wanted), Customer.id != customer_id, Customer.merged_into.is_(None))
            .order_by(model.customer_id, column)
        ):
            found.setdefault(cid, []).append(f"{kind}:{value}")
    return found


def propose(
    s: OrmSession, events: list[OperatorEvent], customer_id: int, phones: Iterable[str], emails: Iterable[str]
) -> None:
    """In the caller's transaction: a ``merge_proposed`` event for every other customer
    who has one of the phones or e-mails just given to ``customer_id``."""
    for other, reasons in sorted(_shared(s, customer_id, phones, emails).items()):
        _emit_frame(s, events, MergeProposed(seq=0, customer_id=customer_id, candidate_id=other, reasons=reasons))


class MergeStore:
    """Merges of customer cards. Uses its Store's sessions (and so its transactions)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def _sessions(self) -> sessionmaker[OrmSession]:
        return self.store._sessions

    # ------------------------------------------------------------------ reading

    def candidates(self, customer_id: int) -> list[MergeCandidate]:
        """Customers who may be the same person as ``customer_id`` (a shared phone or
        e-mail), most reasons first, then by id."""
        with self._sessions.begin() as s:
            c = s.get(Customer, customer_id)
            if c is None:
                raise NotFound(f"no customer {customer_id}")
            phones = s.scalars(select(CustomerPhone.e164).where(CustomerPhone.customer_id == customer_id))
            emails = s.scalars(select(CustomerEmail.address).where(CustomerEmail.customer_id == customer_id))
            shared = _shared(s, customer_id, list(phones), list(emails))
            profiles = _load_profiles(s, shared)
            return [
                MergeCandidate(customer=profiles[cid], reasons=reasons)
                for cid, reasons in sorted(shared.items(), key=lambda kv: (-len(kv[1]), kv[0]))
                if cid in profiles
            ]

    def merges_of(self, customer_id: int) -> list[MergeInfo]:
        """The merges into or of a customer, newest first (the card's merge history)."""
        with self._sessions() as s:
            rows = s.scalars(
                select(CustomerMerge)
                .where((CustomerMerge.kept_id == customer_id) | (CustomerMerge.merged_id == customer_id))
                .order_by(CustomerMerge.id.desc())
            )
            return [_info(m) for m in rows]

    # ------------------------------------------------------------------ writing

    def merge(
        self, operator_id: int, keep_id: int, merge_id: int, choices: MergeChoices, txn_id: str
    ) -> Outcome[tuple[MergeInfo, CustomerProfile]]:
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            done = s.scalars(
                select(CustomerMerge).where(CustomerMerge.operator_id == operator_id, CustomerMerge.txn_id == txn_id)
            ).first()
            if done is not None:
                if (done.kept_id, done.merged_id) != (keep_id, merge_id):
                    raise Conflict("this txn_id was already used for another merge")
                return Outcome((_info(done), _load_profiles(s, [keep_id])[keep_id]))
            if keep_id == merge_id:
                raise InvalidValue("a customer cannot be merged with itself")
            keep, other = s.get(Customer, keep_id), s.get(Customer, merge_id)
            if keep is None or other is None:
                raise NotFound(f"no customer {keep_id if keep is None else merge_id}")
            for c in (keep, other):
                if c.merged_into is not None:
                    raise Conflict(f"customer {c.id} was merged into customer {c.merged_into} already")
            rec = _Record(before={k: getattr(keep, k) for k in SCALARS})
            now = utcnow()

            # conversations and channel identities move
            rec.conversations = list(s.scalars(select(Conversation.id).where(Conversation.customer_id == merge_id)))
            rec.identities = list(
                s.scalars(select(CustomerIdentity.id).where(CustomerIdentity.customer_id == merge_id))
            )
            s.execute(update(Conversation).where(Conversation.customer_id == merge_id).values(customer_id=keep_id))
            # notes written on the other card join the kept card's timeline
            rec.customer_notes = list(s.scalars(select(CustomerNote.id).where(CustomerNote.customer_id == merge_id)))
            if rec.customer_notes:
                s.execute(update(CustomerNote).where(CustomerNote.customer_id == merge_id).values(customer_id=keep_id))
            s.execute(
                update(CustomerIdentity).where(CustomerIdentity.customer_id == merge_id).values(customer_id=keep_id)
            )
            # phones, e-mails, tags: united (the other card keeps its own rows, for undo)
            rec.phones_added = self._unite(s, CustomerPhone, CustomerPhone.e164, keep_id, merge_id, now)
            rec.emails_added = self._unite(s, CustomerEmail, CustomerEmail.address, keep_id, merge_id, now)
            rec.tags_added = self._unite(s, CustomerTag, CustomerTag.tag, keep_id, merge_id, None)
            # custom fields: what the kept card lacks is taken; where both differ, the choice
            keys = {fid: key for fid, key in s.execute(select(CustomField.id, CustomField.key))}
            mine = self._field_values(s, keep_id)
            for field_id, value in self._field_values(s, merge_id).items():
                current = mine.get(field_id)
                if current == value:
                    continue
                if current is not None and choices.fields.get(keys.get(field_id, ""), "keep") != "merged":
                    continue
                rec.fields_before[field_id] = current or ""
                rec.fields_after[field_id] = value
                set_field_value(s, keep_id, field_id, value)
            # the card's own values
            for key in ("name", "first_name", "last_name", "locale"):
                if getattr(choices, key) == "merged" and getattr(other, key):
                    setattr(keep, key, getattr(other, key))
            if choices.notes == "merged":
                keep.notes = other.notes
            elif choices.notes == "both" and other.notes.strip() and other.notes.strip() not in keep.notes:
                keep.notes = f"{keep.notes}\n\n{other.notes}".strip()
            keep.vip = {"keep": keep.vip, "merged": other.vip, "either": keep.vip or other.vip}[choices.vip]
            other.merged_into = keep_id
            rec.after = {k: getattr(keep, k) for k in SCALARS}
            s.flush()

            kept = checked_profile(s, keep_id, "the merged card", "keep one card's notes instead of both")
            row = CustomerMerge(
                kept_id=keep_id,
                merged_id=merge_id,
                operator_id=operator_id,
                txn_id=txn_id,
                record=msgspec.json.encode(rec).decode(),
                created_at=now,
            )
            s.add(row)
            s.flush()
            info = _info(row)
            _emit_frame(s, events, CustomerUpdated(seq=0, customer=kept))
            _emit_frame(s, events, CustomersMerged(seq=0, merge=info, kept=kept))
            self._announce(s, events, rec.conversations)
        return Outcome((info, kept), events)

    def unmerge(
        self, operator_id: int, merge_id: int, txn_id: str
    ) -> Outcome[tuple[MergeInfo, CustomerProfile, CustomerProfile]]:
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            row = s.get(CustomerMerge, merge_id)
            if row is None:
                raise NotFound(f"no merge {merge_id}")
            if row.undone_at is not None:
                if row.undo_txn_id == txn_id and row.undone_by == operator_id:  # a retry
                    found = _load_profiles(s, [row.kept_id, row.merged_id])
                    return Outcome((_info(row), found[row.kept_id], found[row.merged_id]))
                raise Conflict(f"merge {merge_id} was undone already")
            keep, other = s.get(Customer, row.kept_id), s.get(Customer, row.merged_id)
            assert keep is not None and other is not None
            if keep.merged_into is not None:
                raise Conflict(
                    f"customer {keep.id} was merged into customer {keep.merged_into} since: undo that merge first"
                )
            rec = msgspec.json.decode(row.record, type=_Record)
            if rec.conversations:
                s.execute(
                    update(Conversation)
                    .where(Conversation.id.in_(rec.conversations), Conversation.customer_id == keep.id)
                    .values(customer_id=other.id)
                )
            if rec.customer_notes:
                s.execute(
                    update(CustomerNote)
                    .where(CustomerNote.id.in_(rec.customer_notes), CustomerNote.customer_id == keep.id)
                    .values(customer_id=other.id)
                )
            if rec.identities:
                s.execute(
                    update(CustomerIdentity)
                    .where(CustomerIdentity.id.in_(rec.identities), CustomerIdentity.customer_id == keep.id)
                    .values(customer_id=other.id)
                )
            for model, column, added in (
                (CustomerPhone, CustomerPhone.e164, rec.phones_added),
                (CustomerEmail, CustomerEmail.address, rec.emails_added),
                (CustomerTag, CustomerTag.tag, rec.tags_added),
            ):
                if added:
                    for obj in s.scalars(
                        select(model).where(model.customer_id == keep.id, column.in_(added))
                    ):
                        s.delete(obj)
            current = self._field_values(s, keep.id)
            for field_id, value in rec.fields_after.items():
                if current.get(int(field_id)) == value:  # nobody changed it since
                    set_field_value(s, keep.id, int(field_id), rec.fields_before.get(field_id, ""))
            for key in SCALARS:
                if key in rec.after and getattr(keep, key) == rec.after[key]:
                    setattr(keep, key, rec.before[key])
            other.merged_into = None
            row.undone_at = utcnow()
            row.undone_by = operator_id
            row.undo_txn_id = txn_id
            s.flush()
            found = _load_profiles(s, [keep.id, other.id])
            info = _info(row)
            for profile in (found[keep.id], found[other.id]):
                _emit_frame(s, events, CustomerUpdated(seq=0, customer=profile))
            _emit_frame(s, events, CustomersMerged(seq=0, merge=info, kept=found[keep.id], merged=found[other.id]))
            self._announce(s, events, rec.conversations)
        return Outcome((info, found[keep.id], found[other.id]), events)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _unite(s: OrmSession, model: Any, column: Any, keep_id: int, merge_id: int, now: Any) -> list[str]:
        """Give the kept customer the other's values it lacks; the values added."""
        have = set(s.scalars(select(column).where(model.customer_id == keep_id)))
        added = []
        for value in s.scalars(select(column).where(model.customer_id == merge_id).order_by(column)):
            if value in have:
                continue
            kw: dict[str, Any] = {"customer_id": keep_id, column.key: value}
            if now is not None:
                kw["created_at"] = now
            s.add(model(**kw))
            added.append(value)
        return added

    @staticmethod
    def _field_values(s: OrmSession, customer_id: int) -> dict[int, str]:
        rows = s.execute(
            select(CustomerFieldValue.field_id, CustomerFieldValue.value).where(
                CustomerFieldValue.customer_id == customer_id
            )
        )
        return {field_id: value for field_id, value in rows}

    @staticmethod
    def _announce(s: OrmSession, events: list[OperatorEvent], conversation_ids: list[int]) -> None:
        """A ``conversation_updated`` for each active moved conversation: inbox rows show
        the customer they belong to now."""
        if not conversation_ids:
            return
        s.flush()
        load = _Loader(s)
        for c in s.scalars(
            select(Conversation)
            .where(Conversation.id.in_(conversation_ids), Conversation.status.in_(ACTIVE))
            .order_by(Conversation.id)
        ):
            _emit(s, events, "conversation_updated", load.conversation(c))
