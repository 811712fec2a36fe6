"""Messages of the open conversation, oldest first."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from app.protocol.messages import MessageInfo

MessageRole = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


class MessagesModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.conversation_id: int | None = None
        self._rows: list[MessageInfo] = []
        self._ids: set[int] = set()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        msg = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return msg.text  # plain text, always: the delegate never interprets markup
        if role == MessageRole:
            return msg
        return None

    def show(self, conversation_id: int | None, messages: list[MessageInfo]) -> None:
        self.beginResetModel()
        self.conversation_id = conversation_id
        self._rows = sorted(messages, key=lambda m: m.id)
        self._ids = {m.id for m in self._rows}
        self.endResetModel()

    def add(self, msg: MessageInfo) -> bool:
        if msg.conversation_id != self.conversation_id or msg.id in self._ids:
            return False
        row = len(self._rows)
        while row > 0 and self._rows[row - 1].id > msg.id:
            row -= 1
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, msg)
        self._ids.add(msg.id)
        self.endInsertRows()
        return True

    def texts(self) -> list[str]:
        return [m.text for m in self._rows]
