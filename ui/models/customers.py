"""Qt list models of the customer card: the customer's timeline (conversations, notes,
merges…, paged from the hub as the view scrolls) and customer search results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from app.domain.contacts import format_phone
from app.protocol.messages import ConversationInfo, CustomerProfile, MessageInfo, TimelineEntry

ConversationRole = Qt.ItemDataRole.UserRole + 1  # the ConversationInfo of a conversation entry
ProfileRole = Qt.ItemDataRole.UserRole + 2
CurrentRole = Qt.ItemDataRole.UserRole + 3  # bool: the conversation open in the middle
EntryRole = Qt.ItemDataRole.UserRole + 4  # the TimelineEntry

Index = QModelIndex | QPersistentModelIndex

# The filter chips of the card: what each asks the hub for (empty: every kind)
FILTERS: dict[str, tuple[str, ...]] = {
    "all": (),
    "conversations": ("conversation",),
    "notes": ("note", "customer_note"),
}


def newest_first(e: TimelineEntry) -> tuple[float, tuple[int, ...], int]:
    """Sort key of the hub's order, (at, kind, id) descending, as an ascending key."""
    return (-e.at.timestamp(), (*(-ord(ch) for ch in e.kind), 1), -e.id)


def conversation_entry(conv: ConversationInfo) -> TimelineEntry:
    return TimelineEntry(
        kind="conversation", id=conv.id, at=conv.created_at, conversation_id=conv.id, conversation=conv
    )


def note_entry(msg: MessageInfo, conv: ConversationInfo | None = None) -> TimelineEntry:
    """An internal note of an operator in a conversation, as the timeline shows it."""
    return TimelineEntry(
        conversation=conv,
        kind="note",
        id=msg.id,
        at=msg.created_at,
        conversation_id=msg.conversation_id,
        text=msg.text,
        author_id=msg.operator_id,
        author_name=msg.author_name,
    )


class TimelineModel(QAbstractListModel):
    """One customer's timeline, newest first: entries of every kind, or of the kinds
    of the chosen filter. The view asks for older pages with ``fetchMore`` (Qt calls it
    when the list is scrolled to its end); the model asks for them with
    ``older_wanted`` (customer id, the last entry's cursor, the filter) and the bridge's
    answer is added with ``append``."""

    older_wanted = Signal(int, object, str)  # customer id, TimelineCursor, filter name

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.customer_id: int | None = None
        self.filter = "all"
        self.has_more = False
        self.loading = False
        self.current_id: int | None = None
        self._rows: list[TimelineEntry] = []
        self._keys: set[tuple[str, int]] = set()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        e = self._rows[index.row()]
        if role == EntryRole:
            return e
        if role == ConversationRole:
            return e.conversation
        if role == CurrentRole:
            return e.kind == "conversation" and e.id == self.current_id
        if role == Qt.ItemDataRole.DisplayRole:
            return e.text if e.kind in ("note", "customer_note") else f"#{e.id}"
        if role == Qt.ItemDataRole.ToolTipRole:
            if e.conversation is not None and e.conversation.last_message is not None:
                return e.conversation.last_message.text[:500]
            if e.text:
                return e.text[:1000]
        return None

    def entries(self) -> list[TimelineEntry]:
        return list(self._rows)

    def conversation_ids(self) -> list[int]:
        return [e.id for e in self._rows if e.kind == "conversation"]

    def kinds(self) -> tuple[str, ...]:
        return FILTERS.get(self.filter, ())

    def accepts(self, e: TimelineEntry) -> bool:
        kinds = self.kinds()
        return not kinds or e.kind in kinds

    def show(self, customer_id: int | None, entries: Iterable[TimelineEntry], has_more: bool) -> None:
        """Start over with another customer (or the first page of this one)."""
        self.beginResetModel()
        self.customer_id = customer_id
        self._rows = sorted((e for e in entries if self.accepts(e)), key=newest_first)
        self._keys = {(e.kind, e.id) for e in self._rows}
        self.has_more = has_more
        self.loading = False
        self.endResetModel()

    def append(self, entries: Iterable[TimelineEntry], has_more: bool) -> None:
        """An older page arrived."""
        self.loading = False
        self.has_more = has_more
        new = [e for e in entries if (e.kind, e.id) not in self._keys and self.accepts(e)]
        if new:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self._rows.extend(new)
            self._keys.update((e.kind, e.id) for e in new)
            self.endInsertRows()

    def upsert_entry(self, e: TimelineEntry) -> int | None:
        """An entry of this customer changed or arrived (live events); its row, or None
        when it is older than what is loaded (it comes with its page) or filtered out."""
        if not self.accepts(e):
            return None
        if (e.kind, e.id) in self._keys:
            for row, known in enumerate(self._rows):
                if known.kind == e.kind and known.id == e.id:
                    self._rows[row] = e
                    idx = self.index(row, 0)
                    self.dataChanged.emit(idx, idx)
                    return row
        key = newest_first(e)
        row = 0
        while row < len(self._rows) and newest_first(self._rows[row]) < key:
            row += 1
        if row == len(self._rows) and self.has_more:
            return None
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, e)
        self._keys.add((e.kind, e.id))
        self.endInsertRows()
        return row

    def upsert(self, conv: ConversationInfo) -> None:
        """A conversation of this customer changed or started (live events)."""
        if conv.customer.id == self.customer_id:
            self.upsert_entry(conversation_entry(conv))

    def row_of(self, kind: str, entry_id: int) -> int | None:
        for row, e in enumerate(self._rows):
            if e.kind == kind and e.id == entry_id:
                return row
        return None

    def set_current(self, conversation_id: int | None) -> None:
        self.current_id = conversation_id
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0), [CurrentRole])

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self.has_more and not self.loading and bool(self._rows)

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent) or self.customer_id is None:
            return
        self.loading = True
        self.older_wanted.emit(self.customer_id, self._rows[-1].cursor, self.filter)


class CustomerListModel(QAbstractListModel):
    """Customer search results, best first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[CustomerProfile] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        p = self._rows[index.row()]
        if role == ProfileRole:
            return p
        if role == Qt.ItemDataRole.DisplayRole:
            name = f"★ {p.name}" if p.vip else p.name
            details = [format_phone(x) for x in p.phones[:2]] + p.emails[:1]
            return name + ("\n" + " · ".join(details) if details else "")
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join([p.name, *map(format_phone, p.phones), *p.emails, *p.tags])
        return None

    def show(self, profiles: list[CustomerProfile]) -> None:
        self.beginResetModel()
        self._rows = list(profiles)
        self.endResetModel()

    def profile(self, row: int) -> CustomerProfile | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None
