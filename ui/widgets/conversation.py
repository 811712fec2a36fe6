"""The conversation in the middle: header, history as bubbles, the composer."""

from __future__ import annotations

import re
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QBuffer,
    QCoreApplication,
    QEvent,
    QIODevice,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QCursor,
    QFocusEvent,
    QFont,
    QFontMetrics,
    QHideEvent,
    QImage,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPolygonF,
    QResizeEvent,
    QTextCursor,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.client.outbox import OutboxItem
from app.client.wa_templates import WindowInfo
from app.domain.files import DEFAULT_MAX_BYTES
from app.domain.templates import PLACEHOLDER, expand, prompts
from app.protocol.messages import MAX_TEXT_CHARS, AttachmentInfo, ConversationInfo, MessageInfo, TemplateInfo
from ui import theme
from ui.bridge.files_bridge import FilesBridge, thumb_size
from ui.channels import channel_name
from ui.models.messages import MessageRole, MessagesModel, OutboxRole
from ui.widgets.template_inline import CompletionList, PlaceholderHighlighter, PromptBar, matching

Index = QModelIndex | QPersistentModelIndex

PAD = 10
PAINTED_DOCS = 200  # laid-out bubble texts kept for repainting
GAP = 6
META_GAP = 3
ATT_GAP = 6  # between the text and the attachments of a bubble, and between attachments
CHIP_PAD = 6
ICON_W = 16  # the file icon in a file chip


def size_text(_obj: QObject, size: int) -> str:
    """A file size as people read it, translated."""
    if size < 1024:
        return QCoreApplication.translate("FileSize", "%1 B").replace("%1", str(size))
    if size < 1024 * 1024:
        return QCoreApplication.translate("FileSize", "%1 KB").replace("%1", str(round(size / 1024)))
    return QCoreApplication.translate("FileSize", "%1 MB").replace("%1", f"{size / (1024 * 1024):.1f}")


def plain_document(text: str, font: QFont, width: float) -> QTextDocument:
    """Message text laid out as plain text: markup in a message is shown, never interpreted."""
    doc = QTextDocument()
    doc.setDefaultFont(font)
    opt = QTextOption()
    opt.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    doc.setDefaultTextOption(opt)
    doc.setPlainText(text)
    doc.setDocumentMargin(0)
    doc.setTextWidth(width)
    return doc


class MessageDelegate(QStyledItemDelegate):
    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self.view = view
        # attachments: thumbnails come from the files bridge (set by the window; None in
        # tests of the bare pane); where each was drawn, for clicks (message id -> rects)
        self.files: FilesBridge | None = None
        self._hits: dict[int, list[tuple[QRectF, AttachmentInfo]]] = {}
        # Row heights by (message, width): the list asks for every row's size whenever it
        # lays itself out (each older page put in at the top), and laying out a text
        # document is the costly part. A stored message never changes; an unsent reply
        # (id 0) is keyed by its txn_id and text. Forgotten when the font changes.
        self._heights: dict[tuple[object, ...], int] = {}
        # One document re-used to measure new rows (setPlainText on it): a third of the
        # cost of a new document per row, the same heights.
        self._measure: tuple[str, float, QTextDocument] | None = None
        # The laid-out documents of the bubbles painted last (a scroll or a repaint of
        # the list paints the same rows again; laying out their text was most of it).
        self._docs: OrderedDict[tuple[object, ...], tuple[QTextDocument, float]] = OrderedDict()
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._heights.clear()
            self._measure = None
            self._docs.clear()
        return False

    def _row_key(self, msg: MessageInfo) -> tuple[object, ...]:
        width = self.view.viewport().width()
        return (msg.id, width) if msg.id else (msg.txn_id, msg.text, width)

    def _painted_document(self, msg: MessageInfo, index: Index) -> tuple[QTextDocument, float]:
        key = self._row_key(msg)
        entry = self._docs.get(key)
        if entry is not None:
            self._docs.move_to_end(key)
            return entry
        doc = self.document_for(index)
        text_w = min(doc.idealWidth(), self._bubble_width() - 2 * PAD)
        doc.setTextWidth(max(text_w, 1.0))
        entry = self._docs[key] = (doc, text_w)
        if len(self._docs) > PAINTED_DOCS:
            self._docs.popitem(last=False)
        return entry

    def _text_height(self, text: str) -> float:
        font = self.view.font()
        width = self._bubble_width() - 2 * PAD
        m = self._measure
        if m is None or m[0] != font.key() or m[1] != width:
            m = self._measure = (font.key(), width, plain_document("", font, width))
        doc = m[2]
        doc.setPlainText(text)
        return float(doc.size().height())

    def _bubble_width(self) -> float:
        return max(160.0, self.view.viewport().width() * 0.68)

    def document_for(self, index: Index) -> QTextDocument:
        msg: MessageInfo = index.data(MessageRole)
        return plain_document(msg.text, self.view.font(), self._bubble_width() - 2 * PAD)

    def _chip_text(self, att: AttachmentInfo) -> str:
        return f"{att.name} · {size_text(self, att.size)}"

    def attachment_boxes(self, msg: MessageInfo) -> list[tuple[AttachmentInfo, float, float]]:
        """Each attachment's (width, height) inside the bubble: images by the size the hub
        measured (so a row never changes height when its picture arrives), files as chips."""
        if not msg.attachments:
            return []
        fm = QFontMetrics(self.view.font())
        max_w = self._bubble_width() - 2 * PAD
        out = []
        for att in msg.attachments:
            if att.mime.startswith("image/"):
                w, h = thumb_size(att)
                out.append((att, float(min(w, max_w)), float(h)))
            else:
                w = min(max_w, fm.horizontalAdvance(self._chip_text(att)) + 2 * CHIP_PAD + ICON_W + 4)
                out.append((att, float(w), float(fm.height() + 2 * CHIP_PAD)))
        return out

    def _attachments_height(self, msg: MessageInfo, has_text: bool) -> float:
        boxes = self.attachment_boxes(msg)
        if not boxes:
            return 0.0
        return sum(h for _a, _w, h in boxes) + ATT_GAP * (len(boxes) - 1) + (ATT_GAP if has_text else 0)

    def attachment_at(self, index: Index, pos: QPoint) -> AttachmentInfo | None:
        """The attachment drawn under ``pos`` (viewport coordinates) in this row."""
        msg: MessageInfo | None = index.data(MessageRole)
        if msg is None:
            return None
        top_left = self.view.visualRect(QModelIndex(index)).topLeft()
        rel = QPointF(pos - top_left)
        for rect, att in self._hits.get(msg.id, []):
            if rect.contains(rel):
                return att
        return None

    def _meta_font(self) -> QFont:
        f = QFont(self.view.font())
        f.setPointSizeF(max(7.0, f.pointSizeF() * 0.85))
        return f

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        # asked for every row at each layout: the model's list directly, not data()
        width = self.view.viewport().width()
        model = index.model()
        msg: MessageInfo = (
            model.message_at(index.row()) if isinstance(model, MessagesModel) else index.data(MessageRole)
        )
        key = self._row_key(msg)
        h = self._heights.get(key)
        if h is None:
            has_text = bool(msg.text) or not msg.attachments
            meta_h = QFontMetrics(self._meta_font()).height()
            text_h = self._text_height(msg.text) if has_text else 0.0
            height = text_h + self._attachments_height(msg, has_text) + 2 * PAD + meta_h + META_GAP + GAP * 2
            if not msg.id:  # an unsent reply (the only rows without an id)
                height += meta_h + META_GAP  # the state line under the bubble
            h = int(height)
            if len(self._heights) > 50_000:
                self._heights.clear()
            self._heights[key] = h
        return QSize(width, h)

    def state_text(self, item: OutboxItem) -> str:
        if item.state == "failed" and item.error == "window_closed":
            return self.tr("Not sent: the 24-hour window has closed — send a template")
        if item.state == "failed":
            return self.tr("Not sent — resend")
        return self.tr("Sending…")

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        msg: MessageInfo | None = index.data(MessageRole)
        if msg is None:
            return
        c = theme.colors()
        pal = option.palette  # type: ignore[attr-defined]
        rect = option.rect  # type: ignore[attr-defined]
        has_text = bool(msg.text) or not msg.attachments
        boxes = self.attachment_boxes(msg)
        doc, text_w = self._painted_document(msg, index)
        if not has_text:
            text_w = 0.0
        text_h = doc.size().height() if has_text else 0.0
        content_w = max([text_w, *(w for _a, w, _h in boxes)])
        meta_font = self._meta_font()
        mfm = QFontMetrics(meta_font)

        who = msg.author_name or {
            "customer": self.tr("Customer"),
            "system": self.tr("System"),
        }.get(msg.author, self.tr("Operator"))
        meta = f"{who} · {msg.created_at.astimezone().strftime('%H:%M')}"
        if msg.internal:
            meta = self.tr("Note (operators only)") + f" · {meta}"
        bubble_w = max(content_w + 2 * PAD, mfm.horizontalAdvance(meta) + 2)
        bubble_h = text_h + self._attachments_height(msg, has_text) + 2 * PAD
        top = rect.top() + GAP
        mine = msg.author == "operator"
        if msg.author == "system":
            left = rect.left() + (rect.width() - bubble_w) / 2
        elif mine:
            left = rect.right() - 16 - bubble_w
        else:
            left = rect.left() + 16

        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(meta_font)
        painter.setPen(c.muted)
        align = Qt.AlignmentFlag.AlignRight if mine else Qt.AlignmentFlag.AlignLeft
        painter.drawText(QRectF(left, top, bubble_w, mfm.height()), align, meta)
        btop = top + mfm.height() + META_GAP
        bubble = QRectF(left, btop, bubble_w, bubble_h)
        painter.setPen(Qt.PenStyle.NoPen)
        item: OutboxItem | None = index.data(OutboxRole)
        if item is not None:
            painter.setOpacity(0.7)  # not on the hub yet: a paler bubble
        if msg.internal:
            painter.setPen(c.note_border)
            painter.setBrush(c.note_bubble)
        elif msg.author == "system":
            painter.setBrush(Qt.BrushStyle.NoBrush)
        else:
            painter.setBrush(c.operator_bubble if mine else c.customer_bubble)
        painter.drawRoundedRect(bubble, 4 if msg.internal else 10, 4 if msg.internal else 10)
        if item is not None:
            # an unsent reply: its state under the bubble, in red with the action when it failed
            painter.setOpacity(1.0)
            painter.setFont(meta_font)
            painter.setPen(c.bad if item.state == "failed" else c.muted)
            state = self.state_text(item)
            sw = mfm.horizontalAdvance(state) + 2
            painter.drawText(
                QRectF(rect.right() - 16 - sw, btop + bubble_h + META_GAP, sw, mfm.height()),
                Qt.AlignmentFlag.AlignRight,
                state,
            )
            painter.setOpacity(0.85)
        painter.translate(left + PAD, btop + PAD)
        color = c.operator_text if mine else (c.system_text if msg.author == "system" else pal.text().color())
        if msg.internal:
            color = c.note_text
        if has_text:
            ctx = QAbstractTextDocumentLayout.PaintContext()
            ctx.palette.setColor(QPalette.ColorRole.Text, color)
            doc.documentLayout().draw(painter, ctx)
        if boxes:
            painter.setOpacity(1.0)
            self._paint_attachments(painter, msg, boxes, text_h + (ATT_GAP if has_text else 0), color)
            origin = QPointF(left + PAD - rect.left(), btop + PAD - rect.top())
            y = text_h + (ATT_GAP if has_text else 0)
            hits = []
            for att, w, h in boxes:
                hits.append((QRectF(origin.x(), origin.y() + y, w, h), att))
                y += h + ATT_GAP
            self._hits[msg.id] = hits
        painter.restore()

    def _paint_attachments(
        self,
        painter: QPainter,
        msg: MessageInfo,
        boxes: list[tuple[AttachmentInfo, float, float]],
        y: float,
        color: QColor,
    ) -> None:
        c = theme.colors()
        fm = QFontMetrics(self.view.font())
        painter.setFont(self.view.font())  # the size the boxes were measured with
        for att, w, h in boxes:
            box = QRectF(0, y, w, h)
            if att.mime.startswith("image/"):
                img = self.files.image(att.id) if self.files is not None else None
                if img is not None:
                    painter.save()
                    path = QPainterPath()
                    path.addRoundedRect(box, 6, 6)
                    painter.setClipPath(path)
                    painter.drawImage(box, img)
                    painter.restore()
                else:
                    painter.setPen(Qt.PenStyle.NoPen)
                    shade = QColor(c.muted)
                    shade.setAlpha(60)
                    painter.setBrush(shade)
                    painter.drawRoundedRect(box, 6, 6)
                    painter.setPen(c.muted)
                    failed = self.files is not None and self.files.image_failed(att.id)
                    label = self.tr("Image not available") if failed or self.files is None else self.tr("Loading…")
                    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
                    if self.files is not None and not failed:
                        self.files.request_image(att)
            else:
                edge = QColor(color)
                edge.setAlpha(110)
                painter.setPen(edge)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(box.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
                painter.setPen(color)
                # a page with a folded corner: drawn, so no emoji font is needed
                ih = min(14.0, h - 8)
                ix, iy = box.left() + CHIP_PAD, box.top() + (h - ih) / 2
                fold = ih * 0.3
                iw = ih * 0.75
                page = QPolygonF([QPointF(ix, iy), QPointF(ix + iw - fold, iy), QPointF(ix + iw, iy + fold),
                                  QPointF(ix + iw, iy + ih), QPointF(ix, iy + ih)])
                painter.drawPolygon(page)
                text = fm.elidedText(self._chip_text(att), Qt.TextElideMode.ElideMiddle, int(w - 2 * CHIP_PAD - ICON_W))
                painter.drawText(box.adjusted(CHIP_PAD + ICON_W, 0, -CHIP_PAD, 0), Qt.AlignmentFlag.AlignVCenter, text)
            y += h + ATT_GAP


_SLASH = re.compile(r"(?:^|(?<=\s))/([\w-]*)$")


class Composer(QPlainTextEdit):
    """Where the reply is typed. Ctrl+Enter sends; Enter makes a new line.

    Typing ``/ref`` offers the matching answer templates in a list above the composer
    (Up/Down to choose, Tab or Enter or a click to take one, Esc to close it); a whole
    shortcode followed by Tab takes that template without the list. The template is
    never sent: ``template_chosen`` asks the pane to put its text in place of the
    ``/shortcode`` for editing.

    Files dropped on it and images pasted into it become attachments (not text)."""

    submitted = Signal()
    template_chosen = Signal(object, int, int)  # TemplateInfo, start and end of the "/shortcode"
    completion_opened = Signal()  # the list is shown: the pane places it
    files_dropped = Signal(list)  # local paths
    image_pasted = Signal(QImage)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.templates: dict[str, TemplateInfo] = {}  # shortcode -> template (ui.bridge.template_bridge)
        self.completion: CompletionList | None = None  # made by the pane, which places it
        self.team_label = "team"
        self.personal_label = "personal"
        self._dismissed: tuple[int, str] | None = None  # Esc on this "/token": quiet until it changes
        self.highlighter = PlaceholderHighlighter(self.document())
        self.textChanged.connect(self.update_completion)
        self.cursorPositionChanged.connect(self.update_completion)

    def slash_token(self) -> tuple[int, str] | None:
        """The ``/word`` right before the cursor (start position, the word), if any."""
        cur = self.textCursor()
        if cur.hasSelection():
            return None
        block = cur.block()
        before = block.text()[: cur.positionInBlock()]
        m = _SLASH.search(before)
        if m is None:
            return None
        return block.position() + m.start(), m.group(1)

    def update_completion(self) -> None:
        popup = self.completion
        if popup is None:
            return
        token = self.slash_token()
        if token is None or not self.templates or token == self._dismissed or not self.isEnabled():
            popup.hide()
            return
        found = matching(self.templates, token[1])
        if not found:
            popup.hide()
            return
        popup.show_templates(found, self.team_label, self.personal_label)
        popup.show()
        popup.raise_()
        self.completion_opened.emit()

    def choose(self, template: TemplateInfo | None = None) -> bool:
        """Take ``template`` (default: the one chosen in the list, else the exact
        shortcode typed) in place of the ``/word`` before the cursor."""
        token = self.slash_token()
        if token is None:
            return False
        if template is None:
            popup = self.completion
            if popup is not None and popup.isVisible():
                template = popup.current_template()
            else:
                template = self.templates.get(token[1].casefold())
        if template is None:
            return False
        if self.completion is not None:
            self.completion.hide()
        start = token[0]
        self.template_chosen.emit(template, start, start + 1 + len(token[1]))
        return True

    def event(self, e: QEvent) -> bool:
        # Tab is taken for the focus chain before keyPressEvent sees it: a template first
        if e.type() == QEvent.Type.KeyPress and isinstance(e, QKeyEvent) and e.key() == Qt.Key.Key_Tab:
            if not (e.modifiers() & ~Qt.KeyboardModifier.KeypadModifier) and self.choose():
                return True
        return super().event(e)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return source.hasImage() or _local_files(source) != [] or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        paths = _local_files(source)
        if paths:
            self.files_dropped.emit(paths)
            return
        if source.hasImage():
            img = source.imageData()
            if isinstance(img, QImage) and not img.isNull():
                self.image_pasted.emit(img)
                return
        super().insertFromMimeData(source)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        popup = self.completion
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if popup is not None and popup.isVisible() and not ctrl:
            key = event.key()
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                popup.step(-1 if key == Qt.Key.Key_Up else 1)
                return
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.choose():
                return
            if key == Qt.Key.Key_Escape:
                self._dismissed = self.slash_token()
                popup.hide()
                return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and ctrl:
            self.submitted.emit()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        if self.completion is not None:
            self.completion.hide()
        super().focusOutEvent(event)


def _local_files(source: QMimeData) -> list[str]:
    return [u.toLocalFile() for u in source.urls() if u.isLocalFile()] if source.hasUrls() else []


@dataclass
class PendingFile:
    """A file attached in the composer: uploading (``sent`` of ``size``), ready
    (``info``) or refused (``error``)."""

    key: str
    name: str
    chip: QFrame
    label: QLabel
    sent: int = 0
    size: int = 0
    info: AttachmentInfo | None = None
    error: str = ""


TYPING_REPEAT_S = 3.0
TYPING_IDLE_MS = 4000


def bubble_kind(msg: MessageInfo) -> str:
    """How a message is drawn: ``note`` (yellow, operators only), ``operator``, ``customer``, ``system``."""
    return "note" if msg.internal else msg.author


class ConversationPane(QWidget):
    send_requested = Signal(int, str)
    note_requested = Signal(int, str)
    resend_requested = Signal(str)  # txn_id of a "not sent" reply
    take_requested = Signal(int)
    resolve_requested = Signal(int)
    transfer_requested = Signal(int)
    state_requested = Signal(int, str, object)  # id, state, snoozed_until (datetime | None)
    typing_changed = Signal(int, bool)
    older_requested = Signal(int)  # scrolled back near the top: the page before, please
    newer_requested = Signal(int)  # scrolled down to the end of a window left above the newest
    newest_requested = Signal(int)  # "New messages ↓" clicked while the newest are not in the model
    # attachments (FilesBridge): a file or pasted image to upload, an upload to stop, a
    # reply with files, an attachment to open or save
    attach_path_requested = Signal(str, str)  # key, local path
    attach_data_requested = Signal(str, bytes, str)  # key, bytes, file name
    upload_cancel_requested = Signal(str)  # key
    send_files_requested = Signal(int, str, list)  # conversation id, text, file ids
    open_file_requested = Signal(object)  # AttachmentInfo
    save_file_requested = Signal(object, str)  # AttachmentInfo, path
    # WhatsApp: the 24-hour window is closed, the operator wants to send an approved template
    template_dialog_requested = Signal(int)  # conversation id

    def __init__(self, model: MessagesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.conversation: ConversationInfo | None = None
        self.me_id: int | None = None

        self.stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

        # empty page
        self.empty = QLabel(self)
        self.empty.setObjectName("muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setMargin(40)
        self.stack.addWidget(self.empty)

        # conversation page
        page = QWidget(self)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(12, 10, 12, 10)
        lay.setSpacing(8)

        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.title = QLabel(page)
        self.title.setObjectName("sectionTitle")
        self.subtitle = QLabel(page)
        self.subtitle.setObjectName("muted")
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)
        self.take_button = QPushButton(page)
        self.state_button = QToolButton(page)
        self.state_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.state_menu = QMenu(self.state_button)
        self.waiting_action = self.state_menu.addAction("")
        self.snooze_hour_action = self.state_menu.addAction("")
        self.snooze_morning_action = self.state_menu.addAction("")
        self.reopen_action = self.state_menu.addAction("")
        self.state_button.setMenu(self.state_menu)
        self.transfer_button = QPushButton(page)
        self.resolve_button = QPushButton(page)
        head.addWidget(self.take_button)
        head.addWidget(self.state_button)
        head.addWidget(self.transfer_button)
        head.addWidget(self.resolve_button)
        lay.addLayout(head)
        self.collision = QLabel(page)
        self.collision.setObjectName("collision")
        self.collision.hide()
        lay.addWidget(self.collision)

        self.banner = QFrame(page)
        self.banner.setObjectName("banner")
        bl = QHBoxLayout(self.banner)
        bl.setContentsMargins(10, 6, 10, 6)
        self.banner_text = QLabel(self.banner)
        self.banner_text.setWordWrap(True)
        bl.addWidget(self.banner_text, 1)
        lay.addWidget(self.banner)

        self.list = QListView(page)
        self.list.setModel(model)
        self.list.setItemDelegate(MessageDelegate(self.list))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.list.setSelectionMode(QListView.SelectionMode.NoSelection)
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setWordWrap(True)
        self.list.setMouseTracking(True)
        self.list.clicked.connect(self._message_clicked)
        self.list.entered.connect(self._message_hovered)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._attachment_menu)
        lay.addWidget(self.list, 1)
        # "Loading earlier messages…": over the top of the list, so showing it moves nothing
        self.loading_label = QLabel(self.list)
        self.loading_label.setObjectName("historyLoading")
        self.loading_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loading_label.hide()
        # "New messages ↓": a message came while the operator reads further up; the
        # view stays where it is (over the bottom of the list, so showing it moves nothing)
        self.new_pill = QPushButton(self.list)
        self.new_pill.setObjectName("newMessagesPill")
        self.new_pill.setCursor(Qt.CursorShape.PointingHandCursor)
        self.new_pill.hide()
        self.new_pill.clicked.connect(self.jump_to_newest)
        self._at_bottom = True  # before rows go in at the end
        self._removed_above: tuple[int, int] | None = None  # scroll value, height of rows leaving above
        self.more_history = False  # older messages exist on the hub
        self.loading_older = False  # and are being read
        self._top_value: int | None = None  # scroll value before rows go in at the top
        self._older_check = QTimer(self)  # after the scroll or layout settles, not in the middle of it
        self._older_check.setSingleShot(True)
        self._older_check.setInterval(0)
        self._older_check.timeout.connect(self._maybe_request_older)
        bar = self.list.verticalScrollBar()
        bar.valueChanged.connect(lambda _v: self._older_check.start())
        bar.valueChanged.connect(lambda _v: self._pill_check())
        bar.rangeChanged.connect(lambda _a, _b: self._older_check.start())
        self.typing_label = QLabel(page)
        self.typing_label.setObjectName("typing")
        self.typing_label.setText(" ")
        lay.addWidget(self.typing_label)

        modes = QHBoxLayout()
        modes.setSpacing(4)
        self.reply_mode = QPushButton(page)
        self.note_mode = QPushButton(page)
        self.mode_group = QButtonGroup(self)
        for b in (self.reply_mode, self.note_mode):
            b.setCheckable(True)
            b.setFlat(True)
            self.mode_group.addButton(b)
            modes.addWidget(b)
        self.reply_mode.setChecked(True)
        modes.addStretch(1)
        lay.addLayout(modes)

        # files attached to the reply being typed: a chip each (name, progress, ✕)
        self.pending: dict[str, PendingFile] = {}
        self._pending_seq = 0
        self.pending_bar = QWidget(page)
        self.pending_layout = QHBoxLayout(self.pending_bar)
        self.pending_layout.setContentsMargins(0, 0, 0, 0)
        self.pending_layout.setSpacing(6)
        self.pending_layout.addStretch(1)
        self.pending_bar.hide()
        lay.addWidget(self.pending_bar)
        # WhatsApp's 24-hour window has closed: only approved templates reach the customer
        self.window_info: WindowInfo | None = None
        self.window_banner = QFrame(page)
        self.window_banner.setObjectName("noticeBanner")
        wl = QHBoxLayout(self.window_banner)
        wl.setContentsMargins(10, 6, 10, 6)
        self.window_text = QLabel(self.window_banner)
        self.window_text.setWordWrap(True)
        wl.addWidget(self.window_text, 1)
        self.template_button = QPushButton(self.window_banner)
        self.template_button.setObjectName("chooseTemplate")
        wl.addWidget(self.template_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.window_banner.hide()
        lay.addWidget(self.window_banner)
        self._window_timer = QTimer(self)  # the window closes while the conversation is shown
        self._window_timer.setSingleShot(True)
        self._window_timer.timeout.connect(self._window_elapsed)
        # a template's fill-in values are asked for here, right above the composer
        self.prompt_bar = PromptBar(page)
        lay.addWidget(self.prompt_bar)
        self._pending_template: tuple[TemplateInfo, QTextCursor] | None = None
        # where the window's values for template variables come from (set by the window;
        # held weakly: the window owns this pane)
        self._variable_source: weakref.WeakMethod[Callable[[], dict[str, str]]] | None = None

        row = QHBoxLayout()
        self.composer = Composer(page)
        self.composer.setFixedHeight(84)
        self.composer.setTabChangesFocus(True)
        self.composer.completion = CompletionList(page)
        row.addWidget(self.composer, 1)
        buttons = QVBoxLayout()
        buttons.setSpacing(4)
        self.attach_button = QToolButton(page)
        self.attach_button.setObjectName("attachButton")
        buttons.addStretch(1)
        buttons.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignRight)
        self.send_button = QPushButton(page)
        self.send_button.setDefault(True)
        buttons.addWidget(self.send_button)
        row.addLayout(buttons)
        lay.addLayout(row)
        self.hint = QLabel(page)
        self.hint.setObjectName("muted")
        lay.addWidget(self.hint)
        self.stack.addWidget(page)

        self.composer.submitted.connect(self.submit)
        self.composer.files_dropped.connect(self.attach_paths)
        self.composer.image_pasted.connect(self.attach_image)
        self.attach_button.clicked.connect(self._choose_files)
        self.composer.completion_opened.connect(self._place_completion)
        self.composer.template_chosen.connect(self._template_chosen)
        self.composer.completion.chosen.connect(self.composer.choose)
        self.prompt_bar.accepted.connect(self._prompts_answered)
        self.prompt_bar.cancelled.connect(self._prompts_cancelled)
        self.send_button.clicked.connect(self.submit)
        self.template_button.clicked.connect(self._choose_template)
        self.take_button.clicked.connect(self._take)
        self.resolve_button.clicked.connect(self._resolve)
        self.composer.textChanged.connect(self._update_hint)
        self.composer.textChanged.connect(self._composer_changed)
        self.transfer_button.clicked.connect(self._transfer)
        self.reply_mode.toggled.connect(lambda _on: self._mode_changed())
        self.waiting_action.triggered.connect(lambda: self._state("waiting"))
        self.snooze_hour_action.triggered.connect(
            lambda: self._state("snoozed", datetime.now(UTC) + timedelta(hours=1))
        )
        self.snooze_morning_action.triggered.connect(lambda: self._state("snoozed", tomorrow_morning()))
        self.reopen_action.triggered.connect(lambda: self._state("open"))
        self._typing_sent_at = 0.0
        self._typing_idle = QTimer(self)
        self._typing_idle.setSingleShot(True)
        self._typing_idle.setInterval(TYPING_IDLE_MS)
        self._typing_idle.timeout.connect(self._stop_typing)
        self.customer_typing = False
        self.other_viewers: list[str] = []
        self.other_typing: str = ""
        model.rowsAboutToBeInserted.connect(self._before_insert)
        model.rowsInserted.connect(self._after_insert)
        model.rowsAboutToBeRemoved.connect(self._before_remove)
        model.rowsRemoved.connect(self._after_remove)
        model.modelReset.connect(self._after_reset)
        self.retranslate()
        self.show_conversation(None)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.empty.setText(self.tr(
            "Select a conversation on the left.\n\nNew customer chats appear there as they arrive; "
            "the ones assigned to you are under “Mine”."))
        self.take_button.setText(self.tr("Take"))
        self.take_button.setToolTip(self.tr("Assign this conversation to yourself"))
        self.resolve_button.setText(self.tr("Resolve"))
        self.resolve_button.setToolTip(self.tr("Mark the customer's question as answered"))
        self.send_button.setText(self.tr("Send"))
        self.attach_button.setText(self.tr("Attach…"))
        self.attach_button.setToolTip(self.tr(
            "Attach images or PDF files (up to %1 each). You can also drop files here or paste an image."
        ).replace("%1", size_text(self, self.max_file_bytes)))
        self.transfer_button.setText(self.tr("Transfer…"))
        self.transfer_button.setToolTip(self.tr("Hand this conversation to a colleague or a line, with a note"))
        self.state_button.setText(self.tr("State"))
        self.waiting_action.setText(self.tr("Waiting for the customer"))
        self.snooze_hour_action.setText(self.tr("Snooze for 1 hour"))
        self.snooze_morning_action.setText(self.tr("Snooze until tomorrow 09:00"))
        self.reopen_action.setText(self.tr("Reopen"))
        self.reply_mode.setText(self.tr("Reply"))
        self.note_mode.setText(self.tr("Internal note"))
        self.note_mode.setToolTip(self.tr("A note is shown to operators only, never to the customer"))
        self.loading_label.setText(self.tr("Loading earlier messages…"))
        self.composer.team_label = self.tr("team")
        self.composer.personal_label = self.tr("personal")
        self._place_loading_label()
        self.window_text.setText(self.tr("The 24-hour window has closed: WhatsApp only delivers approved templates"))
        self.template_button.setText(self.tr("Choose template…"))
        self.template_button.setToolTip(self.tr(
            "Send a message template approved by WhatsApp; when the customer answers, you can write freely again"
        ))
        self.new_pill.setText(self.tr("New messages ↓"))
        self.new_pill.setToolTip(self.tr("Go to the newest message"))
        self._place_pill()
        self._mode_changed()
        self._update_typing()
        self._update_header()
        self._update_hint()

    def show_conversation(self, conv: ConversationInfo | None) -> None:
        switched = conv is None or self.conversation is None or conv.id != self.conversation.id
        self.conversation = conv
        self.stack.setCurrentIndex(0 if conv is None else 1)
        if switched:
            self._stop_typing()
            self._prompts_cancelled()
            self.composer.clear()
            self.clear_pending()
            self.reply_mode.setChecked(True)
            self.customer_typing = False
            self.other_viewers = []
            self.other_typing = ""
            self._update_typing()
            self.window_info = None
            self._window_timer.stop()
        self._update_header()

    # ------------------------------------------------------------------ WhatsApp's 24-hour window

    def set_window(self, info: WindowInfo | None) -> None:
        """The shown conversation's customer-service window (None: not known, or none)."""
        self.window_info = info
        self._window_timer.stop()
        if info is not None and info.applies and info.open and info.closes_at is not None:
            left_ms = (info.closes_at - datetime.now(UTC)).total_seconds() * 1000
            self._window_timer.start(int(min(max(left_ms, 0) + 500, 24 * 3600 * 1000)))
        self._update_header()

    def window_closed(self) -> bool:
        info, conv = self.window_info, self.conversation
        return (
            info is not None and info.applies and not info.open
            and conv is not None and conv.status != "resolved"
        )

    def _window_elapsed(self) -> None:
        info = self.window_info
        if info is not None and info.closes_at is not None and datetime.now(UTC) >= info.closes_at:
            self.set_window(WindowInfo(applies=True, open=False, last_customer_at=info.last_customer_at,
                                       closes_at=info.closes_at))

    def _choose_template(self) -> None:
        if self.conversation is not None:
            self.template_dialog_requested.emit(self.conversation.id)

    # ------------------------------------------------------------------ scrolling back

    def set_history_state(self, more: bool, loading: bool) -> None:
        """Whether older messages exist, and whether they are being read (the label)."""
        self.more_history = more
        self.loading_older = loading
        self.loading_label.setVisible(loading and more)
        if loading:
            self._place_loading_label()
            self.loading_label.raise_()

    def _place_loading_label(self) -> None:
        self.loading_label.ensurePolished()  # the style sheet's padding counts in its size
        self.loading_label.adjustSize()
        w, h = self.loading_label.width(), self.loading_label.height()
        vp = self.list.viewport().geometry()
        self.loading_label.setGeometry(vp.left() + (vp.width() - w) // 2, vp.top() + 4, w, h)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_loading_label()
        self._place_pill()

    def _place_pill(self) -> None:
        self.new_pill.ensurePolished()
        self.new_pill.adjustSize()
        w, h = self.new_pill.width(), self.new_pill.height()
        vp = self.list.viewport().geometry()
        self.new_pill.setGeometry(vp.left() + (vp.width() - w) // 2, vp.bottom() - h - 8, w, h)

    def is_at_bottom(self) -> bool:
        """The newest message is in view (the window holds it and the list is at its end)."""
        bar = self.list.verticalScrollBar()
        return not self.model.newer_hidden and bar.value() >= bar.maximum() - 4

    def _pill_check(self) -> None:
        if self.new_pill.isVisible() and self.is_at_bottom():
            self.new_pill.hide()

    def show_new_pill(self) -> None:
        """A message came in below what the operator is reading."""
        self._place_pill()
        self.new_pill.show()
        self.new_pill.raise_()

    def jump_to_newest(self) -> None:
        self.new_pill.hide()
        if self.model.newer_hidden and self.conversation is not None:
            self.newest_requested.emit(self.conversation.id)  # the newest page anew: at the bottom
        else:
            self.list.scrollToBottom()

    def _maybe_request_older(self) -> None:
        conv = self.conversation
        if conv is None or self.loading_older or self.model.rowCount() == 0:
            return
        bar = self.list.verticalScrollBar()
        near = max(80, self.list.viewport().height() // 2)
        if (self.more_history or self.model.older_hidden) and bar.value() <= near:
            self.older_requested.emit(conv.id)
        elif self.model.newer_hidden and near < bar.value() >= bar.maximum() - near:
            self.newer_requested.emit(conv.id)

    def _rows_height(self, first: int, last: int) -> int:
        """Laid-out height of rows ``first..last`` (the delegate's cached sizes; no spacing)."""
        lst, model = self.list, self.model
        return sum(lst.sizeHintForIndex(model.index(r)).height() for r in range(first, last + 1))

    def _before_insert(self, _parent: QModelIndex, first: int, _last: int) -> None:
        """Rows going in at the top (an older page) keep the message being read in place;
        at the end, whether the operator was at the newest message decides what follows."""
        self._at_bottom = self.is_at_bottom()
        self._top_value = self.list.verticalScrollBar().value() if first == 0 and self.model.rowCount() else None

    def _after_insert(self, _parent: QModelIndex, first: int, last: int) -> None:
        value, self._top_value = self._top_value, None
        if value is not None:
            # what is on screen moves down by the new rows' height: scroll by as much,
            # after laying the rows out now (it would wait for the next event). The
            # heights are known (the delegate's cache): no layout is needed before.
            height = self._rows_height(first, last)
            self.list.executeDelayedItemsLayout()
            self.list.verticalScrollBar().setValue(value + height)
            return
        if self.model.appending_newer:
            return
        if self._at_bottom or first >= self.model.stored_count():
            # at the newest message already, or the operator's own reply: to the end
            self.list.scrollToBottom()
            self.new_pill.hide()
        else:
            self.show_new_pill()  # reading further up: stay there

    def _before_remove(self, _parent: QModelIndex, first: int, last: int) -> None:
        """Rows leaving at the top (the window moves down): the view goes up by their
        height, so that what is on screen stays."""
        self._removed_above = None
        if first == 0 and last + 1 < self.model.rowCount():
            self._removed_above = (self.list.verticalScrollBar().value(), self._rows_height(first, last))

    def _after_remove(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        removed, self._removed_above = self._removed_above, None
        if removed is not None:
            self.list.executeDelayedItemsLayout()
            value, height = removed
            self.list.verticalScrollBar().setValue(value - height)

    def _after_reset(self) -> None:
        self.new_pill.hide()
        self.list.scrollToBottom()

    def _update_header(self) -> None:
        conv = self.conversation
        if conv is None:
            return
        self.title.setText(conv.customer.name)
        status = {
            "queued": self.tr("waiting in the queue"),
            "open": self.tr("open"),
            "resolved": self.tr("resolved"),
        }[conv.status]
        if conv.status == "open" and conv.state == "waiting":
            status = self.tr("waiting for the customer")
        elif conv.status == "open" and conv.state == "snoozed" and conv.snoozed_until is not None:
            status = self.tr("snoozed until %1").replace(
                "%1", conv.snoozed_until.astimezone().strftime("%d.%m %H:%M")
            )
        self.subtitle.setText(
            self.tr("%1 · %2 · #%3", "channel · status · conversation number")
            .replace("%1", channel_name(conv.channel))
            .replace("%2", status)
            .replace("%3", str(conv.id))
        )
        if conv.customer.vip:
            self.title.setText(f"★ {conv.customer.name} · VIP")
        mine = conv.assignee_id is not None and conv.assignee_id == self.me_id
        self.take_button.setVisible(conv.status == "queued")
        self.resolve_button.setVisible(mine and conv.status == "open")
        self.state_button.setVisible(mine and conv.status == "open")
        self.transfer_button.setVisible(conv.status != "resolved")
        self.waiting_action.setEnabled(conv.state != "waiting")
        self.reopen_action.setEnabled(conv.state != "open")
        if conv.status == "resolved":
            self.banner_text.setText(self.tr(
                "This conversation is resolved: you can read it and add internal notes. When the customer "
                "writes again, a new conversation starts."))
            self.banner.show()
        elif conv.status == "queued":
            self.banner_text.setText(self.tr(
                "This customer is waiting in the queue. Take the conversation or just reply: "
                "replying takes it."))
            self.banner.show()
        elif conv.assignee_id is not None and not mine:
            self.banner_text.setText(self.tr("Another operator is handling this conversation."))
            self.banner.show()
        else:
            self.banner.hide()
        # the hub refuses replies to a resolved conversation; notes it takes
        can_reply = conv.status == "queued" or (mine and conv.status == "open")
        can_write = can_reply or self.note_mode.isChecked()
        # WhatsApp after 24 hours: no free text (the hub would refuse it), templates only
        closed = self.window_closed()
        self.window_banner.setVisible(closed)
        self.template_button.setEnabled(closed and can_reply)
        if closed and not self.note_mode.isChecked():
            can_write = False
        self.composer.setEnabled(can_write)
        self.send_button.setEnabled(can_write)
        self.attach_button.setEnabled(can_write and not self.note_mode.isChecked())

    def _update_hint(self) -> None:
        text = self.composer.toPlainText()
        n = len(text)
        warn = True
        if self.file_error:
            self.hint.setText(self.file_error)
        elif self.sending_files:
            warn = False
            self.hint.setText(self.tr("Sending…"))
        elif n > MAX_TEXT_CHARS:
            self.hint.setText(self.tr("Too long: %1 of at most %2 characters.")
                              .replace("%1", str(n)).replace("%2", str(MAX_TEXT_CHARS)))
        elif (m := PLACEHOLDER.search(text)) is not None:
            self.hint.setText(self.tr("Replace the highlighted %1 before sending: the window has no value for it.")
                              .replace("%1", m.group(0)))
        else:
            warn = False
            self.hint.setText(self.tr("Ctrl+Enter sends · Enter starts a new line · / for templates"))
        self.hint.setObjectName("warning" if warn else "muted")
        self.hint.style().unpolish(self.hint)
        self.hint.style().polish(self.hint)

    # ------------------------------------------------------------------ templates and inserted answers

    def set_variable_source(self, source: Callable[[], dict[str, str]]) -> None:
        """A bound method of the window that tells the values of template variables."""
        self._variable_source = weakref.WeakMethod(source)  # type: ignore[arg-type]

    def set_templates(self, by_shortcode: dict[str, TemplateInfo]) -> None:
        """The templates ``/shortcode`` means in the composer (personal shadow team)."""
        self.composer.templates = dict(by_shortcode)
        self.composer.update_completion()

    def _place_completion(self) -> None:
        popup = self.composer.completion
        if popup is None:
            return
        rows = min(popup.count(), 8)
        height = rows * max(popup.sizeHintForRow(0), 18) + 2 * popup.frameWidth() + 2
        width = min(max(self.composer.width(), 260), 560)
        top_left = self.composer.mapTo(self.composer.parentWidget(), QPoint(0, 0))
        popup.setGeometry(top_left.x(), max(0, top_left.y() - height - 2), width, height)

    def _template_chosen(self, template: TemplateInfo, start: int, end: int) -> None:
        cursor = QTextCursor(self.composer.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        labels = prompts(template.body)
        if not labels:
            self._insert_template(template, cursor, {})
            return
        self._pending_template = (template, cursor)
        self.prompt_bar.ask(
            self.tr("“%1” needs a few values:").replace("%1", template.title),
            labels,
            self.tr("Insert"),
            self.tr("Cancel"),
        )

    def _prompts_answered(self, answers: dict[str, str]) -> None:
        pending, self._pending_template = self._pending_template, None
        if pending is not None:
            self._insert_template(pending[0], pending[1], answers)

    def _prompts_cancelled(self) -> None:
        """The "/shortcode" stays as typed."""
        if self._pending_template is not None or self.prompt_bar.isVisible():
            self._pending_template = None
            self.prompt_bar.hide()
            self.composer.setFocus()

    def _insert_template(self, template: TemplateInfo, cursor: QTextCursor, answers: dict[str, str]) -> None:
        source = self._variable_source() if self._variable_source is not None else None
        filled = expand(template.body, source() if source is not None else {}, answers)
        cursor.insertText(filled.text)
        self.composer.setTextCursor(cursor)
        self.composer.setFocus()
        self.add_template_files(template)

    def add_template_files(self, template: TemplateInfo) -> None:
        """The template's files join the reply's attachments (already on the hub: no
        upload), each with its ✕ so the operator can still leave one out."""
        if not template.files:
            return
        if self.note_mode.isChecked() or not self.attach_button.isEnabled():
            self.file_error = self.tr("The template's files were not added: a note carries no files.")
            self._update_hint()
            return
        have = {p.info.id for p in self.pending.values() if p.info is not None}
        for info in template.files:
            if info.id not in have:
                self._add_pending(info.name, lambda key, i=info: self.upload_finished(key, i))

    def insert_text(self, text: str) -> bool:
        """Put ``text`` into the composer at the cursor (in place of a selection) for
        editing; it is never sent from here. False when there is nowhere to put it (no
        conversation, or one this operator cannot write in)."""
        if self.conversation is None or not self.composer.isEnabled():
            return False
        cursor = self.composer.textCursor()
        cursor.insertText(text)
        self.composer.setTextCursor(cursor)
        self.composer.setFocus()
        return True

    def selected_text(self) -> str:
        """The composer's selection as plain text (for the knowledge-base search)."""
        return self.composer.textCursor().selectedText().replace("\u2029", " ").strip()

    def submit(self) -> None:
        conv = self.conversation
        text = self.composer.toPlainText().strip()
        if conv is None or len(text) > MAX_TEXT_CHARS or not self.composer.isEnabled():
            return
        if self.pending and not self.note_mode.isChecked():
            self._submit_with_files(conv.id, text)
            return
        if not text:
            return
        if self.note_mode.isChecked():
            self.note_requested.emit(conv.id, text)
            return
        self._stop_typing()
        self.send_requested.emit(conv.id, text)

    # ------------------------------------------------------------------ attachments

    max_file_bytes = DEFAULT_MAX_BYTES
    file_error = ""  # the last refusal, shown in the hint line until the files change
    sending_files = False

    def set_files(self, files: FilesBridge) -> None:
        """Thumbnails come from ``files`` (the window sets it; a bare pane shows none)."""
        delegate = self.list.itemDelegate()
        if isinstance(delegate, MessageDelegate):
            delegate.files = files
        self.max_file_bytes = files.max_bytes
        files.image_loaded.connect(self._image_loaded)  # a bound method: no reference kept past the pane
        self.retranslate()

    def _image_loaded(self, _file_id: int) -> None:
        self.list.viewport().update()

    def _choose_files(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(
            self,
            self.tr("Attach files"),
            "",
            self.tr("Images and PDF (*.png *.jpg *.jpeg *.gif *.webp *.pdf);;All files (*)"),
        )
        self.attach_paths(paths)

    def attach_paths(self, paths: list[str]) -> None:
        for path in paths:
            self._add_pending(Path(path).name, lambda key, p=path: self.attach_path_requested.emit(key, p))

    def attach_image(self, img: QImage) -> None:
        """A pasted image, uploaded as PNG."""
        buf = QBuffer()
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        img.save(buf, "PNG")
        data = bytes(buf.data().data())
        name = self.tr("pasted image") + ".png"
        self._add_pending(name, lambda key: self.attach_data_requested.emit(key, data, name))

    def _add_pending(self, name: str, start: Any) -> None:
        if self.conversation is None or not self.attach_button.isEnabled():
            return
        self._pending_seq += 1
        key = f"f{self._pending_seq}"
        chip = QFrame(self.pending_bar)
        chip.setObjectName("attachmentChip")
        cl = QHBoxLayout(chip)
        cl.setContentsMargins(8, 2, 2, 2)
        cl.setSpacing(4)
        label = QLabel(chip)
        cl.addWidget(label)
        remove = QToolButton(chip)
        remove.setText("✕")
        remove.setAutoRaise(True)
        remove.setToolTip(self.tr("Remove this file (stops its upload)"))
        remove.clicked.connect(lambda: self.remove_pending(key))
        cl.addWidget(remove)
        self.pending_layout.insertWidget(self.pending_layout.count() - 1, chip)
        self.pending[key] = PendingFile(key, name, chip, label)
        self.file_error = ""
        self.pending_bar.show()
        self._render_pending(key)
        start(key)

    def _render_pending(self, key: str) -> None:
        p = self.pending.get(key)
        if p is None:
            return
        if p.error:
            p.label.setText(f"⚠ {p.name}: {p.error}")
            p.chip.setProperty("failed", "true")
        elif p.info is not None:
            p.label.setText(f"✓ {p.info.name} · {size_text(self, p.info.size)}")
            p.chip.setProperty("failed", "false")
        else:
            pct = int(100 * p.sent / p.size) if p.size else 0
            p.label.setText(self.tr("%1 · uploading %2%").replace("%1", p.name).replace("%2", str(pct)))
        p.chip.style().unpolish(p.chip)
        p.chip.style().polish(p.chip)
        self._update_hint()

    def remove_pending(self, key: str) -> None:
        p = self.pending.pop(key, None)
        if p is None:
            return
        if p.info is None and not p.error:
            self.upload_cancel_requested.emit(key)
        p.chip.deleteLater()
        self.file_error = ""
        self.pending_bar.setVisible(bool(self.pending))
        self._update_hint()

    def clear_pending(self) -> None:
        for key in list(self.pending):
            self.remove_pending(key)
        self.sending_files = False

    def upload_progressed(self, key: str, sent: int, size: int) -> None:
        p = self.pending.get(key)
        if p is not None:
            p.sent, p.size = sent, size
            self._render_pending(key)

    def upload_finished(self, key: str, info: AttachmentInfo) -> None:
        p = self.pending.get(key)
        if p is not None:
            p.info = info
            self._render_pending(key)

    def upload_failed(self, key: str, text: str) -> None:
        p = self.pending.get(key)
        if p is None:
            return
        if not text:  # cancelled
            self.remove_pending(key)
            return
        p.error = text
        self.file_error = self.tr("%1 was not attached: %2").replace("%1", p.name).replace("%2", text)
        self._render_pending(key)

    def _submit_with_files(self, conversation_id: int, text: str) -> None:
        if self.sending_files:
            return
        if any(p.info is None and not p.error for p in self.pending.values()):
            self.file_error = self.tr("Wait until the files are uploaded, then send.")
            self._update_hint()
            return
        ids = [p.info.id for p in self.pending.values() if p.info is not None]
        if not ids:
            self.file_error = self.tr("Remove the files that were not attached (✕), then send.")
            self._update_hint()
            return
        self.file_error = ""
        self.sending_files = True
        self.send_button.setEnabled(False)
        self._stop_typing()
        self._update_hint()
        self.send_files_requested.emit(conversation_id, text, ids)

    def files_sent(self, msg: MessageInfo) -> None:
        """The reply with files is stored: the composer is emptied."""
        if self.conversation is None or msg.conversation_id != self.conversation.id:
            return
        self.sending_files = False
        for key in list(self.pending):
            p = self.pending.pop(key)
            p.chip.deleteLater()
        self.pending_bar.hide()
        if self.composer.toPlainText().strip() == msg.text:
            self.composer.clear()
        self._update_header()
        self._update_hint()

    def files_send_failed(self, conversation_id: int, text: str) -> None:
        """Refused or not reachable: text and files stay, the reason is said."""
        if self.conversation is None or conversation_id != self.conversation.id:
            return
        self.sending_files = False
        self.file_error = text
        self._update_header()
        self._update_hint()

    def _attachment_under_mouse(self, index: QModelIndex) -> AttachmentInfo | None:
        delegate = self.list.itemDelegate()
        if not isinstance(delegate, MessageDelegate):
            return None
        pos = self.list.viewport().mapFromGlobal(QCursor.pos())
        return delegate.attachment_at(index, pos)

    def _attachment_menu(self, pos: QPoint) -> None:
        index = self.list.indexAt(pos)
        delegate = self.list.itemDelegate()
        att = delegate.attachment_at(index, pos) if isinstance(delegate, MessageDelegate) and index.isValid() else None
        if att is None:
            return
        menu = QMenu(self)
        open_action = menu.addAction(self.tr("Open"))
        save_action = menu.addAction(self.tr("Save as…"))
        chosen = menu.exec(self.list.viewport().mapToGlobal(pos))
        if chosen is open_action:
            self.open_file_requested.emit(att)
        elif chosen is save_action:
            self._save_as(att)

    def _save_as(self, att: AttachmentInfo) -> None:
        path, _f = QFileDialog.getSaveFileName(self, self.tr("Save the file"), att.name)
        if path:
            self.save_file_requested.emit(att, path)

    # ------------------------------------------------------------------ notes, typing, collisions

    @property
    def note_mode_on(self) -> bool:
        return self.note_mode.isChecked()

    def _mode_changed(self) -> None:
        note = self.note_mode.isChecked()
        self.composer.setProperty("noteMode", "true" if note else "false")
        self.composer.style().unpolish(self.composer)
        self.composer.style().polish(self.composer)
        self.composer.setPlaceholderText(
            self.tr("Internal note: only operators see it…") if note else self.tr("Type your reply…")
        )
        self.send_button.setText(self.tr("Add note") if note else self.tr("Send"))
        if note:
            self._stop_typing()
        self._update_header()

    def _composer_changed(self) -> None:
        conv = self.conversation
        if conv is None or self.note_mode.isChecked() or not self.composer.toPlainText().strip():
            self._stop_typing()
            return
        now = time.monotonic()
        if now - self._typing_sent_at >= TYPING_REPEAT_S:
            self._typing_sent_at = now
            self.typing_changed.emit(conv.id, True)
        self._typing_idle.start()

    def hideEvent(self, event: QHideEvent) -> None:
        # the window closes or the pane goes away: the customer must not see "typing…"
        # for ever, and no idle timer may fire after the window is gone
        self._stop_typing()
        super().hideEvent(event)

    def _stop_typing(self) -> None:
        self._typing_idle.stop()
        if self._typing_sent_at and self.conversation is not None:
            self.typing_changed.emit(self.conversation.id, False)
        self._typing_sent_at = 0.0

    def set_customer_typing(self, typing: bool) -> None:
        self.customer_typing = typing
        self._update_typing()

    def set_collision(self, viewers: list[str], typing: str) -> None:
        """Other operators who have this conversation open, and the one typing in it."""
        self.other_viewers = viewers
        self.other_typing = typing
        self._update_typing()

    def _update_typing(self) -> None:
        conv = self.conversation
        if conv is not None and self.customer_typing:
            self.typing_label.setText(self.tr("%1 is typing…").replace("%1", conv.customer.name))
        else:
            self.typing_label.setText(" ")
        if self.other_typing:
            self.collision.setText(self.tr("⚠ %1 is typing in this conversation").replace("%1", self.other_typing))
            self.collision.show()
        elif self.other_viewers:
            self.collision.setText(
                self.tr("⚠ Also viewing: %1").replace("%1", ", ".join(self.other_viewers))
            )
            self.collision.show()
        else:
            self.collision.hide()

    def _transfer(self) -> None:
        if self.conversation is not None:
            self.transfer_requested.emit(self.conversation.id)

    def _state(self, state: str, until: datetime | None = None) -> None:
        if self.conversation is not None:
            self.state_requested.emit(self.conversation.id, state, until)

    def _message_clicked(self, index: QModelIndex) -> None:
        att = self._attachment_under_mouse(index)
        if att is not None:
            self.open_file_requested.emit(att)
            return
        item: OutboxItem | None = index.data(OutboxRole)
        if item is not None and item.state == "failed":
            self.resend_requested.emit(item.txn_id)

    def _message_hovered(self, index: QModelIndex) -> None:
        item: OutboxItem | None = index.data(OutboxRole)
        failed = item is not None and item.state == "failed"
        att = self._attachment_under_mouse(index)
        self.list.viewport().setCursor(
            Qt.CursorShape.PointingHandCursor if failed or att else Qt.CursorShape.ArrowCursor
        )
        if att is not None:
            self.list.setToolTip(self.tr("%1 (%2) — click to open, right-click to save")
                                 .replace("%1", att.name).replace("%2", size_text(self, att.size)))
        else:
            self.list.setToolTip(self.tr("Click to send it again") if failed else "")

    def message_sent(self, msg: MessageInfo | OutboxItem) -> None:
        """The reply is queued (it shows as pending): clear the composer (only if it
        still holds that text)."""
        if self.conversation is not None and msg.conversation_id == self.conversation.id:
            if self.composer.toPlainText().strip() == msg.text:
                self.composer.clear()

    def _take(self) -> None:
        if self.conversation is not None:
            self.take_requested.emit(self.conversation.id)

    def _resolve(self) -> None:
        if self.conversation is not None:
            self.resolve_requested.emit(self.conversation.id)


def tomorrow_morning(now: datetime | None = None) -> datetime:
    """09:00 local time tomorrow, in UTC."""
    local = (now or datetime.now(UTC)).astimezone()
    morning = (local + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    return morning.astimezone(UTC)
