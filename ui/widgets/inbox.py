"""The inbox list: one row per conversation with channel, customer, last message, wait time."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QCoreApplication, QEvent, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.client.outbox import OutboxItem
from app.protocol.messages import ConversationInfo
from ui import theme
from ui.channels import channel_color, channel_name
from ui.models.inbox import ConversationRole, UnsentRole, sla_left, waited_seconds

Index = QModelIndex | QPersistentModelIndex

FIRST_RESPONSE_TARGET_S = 90.0


def format_wait(seconds: float) -> str:
    """A wait or an SLA margin: "1:12" (minutes:seconds) while seconds matter, then
    "17 min" and "2 h 5 min": "17:36" next to a clock would read as a time of day."""
    s = int(seconds)
    if s < 600:
        return f"{s // 60}:{s % 60:02d}"
    if s < 48 * 3600:
        return minutes_text(s // 60)
    return QCoreApplication.translate("Inbox", "%1 d").replace("%1", str(s // 86400))


def minutes_text(minutes: int) -> str:
    """A duration in whole minutes, short: "<1 min", "17 min", "2 h 5 min"."""
    if minutes < 1:
        return QCoreApplication.translate("Inbox", "%1 min").replace("%1", "<1")
    if minutes < 60:
        return QCoreApplication.translate("Inbox", "%1 min").replace("%1", str(minutes))
    return (
        QCoreApplication.translate("Inbox", "%1 h %2 min")
        .replace("%1", str(minutes // 60))
        .replace("%2", str(minutes % 60))
    )


def wait_color(seconds: float) -> QColor:
    c = theme.colors()
    if seconds >= FIRST_RESPONSE_TARGET_S:
        return c.bad
    if seconds >= FIRST_RESPONSE_TARGET_S * 2 / 3:
        return c.warn
    return c.ok


def level_color(lvl: str) -> QColor:
    c = theme.colors()
    return {"red": c.bad, "amber": c.warn}.get(lvl, c.ok)


def sla_text(left_s: float) -> str:
    """ "1:12 left" while time remains, "0:20 over" after the breach."""
    if left_s > 0:
        return QCoreApplication.translate("Inbox", "%1 left").replace("%1", format_wait(left_s))
    return QCoreApplication.translate("Inbox", "%1 over").replace("%1", format_wait(-left_s))


def state_text(conv: ConversationInfo) -> str:
    if conv.status != "open":
        return ""
    if conv.state == "waiting":
        return QCoreApplication.translate("Inbox", "Waiting for customer")
    if conv.state == "snoozed" and conv.snoozed_until is not None:
        return QCoreApplication.translate("Inbox", "Snoozed until %1").replace(
            "%1", conv.snoozed_until.astimezone().strftime("%H:%M")
        )
    return ""


class _Fonts:
    """The three fonts of a row and their metrics, made once per view font (a row used
    to build them at every paint: a third of the list's painting time)."""

    def __init__(self, base: QFont) -> None:
        self.badge = QFont(base)
        self.badge.setPointSizeF(max(7.0, self.badge.pointSizeF() * 0.78))
        self.badge.setBold(True)
        self.badge_fm = QFontMetrics(self.badge)
        self.name = QFont(base)
        self.name.setBold(True)
        self.name_fm = QFontMetrics(self.name)
        self.body = QFont(base)
        self.body_fm = QFontMetrics(self.body)
        self.badges: dict[str, tuple[str, int]] = {}  # channel -> its badge text and width

    def badge_of(self, channel: str) -> tuple[str, int]:
        badge = self.badges.get(channel)
        if badge is None:
            text = channel_name(channel).upper()
            badge = self.badges[channel] = (text, self.badge_fm.horizontalAdvance(text) + 10)
        return badge


class InboxDelegate(QStyledItemDelegate):
    ROW_H = 62

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fonts: dict[str, _Fonts] = {}

    def fonts(self, base: QFont) -> _Fonts:
        key = base.key()
        fonts = self._fonts.get(key)
        if fonts is None:
            if len(self._fonts) > 8:
                self._fonts.clear()
            fonts = self._fonts[key] = _Fonts(base)
        return fonts

    def retranslated(self) -> None:
        """The channel names on the badges are translated: made again."""
        self._fonts.clear()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(option.rect.width(), self.ROW_H)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        conv: ConversationInfo | None = index.data(ConversationRole)
        if conv is None:
            return
        c = theme.colors()
        pal = option.palette  # type: ignore[attr-defined]
        rect: QRect = option.rect  # type: ignore[attr-defined]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        if selected:
            painter.fillRect(rect, pal.highlight())
        painter.setPen(pal.mid().color())
        painter.drawLine(rect.left() + 12, rect.bottom(), rect.right() - 12, rect.bottom())

        text_color = pal.highlightedText().color() if selected else pal.text().color()
        x, y, w = rect.left() + 12, rect.top() + 9, rect.width() - 24

        # channel badge
        fonts = self.fonts(option.font)  # type: ignore[attr-defined]
        badge_font, bfm = fonts.badge, fonts.badge_fm
        badge, bw = fonts.badge_of(conv.channel)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(channel_color(conv.channel))
        painter.drawRoundedRect(QRect(x, y + 2, bw, bfm.height() + 2), 4, 4)
        painter.setFont(badge_font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(QRect(x, y + 2, bw, bfm.height() + 2), Qt.AlignmentFlag.AlignCenter, badge)

        # wait time (right)
        name_font, fm = fonts.name, fonts.name_fm
        now = datetime.now(UTC)
        clock = sla_left(conv, now)
        waited = waited_seconds(conv, now)
        wait_w = 0
        wait_text = ""
        if clock is not None:
            wait_text, wait_pen = sla_text(clock[0]), level_color(clock[1])
        elif waited is not None:
            wait_text, wait_pen = format_wait(waited), wait_color(waited)
        if wait_text:
            painter.setFont(name_font)
            wait_w = fm.horizontalAdvance(wait_text) + 4
            painter.setPen(wait_pen)
            painter.drawText(QRect(rect.right() - 12 - wait_w, y, wait_w, fm.height()),
                             Qt.AlignmentFlag.AlignRight, wait_text)

        # customer name
        painter.setFont(name_font)
        painter.setPen(text_color)
        name_x = x + bw + 8
        name_w = max(10, rect.right() - 12 - wait_w - 8 - name_x)
        name = f"★ {conv.customer.name}" if conv.customer.vip else conv.customer.name
        if conv.customer.vip and not selected:
            painter.setPen(c.vip)
        painter.drawText(QRect(name_x, y, name_w, fm.height()), Qt.AlignmentFlag.AlignLeft,
                         fm.elidedText(name, Qt.TextElideMode.ElideRight, name_w))

        # last message
        painter.setFont(fonts.body)
        bfm2 = fonts.body_fm
        last = conv.last_message
        unsent: OutboxItem | None = index.data(UnsentRole)
        preview_color = text_color if selected else c.muted
        if unsent is not None:
            if unsent.state == "failed":
                label = QCoreApplication.translate("Inbox", "Not sent: %1")
                preview_color = text_color if selected else c.bad
            else:
                label = QCoreApplication.translate("Inbox", "Sending: %1")
            preview = label.replace("%1", unsent.text)
        elif last is None:
            preview = QCoreApplication.translate("Inbox", "No messages yet")
        else:
            text = last.text
            if not text:  # a message that is only files
                names = ", ".join(a.name for a in last.attachments)
                text = QCoreApplication.translate("Inbox", "File: %1").replace("%1", names) if names else \
                    QCoreApplication.translate("Inbox", "(a file)")
            if last.author == "operator":
                preview = QCoreApplication.translate("Inbox", "You: %1").replace("%1", text)
                if last.operator_id is not None and last.author_name:
                    preview = f"{last.author_name}: {text}"
            else:
                preview = text
            if unsent is None and last.internal:
                preview = QCoreApplication.translate("Inbox", "Note: %1").replace("%1", text)
        preview = " ".join(preview.split())
        state = state_text(conv)
        if state:
            preview = f"{state} · {preview}"
        painter.setPen(preview_color)
        painter.drawText(QRect(x, y + fm.height() + 6, w, bfm2.height()), Qt.AlignmentFlag.AlignLeft,
                         bfm2.elidedText(preview, Qt.TextElideMode.ElideRight, w))
        painter.restore()


class InboxView(QListView):
    """A list of conversations that explains itself when empty and ticks the wait clocks."""

    def __init__(self, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_text = empty_text
        self.delegate = InboxDelegate(self)
        self.setItemDelegate(self.delegate)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setUniformItemSizes(True)
        self.setFrameShape(QListView.Shape.NoFrame)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.viewport().update)
        self._tick.start()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.delegate.retranslated()
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(theme.colors().muted)
            r = self.viewport().rect().adjusted(24, 24, -24, -24)
            painter.drawText(r, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                             | Qt.TextFlag.TextWordWrap, self.empty_text)
