"""The customer card on the hub: profiles (names, phones, e-mails, identities, tags, VIP,
notes, custom field values), their partial update, customer search, and the admin's
custom field definitions.

Same rules as :mod:`app.storage.repo`: every public method is one transaction and returns
protocol structs or frozen dataclasses, a change and its ``customer_updated`` event are
written together, and the methods block (the hub calls them on its database thread).
``Store.customers`` is the instance the hub uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from app.domain.contacts import (
    FALLBACK_REGIONS,
    MAX_EMAILS,
    MAX_PHONES,
    MAX_TAGS,
    PART_NAME_MAX_CHARS,
    clean_field_label,
    clean_name,
    clean_notes,
    clean_tag,
    field_type,
    fold,
    normalize_email,
    normalize_field_key,
    normalize_field_value,
    normalize_phone,
    normalize_region,
    phone_query,
)
from app.domain.errors import Conflict, InvalidField, InvalidValue, NotFound
from app.protocol.messages import (
    ConversationInfo,
    CustomerChanges,
    CustomerProfile,
    CustomerUpdated,
    CustomFieldDef,
    IdentityInfo,
    OperatorEvent,
)
from app.storage.engine import FOLD_FUNCTION
from app.storage.models import (
    Conversation,
    Customer,
    CustomerChange,
    CustomerEmail,
    CustomerFieldValue,
    CustomerIdentity,
    CustomerPhone,
    CustomerTag,
    CustomField,
    Message,
)
from app.storage.repo import Outcome, Store, _emit_frame, _Loader, utcnow

SEARCH_LIMIT_MAX = 50
SEARCH_QUERY_MAX = 200
# A card travels whole in customer_updated events and results, and a frame is at most
# 128 KiB (MAX_FRAME_BYTES, enforced by the clients too): a card is kept under this size.
PROFILE_MAX_BYTES = 48 * 1024
# Search results stop before their JSON passes this (fewer results rather than a frame
# the client would refuse); they leave the notes out (customer_get has them).
SEARCH_MAX_BYTES = 96 * 1024


@dataclass(frozen=True)
class ChangeRecord:
    """One applied ``customer_update`` (the audit trail of a card)."""

    operator_id: int
    txn_id: str
    changes: CustomerChanges
    created_at: datetime


def _like_pattern(text: str, *, prefix: bool = False) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix else f"%{escaped}%"


def _load_profiles(s: OrmSession, ids: Iterable[int]) -> dict[int, CustomerProfile]:
    """Profiles of these customers (missing ids are left out), a few queries in all."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    phones: dict[int, list[str]] = {}
    for cid, e164 in s.execute(
        select(CustomerPhone.customer_id, CustomerPhone.e164)
        .where(CustomerPhone.customer_id.in_(wanted))
        .order_by(CustomerPhone.id)
    ):
        phones.setdefault(cid, []).append(e164)
    emails: dict[int, list[str]] = {}
    for cid, address in s.execute(
        select(CustomerEmail.customer_id, CustomerEmail.address)
        .where(CustomerEmail.customer_id.in_(wanted))
        .order_by(CustomerEmail.id)
    ):
        emails.setdefault(cid, []).append(address)
    identities: dict[int, list[IdentityInfo]] = {}
    for cid, ident_id, channel, label in s.execute(
        select(CustomerIdentity.customer_id, CustomerIdentity.id, CustomerIdentity.channel, CustomerIdentity.label)
        .where(CustomerIdentity.customer_id.in_(wanted))
        .order_by(CustomerIdentity.id)
    ):
        identities.setdefault(cid, []).append(IdentityInfo(channel=channel, label=label, id=ident_id))
    tags: dict[int, list[str]] = {}
    for cid, tag in s.execute(
        select(CustomerTag.customer_id, CustomerTag.tag).where(CustomerTag.customer_id.in_(wanted))
    ):
        tags.setdefault(cid, []).append(tag)
    fields: dict[int, dict[str, str]] = {}
    for cid, key, value in s.execute(
        select(CustomerFieldValue.customer_id, CustomField.key, CustomerFieldValue.value)
        .join(CustomField, CustomField.id == CustomerFieldValue.field_id)
        .where(CustomerFieldValue.customer_id.in_(wanted))
        .order_by(CustomField.id)
    ):
        fields.setdefault(cid, {})[key] = value
    return {
        c.id: CustomerProfile(
            id=c.id,
            name=c.name,
            first_seen=c.first_seen,
            first_name=c.first_name,
            last_name=c.last_name,
            locale=c.locale,
            phones=phones.get(c.id, []),
            emails=emails.get(c.id, []),
            identities=identities.get(c.id, []),
            tags=sorted(tags.get(c.id, []), key=lambda t: (fold(t), t)),
            vip=bool(c.vip),
            notes=c.notes,
            fields=fields.get(c.id, {}),
        )
        for c in s.scalars(select(Customer).where(Customer.id.in_(wanted)))
    }


def _field_defs(s: OrmSession) -> list[CustomFieldDef]:
    return [
        CustomFieldDef(key=f.key, label=f.label, type=field_type(f.type))
        for f in s.scalars(select(CustomField).order_by(CustomField.id))
    ]


@dataclass(frozen=True)
class _Checked:
    """A ``CustomerChanges`` whose values passed the rules that need no database."""

    name: str | None
    first_name: str | None
    last_name: str | None
    notes: str | None
    add_emails: list[str]
    remove_emails: list[str]
    add_tags: list[str]
    remove_tags: list[str]


def _check(changes: CustomerChanges) -> _Checked:
    def part(value: str | None, what: str) -> str | None:
        if value is None:
            return None
        return clean_name(value, what=what, max_chars=PART_NAME_MAX_CHARS, required=False)

    return _Checked(
        name=clean_name(changes.name) if changes.name is not None else None,
        first_name=part(changes.first_name, "first name"),
        last_name=part(changes.last_name, "last name"),
        notes=clean_notes(changes.notes) if changes.notes is not None else None,
        add_emails=[normalize_email(e) for e in changes.add_emails],
        remove_emails=[normalize_email(e) for e in changes.remove_emails],
        add_tags=[clean_tag(t) for t in changes.add_tags],
        remove_tags=[clean_tag(t) for t in changes.remove_tags],
    )


def checked_profile(s: OrmSession, customer_id: int, what: str, advice: str) -> CustomerProfile:
    """The customer's card as it now stands; InvalidValue when it passes
    ``PROFILE_MAX_BYTES`` (it travels whole in events and results)."""
    profile = _load_profiles(s, [customer_id])[customer_id]
    size = len(msgspec.json.encode(profile))
    if size > PROFILE_MAX_BYTES:
        raise InvalidValue(
            f"{what} would be too big ({size // 1024} KiB, at most {PROFILE_MAX_BYTES // 1024} KiB): {advice}"
        )
    return profile


def set_field_value(s: OrmSession, customer_id: int, field_id: int, value: str) -> None:
    """Give a customer a custom field value (``""``: none)."""
    row = s.get(CustomerFieldValue, (customer_id, field_id))
    if not value:
        if row is not None:
            s.delete(row)
    elif row is None:
        s.add(CustomerFieldValue(customer_id=customer_id, field_id=field_id, value=value))
    else:
        row.value = value


class CustomerStore:
    """The customer card's storage. Uses its Store's sessions (and so its transactions)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def _sessions(self) -> sessionmaker[OrmSession]:
        return self.store._sessions  # the Store's own or its thread's batch (Store.batch)

    # ------------------------------------------------------------------ reading

    def profile(self, customer_id: int) -> CustomerProfile:
        with self._sessions() as s:
            found = _load_profiles(s, [customer_id])
            if customer_id not in found:
                raise NotFound(f"no customer {customer_id}")
            return found[customer_id]

    def card(self, customer_id: int) -> tuple[CustomerProfile, list[CustomFieldDef]]:
        """The profile and the custom field definitions (one read transaction)."""
        with self._sessions.begin() as s:
            found = _load_profiles(s, [customer_id])
            if customer_id not in found:
                raise NotFound(f"no customer {customer_id}")
            return found[customer_id], _field_defs(s)

    def fields(self) -> list[CustomFieldDef]:
        with self._sessions() as s:
            return _field_defs(s)

    def changes_of(self, customer_id: int) -> list[ChangeRecord]:
        """The applied updates of a customer, oldest first."""
        with self._sessions() as s:
            return [
                ChangeRecord(
                    r.operator_id, r.txn_id, msgspec.json.decode(r.changes, type=CustomerChanges), r.created_at
                )
                for r in s.scalars(
                    select(CustomerChange).where(CustomerChange.customer_id == customer_id).order_by(CustomerChange.id)
                )
            ]

    def search(self, query: str, limit: int = 20, region: str = "") -> list[CustomerProfile]:
        """Customers matching ``query``, best first, at most ``limit`` (clamped to 1..50).

        Rank 0 (exact): a phone number the query normalises to (in ``region`` if given,
        and the fallback regions), an e-mail address, the display name or "first last" /
        "last first", or a custom field value, equal to the query (case-insensitive).
        Rank 1: a name (or a word of it) starting with the query, or a phone number ending in its digits
        (the last 10 at most, so country codes and trunk prefixes do not matter). Rank 2:
        the query anywhere in a name, an e-mail address or a custom field value. Within a
        rank by name, then id. The results leave ``notes`` out, and stop short of ``limit``
        rather than pass ``SEARCH_MAX_BYTES`` of JSON."""
        q = fold(query[:SEARCH_QUERY_MAX])
        if not q:
            return []
        limit = max(1, min(SEARCH_LIMIT_MAX, limit))
        regions: tuple[str, ...] = FALLBACK_REGIONS
        if region.strip():
            first = normalize_region(region)
            regions = (first, *(r for r in FALLBACK_REGIONS if r != first))
        phones = phone_query(query, regions)
        rank: dict[int, int] = {}

        def hit(rows: Iterable[Any], r: int) -> None:
            for row in rows:
                cid, got = (row[0], row[1]) if len(row) > 1 else (row[0], r)
                rank[cid] = min(rank.get(cid, 9), got)

        with self._sessions.begin() as s:
            fold_sql = self._fold_sql(s)
            full = fold_sql(Customer.first_name + literal(" ") + Customer.last_name)
            reverse = fold_sql(Customer.last_name + literal(" ") + Customer.first_name)
            # rank 0: exact
            if phones is not None and phones.exact:
                hit(s.execute(select(CustomerPhone.customer_id).where(CustomerPhone.e164.in_(phones.exact))), 0)
            hit(s.execute(select(CustomerEmail.customer_id).where(fold_sql(CustomerEmail.address) == q)), 0)
            hit(
                s.execute(
                    select(Customer.id).where((fold_sql(Customer.name) == q) | (full == q) | (reverse == q))
                ),
                0,
            )
            hit(s.execute(select(CustomerFieldValue.customer_id).where(fold_sql(CustomerFieldValue.value) == q)), 0)
            cap = limit + len(rank)
            # rank 1 and 2: partial
            anywhere, starts = _like_pattern(q), _like_pattern(q, prefix=True)
            name_cols = (fold_sql(Customer.name), fold_sql(Customer.first_name), fold_sql(Customer.last_name))
            word = _like_pattern(" " + q, prefix=False)  # a later word of the name starts with it
            prefix_rank = case(
                (or_(*(col.like(starts, escape="\\") for col in name_cols), name_cols[0].like(word, escape="\\")), 1),
                else_=2,
            )
            hit(
                s.execute(
                    select(Customer.id, prefix_rank)
                    .where(
                        name_cols[0].like(anywhere, escape="\\")
                        | full.like(anywhere, escape="\\")
                        | reverse.like(anywhere, escape="\\")
                    )
                    .order_by(prefix_rank, Customer.name, Customer.id)
                    .limit(cap)
                ),
                2,
            )
            if phones is not None:
                hit(
                    s.execute(
                        select(CustomerPhone.customer_id)
                        .where(CustomerPhone.e164.like(f"%{phones.suffix}"))
                        .order_by(CustomerPhone.customer_id)
                        .limit(cap)
                    ),
                    1,
                )
            hit(
                s.execute(
                    select(CustomerEmail.customer_id)
                    .where(fold_sql(CustomerEmail.address).like(anywhere, escape="\\"))
                    .order_by(CustomerEmail.customer_id)
                    .limit(cap)
                ),
                2,
            )
            hit(
                s.execute(
                    select(CustomerFieldValue.customer_id)
                    .where(fold_sql(CustomerFieldValue.value).like(anywhere, escape="\\"))
                    .order_by(CustomerFieldValue.customer_id)
                    .limit(cap)
                ),
                2,
            )
            for merged in s.scalars(  # merged cards are hidden (their values live on the kept card)
                select(Customer.id).where(Customer.id.in_(list(rank)), Customer.merged_into.is_not(None))
            ):
                rank.pop(merged, None)
            profiles = _load_profiles(s, rank)
        ordered = sorted(profiles.values(), key=lambda p: (rank[p.id], fold(p.name), p.id))
        out: list[CustomerProfile] = []
        size = 0
        for p in ordered[:limit]:
            p = msgspec.structs.replace(p, notes="")
            size += len(msgspec.json.encode(p)) + 1
            if size > SEARCH_MAX_BYTES:
                break
            out.append(p)
        return out

    @staticmethod
    def _fold_sql(s: OrmSession) -> Any:
        """SQL that folds text as :func:`app.domain.contacts.fold` does: the function the
        engine registers on SQLite (app/storage/engine.py), ``lower()`` elsewhere."""
        bind = s.get_bind()
        if bind.dialect.name == "sqlite":
            return lambda col: getattr(func, FOLD_FUNCTION)(col)
        return lambda col: func.lower(col)

    # ------------------------------------------------------------------ writing

    def update(
        self, operator_id: int, customer_id: int, changes: CustomerChanges, txn_id: str, region: str = ""
    ) -> Outcome[CustomerProfile]:
        """Apply a partial update; every value is checked first, and one bad value
        refuses the whole update (nothing is written). ``region`` reads phone numbers
        without a country code (default: the customer's locale, then the fallback
        regions; app.domain.contacts.normalize_phone). A ``customer_updated`` event is
        written when the card really changed. Idempotent per (operator, txn_id): a retry
        returns the card the first try produced and writes nothing."""
        checked = _check(changes)
        region_code = normalize_region(region) if region.strip() else None
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            done = s.scalars(
                select(CustomerChange).where(CustomerChange.operator_id == operator_id, CustomerChange.txn_id == txn_id)
            ).first()
            if done is not None:
                if done.customer_id != customer_id:
                    raise Conflict("this txn_id was already used for another customer")
                return Outcome(msgspec.json.decode(done.result, type=CustomerProfile))
            c = s.get(Customer, customer_id)
            if c is None:
                raise NotFound(f"no customer {customer_id}")
            add_phones = [normalize_phone(p, region_code, locale=c.locale) for p in changes.add_phones]
            remove_phones = [normalize_phone(p, region_code, locale=c.locale) for p in changes.remove_phones]
            values = self._field_values(s, changes.fields)
            before = _load_profiles(s, [customer_id])[customer_id]

            if checked.name is not None:
                c.name = checked.name
            if checked.first_name is not None:
                c.first_name = checked.first_name
            if checked.last_name is not None:
                c.last_name = checked.last_name
            if checked.notes is not None:
                c.notes = checked.notes
            if changes.vip is not None:
                c.vip = changes.vip
            now = utcnow()
            self._apply_list(
                s,
                CustomerPhone,
                CustomerPhone.e164,
                customer_id,
                remove_phones,
                add_phones,
                lambda v: CustomerPhone(customer_id=customer_id, e164=v, created_at=now),
                limit=MAX_PHONES,
                what="phone numbers",
            )
            self._apply_list(
                s,
                CustomerEmail,
                CustomerEmail.address,
                customer_id,
                checked.remove_emails,
                checked.add_emails,
                lambda v: CustomerEmail(customer_id=customer_id, address=v, created_at=now),
                limit=MAX_EMAILS,
                what="e-mail addresses",
            )
            self._apply_list(
                s,
                CustomerTag,
                CustomerTag.tag,
                customer_id,
                checked.remove_tags,
                checked.add_tags,
                lambda v: CustomerTag(customer_id=customer_id, tag=v),
                limit=MAX_TAGS,
                what="tags",
            )
            for field_id, value in values:
                set_field_value(s, customer_id, field_id, value)
            s.flush()
            after = checked_profile(s, customer_id, "the card", "shorten the notes or the field values")
            s.add(
                CustomerChange(
                    customer_id=customer_id,
                    operator_id=operator_id,
                    txn_id=txn_id,
                    changes=msgspec.json.encode(changes).decode(),
                    result=msgspec.json.encode(after).decode(),
                    created_at=now,
                )
            )
            if after != before:
                _emit_frame(s, events, CustomerUpdated(seq=0, customer=after))
                from app.storage.merges import propose  # (merges builds on this module)

                propose(
                    s,
                    events,
                    customer_id,
                    [p for p in after.phones if p not in before.phones],
                    [e for e in after.emails if e not in before.emails],
                )
        return Outcome(after, events)

    @staticmethod
    def _field_values(s: OrmSession, given: dict[str, str]) -> list[tuple[int, str]]:
        """(field id, normalised value) for each custom field being set; "" clears."""
        if not given:
            return []
        defs = {f.key: f for f in s.scalars(select(CustomField))}
        out: list[tuple[int, str]] = []
        for raw_key, raw_value in given.items():
            key = normalize_field_key(raw_key)
            field = defs.get(key)
            if field is None:
                raise InvalidField(
                    f"there is no custom field {key!r} (an admin adds fields with 'frontline-hub field add')"
                )
            out.append((field.id, normalize_field_value(field_type(field.type), raw_value, key=key)))
        return out

    @staticmethod
    def _apply_list(
        s: OrmSession,
        model: Any,
        column: Any,
        customer_id: int,
        remove: Sequence[str],
        add: Sequence[str],
        make: Any,
        *,
        limit: int,
        what: str,
    ) -> None:
        """Remove then add values of one of the card's lists, compared case-insensitively
        (a value already there is not added twice; removing one not there is a no-op)."""
        existing = s.scalars(select(model).where(model.customer_id == customer_id))
        rows = {fold(getattr(r, column.key)): r for r in existing}
        for value in remove:
            row = rows.pop(fold(value), None)
            if row is not None:
                s.delete(row)
        if remove:
            s.flush()  # a value removed and added again in one update: delete before insert
        for value in add:
            if fold(value) not in rows:
                row = make(value)
                s.add(row)
                rows[fold(value)] = row
        if len(rows) > limit:
            raise InvalidValue(f"a customer may have at most {limit} {what}")

    # ------------------------------------------------------------------ custom field definitions (admin)

    def add_field(self, key: str, label: str, type_: str = "text") -> CustomFieldDef:
        """Define a custom field (``frontline-hub field add``). ValueError (InvalidField /
        InvalidValue) for a bad key, label or type, or a key that exists."""
        k = normalize_field_key(key)
        lab = clean_field_label(label)
        kind = field_type(type_)
        try:
            with self._sessions.begin() as s:
                s.add(CustomField(key=k, label=lab, type=kind, created_at=utcnow()))
        except IntegrityError:
            raise InvalidField(f"a custom field {k!r} already exists") from None
        return CustomFieldDef(key=k, label=lab, type=kind)

    # ------------------------------------------------------------------ the customer's conversations

    def conversations(
        self, customer_id: int, before_id: int | None = None, limit: int = 20
    ) -> tuple[list[ConversationInfo], bool]:
        """A page of the customer's conversations, any status, newest first (by start
        time, then id; imported conversations need not have rising ids), each with its
        last message; and whether older ones follow. ``before_id`` is the last
        conversation of the previous page (keyset paging: a page costs the same however
        far back it is). ``limit`` is clamped to 1..50. NotFound for an unknown customer,
        or a ``before_id`` that is not one of this customer's conversations."""
        limit = max(1, min(50, limit))
        with self._sessions.begin() as s:
            if s.get(Customer, customer_id) is None:
                raise NotFound(f"no customer {customer_id}")
            q = select(Conversation).where(Conversation.customer_id == customer_id)
            if before_id is not None:
                anchor = s.execute(
                    select(Conversation.created_at, Conversation.customer_id).where(Conversation.id == before_id)
                ).first()
                if anchor is None or anchor.customer_id != customer_id:
                    raise NotFound(f"no conversation {before_id} of customer {customer_id}")
                q = q.where(
                    or_(
                        Conversation.created_at < anchor.created_at,
                        and_(Conversation.created_at == anchor.created_at, Conversation.id < before_id),
                    )
                )
            rows = list(s.scalars(q.order_by(Conversation.created_at.desc(), Conversation.id.desc()).limit(limit + 1)))
            page = rows[:limit]
            last_ids: dict[int, int] = {
                cid: mid
                for cid, mid in s.execute(
                    select(Message.conversation_id, func.max(Message.id))
                    .where(Message.conversation_id.in_([c.id for c in page]))
                    .group_by(Message.conversation_id)
                )
            }
            last = {m.id: m for m in s.scalars(select(Message).where(Message.id.in_(list(last_ids.values()))))}
            load = _Loader(s)
            return [load.conversation(c, last.get(last_ids.get(c.id, 0))) for c in page], len(rows) > limit
