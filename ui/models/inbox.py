"""The team inbox as a Qt list model, with "mine" and "queue" views over it."""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
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

    def reset(self, conversations: list[ConversationInfo], unsent: dict[int, OutboxItem] | None = None) -> None:
        """Everything anew (a sync); ``unsent``: the newest unsent reply by conversation."""
        self.beginResetModel()
        if unsent is not None:
            self._unsent = dict(unsent)
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

    def conversations(self) -> list[ConversationInfo]:
        return self._rows

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


class InboxFilter(QAbstractListModel):
    """``mine``: assigned to me; ``queue``: waiting for anybody; sorted by ``sort_key``
    (ties by conversation id).

    Not a ``QSortFilterProxyModel``: that one calls back into Python for every row it
    filters and every comparison it sorts (10,000 ``filterAcceptsRow`` and ~60,000
    ``lessThan`` calls for a 5,000-conversation sync, 250–800 ms here). This keeps the
    members as a sorted list of ``(sort key, id)``: a full sync is one ``sorted()`` of
    the source's precomputed keys, an update one ``bisect`` and at most one row moved."""

    def __init__(self, kind: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.me_id: int | None = None
        self._src: InboxModel | None = None
        self._order: list[tuple[tuple[int, float, bool], int]] = []  # (key, id), sorted
        self._key_of: dict[int, tuple[int, float, bool]] = {}  # id -> its key in _order

    # ---- source

    def setSourceModel(self, source: InboxModel) -> None:
        self._src = source
        source.modelReset.connect(self._rebuild)
        source.rowsInserted.connect(self._source_inserted)
        source.rowsAboutToBeRemoved.connect(self._source_removing)
        source.dataChanged.connect(self._source_changed)
        self._rebuild()

    def sourceModel(self) -> InboxModel | None:
        return self._src

    def set_me(self, me_id: int | None) -> None:
        if me_id != self.me_id:
            self.me_id = me_id
            self._rebuild()

    def accepts(self, conv: ConversationInfo) -> bool:
        if self.kind == "mine":
            return bool(conv.status == "open" and conv.assignee_id == self.me_id)
        return bool(conv.status == "queued")

    def _rebuild(self) -> None:
        src = self._src
        self.beginResetModel()
        order = []
        if src is not None:
            accepts = self.accepts
            order = [(src.key_at(r), c.id) for r, c in enumerate(src.conversations()) if accepts(c)]
            order.sort()
        self._order = order
        self._key_of = {cid: key for key, cid in order}
        self.endResetModel()

    def _source_inserted(self, _parent: Index, first: int, last: int) -> None:
        assert self._src is not None
        for r in range(first, last + 1):
            self._place(self._src.conversation_at(r), self._src.key_at(r))

    def _source_removing(self, _parent: Index, first: int, last: int) -> None:
        assert self._src is not None
        for r in range(first, last + 1):
            self._drop(self._src.conversation_at(r).id)

    def _source_changed(self, top_left: Index, bottom_right: Index, _roles: Any = None) -> None:
        assert self._src is not None
        for r in range(top_left.row(), bottom_right.row() + 1):
            self._place(self._src.conversation_at(r), self._src.key_at(r))

    def _drop(self, conv_id: int) -> None:
        old = self._key_of.pop(conv_id, None)
        if old is None:
            return
        row = bisect_left(self._order, (old, conv_id))
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._order[row]
        self.endRemoveRows()

    def _place(self, conv: ConversationInfo, key: tuple[int, float, bool]) -> None:
        """A conversation of the source is new or changed: in, out, moved or repainted."""
        if not self.accepts(conv):
            self._drop(conv.id)
            return
        entry = (key, conv.id)
        old = self._key_of.get(conv.id)
        if old is None:
            row = bisect_left(self._order, entry)
            self.beginInsertRows(QModelIndex(), row, row)
            self._order.insert(row, entry)
            self._key_of[conv.id] = key
            self.endInsertRows()
            return
        row = bisect_left(self._order, (old, conv.id))
        # where it goes once taken out of its row
        target = bisect_left(self._order, entry)
        if target > row:
            target -= 1
        if target != row:
            # Qt's destination is a row of the list before the move
            self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), target + 1 if target > row else target)
            del self._order[row]
            self._order.insert(target, entry)
            self.endMoveRows()
        else:
            self._order[row] = entry
        self._key_of[conv.id] = key
        idx = self.index(target)
        self.dataChanged.emit(idx, idx)

    # ---- the list

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._order)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        src = self._src
        if src is None or not index.isValid() or not 0 <= index.row() < len(self._order):
            return None
        source_row = src.row_of(self._order[index.row()][1])
        return None if source_row is None else src.data(src.index(source_row), role)

    def row_of(self, conversation_id: int) -> int | None:
        """Its row in this list, or None when it is not in it."""
        key = self._key_of.get(conversation_id)
        return None if key is None else bisect_left(self._order, (key, conversation_id))

    def ids(self) -> list[int]:
        return [cid for _key, cid in self._order]


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
