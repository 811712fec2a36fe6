"""The team inbox as a Qt list model, with "mine" and "queue" views over it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from app.client.outbox import OutboxItem
from app.domain.sla import Level, level
from app.protocol.messages import ConversationInfo

ConversationRole = Qt.ItemDataRole.UserRole + 1
SortKeyRole = Qt.ItemDataRole.UserRole + 2
UnsentRole = Qt.ItemDataRole.UserRole + 3  # OutboxItem: newest reply not sent yet, else None

Index = QModelIndex | QPersistentModelIndex


def sort_key(conv: ConversationInfo) -> tuple[int, float, bool]:
    """Least SLA time left first (VIP first among equals), then longest waiting;
    conversations nobody waits on after them, newest activity first."""
    if conv.sla_due_at is not None:
        return (0, conv.sla_due_at.timestamp(), not conv.customer.vip)
    if conv.waiting_since is not None:
        return (0, conv.waiting_since.timestamp(), not conv.customer.vip)
    last = conv.last_message.created_at if conv.last_message else conv.created_at
    return (1, -last.timestamp(), False)


class InboxModel(QAbstractListModel):
    """Every queued or open conversation the hub told us about."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[ConversationInfo] = []
        self._row_of: dict[int, int] = {}
        self._keys: list[tuple[int, float, bool]] = []  # sort keys of _rows, kept with them
        self._unsent: dict[int, OutboxItem] = {}  # conversation id -> newest unsent reply

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        conv = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return conv.customer.name
        if role == ConversationRole:
            return conv
        if role == UnsentRole:
            return self._unsent.get(conv.id)
        if role == SortKeyRole:
            return self._keys[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole and conv.last_message is not None:
            return conv.last_message.text[:500]
        return None

    def reset(self, conversations: list[ConversationInfo]) -> None:
        self.beginResetModel()
        self._rows = [c for c in conversations if c.status != "resolved"]
        self._keys = [sort_key(c) for c in self._rows]
        self._reindex()
        self.endResetModel()

    def upsert(self, conv: ConversationInfo) -> None:
        row = self._row_of.get(conv.id)
        if conv.status == "resolved":
            if row is not None:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                del self._keys[row]
                self._reindex()
                self.endRemoveRows()
            return
        if row is None:
            n = len(self._rows)
            self.beginInsertRows(QModelIndex(), n, n)
            self._rows.append(conv)
            self._keys.append(sort_key(conv))
            self._row_of[conv.id] = n
            self.endInsertRows()
        else:
            self._rows[row] = conv
            self._keys[row] = sort_key(conv)
            idx = self.index(row)
            self.dataChanged.emit(idx, idx)

    def set_unsent(self, conversation_id: int, item: OutboxItem | None) -> None:
        """The newest reply of the conversation still in the outbox (preview), or None."""
        if item is None:
            if self._unsent.pop(conversation_id, None) is None:
                return
        else:
            self._unsent[conversation_id] = item
        row = self._row_of.get(conversation_id)
        if row is not None:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx)

    def conversation_at(self, row: int) -> ConversationInfo:
        return self._rows[row]

    def key_at(self, row: int) -> tuple[int, float, bool]:
        return self._keys[row]

    def row_of(self, conversation_id: int) -> int | None:
        return self._row_of.get(conversation_id)

    def conversation(self, conversation_id: int) -> ConversationInfo | None:
        row = self._row_of.get(conversation_id)
        return self._rows[row] if row is not None else None

    def _reindex(self) -> None:
        self._row_of = {c.id: i for i, c in enumerate(self._rows)}


class InboxFilter(QSortFilterProxyModel):
    """``mine``: assigned to me; ``queue``: waiting for anybody."""

    def __init__(self, kind: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.me_id: int | None = None
        self.setSortRole(SortKeyRole)
        self.setDynamicSortFilter(True)

    def set_me(self, me_id: int | None) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            self.me_id = me_id
            self.endFilterChange()
        else:  # pragma: no cover - older Qt
            self.me_id = me_id
            self.invalidateFilter()

    # Both run thousands of times per sort or filter of a 5,000-conversation inbox: they
    # read the source's lists directly instead of going through Qt's index and data().

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        src = self.sourceModel()
        if isinstance(src, InboxModel):
            conv = src.conversation_at(source_row)
        else:
            conv = src.index(source_row, 0, source_parent).data(ConversationRole)
        if conv is None:
            return False
        if self.kind == "mine":
            return bool(conv.status == "open" and conv.assignee_id == self.me_id)
        return bool(conv.status == "queued")

    def lessThan(self, left: Index, right: Index) -> bool:
        src = self.sourceModel()
        if isinstance(src, InboxModel):
            return src.key_at(left.row()) < src.key_at(right.row())
        return bool(left.data(SortKeyRole) < right.data(SortKeyRole))


def waited_seconds(conv: ConversationInfo, now: datetime | None = None) -> float | None:
    if conv.waiting_since is None:
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (now - conv.waiting_since).total_seconds())


def sla_left(conv: ConversationInfo, now: datetime | None = None) -> tuple[float, Level] | None:
    """Seconds left on the running SLA clock (negative after a breach) and its colour level."""
    if conv.sla_due_at is None or conv.sla_target_s is None:
        return None
    left = (conv.sla_due_at - (now or datetime.now(UTC))).total_seconds()
    return left, level(left, conv.sla_target_s)
