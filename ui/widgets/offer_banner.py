"""The offer banner above the panes: a chat offered to me with Accept (Enter), Decline and
the seconds left, plus a notice when an offer ran out and I was set to Away."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from app.protocol.messages import ConversationOffered


class AcceptButton(QPushButton):
    """Enter and Return press it when it has focus (a plain QPushButton only takes Space)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.click()
            return
        super().keyPressEvent(event)


def seconds_left(offer: ConversationOffered, now: datetime | None = None) -> int:
    left = (offer.expires_at - (now or datetime.now(UTC))).total_seconds()
    return max(0, int(left + 0.999))


class OfferBanner(QWidget):
    accepted = Signal(int)
    declined = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.offer: ConversationOffered | None = None
        self._total_s = 20.0
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 6, 12, 0)
        outer.setSpacing(6)

        self.frame = QFrame(self)
        self.frame.setObjectName("offerBanner")
        fl = QHBoxLayout(self.frame)
        fl.setContentsMargins(12, 8, 12, 8)
        texts = QVBoxLayout()
        texts.setSpacing(2)
        self.title = QLabel(self.frame)
        self.title.setObjectName("sectionTitle")
        self.preview = QLabel(self.frame)
        self.preview.setObjectName("muted")
        texts.addWidget(self.title)
        texts.addWidget(self.preview)
        fl.addLayout(texts, 1)
        right = QVBoxLayout()
        right.setSpacing(2)
        self.countdown = QLabel(self.frame)
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.bar = QProgressBar(self.frame)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        self.bar.setFixedWidth(120)
        right.addWidget(self.countdown)
        right.addWidget(self.bar)
        fl.addLayout(right)
        self.accept_button = AcceptButton(self.frame)
        self.accept_button.setDefault(True)
        self.decline_button = QPushButton(self.frame)
        fl.addWidget(self.accept_button)
        fl.addWidget(self.decline_button)
        outer.addWidget(self.frame)

        self.notice = QFrame(self)
        self.notice.setObjectName("noticeBanner")
        nl = QHBoxLayout(self.notice)
        nl.setContentsMargins(12, 6, 8, 6)
        self.notice_text = QLabel(self.notice)
        self.notice_text.setWordWrap(True)
        nl.addWidget(self.notice_text, 1)
        self.notice_close = QPushButton(self.notice)
        self.notice_close.setFlat(True)
        nl.addWidget(self.notice_close)
        outer.addWidget(self.notice)

        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._update_countdown)
        self.accept_button.clicked.connect(self._accept)
        self.decline_button.clicked.connect(self._decline)
        self.notice_close.clicked.connect(self.dismiss_notice)
        self.frame.hide()
        self.notice.hide()
        self.retranslate()
        self._update_visibility()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.accept_button.setText(self.tr("Accept"))
        self.accept_button.setToolTip(self.tr("Take this chat (Enter)"))
        self.decline_button.setText(self.tr("Decline"))
        self.notice_close.setText(self.tr("Dismiss"))
        self._show_offer()

    def show_offers(self, offers: list[ConversationOffered], timeout_s: float | None = None) -> None:
        """Show the oldest pending offer (or hide when there is none)."""
        offers = sorted(offers, key=lambda o: o.seq)
        new = offers[0] if offers else None
        if new is not None and (self.offer is None or new.conversation.id != self.offer.conversation.id):
            self._total_s = timeout_s or max(1.0, (new.expires_at - datetime.now(UTC)).total_seconds())
            self.offer = new
            self.notice.hide()
            focus = self.window().focusWidget() if self.window() else None
            if focus is None or not hasattr(focus, "toPlainText") or not focus.toPlainText().strip():  # type: ignore[attr-defined]
                self.accept_button.setFocus()
        elif new is None:
            self.offer = None
        self._show_offer()

    def show_notice(self, text: str) -> None:
        self.notice_text.setText(text)
        self.notice.show()
        self._update_visibility()

    def dismiss_notice(self) -> None:
        self.notice.hide()
        self._update_visibility()

    def _show_offer(self) -> None:
        offer = self.offer
        if offer is None:
            self.frame.hide()
            self._tick.stop()
            self._update_visibility()
            return
        conv = offer.conversation
        name = f"★ {conv.customer.name} (VIP)" if conv.customer.vip else conv.customer.name
        self.title.setText(self.tr("New chat for you: %1").replace("%1", name))
        last = conv.last_message.text if conv.last_message else ""
        self.preview.setText(self.preview.fontMetrics().elidedText(
            " ".join(last.split()), Qt.TextElideMode.ElideRight, 520))
        self.frame.show()
        self._tick.start()
        self._update_countdown()
        self._update_visibility()

    def _update_countdown(self) -> None:
        if self.offer is None:
            return
        left = seconds_left(self.offer)
        self.countdown.setText(self.tr("%1 s to accept").replace("%1", str(left)))
        self.bar.setRange(0, max(1, int(self._total_s)))
        self.bar.setValue(min(int(self._total_s), left))

    def _update_visibility(self) -> None:
        self.setVisible(not self.frame.isHidden() or not self.notice.isHidden())

    def _accept(self) -> None:
        if self.offer is not None:
            self.accepted.emit(self.offer.conversation.id)

    def _decline(self) -> None:
        if self.offer is not None:
            self.declined.emit(self.offer.conversation.id)
