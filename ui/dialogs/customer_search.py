"""Find a customer (Ctrl+Shift+F): by name, phone in any format, e-mail or a custom
field value. Results appear as you type; Enter or a double click opens the card."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

from app.protocol.messages import CustomerProfile
from ui.bridge.customer_bridge import CustomerBridge
from ui.models.customers import CustomerListModel, ProfileRole

TYPING_PAUSE_MS = 300
MIN_CHARS = 2


class CustomerSearchDialog(QDialog):
    customer_chosen = Signal(object)  # CustomerProfile

    def __init__(self, customers: CustomerBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.customers = customers
        self.query_sent = ""
        self.setMinimumSize(460, 420)
        lay = QVBoxLayout(self)
        self.field = QLineEdit(self)
        self.field.setClearButtonEnabled(True)
        self.field.installEventFilter(self)
        lay.addWidget(self.field)
        self.status = QLabel(self)
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.model = CustomerListModel(self)
        self.results = QListView(self)
        self.results.setModel(self.model)
        self.results.setAlternatingRowColors(True)
        self.results.setSpacing(2)
        self.results.setWordWrap(True)
        self.results.activated.connect(self._choose_index)
        self.results.doubleClicked.connect(self._choose_index)
        lay.addWidget(self.results, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Close, self
        )
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.clicked.connect(self._choose_current)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.pause = QTimer(self)
        self.pause.setSingleShot(True)
        self.pause.setInterval(TYPING_PAUSE_MS)
        self.pause.timeout.connect(self.search_now)
        self.field.textEdited.connect(lambda _t: self.pause.start())
        self.field.returnPressed.connect(self._enter)
        customers.customers_found.connect(self.on_found)
        customers.search_failed.connect(self.on_failed)
        self.retranslate()
        self._update_buttons()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Find a customer"))
        self.field.setPlaceholderText(self.tr("Name, phone, e-mail or e.g. a policy number"))
        self.open_button.setText(self.tr("Open card"))
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Close"))
        if not self.query_sent:
            self.status.setText(self.tr("A phone number may be written any way: 067 123 45 67, +380671234567…"))

    def search_now(self) -> None:
        self.pause.stop()
        query = self.field.text().strip()
        if len(query) < MIN_CHARS:
            self.query_sent = ""
            self.model.show([])
            self.retranslate()
            self._update_buttons()
            return
        if not self.customers.online:
            self.status.setText(self.tr("Search needs the connection to the hub, which is down right now."))
            return
        self.query_sent = query
        self.status.setText(self.tr("Searching…"))
        self.customers.search(query)

    def on_found(self, query: str, found: list[CustomerProfile]) -> None:
        if query != self.query_sent:
            return
        self.model.show(found)
        if found:
            self.results.setCurrentIndex(self.model.index(0, 0))
            n = len(found)
            self.status.setText(
                self.tr("1 customer found") if n == 1 else self.tr("%n customers found", "", n)
            )
        else:
            self.status.setText(self.tr("Nobody found for “%1”.").replace("%1", query))
        self._update_buttons()

    def on_failed(self, query: str, text: str) -> None:
        if query == self.query_sent:
            self.status.setText(text)

    def _update_buttons(self) -> None:
        self.open_button.setEnabled(self.model.rowCount() > 0)

    def _enter(self) -> None:
        """Enter in the field: search now, or open the highlighted result when the
        results are for what is typed."""
        if self.field.text().strip() == self.query_sent and self.model.rowCount() > 0:
            self._choose_current()
        else:
            self.search_now()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up/Down in the field move through the results
        if watched is self.field and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.model.rowCount():
                row = self.results.currentIndex().row()
                row = row + 1 if event.key() == Qt.Key.Key_Down else row - 1
                row = max(0, min(self.model.rowCount() - 1, row))
                self.results.setCurrentIndex(self.model.index(row, 0))
                return True
        return super().eventFilter(watched, event)

    def _choose_current(self) -> None:
        idx = self.results.currentIndex()
        self._choose_index(idx if idx.isValid() else self.model.index(0, 0))

    def _choose_index(self, index: QModelIndex) -> None:
        profile: CustomerProfile | None = index.data(ProfileRole) if index.isValid() else None
        if profile is None:
            return
        self.customer_chosen.emit(profile)
        self.accept()

    def open_fresh(self) -> None:
        """Show it with the field focused and its text selected (Ctrl+Shift+F again)."""
        self.show()
        self.raise_()
        self.activateWindow()
        self.field.setFocus()
        self.field.selectAll()
