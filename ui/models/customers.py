"""Qt list models of the customer card: the customer's conversations (the timeline,
paged from the hub as the view scrolls) and customer search results."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from app.domain.contacts import format_phone
from app.protocol.messages import ConversationInfo, CustomerProfile

ConversationRole = Qt.ItemDataRole.UserRole + 1
ProfileRole = Qt.ItemDataRole.UserRole + 2
CurrentRole = Qt.ItemDataRole.UserRole + 3  # bool: the conversation open in the middle

Index = QModelIndex | QPersistentModelIndex


def _newest_first(conv: ConversationInfo) -> tuple[float, int]:
    return (-conv.created_at.timestamp(), -conv.id)


class TimelineModel(QAbstractListModel):
    """One customer's conversations, newest first. The view asks for older pages with
    ``fetchMore`` (Qt calls it when the list is scrolled to its end); the model asks
    for them with ``older_wanted`` and the bridge's answer is added with ``append``."""

    older_wanted = Signal(int, int)  # customer id, before conversation id

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.customer_id: int | None = None
        self.has_more = False
        self.loading = False
        self.current_id: int | None = None
        self._rows: list[ConversationInfo] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        conv = self._rows[index.row()]
        if role == ConversationRole:
            return conv
        if role == CurrentRole:
            return conv.id == self.current_id
        if role == Qt.ItemDataRole.DisplayRole:
            return f"#{conv.id}"
        if role == Qt.ItemDataRole.ToolTipRole and conv.last_message is not None:
            return conv.last_message.text[:500]
        return None

    def conversation_ids(self) -> list[int]:
        return [c.id for c in self._rows]

    def show(self, customer_id: int | None, conversations: list[ConversationInfo], has_more: bool) -> None:
        """Start over with another customer (or the first page of this one)."""
        self.beginResetModel()
        self.customer_id = customer_id
        self._rows = sorted(conversations, key=_newest_first)
        self.has_more = has_more
        self.loading = False
        self.endResetModel()

    def append(self, conversations: list[ConversationInfo], has_more: bool) -> None:
        """An older page arrived."""
        self.loading = False
        self.has_more = has_more
        known = {c.id for c in self._rows}
        new = [c for c in conversations if c.id not in known]
        if new:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self._rows.extend(new)
            self.endInsertRows()

    def upsert(self, conv: ConversationInfo) -> None:
        """A conversation of this customer changed or started (live events)."""
        if conv.customer.id != self.customer_id:
            return
        for row, known in enumerate(self._rows):
            if known.id == conv.id:
                self._rows[row] = conv
                idx = self.index(row, 0)
                self.dataChanged.emit(idx, idx)
                return
        row = 0
        while row < len(self._rows) and _newest_first(self._rows[row]) < _newest_first(conv):
            row += 1
        if row == len(self._rows) and self.has_more:
            return  # older than what is loaded: it comes with its page
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, conv)
        self.endInsertRows()

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
        self.older_wanted.emit(self.customer_id, self._rows[-1].id)


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
