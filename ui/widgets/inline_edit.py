"""Edit-in-place pieces of the customer card: a value that turns into an editor when
clicked (Enter or leaving the field saves, Esc cancels), tag chips and a flow layout.

The field never saves anything itself: it asks with ``commit_requested(text)`` and is
told the outcome (``saved()`` / ``failed(text)``). A refused value stays in the editor
with the reason under it, so nothing the operator typed is lost.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QContextMenuEvent, QFocusEvent, QGuiApplication, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


def repolish(w: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    w.style().unpolish(w)
    w.style().polish(w)


def set_style_property(w: QWidget, name: str, value: str) -> None:
    """Set a property the style sheet selects on, re-applying the style only when it
    changed (a re-polish costs ~0.5 ms; a card render set a dozen each time)."""
    if w.property(name) != value:
        w.setProperty(name, value)
        repolish(w)


class ClickLabel(QLabel):
    """A label that acts on a click, Enter, Space or F2, and offers "Copy" for its value."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.copy_text = ""
        self.active = True
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setIndent(0)  # the style sheet pads it (ui/theme.py)

    def set_active(self, active: bool) -> None:
        self.active = active
        self.setCursor(Qt.CursorShape.PointingHandCursor if active else Qt.CursorShape.ArrowCursor)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus if active else Qt.FocusPolicy.NoFocus)
        set_style_property(self, "editable", "true" if active else "false")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        inside = self.rect().contains(event.position().toPoint())
        if self.active and event.button() == Qt.MouseButton.LeftButton and inside:
            self.clicked.emit()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.active and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space, Qt.Key.Key_F2):
            self.clicked.emit()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if not self.copy_text:
            return
        menu = QMenu(self)
        copy = menu.addAction(self.tr("Copy"))
        copy.triggered.connect(lambda: QGuiApplication.clipboard().setText(self.copy_text))
        menu.exec(event.globalPos())


def left_the_field(event: QFocusEvent) -> bool:
    """Focus went elsewhere in the window (a click, Tab): that saves. Not when another
    window was activated (the operator switched programs, the window is closing) or a
    menu opened: the editor stays as it is."""
    return event.reason() not in (Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason)


class _LineEditor(QLineEdit):
    cancelled = Signal()
    left = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.cancelled.emit()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if left_the_field(event):
            self.left.emit()


class _TextEditor(QPlainTextEdit):
    cancelled = Signal()
    left = Signal()
    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.cancelled.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.submitted.emit()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if left_the_field(event):
            self.left.emit()


class InlineField(QWidget):
    """A value shown as text; a click (or Enter/F2 on it) edits it in place.

    Enter (Ctrl+Enter when ``multiline``) or leaving the editor asks to save a changed
    value with ``commit_requested``; Esc puts the value back. While the answer is out
    the editor is read-only and says "Saving…"; ``saved()`` closes it, ``failed(text)``
    keeps it open with the operator's text and the reason below."""

    commit_requested = Signal(str)
    edit_started = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        multiline: bool = False,
        max_length: int = 0,
        allow_empty: bool = True,
    ) -> None:
        super().__init__(parent)
        self.multiline = multiline
        self.allow_empty = allow_empty
        self.editing = False
        self.saving = False
        self._editable = True
        self._shown = ""
        self._edit_text = ""
        self._original = ""
        self._failed: str | None = None
        self._empty_text = ""
        self._empty_read_only = ""
        self._hint = ""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        self.display = ClickLabel(self)
        self.display.clicked.connect(self.begin_edit)
        lay.addWidget(self.display)
        self.editor: _LineEditor | _TextEditor
        if multiline:
            self.editor = _TextEditor(self)
            self.editor.setTabChangesFocus(True)
            self.editor.setFixedHeight(110)
            self.editor.submitted.connect(lambda: self._commit(leaving=False))
        else:
            self.editor = _LineEditor(self)
            if max_length:
                self.editor.setMaxLength(max_length)
            self.editor.returnPressed.connect(lambda: self._commit(leaving=False))
        self.editor.cancelled.connect(self.cancel)
        self.editor.left.connect(lambda: self._commit(leaving=True))
        self.editor.hide()
        lay.addWidget(self.editor)
        self.message = QLabel(self)
        self.message.setObjectName("fieldMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        lay.addWidget(self.message)
        self.display.set_active(True)
        self._render()

    # ------------------------------------------------------------------ what it shows

    def set_value(self, shown: str, edit_text: str | None = None, copy_text: str | None = None) -> None:
        """The value as shown, as the editor starts with, and as "Copy" copies. An
        open editor keeps what the operator typed."""
        self._shown = shown
        self._edit_text = shown if edit_text is None else edit_text
        self.display.copy_text = shown if copy_text is None else copy_text
        self._render()

    def set_empty_text(self, text: str, read_only: str | None = None) -> None:
        """What shows without a value: an invitation while editable ("No notes yet —
        click to add"), a plain statement while read-only ("No notes")."""
        self._empty_text = text
        self._empty_read_only = text if read_only is None else read_only
        self._render()

    def set_hint(self, text: str) -> None:
        """What the line under an open editor says while there is no error."""
        self._hint = text
        if self.editing and self._failed is None and not self.saving:
            self._say(text, "hint")

    def set_placeholder(self, text: str) -> None:
        self.editor.setPlaceholderText(text)

    def set_editable(self, editable: bool) -> None:
        self._editable = editable
        self.display.set_active(editable)
        self._render()

    def text(self) -> str:
        """What is shown (the value, or the empty text)."""
        return self.display.text()

    @property
    def error(self) -> str:
        return self.message.text() if self._failed is not None else ""

    def editor_text(self) -> str:
        return self.editor.toPlainText() if isinstance(self.editor, QPlainTextEdit) else self.editor.text()

    def _render(self) -> None:
        empty = not self._shown
        blank = self._empty_text if self._editable else self._empty_read_only
        self.display.setText(blank if empty else self._shown)
        set_style_property(self.display, "empty", "true" if empty else "false")

    def _say(self, text: str, kind: str) -> None:
        self.message.setText(text)
        set_style_property(self.message, "kind", kind)
        self.message.setVisible(bool(text))

    # ------------------------------------------------------------------ editing

    def begin_edit(self) -> None:
        if not self._editable or self.editing:
            return
        self.editing = True
        self._failed = None
        self._original = self._edit_text
        if isinstance(self.editor, QPlainTextEdit):
            self.editor.setPlainText(self._edit_text)
        else:
            self.editor.setText(self._edit_text)
            self.editor.selectAll()
        self.editor.setReadOnly(False)
        self.display.hide()
        self.editor.show()
        self._say(self._hint, "hint")
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)
        QTimer.singleShot(0, self._reveal)  # once the layout made room for the editor
        self.edit_started.emit()

    def _reveal(self) -> None:
        """Scroll the editor and the line under it into view (inside a scroll area)."""
        w = self.parentWidget()
        while w is not None and not isinstance(w, QScrollArea):
            w = w.parentWidget()
        if isinstance(w, QScrollArea) and self.editing:
            w.ensureWidgetVisible(self, 0, 8)

    def cancel(self) -> None:
        """Esc: the value as it was; the editor closes."""
        if self.saving:
            return
        self._close()

    def _close(self) -> None:
        self.editing = False
        self._failed = None
        self.editor.hide()
        self.display.show()
        self._say("", "hint")

    def _commit(self, *, leaving: bool) -> None:
        if not self.editing or self.saving:
            return
        text = self.editor_text().strip()
        if leaving and self._failed is not None and text == self._failed:
            return  # refused and unchanged: stays open with its reason
        if (text == self._original.strip() and self._failed is None) or (not text and not self.allow_empty):
            self._close()
            return
        self.saving = True
        self._failed = None
        self.message.setToolTip("")
        self.editor.setReadOnly(True)
        self._say(self.tr("Saving…"), "hint")
        self.commit_requested.emit(text)

    def saved(self) -> None:
        """The hub took the value: show it (the owner sets the new value)."""
        self.saving = False
        self.editor.setReadOnly(False)
        self._close()

    def failed(self, text: str, detail: str = "") -> None:
        """The hub refused it: the editor stays open with the operator's text."""
        self.saving = False
        self.editor.setReadOnly(False)
        self._failed = self.editor_text().strip()
        self._say(text, "error")
        self.message.setToolTip(detail)
        if not self.editor.isVisible():
            self.display.hide()
            self.editor.show()
        QTimer.singleShot(0, self._reveal)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange and self.saving:
            self._say(self.tr("Saving…"), "hint")
        super().changeEvent(event)


class TagChip(QFrame):
    """One tag, with a × to remove it (hidden when the card is read-only)."""

    remove_requested = Signal(str)

    def __init__(self, tag: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tag = tag
        self.setObjectName("tagChip")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 1, 2, 1)
        lay.setSpacing(2)
        self.label = QLabel(tag, self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.label)
        self.remove_button = QToolButton(self)
        self.remove_button.setText("×")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setObjectName("chipRemove")
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self.tag))
        lay.addWidget(self.remove_button)
        self._lay = lay

    def set_removable(self, removable: bool) -> None:
        self.remove_button.setVisible(removable)
        self._lay.setContentsMargins(8, 1, 2 if removable else 8, 1)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)


class FlowLayout(QLayout):
    """Lays its items out left to right, wrapping to the next line (tags)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # type: ignore[override]
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # type: ignore[override]
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        x, y, line_h = rect.x(), rect.y(), 0
        for item in self._items:
            if item.widget() is not None and item.widget().isHidden():
                continue
            hint = item.sizeHint()
            if x > rect.x() and x + hint.width() > rect.right() + 1:
                x, y = rect.x(), y + line_h + self._spacing
                line_h = 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line_h = max(line_h, hint.height())
        return y + line_h - rect.y()
