"""Messages of the open conversation, oldest first, then the replies still in the
outbox (pending or not sent) in typing order.

The model holds a window of at most ``WINDOW_ROWS`` stored messages out of the history
the session keeps (which grows to the whole conversation as the operator scrolls back):
a ``QListView`` with rows of different heights lays out every row of its model on each
insert, so a page put in at the top of 2,000 rows cost 30–200 ms here. Scrolling back
past the window drops rows at the bottom; scrolling down again takes them back from the
session's memory (``append_newer``), dropping rows at the top; the view keeps the
message being read in place in both directions."""

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


WINDOW_ROWS = 400  # stored messages in the model at most (8 pages of the hub's 50)
FIRST_ROWS = 50  # shown when a conversation is opened (the newest; more while scrolling)


class MessagesModel(QAbstractListModel):
    OutboxRole = OutboxRole
    window_rows = WINDOW_ROWS  # an attribute, so that a test can make the window small

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.conversation_id: int | None = None
        self.author_name = ""  # shown on unsent replies
        self._rows: list[MessageInfo] = []
        self._ids: set[int] = set()
        self._outbox: list[OutboxItem] = []
        self.older_hidden = False  # the session holds older messages than the first row
        self.newer_hidden = False  # ... and newer ones than the last (scrolled back past the window)
        self.appending_newer = False  # rows going in at the end are the window moving down

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
        """The newest ``FIRST_ROWS`` of ``messages`` (the session's history, any order)
        and the unsent replies."""
        self.beginResetModel()
        self.conversation_id = conversation_id
        rows = sorted(messages, key=lambda m: m.id)
        self.older_hidden = len(rows) > FIRST_ROWS
        self.newer_hidden = False
        self._rows = rows[-FIRST_ROWS:]
        self._ids = {m.id for m in self._rows}
        sent = {m.txn_id for m in messages if m.txn_id}
        self._outbox = sorted((i for i in outbox or [] if i.txn_id not in sent), key=lambda i: i.local_id)
        self.endResetModel()

    def prepend(self, messages: list[MessageInfo], limit: int | None = None) -> int:
        """Older messages at the top, in one insert: of ``messages`` (the session's
        history, sorted by id) the ones older than the first row, at most ``limit`` of
        them (the nearest). Rows past the window at the bottom go first. Returns how many."""
        if self.conversation_id is None:
            return 0
        first = self._rows[0].id if self._rows else None
        older: list[MessageInfo] = []
        for m in messages:
            if first is not None and m.id >= first:
                break
            if m.conversation_id == self.conversation_id and m.id not in self._ids:
                older.append(m)
        limit = min(limit or self.window_rows, self.window_rows)
        self.older_hidden = len(older) > limit
        older = older[-limit:]
        if not older:
            return 0
        excess = len(self._rows) + len(older) - self.window_rows
        if excess > 0:  # the bottom leaves the window (before the insert: one layout for both)
            n = len(self._rows)
            self.beginRemoveRows(QModelIndex(), n - excess, n - 1)
            self._ids.difference_update(m.id for m in self._rows[n - excess:])
            del self._rows[n - excess:]
            self.newer_hidden = True
            self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), 0, len(older) - 1)
        self._rows[:0] = older
        self._ids.update(m.id for m in older)
        self.endInsertRows()
        return len(older)

    def append_newer(self, messages: list[MessageInfo], limit: int = FIRST_ROWS) -> int:
        """Scrolling down a window that was left at the bottom: the next ``limit``
        messages of ``messages`` (the session's history, sorted by id) after the last
        row; rows past the window at the top go first. Returns how many came in."""
        if self.conversation_id is None or not self._rows:
            return 0
        last = self._rows[-1].id
        newer = [m for m in messages if m.id > last and m.conversation_id == self.conversation_id]
        self.newer_hidden = len(newer) > limit
        newer = newer[:limit]
        excess = len(self._rows) + len(newer) - self.window_rows
        if excess > 0:  # the top leaves the window first (the view keeps its place)
            self.beginRemoveRows(QModelIndex(), 0, excess - 1)
            self._ids.difference_update(m.id for m in self._rows[:excess])
            del self._rows[:excess]
            self.older_hidden = True
            self.endRemoveRows()
        if newer:
            n = len(self._rows)
            self.appending_newer = True
            try:
                self.beginInsertRows(QModelIndex(), n, n + len(newer) - 1)
                self._rows.extend(newer)
                self._ids.update(m.id for m in newer)
                self.endInsertRows()
            finally:
                self.appending_newer = False
        return len(newer)

    def message_at(self, row: int) -> MessageInfo:
        """The message of a row as drawn (an unsent reply as the operator's message)."""
        if row < len(self._rows):
            return self._rows[row]
        return as_message(self._outbox[row - len(self._rows)], self.author_name)

    def stored_count(self) -> int:
        """Rows of stored messages (the unsent replies follow them)."""
        return len(self._rows)

    def first_id(self) -> int | None:
        return self._rows[0].id if self._rows else None

    def add(self, msg: MessageInfo) -> bool:
        """A new message of the conversation; not shown while the window was left
        above the newest ones (``append_newer`` brings it when scrolled down)."""
        if msg.conversation_id != self.conversation_id or msg.id in self._ids:
            return False
        if self.newer_hidden and self._rows and msg.id > self._rows[-1].id:
            if msg.txn_id:
                self._drop_outbox(msg.txn_id)
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
