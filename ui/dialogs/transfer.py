"""Transfer a conversation to a colleague or to a line, with an internal note."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.protocol.messages import MAX_TEXT_CHARS, OperatorInfo, QueueInfo

STATUS_ORDER = {"online": 0, "busy": 1, "away": 2, "offline": 3}


class TransferDialog(QDialog):
    """``target()`` is ("operator", id) or ("queue", id); ``note()`` the internal note."""

    def __init__(
        self,
        customer_name: str,
        operators: list[OperatorInfo],
        queues: list[QueueInfo],
        me_id: int | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Transfer %1").replace("%1", customer_name))
        self.setMinimumWidth(420)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(self.tr("Transfer to"), self))
        self.target_box = QComboBox(self)
        status_names = {
            "online": self.tr("online"),
            "away": self.tr("away"),
            "busy": self.tr("busy"),
            "offline": self.tr("offline"),
        }
        for q in queues:
            kind = self.tr("first line") if q.kind == "first" else self.tr("line")
            self.target_box.addItem(f"⇢ {q.name} ({kind})", ("queue", q.id))
        for op in sorted(operators, key=lambda o: (STATUS_ORDER.get(o.status, 9), o.display_name)):
            if op.id == me_id:
                continue
            label = f"{op.display_name} · {status_names.get(op.status, op.status)}"
            self.target_box.addItem(label, ("operator", op.id))
        lay.addWidget(self.target_box)
        lay.addWidget(QLabel(self.tr("Internal note (the customer never sees it)"), self))
        self.note_edit = QPlainTextEdit(self)
        self.note_edit.setProperty("noteMode", "true")
        self.note_edit.setPlaceholderText(
            self.tr("What has been done, what is left — so nobody asks the customer again")
        )
        self.note_edit.setFixedHeight(110)
        lay.addWidget(self.note_edit)
        self.hint = QLabel(self)
        self.hint.setObjectName("muted")
        lay.addWidget(self.hint)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Transfer"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.note_edit.textChanged.connect(self._validate)
        self._validate()

    def target(self) -> tuple[str, int] | None:
        data = self.target_box.currentData()
        return (str(data[0]), int(data[1])) if data else None

    def note(self) -> str:
        return self.note_edit.toPlainText().strip()

    def _validate(self) -> None:
        ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        too_long = len(self.note()) > MAX_TEXT_CHARS
        no_target = self.target_box.count() == 0
        ok_button.setEnabled(not too_long and not no_target)
        if no_target:
            self.hint.setText(self.tr("There is nobody to transfer to."))
        elif too_long:
            self.hint.setText(self.tr("The note is too long."))
        else:
            self.hint.setText("")
