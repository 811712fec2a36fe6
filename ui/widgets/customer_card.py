"""The customer card on the right: who this is, how to reach them, what the team knows,
and their conversations.

It follows the conversation open in the middle (``show_customer``) or a customer picked
in the search (``show_profile``). Everything is edited in place (InlineField): the card
asks the CustomerBridge to save one edit at a time and shows the answer where the edit
was made. Offline it shows the card as this run last knew it, read-only, and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QPainter, QPen, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.client.session import LinkChange
from app.domain.contacts import format_phone
from app.protocol.messages import (
    ConversationInfo,
    CustomerChanges,
    CustomerInfo,
    CustomerProfile,
    CustomersMerged,
    CustomFieldDef,
    IdentityInfo,
    MergeCandidate,
    MergeInfo,
    TimelineEntry,
)
from ui import theme
from ui.bridge.customer_bridge import CachedCard, CustomerBridge
from ui.channels import channel_name
from ui.dialogs.merge_dialog import MergeDialog, reason_text
from ui.models.customers import FILTERS, CurrentRole, EntryRole, TimelineModel
from ui.widgets.inline_edit import FlowLayout, InlineField, TagChip, repolish, set_style_property

LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "uk": "Українська"}
NAME_MAX = 200
PART_NAME_MAX = 100
PHONE_MAX = 40
EMAIL_MAX = 254
TAG_MAX = 64
FIELD_TEXT_MAX = 1000
TEXT_INDENT = 4  # the left edge of every text: editable values have 4 px of padding (ui/theme.py)
TIMELINE_ROWS_SHOWN = 5  # the timeline takes room for this many rows at most before it scrolls
# channels an operator can write first to from the card (they have a hub adapter)
WRITABLE_CHANNELS = ("telegram", "whatsapp")

Index = QModelIndex | QPersistentModelIndex


def breakable(text: str) -> str:
    """An address that may wrap after "@" and "." in a narrow panel (zero-width spaces)."""
    return text.replace("@", "@\u200b").replace(".", ".\u200b")


class ValueList(QWidget):
    """Phones or e-mail addresses: one editable row each (with a ×), and a row that
    adds one. ``commit_requested(old, text)``: ``old`` is ``"+"`` for a new value."""

    commit_requested = Signal(str, str)
    remove_requested = Signal(str)

    def __init__(self, shown: Callable[[str], str], max_length: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shown = shown
        self.max_length = max_length
        self.values: list[str] = []
        self.rows: dict[str, tuple[QWidget, InlineField, QToolButton]] = {}
        self._editable = True
        self._texts = ("", "", "", "", "", "")
        self.lay = QVBoxLayout(self)
        self.lay.setContentsMargins(0, 0, 0, 0)
        self.lay.setSpacing(4)
        self.add = InlineField(self, max_length=max_length, allow_empty=False)
        self.add.display.setObjectName("addLink")
        self.add.commit_requested.connect(lambda text: self.commit_requested.emit("+", text))
        self.lay.addWidget(self.add)

    def set_texts(self, empty: str, more: str, placeholder: str, hint: str, remove_tip: str, none: str) -> None:
        """``empty``: the add row without values ("No phone yet — add one"), ``more``: with
        some ("+ Add a phone"), ``none``: without values, read-only ("No phone")."""
        self._texts = (empty, more, placeholder, hint, remove_tip, none)
        self.add.set_placeholder(placeholder)
        self.add.set_hint(hint)
        for _row, field, remove in self.rows.values():
            field.set_placeholder(placeholder)
            field.set_hint(hint)
            remove.setToolTip(remove_tip)
        self._update_add()

    def _update_add(self) -> None:
        self.add.set_empty_text(self._texts[1] if self.values else self._texts[0], self._texts[5])
        self.add.setVisible(self._editable or not self.values)
        self.add.set_editable(self._editable)

    def set_values(self, values: list[str]) -> None:
        self.values = list(values)
        for value in list(self.rows):
            row, field, _remove = self.rows[value]
            if value not in values and not (field.editing or field.saving):
                self.lay.removeWidget(row)
                row.deleteLater()
                del self.rows[value]
        for pos, value in enumerate(values):
            if value not in self.rows:
                self.rows[value] = self._make_row(value)
            row = self.rows[value][0]
            self.lay.removeWidget(row)
            self.lay.insertWidget(pos, row)
            shown = self.shown(value)
            self.rows[value][1].set_value(breakable(shown) if "@" in shown else shown, shown, value)
        self._update_add()

    def _make_row(self, value: str) -> tuple[QWidget, InlineField, QToolButton]:
        row = QWidget(self)
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        h.setSpacing(4)
        field = InlineField(row, max_length=self.max_length, allow_empty=False)
        field.display.setToolTip(value)
        field.set_placeholder(self._texts[2])
        field.set_hint(self._texts[3])
        field.set_editable(self._editable)
        field.commit_requested.connect(lambda text, v=value: self.commit_requested.emit(v, text))
        h.addWidget(field, 1)
        remove = QToolButton(row)
        remove.setText("×")
        remove.setAutoRaise(True)
        remove.setObjectName("rowRemove")
        remove.setToolTip(self._texts[4])
        remove.setVisible(self._editable)
        remove.clicked.connect(lambda _=False, v=value: self.remove_requested.emit(v))
        h.addWidget(remove, 0, Qt.AlignmentFlag.AlignTop)
        return row, field, remove

    def field_for(self, key: str) -> InlineField | None:
        if key == "+":
            return self.add
        found = self.rows.get(key)
        return found[1] if found else None

    def set_editable(self, editable: bool) -> None:
        self._editable = editable
        for _row, field, remove in self.rows.values():
            field.set_editable(editable)
            remove.setVisible(editable)
        self._update_add()

    def reset(self) -> None:
        for value in list(self.rows):
            row = self.rows.pop(value)[0]
            self.lay.removeWidget(row)
            row.deleteLater()
        self.values = []
        if self.add.editing or self.add.saving:
            self.add.saving = False
            self.add.cancel()
        self._update_add()


class TimelineDelegate(QStyledItemDelegate):
    """Two lines per conversation: when, its state and number; the last message."""

    PAD = 8

    def __init__(self, card: CustomerCard, view: QListView) -> None:
        super().__init__(view)
        self.card = card
        self.view = view
        # the row's fonts and metrics, made once per view font (not at every row's paint)
        self._fonts: tuple[str, QFont, QFontMetrics, QFont, QFontMetrics, QFont, QFontMetrics] | None = None

    def _small(self) -> QFont:
        f = QFont(self.view.font())
        f.setPointSizeF(max(7.0, f.pointSizeF() * 0.9))
        return f

    def fonts(self) -> tuple[QFont, QFontMetrics, QFont, QFontMetrics, QFont, QFontMetrics]:
        """The view's font, its small and its bold variant, each with its metrics."""
        base = self.view.font()
        if self._fonts is None or self._fonts[0] != base.key():
            small = self._small()
            bold = QFont(base)
            bold.setWeight(QFont.Weight.DemiBold)
            self._fonts = (base.key(), QFont(base), QFontMetrics(base), small, QFontMetrics(small),
                           bold, QFontMetrics(bold))
        return self._fonts[1:]

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        _font, fm, _small, sm, _bold, _bfm = self.fonts()
        return QSize(1, 2 * self.PAD + fm.height() + 3 + sm.height())  # as wide as the view

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        entry: TimelineEntry | None = index.data(EntryRole)
        if entry is None:
            return
        c = theme.colors()
        rect: QRect = option.rect  # type: ignore[attr-defined]
        pal = option.palette  # type: ignore[attr-defined]
        state = option.state  # type: ignore[attr-defined]
        painter.save()
        note = entry.kind in ("note", "customer_note")
        current = bool(index.data(CurrentRole))
        if note:
            # a note looks like the chat's internal notes: a yellow box with a darker edge
            box = rect.adjusted(6, 3, -4, -3)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(c.note_border))
            painter.setBrush(c.note_bubble.darker(104) if state & QStyle.StateFlag.State_MouseOver else c.note_bubble)
            painter.drawRoundedRect(box, 4, 4)
        elif current or state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, pal.alternateBase())
        elif state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(rect, pal.alternateBase().color().lighter(102))
        if current:
            painter.fillRect(QRect(rect.left(), rect.top() + 4, 3, rect.height() - 8), c.badge_web)
        font, fm, small, sm, bold, bold_fm = self.fonts()
        left, right = rect.left() + 12, rect.right() - 8
        top = rect.top() + self.PAD
        tag, head, head_color, preview = self.card.entry_texts(entry)
        painter.setFont(small)
        painter.setPen(c.note_text if note else c.muted)
        nw = sm.horizontalAdvance(tag)
        painter.drawText(QRect(right - nw, top, nw, fm.height()), Qt.AlignmentFlag.AlignVCenter, tag)
        painter.setFont(bold)
        painter.setPen(c.note_text if note else pal.text().color())
        when = self.card.when_text(entry.at)
        ww = bold_fm.horizontalAdvance(when)
        painter.drawText(QRect(left, top, ww + 2, fm.height()), Qt.AlignmentFlag.AlignVCenter, when)
        x = left + ww + 8
        room = right - nw - 8 - x
        if room > 10 and head:
            painter.setFont(font)
            painter.setPen(c.note_text if note else head_color)
            painter.drawText(
                QRect(x, top, room, fm.height()),
                Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(head, Qt.TextElideMode.ElideRight, room),
            )
        painter.setFont(small)
        painter.setPen(c.note_text if note else c.muted)
        painter.drawText(
            QRect(left, top + fm.height() + 3, right - left, sm.height()),
            Qt.AlignmentFlag.AlignVCenter,
            sm.elidedText(preview, Qt.TextElideMode.ElideRight, right - left),
        )
        if not note:
            painter.setPen(QPen(pal.mid().color()))
            painter.drawLine(rect.left() + 12, rect.bottom(), rect.right(), rect.bottom())
        painter.restore()


class CustomerCard(QWidget):
    conversation_chosen = Signal(int)
    # WhatsApp: write first with an approved template (customer id, channel, identity id)
    template_start_requested = Signal(int, str, int)
    note_chosen = Signal(int, int)  # conversation id, message id: open the conversation at that note

    def __init__(self, customers: CustomerBridge | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.customers = customers
        self.conversation: ConversationInfo | None = None  # the one open in the middle
        self.customer_id: int | None = None
        self.pinned = False  # shown from the search, not following the open conversation
        self.basic: CustomerInfo | None = None
        self.card: CachedCard | None = None
        self.state = "empty"  # empty | loading | ready | failed | offline
        self.online = customers.online if customers is not None else False
        self._load_error = ""
        self._fields: dict[str, tuple[QLabel, InlineField]] = {}
        # identity merge: who the hub thinks this customer also is; the merges made from
        # this window in this run (kept customer id -> the merge and the other card's
        # name), for Undo; what happened to a card meanwhile (customer id -> a sentence)
        self.candidates: list[MergeCandidate] = []
        self.merges: dict[int, tuple[MergeInfo, str]] = {}
        self.merge_notes: dict[int, str] = {}
        self.merge_dialog: MergeDialog | None = None
        self.setMinimumWidth(280)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)

        # ---- header: always visible
        head = QWidget(self)
        hl = QVBoxLayout(head)
        hl.setContentsMargins(14, 10, 14, 8)
        hl.setSpacing(4)
        top = QHBoxLayout()
        top.setSpacing(6)
        self.heading = QLabel(head)
        self.heading.setObjectName("muted")
        self.heading.setIndent(TEXT_INDENT)
        top.addWidget(self.heading)
        top.addStretch(1)
        self.vip_button = QToolButton(head)
        self.vip_button.setObjectName("vipToggle")
        self.vip_button.setCheckable(True)
        self.vip_button.setAutoRaise(True)
        self.vip_button.clicked.connect(self._vip_clicked)
        top.addWidget(self.vip_button)
        hl.addLayout(top)
        self.back_button = QPushButton(head)
        self.back_button.setObjectName("linkButton")
        self.back_button.setFlat(True)
        self.back_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.back_button.clicked.connect(self._back_to_conversation)
        self.back_button.hide()
        hl.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.name_field = InlineField(head, max_length=NAME_MAX, allow_empty=True)
        self.name_field.commit_requested.connect(lambda t: self._save("name", CustomerChanges(name=t)))
        self.name = self.name_field.display
        self.name.setObjectName("cardName")
        hl.addWidget(self.name_field)
        self.subline = QLabel(head)
        self.subline.setObjectName("muted")
        self.subline.setWordWrap(True)
        self.subline.setIndent(TEXT_INDENT)
        hl.addWidget(self.subline)
        self.note = QLabel(head)
        self.note.setObjectName("cardNote")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.hide()
        hl.addWidget(self.note)
        # "Possibly the same person as …": Review and merge… / Not the same
        self.proposal = QFrame(head)
        self.proposal.setObjectName("mergeNotice")
        pl = QVBoxLayout(self.proposal)
        pl.setContentsMargins(8, 6, 8, 6)
        pl.setSpacing(2)
        self.proposal_text = QLabel(self.proposal)
        self.proposal_text.setWordWrap(True)
        self.proposal_text.setTextFormat(Qt.TextFormat.PlainText)
        pl.addWidget(self.proposal_text)
        pb = QHBoxLayout()
        pb.setSpacing(12)
        self.review_button = QPushButton(self.proposal)
        self.review_button.setObjectName("linkButton")
        self.review_button.setFlat(True)
        self.review_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.review_button.clicked.connect(self.review_merge)
        pb.addWidget(self.review_button)
        self.dismiss_button = QPushButton(self.proposal)
        self.dismiss_button.setObjectName("linkButton")
        self.dismiss_button.setFlat(True)
        self.dismiss_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.dismiss_button.clicked.connect(self.dismiss_candidate)
        pb.addWidget(self.dismiss_button)
        pb.addStretch(1)
        pl.addLayout(pb)
        self.proposal.hide()
        hl.addWidget(self.proposal)
        # "Merged with Olena K — Undo", or what a colleague's merge did to this card
        self.merged_box = QFrame(head)
        self.merged_box.setObjectName("mergeNotice")
        ml = QHBoxLayout(self.merged_box)
        ml.setContentsMargins(8, 6, 8, 6)
        ml.setSpacing(8)
        self.merged_text = QLabel(self.merged_box)
        self.merged_text.setWordWrap(True)
        self.merged_text.setTextFormat(Qt.TextFormat.PlainText)
        ml.addWidget(self.merged_text, 1)
        self.undo_button = QPushButton(self.merged_box)
        self.undo_button.setObjectName("linkButton")
        self.undo_button.setFlat(True)
        self.undo_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.undo_button.clicked.connect(self.undo_merge)
        ml.addWidget(self.undo_button, 0, Qt.AlignmentFlag.AlignTop)
        self.merged_box.hide()
        hl.addWidget(self.merged_box)
        self.undoing = False
        self.retry_button = QPushButton(head)
        self.retry_button.clicked.connect(self.reload)
        self.retry_button.hide()
        hl.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.problem = QLabel(head)
        self.problem.setObjectName("fieldMessage")
        self.problem.setProperty("kind", "error")
        self.problem.setWordWrap(True)
        self.problem.hide()
        hl.addWidget(self.problem)
        lay.addWidget(head)

        # ---- details (scrolls) above, timeline below
        self.split = QSplitter(Qt.Orientation.Vertical, self)
        self.split.setChildrenCollapsible(False)
        self.split.setHandleWidth(1)
        self.scroll = QScrollArea(self.split)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.details = QWidget()
        self.details.setObjectName("cardDetails")
        dl = QVBoxLayout(self.details)
        dl.setContentsMargins(14, 4, 14, 12)
        dl.setSpacing(4)

        def section() -> QLabel:
            title = QLabel(self.details)
            title.setObjectName("cardSection")
            title.setIndent(TEXT_INDENT)
            dl.addWidget(title)
            return title

        self.phones_title = section()
        self.phones = ValueList(format_phone, PHONE_MAX, self.details)
        self.phones.commit_requested.connect(self._phone_commit)
        self.phones.remove_requested.connect(
            lambda v: self._save(f"phone-remove:{v}", CustomerChanges(remove_phones=[v]))
        )
        dl.addWidget(self.phones)
        self.emails_title = section()
        self.emails = ValueList(str, EMAIL_MAX, self.details)
        self.emails.commit_requested.connect(self._email_commit)
        self.emails.remove_requested.connect(
            lambda v: self._save(f"email-remove:{v}", CustomerChanges(remove_emails=[v]))
        )
        dl.addWidget(self.emails)
        self.about_title = section()
        self.fields_box = QWidget(self.details)
        self.fields_lay = QVBoxLayout(self.fields_box)
        self.fields_lay.setContentsMargins(0, 0, 0, 0)
        self.fields_lay.setSpacing(2)
        self.first_name = self._field_row("first_name", PART_NAME_MAX)
        self.last_name = self._field_row("last_name", PART_NAME_MAX)
        dl.addWidget(self.fields_box)
        self.tags_title = section()
        self.tags_box = QWidget(self.details)
        self.tags_flow = FlowLayout(self.tags_box)
        self.tags_flow.setContentsMargins(TEXT_INDENT, 2, 0, 2)
        dl.addWidget(self.tags_box)
        self.tag_chips: dict[str, TagChip] = {}
        self.tag_add = InlineField(self.details, max_length=TAG_MAX, allow_empty=False)
        self.tag_add.display.setObjectName("addLink")
        self.tag_add.commit_requested.connect(lambda t: self._save("tag:+", CustomerChanges(add_tags=[t])))
        dl.addWidget(self.tag_add)
        self.notes_title = section()
        self.notes = InlineField(self.details, multiline=True)
        self.notes.commit_requested.connect(lambda t: self._save("notes", CustomerChanges(notes=t)))
        dl.addWidget(self.notes)
        self.channels_title = section()
        self.channels = QLabel(self.details)
        self.channels.setIndent(TEXT_INDENT)
        self.channels.setWordWrap(True)
        self.channels.setTextFormat(Qt.TextFormat.PlainText)
        dl.addWidget(self.channels)
        # writing first on another of the customer's channels: one explicit action per
        # identity that can be written to ("Write on WhatsApp…"), which opens a small
        # composer; sending makes a new conversation there (conversation_start)
        self.write_links = QWidget(self.details)
        self.write_lay = QVBoxLayout(self.write_links)
        self.write_lay.setContentsMargins(0, 2, 0, 2)
        self.write_lay.setSpacing(0)
        self.write_buttons: list[QPushButton] = []
        dl.addWidget(self.write_links)
        self.start_box = QFrame(self.details)
        self.start_box.setObjectName("mergeNotice")
        sl = QVBoxLayout(self.start_box)
        sl.setContentsMargins(8, 6, 8, 6)
        sl.setSpacing(4)
        self.start_title = QLabel(self.start_box)
        self.start_title.setWordWrap(True)
        self.start_title.setTextFormat(Qt.TextFormat.PlainText)
        sl.addWidget(self.start_title)
        self.start_text = QPlainTextEdit(self.start_box)
        self.start_text.setTabChangesFocus(True)
        self.start_text.setFixedHeight(72)
        sl.addWidget(self.start_text)
        self.start_error = QLabel(self.start_box)
        self.start_error.setObjectName("fieldMessage")
        self.start_error.setProperty("kind", "error")
        self.start_error.setWordWrap(True)
        self.start_error.setTextFormat(Qt.TextFormat.PlainText)
        self.start_error.hide()
        sl.addWidget(self.start_error)
        srow = QHBoxLayout()
        srow.setSpacing(6)
        self.start_send = QPushButton(self.start_box)
        self.start_send.setDefault(True)
        self.start_send.clicked.connect(self._start_send)
        self.start_cancel = QPushButton(self.start_box)
        self.start_cancel.setObjectName("linkButton")
        self.start_cancel.setFlat(True)
        self.start_cancel.setCursor(Qt.CursorShape.PointingHandCursor)
        self.start_cancel.clicked.connect(self._start_close)
        # WhatsApp after 24 hours (or to a customer who never wrote): an approved template
        self.start_template = QPushButton(self.start_box)
        self.start_template.setObjectName("chooseTemplate")
        self.start_template.clicked.connect(self._start_with_template)
        self.start_template.hide()
        srow.addWidget(self.start_send)
        srow.addWidget(self.start_template)
        srow.addWidget(self.start_cancel)
        srow.addStretch(1)
        sl.addLayout(srow)
        self.start_box.hide()
        # (customer id, channel, identity id, label) the composer writes to; sending or not
        self.start_target: tuple[int, str, int, str] | None = None
        self.start_sending = False
        dl.addWidget(self.start_box)
        dl.addStretch(1)
        self.scroll.setWidget(self.details)
        self.split.addWidget(self.scroll)

        timeline = QWidget(self.split)
        tl = QVBoxLayout(timeline)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.setSpacing(2)
        title_row = QHBoxLayout()
        title_row.setContentsMargins(0, 0, 14, 0)
        title_row.setSpacing(4)
        self.timeline_title = QLabel(timeline)
        self.timeline_title.setObjectName("cardSection")
        self.timeline_title.setContentsMargins(14, 0, 0, 0)
        self.timeline_title.setIndent(TEXT_INDENT)
        title_row.addWidget(self.timeline_title, 1)
        self.add_note_button = QPushButton(timeline)
        self.add_note_button.setObjectName("linkButton")
        self.add_note_button.clicked.connect(lambda: self.start_note())
        title_row.addWidget(self.add_note_button, 0, Qt.AlignmentFlag.AlignBottom)
        tl.addLayout(title_row)
        # filter chips: All / Conversations / Notes
        chips = QHBoxLayout()
        chips.setContentsMargins(14, 2, 14, 2)
        chips.setSpacing(4)
        self.filter_group = QButtonGroup(self)
        self.filter_group.setExclusive(True)
        self.filter_buttons: dict[str, QToolButton] = {}
        for name in FILTERS:
            b = QToolButton(timeline)
            b.setObjectName("timelineChip")
            b.setCheckable(True)
            b.setChecked(name == "all")
            b.clicked.connect(lambda _=False, n=name: self.set_filter(n))
            self.filter_group.addButton(b)
            self.filter_buttons[name] = b
            chips.addWidget(b)
        chips.addStretch(1)
        tl.addLayout(chips)
        # writing or changing a note on the card: it stays here until the hub has it
        self.note_box = QFrame(timeline)
        self.note_box.setObjectName("noteComposer")
        nb = QVBoxLayout(self.note_box)
        nb.setContentsMargins(14, 2, 14, 4)
        nb.setSpacing(4)
        self.note_label = QLabel(self.note_box)
        self.note_label.setObjectName("fieldLabel")
        nb.addWidget(self.note_label)
        self.note_edit = QPlainTextEdit(self.note_box)
        self.note_edit.setProperty("noteMode", "true")
        self.note_edit.setFixedHeight(72)
        nb.addWidget(self.note_edit)
        self.note_error = QLabel(self.note_box)
        self.note_error.setObjectName("fieldMessage")
        self.note_error.setProperty("kind", "error")
        self.note_error.setWordWrap(True)
        self.note_error.hide()
        nb.addWidget(self.note_error)
        nrow = QHBoxLayout()
        nrow.setSpacing(6)
        self.note_save = QPushButton(self.note_box)
        self.note_save.clicked.connect(self.submit_note)
        self.note_cancel = QPushButton(self.note_box)
        self.note_cancel.clicked.connect(self.cancel_note)
        nrow.addWidget(self.note_save)
        nrow.addWidget(self.note_cancel)
        nrow.addStretch(1)
        nb.addLayout(nrow)
        self.note_box.hide()
        self.note_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)  # the list gives way
        tl.addWidget(self.note_box)
        QShortcut(QKeySequence("Ctrl+Return"), self.note_edit, self.submit_note,
                  context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence("Ctrl+Enter"), self.note_edit, self.submit_note,
                  context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence("Escape"), self.note_edit, self.cancel_note, context=Qt.ShortcutContext.WidgetShortcut)
        self.note_editing: int | None = None  # None: closed; 0: a new note; else the note id
        self.note_sending = False
        self.timeline_note = QLabel(timeline)
        self.timeline_note.setObjectName("muted")
        self.timeline_note.setWordWrap(True)
        self.timeline_note.setContentsMargins(14, 0, 14, 0)
        self.timeline_note.setIndent(TEXT_INDENT)
        tl.addWidget(self.timeline_note)
        self.timeline_note.hide()
        self.timeline = TimelineModel(self)
        self.timeline_view = QListView(timeline)
        self.timeline_view.setModel(self.timeline)
        self.timeline_view.setItemDelegate(TimelineDelegate(self, self.timeline_view))
        self.timeline_view.setFrameShape(QFrame.Shape.NoFrame)
        self.timeline_view.setMouseTracking(True)
        self.timeline_view.setUniformItemSizes(True)
        self.timeline_view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.timeline_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.timeline_view.clicked.connect(self._timeline_clicked)
        self.timeline_view.activated.connect(self._timeline_clicked)
        tl.addWidget(self.timeline_view, 1)
        self.split.addWidget(timeline)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 0)
        self._split_by_user = False
        self.split.splitterMoved.connect(self._split_moved)
        lay.addWidget(self.split, 1)

        self.empty = QLabel(self)
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        self.empty.setContentsMargins(14, 0, 14, 0)
        self.empty.setIndent(TEXT_INDENT)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(self.empty, 1)

        if customers is not None:
            customers.card_loaded.connect(self.on_card_loaded)
            customers.card_load_failed.connect(self.on_card_load_failed)
            customers.customer_changed.connect(self.on_customer_changed)
            customers.customer_saved.connect(self.on_customer_saved)
            customers.customer_save_failed.connect(self.on_customer_save_failed)
            customers.timeline_loaded.connect(self.on_timeline_loaded)
            customers.timeline_load_failed.connect(self.on_timeline_load_failed)
            customers.merge_candidates_loaded.connect(self.on_merge_candidates_loaded)
            customers.merge_proposed.connect(self.on_merge_proposed)
            customers.customers_merged.connect(self.on_customers_merged)
            customers.customers_unmerged.connect(self.on_customers_unmerged)
            customers.unmerge_failed.connect(self.on_unmerge_failed)
            customers.merged_elsewhere.connect(self.on_merged_elsewhere)
            customers.conversation_started.connect(self.on_conversation_started)
            customers.conversation_start_failed.connect(self.on_conversation_start_failed)
            self.timeline.older_wanted.connect(customers.load_timeline)
            customers.timeline_entry_arrived.connect(self.on_timeline_entry_arrived)
            customers.note_saved.connect(self.on_note_saved)
            customers.note_save_failed.connect(self.on_note_save_failed)
        self.retranslate()
        self._render()

    def _timeline_says(self, text: str) -> None:
        self.timeline_note.setText(text)
        self.timeline_note.setVisible(bool(text))

    def _split_moved(self, _pos: int, _index: int) -> None:
        self._split_by_user = True

    def _fit_timeline(self) -> None:
        """Give the timeline the room of its rows (at most TIMELINE_ROWS_SHOWN, at most
        half the panel) and the details the rest, until the operator drags the handle."""
        total = sum(self.split.sizes())
        if self._split_by_user or total <= 0:
            return
        n = self.timeline.rowCount()
        row_h = self.timeline_view.sizeHintForRow(0) if n else 0
        chips = self.filter_buttons["all"].sizeHint().height() + 4
        want = self.timeline_title.sizeHint().height() + chips + 8 + min(max(n, 1), TIMELINE_ROWS_SHOWN) * row_h
        if self.note_box.isVisible():
            want += self.note_box.sizeHint().height()
        if self.timeline_note.text():
            want += self.timeline_note.heightForWidth(max(1, self.split.width() - 28)) + 2
        if n > TIMELINE_ROWS_SHOWN:
            want += row_h // 2  # half a row more: there is more below
        want = min(want, total * 2 // 3 if self.note_box.isVisible() else total // 2)
        self.split.setSizes([total - want, want])

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_timeline()

    def _field_row(self, key: str, max_length: int) -> InlineField:
        label = QLabel(self.fields_box)
        label.setObjectName("fieldLabel")
        label.setIndent(TEXT_INDENT)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        field = InlineField(self.fields_box, max_length=max_length)
        field.commit_requested.connect(lambda text, k=key: self._field_commit(k, text))
        # the admin's fields (policy number…) above first and last name, in their order
        at = -1
        if key.startswith("field:"):
            at = self.fields_lay.indexOf(self._fields["first_name"][0])
        self.fields_lay.insertWidget(at, label)
        self.fields_lay.insertWidget(at if at < 0 else at + 1, field)
        self._fields[key] = (label, field)
        return field

    # ------------------------------------------------------------------ text

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.heading.setText(self.tr("CUSTOMER"))
        self.empty.setText(self.tr("The customer's details appear here when you open a conversation."))
        self.retry_button.setText(self.tr("Try again"))
        self.phones_title.setText(self.tr("Phone"))
        self.phones.set_texts(
            self.tr("No phone yet — add one"),
            self.tr("+ Add a phone"),
            self.tr("e.g. 067 123 45 67 or +48 501 234 567"),
            self.tr("Enter saves · Esc cancels"),
            self.tr("Remove this number"),
            self.tr("No phone"),
        )
        self.emails_title.setText(self.tr("E-mail"))
        self.emails.set_texts(
            self.tr("No e-mail yet — add one"),
            self.tr("+ Add an e-mail"),
            self.tr("name@example.com"),
            self.tr("Enter saves · Esc cancels"),
            self.tr("Remove this address"),
            self.tr("No e-mail"),
        )
        self.channels_title.setText(self.tr("Channels"))
        self.channels_title.setToolTip(self.tr("How the customer reached us; the card is the same on every channel"))
        self.tags_title.setText(self.tr("Tags"))
        self.tag_add.set_placeholder(self.tr("New tag"))
        self.tag_add.set_hint(self.tr("Enter saves · Esc cancels"))
        self.notes_title.setText(self.tr("Notes"))
        self.notes.set_empty_text(self.tr("No notes yet — click to add"), self.tr("No notes"))
        self.notes.set_placeholder(self.tr("What colleagues should know about this customer"))
        self.notes.set_hint(self.tr("Ctrl+Enter saves · Enter starts a new line · Esc cancels"))
        self.about_title.setText(self.tr("Details"))
        self._fields["first_name"][0].setText(self.tr("First name"))
        self._fields["last_name"][0].setText(self.tr("Last name"))
        for _label, field in self._fields.values():
            field.set_empty_text(self.tr("Not set — click to add"), self.tr("Not set"))
            field.set_hint(self.tr("Enter saves · Esc cancels"))
        self.name_field.set_hint(self.tr("Enter saves · Esc cancels"))
        self.timeline_title.setText(self.tr("Timeline"))
        self.add_note_button.setText(self.tr("+ Add note"))
        self.add_note_button.setToolTip(self.tr("A note on the card: colleagues see it in the timeline"))
        self.filter_buttons["all"].setText(self.tr("All"))
        self.filter_buttons["conversations"].setText(self.tr("Conversations"))
        self.filter_buttons["notes"].setText(self.tr("Notes"))
        self.note_edit.setPlaceholderText(self.tr("What colleagues should know: only operators see it"))
        self.note_save.setText(self.tr("Saving…") if self.note_sending else self.tr("Save note"))
        self.note_save.setToolTip(self.tr("Ctrl+Enter"))
        self.note_cancel.setText(self.tr("Cancel"))
        self._render_note_label()
        self.vip_button.setToolTip(self.tr("VIP customers are served first"))
        self.review_button.setText(self.tr("Review and merge…"))
        self.review_button.setToolTip(self.tr("Compare both cards, choose what the merged card keeps"))
        self.dismiss_button.setText(self.tr("Not the same"))
        self.dismiss_button.setToolTip(self.tr("Do not suggest these two again until the app is restarted"))
        self.start_send.setText(self.tr("Sending…") if self.start_sending else self.tr("Send"))
        self.start_cancel.setText(self.tr("Cancel"))
        self.start_template.setText(self.tr("Choose template…"))
        self.start_template.setToolTip(self.tr(
            "WhatsApp delivers free text only within 24 hours of the customer's last message; "
            "after that, send an approved template"
        ))
        self._render_start_texts()
        self.undo_button.setText(self.tr("Undo"))
        self.undo_button.setToolTip(self.tr("Separate the two cards again, as they were before the merge"))
        self._render()

    def when_text(self, at: datetime) -> str:
        local = at.astimezone()
        today = datetime.now().astimezone().date()
        if local.date() == today:
            return self.tr("Today %1").replace("%1", local.strftime("%H:%M"))
        if local.date() == today - timedelta(days=1):
            return self.tr("Yesterday %1").replace("%1", local.strftime("%H:%M"))
        return local.strftime("%d.%m.%Y %H:%M")

    def status_text(self, conv: ConversationInfo) -> tuple[str, object]:
        c = theme.colors()
        if conv.status == "queued":
            return self.tr("in the queue"), c.warn
        if conv.status == "open":
            who = ""
            if conv.assignee_id is not None and self.customers is not None:
                who = self.customers.operator_name(conv.assignee_id)
            text = self.tr("open · %1").replace("%1", who) if who else self.tr("open")
            return text, c.ok
        return self.tr("resolved"), c.muted

    def preview_text(self, conv: ConversationInfo) -> str:
        msg = conv.last_message
        if msg is None:
            return self.tr("No messages")
        text = " ".join(msg.text.split())
        if msg.internal:
            return self.tr("Note: %1").replace("%1", text)
        if msg.author == "operator" and msg.author_name:
            return f"{msg.author_name}: {text}"
        return text

    def entry_texts(self, e: TimelineEntry) -> tuple[str, str, object, str]:
        """How a timeline row reads: the tag on the right, the heading after the time
        (and its colour), the second line."""
        c = theme.colors()
        text = " ".join(e.text.split())
        if e.kind == "conversation" and e.conversation is not None:
            status, color = self.status_text(e.conversation)
            return f"#{e.id}", f"{channel_name(e.conversation.channel)} · {status}", color, self.preview_text(
                e.conversation
            )
        if e.kind == "note":
            tag = self.tr("Note in #%1").replace("%1", str(e.conversation_id))
            return tag, e.author_name, c.muted, text
        if e.kind == "customer_note":
            head = e.author_name
            if e.edited_at is not None:
                head = self.tr("%1 · edited").replace("%1", head)
            return self.tr("Card note"), head, c.muted, text
        if e.kind == "merge" and e.merge is not None:
            other = e.other_name or f"#{e.other_id}"
            line = self.tr("Merged with %1 by %2").replace("%1", other).replace("%2", e.author_name or "?")
            if e.merge.undone_at is not None:
                line = self.tr("%1 · undone").replace("%1", line)
            return self.tr("Merge"), self.tr("Cards merged"), c.muted, line
        return e.kind, e.author_name, c.muted, text  # a kind of a newer hub: shown plainly

    # ------------------------------------------------------------------ what to show

    @property
    def profile(self) -> CustomerProfile | None:
        return self.card.profile if self.card is not None else None

    @property
    def editable(self) -> bool:
        return self.online and self.card is not None

    def show_customer(self, conv: ConversationInfo | None) -> None:
        """Follow the conversation open in the middle (None: nothing open)."""
        self.conversation = conv
        self.timeline.set_current(conv.id if conv is not None else None)
        if conv is None:
            if not self.pinned:
                self._switch(None, None)
            self._render()
            return
        if self.pinned and conv.customer.id != self.customer_id:
            self._render()  # the search result stays; "back" leads to this one
            return
        self.pinned = False
        if conv.customer.id != self.customer_id:
            self._switch(conv.customer.id, conv.customer)
        else:
            self.basic = conv.customer
            self._render()

    def show_profile(self, profile: CustomerProfile) -> None:
        """A customer chosen in the search: their card and conversations, until a
        conversation is opened (or "back" is clicked)."""
        self.pinned = True
        if profile.id != self.customer_id:
            basic = CustomerInfo(
                id=profile.id, name=profile.name, channel="web", first_seen=profile.first_seen,
                locale=profile.locale, vip=profile.vip,
            )
            self._switch(profile.id, basic)
        else:
            self._render()

    def _switch(self, customer_id: int | None, basic: CustomerInfo | None) -> None:
        self.customer_id = customer_id
        self.basic = basic
        self.card = None
        self.candidates = []
        self._load_error = ""
        self.problem.hide()
        for field in self._all_fields():
            if field.editing or field.saving:
                field.saving = False
                field.cancel()
        self.phones.reset()
        self.emails.reset()
        self.timeline.show(customer_id, [], False)
        self.timeline.set_current(self.conversation.id if self.conversation is not None else None)
        self._timeline_says("")
        self.scroll.verticalScrollBar().setValue(0)
        if customer_id is None:
            self.state = "empty"
            self._render()
            return
        cached = self.customers.cached_card(customer_id) if self.customers is not None else None
        if cached is not None:
            self.card = cached
        self.cancel_note()
        timeline = (
            self.customers.cached_timeline(customer_id, self.timeline.filter) if self.customers is not None else None
        )
        if timeline is not None:
            self.timeline.show(customer_id, *timeline)
        self._load()

    def reload(self) -> None:
        if self.customer_id is not None:
            self._load()

    def _load(self) -> None:
        assert self.customer_id is not None
        if self.online and self.customers is not None:
            self.state = "loading"
            self._load_error = ""
            self.customers.load_card(self.customer_id)
            if self.timeline.rowCount() == 0:
                self._timeline_says(self.tr("Loading the timeline…"))
            self.customers.load_timeline(self.customer_id, None, self.timeline.filter)
            self.customers.load_merge_candidates(self.customer_id)  # "possibly the same person as …"
        else:
            self.state = "offline"
            if self.timeline.rowCount() == 0:
                self._timeline_says(self.tr("The timeline loads when the connection is back."))
        self._render()
        self._fit_timeline()

    def on_link_changed(self, link: LinkChange) -> None:
        online = link.state == "online"
        if online == self.online:
            return
        self.online = online
        if self.customer_id is None:
            return
        if online:
            self._load()  # fresh, and editable again
        else:
            self.state = "offline"
            self._render()

    def on_conversation_changed(self, conv: ConversationInfo) -> None:
        self.timeline.upsert(conv)
        if self.conversation is not None and conv.id == self.conversation.id:
            self.conversation = conv
        if conv.customer.id == self.customer_id and self.card is None:
            self.basic = conv.customer
            self._render()

    # ------------------------------------------------------------------ answers from the bridge

    def on_card_loaded(self, card: CachedCard) -> None:
        if card.profile.id != self.customer_id:
            return
        self.card = card
        self.state = "ready" if self.online else "offline"
        self._render()

    def on_card_load_failed(self, customer_id: int, text: str) -> None:
        if customer_id != self.customer_id:
            return
        self._load_error = text
        self.state = "failed"
        self._render()

    def on_customer_changed(self, profile: CustomerProfile) -> None:
        if profile.id != self.customer_id or self.card is None:
            return
        self.card = CachedCard(profile, self.card.fields, datetime.now().astimezone())
        self._render()

    def on_customer_saved(self, customer_id: int, key: str, profile: CustomerProfile) -> None:
        if customer_id != self.customer_id:
            return
        field = self._field_for(key)
        if field is not None:
            field.saved()
            if key.endswith(":+"):
                field.set_value("")
        self.problem.hide()
        if self.card is not None:
            self.card = CachedCard(profile, self.card.fields, datetime.now().astimezone())
        self._render()

    def on_customer_save_failed(self, customer_id: int, key: str, text: str, detail: str) -> None:
        if customer_id != self.customer_id:
            return
        field = self._field_for(key)
        if field is not None:
            field.failed(text, detail)
        else:  # a removal or the VIP flag: no editor to keep the text in
            self.problem.setText(text)
            self.problem.setToolTip(detail)
            self.problem.show()
            self._render()

    def on_timeline_loaded(self, customer_id: int, entries: list[TimelineEntry], has_more: bool, older: bool) -> None:
        if customer_id != self.customer_id:
            return
        if older:
            self.timeline.append(entries, has_more)
        else:
            self.timeline.show(customer_id, entries, has_more)
            self.timeline.set_current(self.conversation.id if self.conversation is not None else None)
        self._timeline_says("" if self.timeline.rowCount() else self.empty_timeline_text())
        self._fit_timeline()

    def empty_timeline_text(self) -> str:
        if self.timeline.filter == "notes":
            return self.tr("No notes yet. “+ Add note” writes one that every colleague sees here.")
        if self.timeline.filter == "conversations":
            return self.tr("No conversations yet.")
        return self.tr(
            "Nothing here yet. Conversations, internal notes and merges of this customer will show here, "
            "newest first."
        )

    def set_filter(self, name: str) -> None:
        """A filter chip: show entries of these kinds only (read from the hub, paged)."""
        if name not in FILTERS:
            return
        self.filter_buttons[name].setChecked(True)
        if name == self.timeline.filter:
            return
        self.timeline.filter = name
        cached = (
            self.customers.cached_timeline(self.customer_id, name)
            if self.customers is not None and self.customer_id is not None
            else None
        )
        self.timeline.show(self.customer_id, *(cached or ([], False)))
        self.timeline.set_current(self.conversation.id if self.conversation is not None else None)
        if self.customer_id is None or self.customers is None:
            return
        if self.online:
            if self.timeline.rowCount() == 0:
                self._timeline_says(self.tr("Loading the timeline…"))
            self.customers.load_timeline(self.customer_id, None, name)
        elif self.timeline.rowCount() == 0:
            self._timeline_says(self.tr("The timeline loads when the connection is back."))
        self._fit_timeline()

    def on_timeline_entry_arrived(self, customer_id: int, entry: TimelineEntry) -> None:
        """A new or changed entry (a note written anywhere, a note on the card): live."""
        if customer_id != self.customer_id:
            return
        if self.timeline.upsert_entry(entry) is not None:
            self._timeline_says("")
            self._fit_timeline()

    # ------------------------------------------------------------------ notes on the card

    def start_note(self, entry: TimelineEntry | None = None) -> None:
        """Open the note editor: a new note, or ``entry`` (a note on the card) to change."""
        if self.customer_id is None or self.customers is None:
            return
        if self.note_editing is not None and self.note_edit.toPlainText().strip() and not self.note_sending:
            if (entry.id if entry is not None else 0) != self.note_editing:
                self.note_edit.setFocus()  # a note being written is not thrown away by another click
                return
        self.note_editing = entry.id if entry is not None else 0
        if entry is not None:
            self.note_edit.setPlainText(entry.text)
        elif not self.note_edit.toPlainText().strip():
            self.note_edit.clear()
        self.note_error.hide()
        self._render_note_label()
        self.note_box.show()
        self.note_edit.setFocus()
        self._fit_timeline()

    def cancel_note(self) -> None:
        self.note_editing = None
        self.note_sending = False
        self.note_edit.clear()
        self.note_error.hide()
        self.note_box.hide()
        self.note_edit.setEnabled(True)
        self.retranslate_note_buttons()
        self._fit_timeline()

    def submit_note(self) -> None:
        if self.note_editing is None or self.customer_id is None or self.customers is None or self.note_sending:
            return
        text = self.note_edit.toPlainText()
        if not text.strip():
            self._note_failed(self.tr("Write the note first."))
            return
        if not self.online:
            self._note_failed(self.offline_note_text())
            return
        self.note_sending = True
        self.note_edit.setEnabled(False)
        self.retranslate_note_buttons()
        self.customers.save_note(self.customer_id, self.note_editing, text)

    def offline_note_text(self) -> str:
        return self.tr("Not saved: the connection to the hub is down. Try again.")

    def retranslate_note_buttons(self) -> None:
        self.note_save.setText(self.tr("Saving…") if self.note_sending else self.tr("Save note"))
        self.note_save.setEnabled(not self.note_sending)

    def _render_note_label(self) -> None:
        self.note_label.setText(self.tr("Change the note") if self.note_editing else self.tr("New note on the card"))

    def _note_failed(self, text: str) -> None:
        self.note_sending = False
        self.note_edit.setEnabled(True)
        self.retranslate_note_buttons()
        self.note_error.setText(text)
        self.note_error.show()
        self.note_edit.setFocus()
        self._fit_timeline()

    def on_note_saved(self, customer_id: int, note_id: int, entry: TimelineEntry) -> None:
        if customer_id != self.customer_id:
            return
        if self.note_editing == note_id and self.note_sending:
            self.cancel_note()
        row = self.timeline.upsert_entry(entry)
        self._timeline_says("" if self.timeline.rowCount() else self.empty_timeline_text())
        if row is not None:
            self.timeline_view.scrollTo(self.timeline.index(row, 0))
        self._fit_timeline()

    def on_note_save_failed(self, customer_id: int, note_id: int, text: str) -> None:
        if customer_id == self.customer_id and self.note_editing == note_id:
            self._note_failed(text)  # the text stays in the editor: nothing is lost

    def on_timeline_load_failed(self, customer_id: int, text: str) -> None:
        if customer_id != self.customer_id:
            return
        self.timeline.loading = False
        self._timeline_says(text)
        self._fit_timeline()

    # ------------------------------------------------------------------ identity merge

    def on_merge_candidates_loaded(self, customer_id: int, candidates: list[MergeCandidate]) -> None:
        if customer_id != self.customer_id:
            return
        self.candidates = list(candidates)
        self._render_merge()

    def on_merge_proposed(self, customer_id: int, candidate_id: int) -> None:
        """The hub noticed a shared phone or e-mail: ask again if it concerns this card."""
        if self.customer_id in (customer_id, candidate_id) and self.online and self.customers is not None:
            self.customers.load_merge_candidates(self.customer_id)

    def dismiss_candidate(self) -> None:
        """"Not the same": this pair is not proposed again in this run."""
        if not self.candidates or self.customer_id is None:
            return
        other = self.candidates.pop(0)
        if self.customers is not None:
            self.customers.dismiss_candidate(self.customer_id, other.customer.id)
        self._render_merge()

    def review_merge(self) -> MergeDialog | None:
        """Open the merge dialog for this card and the first candidate."""
        if not self.candidates or self.profile is None or self.card is None:
            return None
        cand = self.candidates[0]
        dialog = MergeDialog(self.customers, self.profile, cand.customer, cand.reasons, self.card.fields, self)
        dialog.merged.connect(lambda info, kept, a=self.profile, b=cand.customer: self._merged_here(info, kept, a, b))
        dialog.finished.connect(self._merge_dialog_closed)
        self.merge_dialog = dialog
        dialog.open()
        return dialog

    def _merge_dialog_closed(self) -> None:
        if self.merge_dialog is not None:
            self.merge_dialog.deleteLater()
            self.merge_dialog = None

    def _merged_here(self, info: MergeInfo, kept: CustomerProfile, a: CustomerProfile, b: CustomerProfile) -> None:
        other = b if b.id == info.merged_id else a
        self.merges[info.kept_id] = (info, other.name)
        self.merge_notes.pop(info.kept_id, None)
        if self.customer_id not in (info.kept_id, info.merged_id):
            self._show_kept(kept)  # the operator moved on meanwhile: show what they merged
        self._render_merge()

    def on_customers_merged(self, info: MergeInfo, kept: CustomerProfile) -> None:
        """This window merged two cards: show the kept one, with Undo."""
        self.candidates = [c for c in self.candidates if c.customer.id not in (info.kept_id, info.merged_id)]
        if self.customer_id == info.merged_id:
            self._show_kept(kept)
        elif self.customer_id == info.kept_id:
            self._load()  # the other card's conversations are on this one now
        self._render_merge()

    def _show_kept(self, kept: CustomerProfile) -> None:
        basic = CustomerInfo(
            id=kept.id, name=kept.name, channel="web", first_seen=kept.first_seen, locale=kept.locale, vip=kept.vip,
        )
        self._switch(kept.id, basic)

    def undo_merge(self) -> None:
        if self.customer_id is None or self.customer_id not in self.merges or self.customers is None:
            return
        self.undoing = True
        self._render_merge()
        self.customers.unmerge(self.merges[self.customer_id][0].id)

    def on_customers_unmerged(self, info: MergeInfo, kept: CustomerProfile, restored: CustomerProfile) -> None:
        found = self.merges.get(info.kept_id)
        if found is not None and found[0].id == info.id:
            del self.merges[info.kept_id]
            self.undoing = False
            self.merge_notes[info.kept_id] = self.tr("Merge undone: %1 has a separate card again.").replace(
                "%1", restored.name
            )
            if self.customers is not None:  # the operator just said "not one person"
                self.customers.dismiss_candidate(info.kept_id, info.merged_id)
        if self.customer_id in (info.kept_id, info.merged_id):
            self._load()  # the conversations that moved back
        self._render_merge()

    def on_unmerge_failed(self, merge_id: int, text: str, detail: str) -> None:
        if self.customer_id is None or self.customer_id not in self.merges:
            return
        if self.merges[self.customer_id][0].id != merge_id:
            return
        self.undoing = False
        self.problem.setText(text)
        self.problem.setToolTip(detail)
        self.problem.show()
        self._render_merge()

    def on_merged_elsewhere(self, frame: CustomersMerged) -> None:
        """Anyone's merge or undo (ours too: the event follows our own answer or precedes it)."""
        info = frame.merge
        me = self.customers.session.me if self.customers is not None else None
        mine = me is not None and info.operator_id == me.id and info.undone_by in (None, me.id)
        if info.undone_at is None:
            self.candidates = [c for c in self.candidates if c.customer.id != info.merged_id]
            if self.customer_id == info.merged_id:
                if not mine:
                    who = self.customers.operator_name(info.operator_id) if self.customers is not None else ""
                    self.merge_notes[info.kept_id] = (
                        self.tr("%1 merged this card with another card of the same person.").replace("%1", who)
                    )
                self._show_kept(frame.kept)
            elif self.customer_id == info.kept_id:
                self._load()
        else:
            ours = self.merges.get(info.kept_id)
            if ours is not None and ours[0].id == info.id and not self.undoing:
                del self.merges[info.kept_id]  # a colleague undid our merge
                who = self.customers.operator_name(info.undone_by or 0) if self.customers is not None else ""
                self.merge_notes[info.kept_id] = self.tr("%1 undid the merge with %2.").replace(
                    "%1", who
                ).replace("%2", ours[1])
            if self.customer_id in (info.kept_id, info.merged_id) and not self.undoing:
                self._load()
        self._render_merge()

    def _render_merge(self) -> None:
        shown = self.customer_id is not None and self.card is not None
        cand = self.candidates[0] if self.candidates else None
        if shown and cand is not None and self.editable:
            self.proposal_text.setText(
                self.tr("Possibly the same person as %1 — %2")
                .replace("%1", cand.customer.name)
                .replace("%2", reason_text(cand.reasons))
            )
            self.proposal.show()
        else:
            self.proposal.hide()
        merge = self.merges.get(self.customer_id) if self.customer_id is not None else None
        note = self.merge_notes.get(self.customer_id) if self.customer_id is not None else None
        if shown and merge is not None:
            self.merged_text.setText(self.tr("Merged with %1").replace("%1", merge[1]))
            self.undo_button.setText(self.tr("Undoing…") if self.undoing else self.tr("Undo"))
            self.undo_button.setEnabled(self.editable and not self.undoing)
            self.undo_button.show()
            self.merged_box.show()
        elif self.customer_id is not None and note:
            self.merged_text.setText(note)
            self.undo_button.hide()
            self.merged_box.show()
        else:
            self.merged_box.hide()

    # ------------------------------------------------------------------ edits

    def _all_fields(self) -> list[InlineField]:
        fields = [self.name_field, self.notes, self.tag_add, self.phones.add, self.emails.add]
        fields += [f for _label, f in self._fields.values()]
        fields += [f for _row, f, _rm in self.phones.rows.values()]
        fields += [f for _row, f, _rm in self.emails.rows.values()]
        return fields

    def _field_for(self, key: str) -> InlineField | None:
        kind, _, rest = key.partition(":")
        if kind == "phone":
            return self.phones.field_for(rest)
        if kind == "email":
            return self.emails.field_for(rest)
        if kind == "field":
            found = self._fields.get(f"field:{rest}")
            return found[1] if found else None
        if key == "tag:+":
            return self.tag_add
        if key == "name":
            return self.name_field
        if key == "notes":
            return self.notes
        if key in ("first_name", "last_name"):
            return self._fields[key][1]
        return None

    def _save(self, key: str, changes: CustomerChanges) -> None:
        if self.customer_id is None or self.customers is None:
            return
        self.problem.hide()
        self.customers.save_customer(self.customer_id, key, changes)

    def _phone_commit(self, old: str, text: str) -> None:
        remove = [] if old == "+" else [old]
        self._save(f"phone:{old}", CustomerChanges(add_phones=[text], remove_phones=remove))

    def _email_commit(self, old: str, text: str) -> None:
        remove = [] if old == "+" else [old]
        self._save(f"email:{old}", CustomerChanges(add_emails=[text], remove_emails=remove))

    def _field_commit(self, key: str, text: str) -> None:
        if key == "first_name":
            self._save(key, CustomerChanges(first_name=text))
        elif key == "last_name":
            self._save(key, CustomerChanges(last_name=text))
        else:
            self._save(key, CustomerChanges(fields={key.removeprefix("field:"): text}))

    def _vip_clicked(self, checked: bool) -> None:
        self.vip_button.setText(self.tr("★ VIP") if checked else self.tr("☆ Mark as VIP"))
        self._save("vip", CustomerChanges(vip=checked))

    def _remove_tag(self, tag: str) -> None:
        self._save(f"tag-remove:{tag}", CustomerChanges(remove_tags=[tag]))

    def _back_to_conversation(self) -> None:
        self.pinned = False
        self.show_customer(self.conversation)

    def _timeline_clicked(self, index: QModelIndex) -> None:
        entry: TimelineEntry | None = index.data(EntryRole)
        if entry is None:
            return
        if entry.kind == "conversation":
            self.conversation_chosen.emit(entry.id)
        elif entry.kind == "note" and entry.conversation_id is not None:
            self.note_chosen.emit(entry.conversation_id, entry.id)  # the window opens it at the note
        elif entry.kind == "customer_note" and self.customers is not None and self.editable:
            if self.customers.may_edit_note(entry):
                self.start_note(entry)

    # ------------------------------------------------------------------ rendering

    def _render(self) -> None:
        has = self.customer_id is not None
        self.add_note_button.setVisible(has and self.editable)
        self.empty.setVisible(not has)
        for w in (self.split, self.name_field, self.subline, self.vip_button):
            w.setVisible(has)
        self._render_merge()
        if not has:
            self.note.hide()
            self.retry_button.hide()
            self.back_button.hide()
            return
        back = self.pinned and self.conversation is not None and self.conversation.customer.id != self.customer_id
        self.back_button.setVisible(back)
        if back and self.conversation is not None:
            self.back_button.setText(self.tr("← Back to %1").replace("%1", self.conversation.customer.name))
        profile = self.profile
        basic = self.basic
        name = profile.name if profile is not None else (basic.name if basic is not None else "")
        self.name_field.set_value(name)
        self.name_field.set_editable(self.editable)
        self._render_subline()
        self._render_note()
        self._render_vip()
        self.scroll.setVisible(profile is not None)
        if profile is None:
            return
        editable = self.editable
        self.phones.set_values(profile.phones)
        self.phones.set_editable(editable)
        self.emails.set_values(profile.emails)
        self.emails.set_editable(editable)
        self._render_channels(profile)
        self._render_tags(profile, editable)
        self.notes.set_value(profile.notes)
        self.notes.set_editable(editable)
        self._render_fields(profile, self.card.fields if self.card is not None else [], editable)

    def _render_subline(self) -> None:
        profile, basic = self.profile, self.basic
        first_seen = profile.first_seen if profile is not None else (basic.first_seen if basic else None)
        locale = profile.locale if profile is not None else (basic.locale if basic else "")
        parts = []
        if first_seen is not None:
            parts.append(self.tr("First seen %1").replace("%1", first_seen.astimezone().strftime("%d.%m.%Y")))
        if locale:
            parts.append(LANGUAGE_NAMES.get(locale, locale))
        self.subline.setText(" · ".join(parts))

    def _render_note(self) -> None:
        text = ""
        if self.state == "loading" and self.card is None:
            text = self.tr("Loading the card…")
        elif self.state == "failed":
            text = self._load_error
        elif self.state == "offline":
            if self.card is not None:
                at = self.card.at.astimezone().strftime("%H:%M")
                text = self.tr(
                    "Offline: this is the card as of %1, read-only. It can be changed again once the "
                    "connection is back."
                ).replace("%1", at)
            else:
                text = self.tr("Offline: the full card (phones, e-mail, notes) loads when the connection is back.")
        self.note.setText(text)
        set_style_property(self.note, "kind", "error" if self.state == "failed" else "info")
        self.note.setVisible(bool(text))
        self.retry_button.setVisible(self.state == "failed" and self.online)

    def _render_vip(self) -> None:
        profile, basic = self.profile, self.basic
        vip = profile.vip if profile is not None else bool(basic and basic.vip)
        self.vip_button.setChecked(vip)
        self.vip_button.setText(self.tr("★ VIP") if vip else self.tr("☆ Mark as VIP"))
        set_style_property(self.vip_button, "vip", "true" if vip else "false")
        self.vip_button.setEnabled(self.editable)

    def channel_name(self, channel: str) -> str:
        return {
            "web": self.tr("Web chat"),
            "telegram": "Telegram",
            "whatsapp": "WhatsApp",
            "email": self.tr("E-mail"),
        }.get(channel, channel)

    def _render_channels(self, profile: CustomerProfile) -> None:
        lines = []
        for ident in profile.identities:
            name = self.channel_name(ident.channel)
            lines.append(f"{name} · {ident.label}" if ident.label else name)
        self.channels.setText("\n".join(lines) if lines else self.tr("No channel yet"))
        name = "" if lines else "muted"
        if self.channels.objectName() != name:
            self.channels.setObjectName(name)
            repolish(self.channels)
        self._render_write_links(profile)

    def writable_identities(self, profile: CustomerProfile) -> list[IdentityInfo]:
        """The identities an operator can write first to (a channel with an adapter)."""
        return [i for i in profile.identities if i.channel in WRITABLE_CHANNELS and i.id]

    def _render_write_links(self, profile: CustomerProfile) -> None:
        idents = self.writable_identities(profile)
        while len(self.write_buttons) < len(idents):
            button = QPushButton(self.write_links)
            button.setObjectName("linkButton")
            button.setFlat(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _=False, b=button: self._start_open(b))
            self.write_lay.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
            self.write_buttons.append(button)
        for button, ident in zip(self.write_buttons, idents, strict=False):
            name = channel_name(ident.channel)
            text = self.tr("Write on %1…").replace("%1", name)
            button.setText(f"{text} {ident.label}" if ident.label and len(idents) > 1 else text)
            button.setToolTip(
                self.tr("Start a new %1 conversation with this customer; it is assigned to you").replace("%1", name)
            )
            button.setProperty("identity", (ident.channel, ident.id, ident.label))
            button.setEnabled(self.editable and not self.start_sending)
            button.show()
        for button in self.write_buttons[len(idents) :]:
            button.hide()
        self.write_links.setVisible(bool(idents))
        target = self.start_target
        if target is not None and (target[0] != profile.id or target[2] not in {i.id for i in idents}):
            self._start_close()
        self.start_send.setEnabled(self.editable and not self.start_sending)

    def _start_open(self, button: QPushButton) -> None:
        channel, identity_id, label = button.property("identity")
        if self.customer_id is None:
            return
        same = self.start_target is not None and self.start_target[:3] == (self.customer_id, channel, identity_id)
        self.start_target = (self.customer_id, channel, identity_id, label)
        self._render_start_texts()
        if not same:
            self.start_text.clear()
            self.start_error.hide()
        self.start_box.show()
        self.start_text.setFocus()

    def _render_start_texts(self) -> None:
        target = self.start_target
        if target is None:
            return
        _customer, channel, _identity, label = target
        name = channel_name(channel)
        who = self.profile.name if self.profile is not None else ""
        title = self.tr("New %1 conversation with %2").replace("%1", name).replace("%2", who)
        label = label.replace(" ", "\u00a0")  # a phone number is not broken across lines
        self.start_title.setText(f"{title} ({label})" if label else title)
        self.start_text.setPlaceholderText(self.tr("The first message, sent through %1").replace("%1", name))
        self.start_template.setVisible(channel == "whatsapp")

    def _start_with_template(self) -> None:
        target = self.start_target
        if target is not None and not self.start_sending:
            self.start_error.hide()
            self.template_start_requested.emit(target[0], target[1], target[2])

    def _start_send(self) -> None:
        target = self.start_target
        text = self.start_text.toPlainText().strip()
        if target is None or self.customers is None or self.start_sending:
            return
        if not text:
            self._start_says(self.tr("Write the message first."))
            return
        self.start_sending = True
        self.start_error.hide()
        self.start_send.setEnabled(False)
        self.start_send.setText(self.tr("Sending…"))
        self.start_text.setReadOnly(True)
        self.customers.start_conversation(target[0], target[1], target[2], text)

    def _start_says(self, text: str, detail: str = "") -> None:
        self.start_error.setText(text)
        self.start_error.setToolTip(detail)
        self.start_error.show()

    def _start_close(self) -> None:
        self.start_target = None
        self.start_sending = False
        self.start_text.setReadOnly(False)
        self.start_text.clear()
        self.start_error.hide()
        self.start_send.setText(self.tr("Send"))
        self.start_box.hide()

    def on_conversation_started(self, conv: ConversationInfo) -> None:
        target = self.start_target
        if target is None or conv.customer.id != target[0] or conv.channel != target[1]:
            return
        self._start_close()
        self.conversation_chosen.emit(conv.id)  # the window opens it in the middle

    def on_conversation_start_failed(self, customer_id: int, channel: str, text: str, detail: str) -> None:
        target = self.start_target
        if target is None or (target[0], target[1]) != (customer_id, channel):
            return
        self.start_sending = False
        self.start_text.setReadOnly(False)  # what was typed stays
        self.start_send.setText(self.tr("Send"))
        self.start_send.setEnabled(self.editable)
        self._start_says(text, detail)

    def _render_tags(self, profile: CustomerProfile, editable: bool) -> None:
        for tag in list(self.tag_chips):
            if tag not in profile.tags:
                chip = self.tag_chips.pop(tag)
                self.tags_flow.removeWidget(chip)
                chip.deleteLater()
        for tag in profile.tags:
            if tag not in self.tag_chips:
                chip = TagChip(tag, self.tags_box)
                chip.remove_requested.connect(self._remove_tag)
                chip.remove_button.setToolTip(self.tr("Remove this tag"))
                self.tag_chips[tag] = chip
        # keep the hub's order (sorted)
        for tag in profile.tags:
            self.tags_flow.removeWidget(self.tag_chips[tag])
        for tag in profile.tags:
            self.tags_flow.addWidget(self.tag_chips[tag])
            self.tag_chips[tag].set_removable(editable)
            self.tag_chips[tag].show()
        self.tags_box.setVisible(bool(profile.tags))
        self.tags_flow.invalidate()
        self.tag_add.set_empty_text(
            self.tr("+ Add a tag") if profile.tags else self.tr("No tags yet — add one"), self.tr("No tags")
        )
        self.tag_add.set_editable(editable)
        self.tag_add.setVisible(editable or not profile.tags)

    def _render_fields(self, profile: CustomerProfile, defs: list[CustomFieldDef], editable: bool) -> None:
        wanted = [f"field:{d.key}" for d in defs]
        for key in [k for k in self._fields if k.startswith("field:") and k not in wanted]:
            label, field = self._fields.pop(key)
            if field.editing or field.saving:
                self._fields[key] = (label, field)
                continue
            for w in (label, field):
                self.fields_lay.removeWidget(w)
                w.deleteLater()
        for d in defs:
            key = f"field:{d.key}"
            if key not in self._fields:
                self._field_row(key, FIELD_TEXT_MAX)
                self._fields[key][1].set_empty_text(self.tr("Not set — click to add"), self.tr("Not set"))
                self._fields[key][1].set_hint(self.tr("Enter saves · Esc cancels"))
            label, field = self._fields[key]
            label.setText(d.label)
            field.set_placeholder(
                {"number": self.tr("a number, e.g. 12500"), "date": self.tr("a date, e.g. 23.11.2026")}.get(d.type, "")
            )
            field.set_value(profile.fields.get(d.key, ""))
        self.first_name.set_value(profile.first_name)
        self.last_name.set_value(profile.last_name)
        for _label, field in self._fields.values():
            field.set_editable(editable)

    def sizeHint(self) -> QSize:
        return QSize(340, 600)

