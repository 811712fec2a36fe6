"""The customer card's QObject between the widgets and the operator session (app.client).

Reads (card, timeline, search) and edits arrive as async slots and answer with signals
named as past events; a refused value comes back as a translated sentence naming what
the operator typed (the hub's own text rides along for the tooltip). Cards and timeline
pages read during this run are kept in memory only (never on disk: a stale copy of
someone's phone number is worse than a round trip), so that a card seen before the link
dropped can still be shown, read-only, while offline; they are forgotten when the
session ends.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec
from PySide6.QtCore import QObject, Signal
from qasync import asyncSlot

from app.client.connection import CommandFailed, ConnectionLost, new_txn_id
from app.client.session import LinkChange, OperatorSession
from app.protocol.messages import (
    NOTE_MAX_CHARS,
    ConversationInfo,
    CustomerChanges,
    CustomerProfile,
    CustomersMerged,
    CustomFieldDef,
    MergeChoices,
    MergeProposed,
    MessageInfo,
    TimelineCursor,
    TimelineEntry,
    TimelineEntrySaved,
    WaTemplateChoice,
)
from ui.channels import channel_name
from ui.models.customers import FILTERS, conversation_entry, note_entry

log = logging.getLogger(__name__)

CARDS_KEPT = 200  # cards remembered in memory for offline reading (least recently used go)
SEARCH_LIMIT = 30
TIMELINE_PAGE = 30
COUNT_PAGE = 50  # the hub's largest page: conversations counted for the merge dialog
COUNT_PAGES = 4  # at most this many pages counted; more shows as "200+"


@dataclass(frozen=True)
class CachedCard:
    """A card as last read or changed, with the custom field definitions and since when
    it is known (``at``: the read or the last ``customer_updated``)."""

    profile: CustomerProfile
    fields: list[CustomFieldDef]
    at: datetime


@dataclass
class _Timeline:
    entries: list[TimelineEntry]
    has_more: bool


class CustomerBridge(QObject):
    card_loaded = Signal(object)  # CachedCard
    card_load_failed = Signal(int, str)  # customer id, human text
    customer_changed = Signal(object)  # CustomerProfile: a card changed (anyone's edit, live)
    customer_saved = Signal(int, str, object)  # customer id, edit key, CustomerProfile
    customer_save_failed = Signal(int, str, str, str)  # customer id, edit key, human text, hub's text
    timeline_loaded = Signal(int, object, bool, bool)  # customer id, [TimelineEntry], has_more, older page
    timeline_load_failed = Signal(int, str)  # customer id, human text
    timeline_entry_arrived = Signal(int, object)  # customer id, TimelineEntry (live: a note, a card note)
    note_saved = Signal(int, int, object)  # customer id, note id asked for (0: a new note), TimelineEntry
    note_save_failed = Signal(int, int, str)  # customer id, note id (0: a new note), human text
    customers_found = Signal(str, object)  # query, [CustomerProfile] (notes left out)
    search_failed = Signal(str, str)  # query, human text
    # identity merge
    merge_candidates_loaded = Signal(int, object)  # customer id, [MergeCandidate] (dismissed ones left out)
    merge_proposed = Signal(int, int)  # customer id, candidate id (the hub's proposal, live)
    conversations_counted = Signal(int, int, bool)  # customer id, count, more than that
    customers_merged = Signal(object, object)  # MergeInfo, CustomerProfile (kept): this window merged
    merge_failed = Signal(int, int, str, str)  # keep id, merge id, human text, hub's text
    customers_unmerged = Signal(object, object, object)  # MergeInfo, kept, restored: this window undid
    unmerge_failed = Signal(int, str, str)  # merge id, human text, hub's text
    merged_elsewhere = Signal(object)  # CustomersMerged: anyone's merge or undo (live, also ours)
    # writing first on another of the customer's channels (conversation_start)
    conversation_started = Signal(object)  # ConversationInfo: the new conversation, ours
    conversation_start_failed = Signal(int, str, str, str)  # customer id, channel, human text, hub's text

    def __init__(self, session: OperatorSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._cards: OrderedDict[int, CachedCard] = OrderedDict()
        self._timelines: dict[tuple[int, str], _Timeline] = {}  # (customer id, filter name)
        # entries that arrived live while a newest page of that customer was being read:
        # the page may have been read before them, and must not drop them
        self._arriving: dict[int, list[TimelineEntry]] = {}
        self._note_txn: dict[tuple[int, int, str], str] = {}
        self._conversations: dict[int, ConversationInfo] = {}
        self._retry_txn: dict[tuple[int, str, bytes], str] = {}
        self._changes_seen: dict[int, int] = {}  # customer id -> customer_changed count
        self._search_no = 0
        self._dismissed: set[tuple[int, int]] = set()  # (customer, candidate): "not the same", this run
        self._merge_txn: dict[tuple[int, int, bytes], str] = {}
        self._unmerge_txn: dict[int, str] = {}
        self._start_txn: dict[tuple[int, str, int, str], str] = {}
        session.customer_changed.connect(self._on_customer_changed)
        session.merge_proposed.connect(self._on_merge_proposed)
        session.customers_merged.connect(self._on_customers_merged)
        session.conversation_changed.connect(self._on_conversation_changed)
        session.message_added.connect(self._on_message_added)
        session.timeline_entry_saved.connect(self._on_timeline_entry_saved)
        session.link_changed.connect(self._on_link_changed)

    # ------------------------------------------------------------------ queries (no I/O)

    @property
    def online(self) -> bool:
        return self.session.link.state == "online"

    def cached_card(self, customer_id: int) -> CachedCard | None:
        return self._cards.get(customer_id)

    def cached_timeline(self, customer_id: int, filter_name: str = "all") -> tuple[list[TimelineEntry], bool] | None:
        t = self._timelines.get((customer_id, filter_name))
        return (list(t.entries), t.has_more) if t is not None else None

    def may_edit_note(self, entry: TimelineEntry) -> bool:
        """A note on the card may be changed by its author, a supervisor or an admin."""
        me = self.session.me
        if me is None or entry.kind != "customer_note":
            return False
        return entry.author_id == me.id or me.role in ("supervisor", "admin")

    def operator_name(self, operator_id: int) -> str:
        op = self.session.operators.get(operator_id)
        return op.display_name if op is not None else f"#{operator_id}"

    def conversation(self, conversation_id: int) -> ConversationInfo | None:
        """A conversation the session keeps (the inbox), else one a timeline listed."""
        return self.session.conversations.get(conversation_id) or self._conversations.get(conversation_id)

    # ------------------------------------------------------------------ intents

    @asyncSlot(int)
    async def load_card(self, customer_id: int) -> None:
        seen = self._changes_seen.get(customer_id, 0)
        try:
            profile = await self.session.customer(customer_id)
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            self.card_load_failed.emit(customer_id, self._failure_text(exc, self.tr("Could not load the card")))
            return
        cached = self._cards.get(customer_id)
        if cached is not None and self._changes_seen.get(customer_id, 0) != seen:
            profile = cached.profile  # a customer_updated arrived meanwhile: it is newer
        card = CachedCard(profile, list(self.session.custom_fields), datetime.now(UTC))
        self._remember(card)
        self.card_loaded.emit(card)

    @asyncSlot(int, str, object)
    async def save_customer(self, customer_id: int, key: str, changes: CustomerChanges) -> None:
        """Apply one edit of the card. ``key`` names the edited place (``"phone:+"``,
        ``"field:policy_no"``…) and comes back with the answer. The same edit sent
        again after a lost answer keeps its txn_id, so the hub applies it once."""
        sig = (customer_id, key, msgspec.json.encode(changes))
        txn_id = self._retry_txn.setdefault(sig, new_txn_id())
        try:
            profile = await self.session.update_customer(customer_id, changes, txn_id=txn_id)
        except CommandFailed as exc:
            self._retry_txn.pop(sig, None)
            self.customer_save_failed.emit(customer_id, key, self.refusal_text(exc, key, changes), exc.text)
            return
        except (ConnectionLost, TimeoutError):
            self.customer_save_failed.emit(
                customer_id,
                key,
                self.tr("Not saved: the connection to the hub is down. Press Enter to try again."),
                "",
            )
            return
        self._retry_txn.pop(sig, None)
        self.customer_saved.emit(customer_id, key, profile)

    @asyncSlot(int, object, str)
    async def load_timeline(self, customer_id: int, before: TimelineCursor | None, filter_name: str = "all") -> None:
        """The newest page of the customer's timeline (``before`` None), or the page older
        than ``before``; of the kinds of the filter (FILTERS: all, conversations, notes)."""
        watch: list[TimelineEntry] = []
        if before is None:
            watch = self._arriving.setdefault(customer_id, [])
        try:
            entries, has_more = await self.session.customer_timeline(
                customer_id, before=before, limit=TIMELINE_PAGE, kinds=FILTERS.get(filter_name, ())
            )
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            self.timeline_load_failed.emit(customer_id, self._failure_text(exc, self.tr("Could not load the timeline")))
            return
        finally:
            if before is None and self._arriving.get(customer_id) is watch:
                del self._arriving[customer_id]
        if watch:
            entries = _with_arrived(entries, watch, FILTERS.get(filter_name, ()))
        for e in entries:
            if e.conversation is not None:
                self._conversations[e.conversation.id] = e.conversation
        key = (customer_id, filter_name)
        known = self._timelines.get(key)
        if before is not None and known is not None:
            seen = {(e.kind, e.id) for e in known.entries}
            known.entries.extend(e for e in entries if (e.kind, e.id) not in seen)
            known.has_more = has_more
        elif before is None:
            self._timelines[key] = _Timeline(list(entries), has_more)
        self.timeline_loaded.emit(customer_id, entries, has_more, before is not None)

    @asyncSlot(int, int, str)
    async def save_note(self, customer_id: int, note_id: int, text: str) -> None:
        """Add a note to the card (``note_id`` 0) or change one. The same note sent again
        after a lost answer keeps its txn_id, so the hub stores it once. A refusal comes
        back as a sentence; the card keeps the text the operator typed."""
        sig = (customer_id, note_id, text)
        txn_id = self._note_txn.setdefault(sig, new_txn_id())
        try:
            entry = await self.session.save_customer_note(
                customer_id, text, note_id=note_id or None, txn_id=txn_id
            )
        except CommandFailed as exc:
            self._note_txn.pop(sig, None)
            self.note_save_failed.emit(customer_id, note_id, self.note_refusal_text(exc))
            return
        except (ConnectionLost, TimeoutError):
            self.note_save_failed.emit(
                customer_id, note_id, self.tr("Not saved: the connection to the hub is down. Try again.")
            )
            return
        self._note_txn.pop(sig, None)
        self._remember_entry(customer_id, entry)
        self.note_saved.emit(customer_id, note_id, entry)

    def note_refusal_text(self, exc: CommandFailed) -> str:
        """The hub refused a note: why, in the operator's language."""
        if exc.code == "empty_text":
            return self.tr("Write the note first.")
        if exc.code == "text_too_long":
            return self.tr("Not saved: a note can have at most %1 characters.").replace("%1", str(NOTE_MAX_CHARS))
        if exc.code == "forbidden":
            return self.tr("Not saved: only the note's author or a supervisor can change it.")
        if exc.code == "not_found":
            return self.tr("Not saved: this customer or note no longer exists.")
        if exc.code == "conflict":
            return self.tr("Not saved: this card was merged into another one. Open that card.")
        return self.tr("Not saved: %1").replace("%1", exc.text)

    @asyncSlot(str)
    async def search(self, query: str) -> None:
        """Find customers; only the answer to the latest query is announced."""
        self._search_no += 1
        mine = self._search_no
        try:
            found = await self.session.search_customers(query, limit=SEARCH_LIMIT)
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            if mine == self._search_no:
                self.search_failed.emit(query, self._failure_text(exc, self.tr("Could not search")))
            return
        if mine == self._search_no:
            self.customers_found.emit(query, found)

    # ------------------------------------------------------------------ identity merge

    def dismiss_candidate(self, customer_id: int, candidate_id: int) -> None:
        """"Not the same person": the pair is not proposed again in this run (either way round)."""
        self._dismissed.add((customer_id, candidate_id))
        self._dismissed.add((candidate_id, customer_id))

    def dismissed(self, customer_id: int, candidate_id: int) -> bool:
        return (customer_id, candidate_id) in self._dismissed

    @asyncSlot(int)
    async def load_merge_candidates(self, customer_id: int) -> None:
        """The customers who may be the same person as this one (a failure says nothing:
        the proposal is a hint, the card works without it)."""
        try:
            found = await self.session.merge_candidates(customer_id)
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            log.info("merge candidates of %s: %s", customer_id, exc)
            return
        found = [c for c in found if not self.dismissed(customer_id, c.customer.id)]
        self.merge_candidates_loaded.emit(customer_id, found)

    @asyncSlot(int)
    async def count_conversations(self, customer_id: int) -> None:
        """How many conversations a customer has (at most COUNT_PAGES pages are counted)."""
        count, before, more = 0, None, False
        try:
            for _ in range(COUNT_PAGES):
                page, more = await self.session.customer_conversations(
                    customer_id, before_id=before, limit=COUNT_PAGE
                )
                count += len(page)
                if not more or not page:
                    break
                before = page[-1].id
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            log.info("conversations of %s: %s", customer_id, exc)
            return
        self.conversations_counted.emit(customer_id, count, more)

    @asyncSlot(int, int, object)
    async def merge(self, keep_id: int, merge_id: int, choices: MergeChoices) -> None:
        """Merge card ``merge_id`` into ``keep_id``. The same merge sent again after a lost
        answer keeps its txn_id: the hub makes it once."""
        sig = (keep_id, merge_id, msgspec.json.encode(choices))
        txn_id = self._merge_txn.setdefault(sig, new_txn_id())
        try:
            info, kept = await self.session.merge_customers(keep_id, merge_id, choices, txn_id=txn_id)
        except CommandFailed as exc:
            self._merge_txn.pop(sig, None)
            self.merge_failed.emit(keep_id, merge_id, self.merge_refusal_text(exc), exc.text)
            return
        except (ConnectionLost, TimeoutError):
            self.merge_failed.emit(
                keep_id, merge_id, self.tr("Not merged: the connection to the hub is down. Try again."), ""
            )
            return
        self._merge_txn.pop(sig, None)
        self._forget_timelines(keep_id, merge_id)
        self.customers_merged.emit(info, kept)

    @asyncSlot(int)
    async def unmerge(self, merge_id: int) -> None:
        """Undo a merge (retried with the same txn_id after a lost answer)."""
        txn_id = self._unmerge_txn.setdefault(merge_id, new_txn_id())
        try:
            info, kept, restored = await self.session.unmerge_customers(merge_id, txn_id=txn_id)
        except CommandFailed as exc:
            self._unmerge_txn.pop(merge_id, None)
            if exc.code == "conflict":
                text = self.tr("Not undone: the merge was undone already, or the card was merged again since.")
            else:
                text = self.tr("Not undone: %1").replace("%1", exc.text)
            self.unmerge_failed.emit(merge_id, text, exc.text)
            return
        except (ConnectionLost, TimeoutError):
            self.unmerge_failed.emit(merge_id, self.tr("Not undone: the connection to the hub is down. Try again."), "")
            return
        self._unmerge_txn.pop(merge_id, None)
        self._forget_timelines(info.kept_id, info.merged_id)
        self.customers_unmerged.emit(info, kept, restored)

    @asyncSlot(int, str, int, str)
    async def start_conversation(self, customer_id: int, channel: str, identity_id: int, text: str) -> None:
        """Write first to the customer on one of their channels: a new conversation there,
        assigned to us (only ever on the operator's explicit action). The same message
        sent again after a lost answer keeps its txn_id: the hub makes it once."""
        sig = (customer_id, channel, identity_id, text)
        txn_id = self._start_txn.setdefault(sig, new_txn_id())
        name = channel_name(channel)
        try:
            conv, _message = await self.session.start_conversation(
                customer_id, channel, text, identity_id=identity_id, txn_id=txn_id
            )
        except CommandFailed as exc:
            self._start_txn.pop(sig, None)
            self.conversation_start_failed.emit(customer_id, channel, self.start_refusal_text(exc, name), exc.text)
            return
        except (ConnectionLost, TimeoutError):
            self.conversation_start_failed.emit(
                customer_id, channel, self.tr("Not sent: the connection to the hub is down. Try again."), ""
            )
            return
        self._start_txn.pop(sig, None)
        self._conversations[conv.id] = conv
        self._forget_timelines(customer_id)
        self.conversation_started.emit(conv)

    @asyncSlot(int, str, int, object)
    async def start_with_template(self, customer_id: int, channel: str, identity_id: int, template: object) -> None:
        """Write first on WhatsApp with an approved template (the customer's 24-hour window
        is closed, or they never wrote): answered like :meth:`start_conversation`."""
        assert isinstance(template, WaTemplateChoice)
        sig = (customer_id, channel, identity_id, f"template:{msgspec.json.encode(template).decode()}")
        txn_id = self._start_txn.setdefault(sig, new_txn_id())
        try:
            conv, _message = await self.session.start_conversation(
                customer_id, channel, "", identity_id=identity_id, txn_id=txn_id, template=template
            )
        except CommandFailed as exc:
            self._start_txn.pop(sig, None)
            text = self.start_refusal_text(exc, channel_name(channel))
            self.conversation_start_failed.emit(customer_id, channel, text, exc.text)
            return
        except (ConnectionLost, TimeoutError):
            self.conversation_start_failed.emit(
                customer_id, channel, self.tr("Not sent: the connection to the hub is down. Try again."), ""
            )
            return
        self._start_txn.pop(sig, None)
        self._conversations[conv.id] = conv
        self._forget_timelines(customer_id)
        self.conversation_started.emit(conv)

    def start_refusal_text(self, exc: CommandFailed, channel: str) -> str:
        """The hub refused to start a conversation: why, in the operator's language."""
        if exc.code == "window_closed":
            return self.tr(
                "Not sent: the customer has not written on %1 in the last 24 hours. WhatsApp only delivers "
                "approved templates: choose one."
            ).replace("%1", channel)
        if exc.code == "template_invalid":
            return self.tr("Not sent: %1").replace("%1", exc.text)
        if exc.code == "channel_unavailable":
            return self.tr(
                "Not sent: %1 is not working on the hub right now (not set up, or down). Tell your administrator."
            ).replace("%1", channel)
        if exc.code == "conflict":
            return self.tr(
                "Not sent: there is already an open %1 conversation with this customer. Write there."
            ).replace("%1", channel)
        if exc.code == "not_found":
            return self.tr("Not sent: the customer cannot be reached on %1.").replace("%1", channel)
        if exc.code == "empty_text":
            return self.tr("Write the message first.")
        if exc.code == "text_too_long":
            return self.tr("Not sent: the message is too long.")
        return self.tr("Not sent: %1").replace("%1", exc.text)

    def merge_refusal_text(self, exc: CommandFailed) -> str:
        """The hub refused a merge: why, in the operator's language."""
        if exc.code == "not_found":
            return self.tr("Not merged: one of the cards no longer exists.")
        if exc.code == "conflict":
            return self.tr("Not merged: one of the cards was merged into another card meanwhile.")
        if exc.code == "invalid_value" and "48" in exc.text:
            return self.tr("Not merged: the notes together would be too long. Keep the notes of one card.")
        if exc.code == "invalid_value":
            return self.tr("Not merged: these two cards cannot be merged.")
        return self.tr("Not merged: %1").replace("%1", exc.text)

    def forget(self) -> None:
        """Drop what this run remembered of cards and timelines (sign-out)."""
        self._cards.clear()
        self._timelines.clear()
        self._conversations.clear()
        self._retry_txn.clear()

    # ------------------------------------------------------------------ texts

    def refusal_text(self, exc: CommandFailed, key: str, changes: CustomerChanges) -> str:
        """The hub refused an edit: say why, in the operator's language, naming the value."""
        typed = (changes.add_phones or changes.add_emails or changes.add_tags or [""])[0]
        if key.startswith("field:"):
            typed = next(iter(changes.fields.values()), "")
        if exc.code == "invalid_phone":
            return self.tr(
                "“%1” is not a valid phone number. Write it with the country code, e.g. +380 67 123 45 67."
            ).replace("%1", typed)
        if exc.code == "invalid_email":
            return self.tr("“%1” is not an e-mail address (example: name@example.com).").replace("%1", typed)
        if exc.code == "invalid_field":
            kind = next((f.type for f in self.session.custom_fields if key == f"field:{f.key}"), "text")
            if kind == "number":
                return self.tr("“%1” is not a number.").replace("%1", typed)
            if kind == "date":
                return self.tr("“%1” is not a date: write it as 23.11.2026 or 2026-11-23.").replace("%1", typed)
            return self.tr("Not saved: %1").replace("%1", exc.text)
        if exc.code == "invalid_value" and key == "name" and not (changes.name or "").strip():
            return self.tr("The name cannot be empty.")
        if exc.code == "not_found":
            return self.tr("Not saved: this customer no longer exists.")
        return self.tr("Not saved: %1").replace("%1", exc.text)

    def _failure_text(self, exc: Exception, what: str) -> str:
        if isinstance(exc, ConnectionLost):
            return self.tr("%1: the connection to the hub is down.").replace("%1", what)
        if isinstance(exc, TimeoutError):
            return self.tr("%1: the hub did not answer in time.").replace("%1", what)
        assert isinstance(exc, CommandFailed)
        if exc.code == "not_found":
            return self.tr("%1: this customer no longer exists.").replace("%1", what)
        return f"{what}: {exc.text}"

    # ------------------------------------------------------------------ session events

    def _remember(self, card: CachedCard) -> None:
        self._cards[card.profile.id] = card
        self._cards.move_to_end(card.profile.id)
        while len(self._cards) > CARDS_KEPT:
            self._cards.popitem(last=False)

    def _on_customer_changed(self, profile: CustomerProfile) -> None:
        self._changes_seen[profile.id] = self._changes_seen.get(profile.id, 0) + 1
        cached = self._cards.get(profile.id)
        if cached is not None:
            self._remember(CachedCard(profile, cached.fields, datetime.now(UTC)))
        self.customer_changed.emit(profile)

    def _forget_timelines(self, *customer_ids: int) -> None:
        """Entries moved between these customers: their pages are read again."""
        for key in [k for k in self._timelines if k[0] in customer_ids]:
            del self._timelines[key]

    def _remember_entry(self, customer_id: int, entry: TimelineEntry) -> None:
        """A new or changed entry goes into the remembered pages it belongs to."""
        if customer_id in self._arriving:
            self._arriving[customer_id].append(entry)
        for (cid, filter_name), t in self._timelines.items():
            kinds = FILTERS.get(filter_name, ())
            if cid != customer_id or (kinds and entry.kind not in kinds):
                continue
            _put(t.entries, entry)

    def _on_timeline_entry_saved(self, frame: TimelineEntrySaved) -> None:
        self._remember_entry(frame.customer_id, frame.entry)
        self.timeline_entry_arrived.emit(frame.customer_id, frame.entry)

    def _on_message_added(self, msg: MessageInfo) -> None:
        """An operator's internal note is an entry of the customer's timeline."""
        if not msg.internal or msg.author != "operator":
            return
        conv = self.conversation(msg.conversation_id)
        if conv is None:
            return
        entry = note_entry(msg, conv)
        self._remember_entry(conv.customer.id, entry)
        self.timeline_entry_arrived.emit(conv.customer.id, entry)

    def _on_merge_proposed(self, frame: MergeProposed) -> None:
        if not self.dismissed(frame.customer_id, frame.candidate_id):
            self.merge_proposed.emit(frame.customer_id, frame.candidate_id)

    def _on_customers_merged(self, frame: CustomersMerged) -> None:
        self._forget_timelines(frame.merge.kept_id, frame.merge.merged_id)
        if frame.merged is None:
            self._cards.pop(frame.merge.merged_id, None)
        self.merged_elsewhere.emit(frame)

    def _on_conversation_changed(self, conv: ConversationInfo) -> None:
        if conv.id in self._conversations or any(k[0] == conv.customer.id for k in self._timelines):
            self._conversations[conv.id] = conv
        self._remember_entry(conv.customer.id, conversation_entry(conv))

    def _on_link_changed(self, link: LinkChange) -> None:
        if link.state == "ended":  # signed out or the session was revoked: nothing stays
            self.forget()



def _put(entries: list[TimelineEntry], entry: TimelineEntry) -> None:
    """A changed entry replaces its older copy; a new one goes on top (newest first)."""
    for i, known in enumerate(entries):
        if known.kind == entry.kind and known.id == entry.id:
            entries[i] = entry
            return
    entries.insert(0, entry)


def _with_arrived(
    page: list[TimelineEntry], arrived: list[TimelineEntry], kinds: tuple[str, ...]
) -> list[TimelineEntry]:
    """The newest page with the entries that arrived live while it was read, put in
    their order of arrival."""
    merged = list(page)
    for e in arrived:
        if not kinds or e.kind in kinds:
            _put(merged, e)
    return merged
