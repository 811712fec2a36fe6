"""The composer's template helpers: the ``/shortcode`` completion list, the inline
fill-in dialog for a template's prompts (``{?Policy number}``), and the highlighter that
marks placeholders still in the text (an unknown variable, or one without a value)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.templates import PLACEHOLDER
from app.protocol.messages import TemplateInfo
from ui import theme

TemplateRole = Qt.ItemDataRole.UserRole + 1
SHOWN_MAX = 8


def matching(templates: dict[str, TemplateInfo], typed: str) -> list[TemplateInfo]:
    """Templates for ``/typed``: shortcodes that start with it first, then those whose
    shortcode or title contains it; at most :data:`SHOWN_MAX`."""
    needle = typed.casefold()
    first = [t for code, t in sorted(templates.items()) if code.startswith(needle)]
    rest = [
        t for code, t in sorted(templates.items())
        if not code.startswith(needle) and needle and (needle in code or needle in t.title.casefold())
    ]
    return (first + rest)[:SHOWN_MAX]


class CompletionList(QListWidget):
    """Shortcodes matching what follows the ``/``; it never takes the focus (the
    composer keeps it and drives the list with Up/Down, Tab/Enter and Esc)."""

    chosen = Signal(object)  # TemplateInfo

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("templateCompletion")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setUniformItemSizes(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.itemClicked.connect(lambda item: self.chosen.emit(item.data(TemplateRole)))
        self.hide()

    def show_templates(self, found: list[TemplateInfo], team_label: str, personal_label: str) -> None:
        self.clear()
        for t in found:
            scope = team_label if t.scope == "team" else personal_label
            item = QListWidgetItem(f"/{t.shortcode}   {t.title}   · {scope}")
            item.setData(TemplateRole, t)
            item.setToolTip(t.body)
            self.addItem(item)
        self.setCurrentRow(0)

    def current_template(self) -> TemplateInfo | None:
        item = self.currentItem()
        return item.data(TemplateRole) if item is not None else None

    def step(self, step: int) -> None:
        if self.count():
            self.setCurrentRow((self.currentRow() + step) % self.count())


class PromptBar(QFrame):
    """The small inline dialog that asks for a template's fill-in values before the
    text goes into the composer. Enter moves to the next field (the last one inserts),
    Esc cancels; nothing is sent."""

    accepted = Signal(dict)  # prompt label -> value
    cancelled = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("promptBar")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.setSpacing(6)
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.title.setObjectName("promptTitle")
        lay.addWidget(self.title)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        lay.addLayout(self.form)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton(self)
        self.insert_button = QPushButton(self)
        self.insert_button.setDefault(True)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.insert_button)
        lay.addLayout(buttons)
        self.fields: list[tuple[str, QLineEdit]] = []
        self.insert_button.clicked.connect(self._accept)
        self.cancel_button.clicked.connect(self._cancel)
        self.hide()

    def ask(self, title: str, labels: list[str], insert_text: str, cancel_text: str) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = []
        self.title.setText(title)
        self.insert_button.setText(insert_text)
        self.cancel_button.setText(cancel_text)
        for label in labels:
            edit = QLineEdit(self)
            edit.setMaxLength(500)
            edit.returnPressed.connect(self._next)
            self.form.addRow(label, edit)
            self.fields.append((label, edit))
        self.show()
        if self.fields:
            self.fields[0][1].setFocus()

    def values(self) -> dict[str, str]:
        return {label: edit.text().strip() for label, edit in self.fields}

    def _next(self) -> None:
        edits = [e for _l, e in self.fields]
        sender = self.sender()
        if sender in edits and edits.index(sender) < len(edits) - 1:  # type: ignore[arg-type]
            edits[edits.index(sender) + 1].setFocus()  # type: ignore[arg-type]
        else:
            self._accept()

    def _accept(self) -> None:
        values = self.values()
        self.hide()
        self.accepted.emit(values)

    def _cancel(self) -> None:
        self.hide()
        self.cancelled.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._cancel()
            return
        super().keyPressEvent(event)


class PlaceholderHighlighter(QSyntaxHighlighter):
    """Marks every ``{…}`` placeholder left in the composer: an unknown variable, one
    without a value, or an unanswered prompt. It stays visible until the operator
    replaces it; it is never removed for them."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)

    def highlightBlock(self, text: str) -> None:
        c = theme.colors()
        fmt = QTextCharFormat()
        fmt.setBackground(c.note_bubble)
        fmt.setForeground(c.bad)
        fmt.setFontWeight(QFont.Weight.DemiBold)
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(c.bad)
        for m in PLACEHOLDER.finditer(text):
            self.setFormat(m.start(), m.end() - m.start(), fmt)
