"""Messages of the open conversation, oldest first, then the replies still in the
outbox (pending or not sent) in typing order."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from app.client.outbox import OutboxItem
from app.protocol.messages import MessageInfo

MessageRole = Qt.ItemDataRole.UserRole + 1
OutboxRole = Qt.ItemDataRole.UserRole + 2  # the OutboxItem of an unsent reply, else None
Index = QModelIndex | QPersistentModelIndex


def as_message(item: OutboxItem, author_name: str = "") -> MessageInfo:
    """How an unsent reply is drawn: like the operator's own message."""
    return MessageInfo(
        id=0,
        conversation_id=item.conversation_id,
        author="operator",
        text=item.text,
        created_at=item.queued_at,
        author_name=author_name,
        txn_id=item.txn_id,
    )


class MessagesModel(QAbstractListModel):
    OutboxRole = OutboxRole

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.conversation_id: int | None = None
        self.author_name = ""  # shown on unsent replies
        self._rows: list[MessageInfo] = []
        self._ids: set[int] = set()
        self._outbox: list[OutboxItem] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows) + len(self._outbox)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        row = index.row()
        item = self._outbox[row - len(self._rows)] if row >= len(self._rows) else None
        msg = self._rows[row] if item is None else as_message(item, self.author_name)
        if role == Qt.ItemDataRole.DisplayRole:
            return msg.text  # plain text, always: the delegate never interprets markup
        if role == MessageRole:
            return msg
        if role == OutboxRole:
            return item
        return None

    def show(
        self, conversation_id: int | None, messages: list[MessageInfo], outbox: list[OutboxItem] | None = None
    ) -> None:
        self.beginResetModel()
        self.conversation_id = conversation_id
        self._rows = sorted(messages, key=lambda m: m.id)
        self._ids = {m.id for m in self._rows}
        sent = {m.txn_id for m in self._rows if m.txn_id}
        self._outbox = sorted((i for i in outbox or [] if i.txn_id not in sent), key=lambda i: i.local_id)
        self.endResetModel()

    def prepend(self, messages: list[MessageInfo]) -> int:
        """An older page (``messages`` sorted by id; may hold what is shown already):
        the ones older than the first row go in at the top, in one insert. Returns how many."""
        if self.conversation_id is None:
            return 0
        first = self._rows[0].id if self._rows else None
        older: list[MessageInfo] = []
        for m in messages:
            if first is not None and m.id >= first:
                break
            if m.conversation_id == self.conversation_id and m.id not in self._ids:
                older.append(m)
        if not older:
            return 0
        self.beginInsertRows(QModelIndex(), 0, len(older) - 1)
        self._rows[:0] = older
        self._ids.update(m.id for m in older)
        self.endInsertRows()
        return len(older)

    def first_id(self) -> int | None:
        return self._rows[0].id if self._rows else None

    def add(self, msg: MessageInfo) -> bool:
        if msg.conversation_id != self.conversation_id or msg.id in self._ids:
            return False
        if msg.txn_id:
            self._drop_outbox(msg.txn_id)  # the pending row becomes the stored message
        row = len(self._rows)
        while row > 0 and self._rows[row - 1].id > msg.id:
            row -= 1
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, msg)
        self._ids.add(msg.id)
        self.endInsertRows()
        return True

    def update_outbox(self, item: OutboxItem) -> None:
        """A reply was queued, failed, or sent (then its row goes; the message comes via add)."""
        if item.conversation_id != self.conversation_id:
            return
        if item.state == "sent":
            self._drop_outbox(item.txn_id)
            return
        if any(m.txn_id == item.txn_id for m in self._rows):
            return
        for i, old in enumerate(self._outbox):
            if old.txn_id == item.txn_id:
                self._outbox[i] = item
                idx = self.index(len(self._rows) + i)
                self.dataChanged.emit(idx, idx)
                return
        row = len(self._rows) + len(self._outbox)
        self.beginInsertRows(QModelIndex(), row, row)
        self._outbox.append(item)
        self.endInsertRows()

    def _drop_outbox(self, txn_id: str) -> None:
        for i, old in enumerate(self._outbox):
            if old.txn_id == txn_id:
                row = len(self._rows) + i
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._outbox[i]
                self.endRemoveRows()
                return

    def texts(self) -> list[str]:
        return [m.text for m in self._rows] + [i.text for i in self._outbox]

    def outbox_states(self) -> list[str]:
        return [i.state for i in self._outbox]
