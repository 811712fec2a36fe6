"""Knowledge-base search (Ctrl+K): results as you type, the matched words in bold, a
language filter. Enter or a click inserts the article's text into the composer for
editing (it is never sent from here); "Insert link" inserts the article's public
address instead, when the hub gives one (public articles only). Supervisors and admins
also create and edit articles from here (ui/dialogs/kb_editor.py)."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui import theme
from ui.bridge.kb_bridge import KbBridge
from ui.widgets.kb_panel import hit_snippet_html, hit_title_html, public_url

HitRole = Qt.ItemDataRole.UserRole + 1


class KbSearchDialog(QDialog):
    insert_requested = Signal(object, str)  # hit, "text" or "link"
    edit_requested = Signal(object)  # hit (None: a new article)

    def __init__(self, kb: KbBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kb = kb
        self.request_no = 0
        self.hits: list[Any] = []
        self.setMinimumSize(560, 420)
        self.resize(680, 520)
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.query = QLineEdit(self)
        self.query.setClearButtonEnabled(True)
        row.addWidget(self.query, 1)
        self.language = QComboBox(self)
        row.addWidget(self.language)
        lay.addLayout(row)
        self.status = QLabel(self)
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.results = QListWidget(self)
        self.results.setWordWrap(True)
        self.results.setAlternatingRowColors(True)
        self.results.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lay.addWidget(self.results, 1)
        buttons = QHBoxLayout()
        self.new_button = QPushButton(self)
        self.edit_button = QPushButton(self)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        self.link_button = QPushButton(self)
        self.insert_button = QPushButton(self)
        self.insert_button.setDefault(True)
        buttons.addWidget(self.link_button)
        buttons.addWidget(self.insert_button)
        lay.addLayout(buttons)

        self.query.textChanged.connect(lambda _t: self.run_search())
        self.language.currentIndexChanged.connect(lambda _i: self.run_search())
        self.results.itemClicked.connect(lambda _item: self.insert("text"))
        self.results.currentRowChanged.connect(lambda _r: self._update_buttons())
        self.insert_button.clicked.connect(lambda: self.insert("text"))
        self.link_button.clicked.connect(lambda: self.insert("link"))
        self.new_button.clicked.connect(lambda: self.edit_requested.emit(None))
        self.edit_button.clicked.connect(self._edit)
        kb.results_found.connect(self._found)
        kb.search_failed.connect(self._failed)
        kb.articles_changed.connect(self._articles_changed)
        self.query.installEventFilter(self)
        self.retranslate()

    # ------------------------------------------------------------------ text

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Search the knowledge base"))
        self.query.setPlaceholderText(self.tr("What is the customer asking about?"))
        current = self.language.currentData()
        self.language.blockSignals(True)
        self.language.clear()
        self.language.addItem(self.tr("All languages"), "")
        for code, name in (("ru", "Русский"), ("uk", "Українська"), ("en", "English")):
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(current)))
        self.language.blockSignals(False)
        self.insert_button.setText(self.tr("Insert answer"))
        self.insert_button.setToolTip(self.tr("Put the article's text into your reply to edit it (Enter)"))
        self.link_button.setText(self.tr("Insert link"))
        self.link_button.setToolTip(self.tr("Put the article's title and the link to its public page into your reply"))
        self.new_button.setText(self.tr("New article…"))
        self.edit_button.setText(self.tr("Edit…"))
        self._update_buttons()

    # ------------------------------------------------------------------ searching

    def open_with(self, text: str) -> None:
        """Open (again) with ``text`` (the composer's selection) as the query."""
        self.query.setText(text.strip())
        self.query.selectAll()
        self.query.setFocus()
        self.show()
        self.raise_()
        self.activateWindow()
        self.run_search()

    def run_search(self) -> None:
        q = self.query.text().strip()
        self.request_no = self.kb.search(q, self.language.currentData() or "")
        self.status.setText(self.tr("Searching…") if q else self.tr("Type what the customer is asking about."))

    def _articles_changed(self, _article: Any) -> None:
        if self.isVisible():
            self.run_search()

    def _found(self, number: int, query: str, hits: list[Any]) -> None:
        if number != self.request_no:
            return
        self.hits = list(hits)
        self.results.clear()
        muted = theme.colors().muted.name()
        for hit in self.hits:
            item = QListWidgetItem(self.results)
            item.setData(HitRole, hit)
            label = QLabel(
                f"<span style='font-weight: 600'>{hit_title_html(hit)}</span>"
                f" <span style='color: {muted}'>{html.escape(str(hit.lang).upper())}</span><br>"
                f"<span>{hit_snippet_html(hit)}</span>"
            )
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setContentsMargins(6, 4, 6, 4)
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            self.results.setItemWidget(item, label)
            width = max(200, self.results.viewport().width() - 8)
            item.setSizeHint(QSize(width, label.heightForWidth(width) + 4))
        if self.hits:
            self.results.setCurrentRow(0)
        if not query:
            self.status.setText(self.tr("Type what the customer is asking about."))
        elif not self.hits:
            self.status.setText(self.tr("Nothing found. Try other words or another language."))
        else:
            self.status.setText(self.tr("Enter or a click puts the answer into your reply; nothing is sent yet."))
        self._update_buttons()

    def _failed(self, number: int, text: str) -> None:
        if number == self.request_no:
            self.status.setText(text)

    def current_hit(self) -> Any:
        item = self.results.currentItem()
        return item.data(HitRole) if item is not None else None

    def _update_buttons(self) -> None:
        hit = self.current_hit()
        self.insert_button.setEnabled(hit is not None)
        url = public_url(hit) if hit is not None else ""
        # the link only for a public article whose address the hub gave
        self.link_button.setVisible(bool(url))
        self.new_button.setVisible(self.kb.can_edit)
        self.edit_button.setVisible(self.kb.can_edit)
        self.edit_button.setEnabled(hit is not None)

    def insert(self, how: str) -> None:
        hit = self.current_hit()
        if hit is None:
            return
        self.insert_requested.emit(hit, how)
        self.accept()

    def _edit(self) -> None:
        hit = self.current_hit()
        if hit is not None:
            self.edit_requested.emit(hit)

    def eventFilter(self, watched: Any, event: QEvent) -> bool:
        # Up/Down in the query move through the results; Enter inserts the chosen one
        if watched is self.query and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.results.count():
                step = 1 if key == Qt.Key.Key_Down else -1
                self.results.setCurrentRow(max(0, min(self.results.count() - 1, self.results.currentRow() + step)))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.insert("text")
                return True
        return super().eventFilter(watched, event)
