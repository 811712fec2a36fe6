"""The customer card on the right: who this is, on which channel, since when."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from app.protocol.messages import ConversationInfo
from ui.channels import channel_name

LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "uk": "Українська"}


class CustomerCard(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.conversation: ConversationInfo | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(14, 12, 14, 12)
        lay.setSpacing(10)
        self.heading = QLabel(self)
        self.heading.setObjectName("muted")
        lay.addWidget(self.heading)
        self.name = QLabel(self)
        self.name.setObjectName("cardName")
        self.name.setWordWrap(True)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.name)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.channel_label, self.channel = QLabel(self), QLabel(self)
        self.first_seen_label, self.first_seen = QLabel(self), QLabel(self)
        self.language_label, self.language = QLabel(self), QLabel(self)
        self.conversation_label, self.conversation_value = QLabel(self), QLabel(self)
        for label, value in (
            (self.channel_label, self.channel),
            (self.first_seen_label, self.first_seen),
            (self.language_label, self.language),
            (self.conversation_label, self.conversation_value),
        ):
            label.setObjectName("muted")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.addRow(label, value)
        lay.addLayout(self.form)
        self.empty = QLabel(self)
        self.empty.setObjectName("muted")
        self.empty.setWordWrap(True)
        lay.addWidget(self.empty)
        lay.addStretch(1)
        self.retranslate()
        self.show_customer(None)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.heading.setText(self.tr("CUSTOMER"))
        self.channel_label.setText(self.tr("Channel"))
        self.first_seen_label.setText(self.tr("First seen"))
        self.language_label.setText(self.tr("Language"))
        self.conversation_label.setText(self.tr("Conversation"))
        self.empty.setText(self.tr("The customer's details appear here when you open a conversation."))
        self.show_customer(self.conversation)

    def show_customer(self, conv: ConversationInfo | None) -> None:
        self.conversation = conv
        has = conv is not None
        for w in (self.name, self.channel, self.first_seen, self.language, self.conversation_value,
                  self.channel_label, self.first_seen_label, self.language_label, self.conversation_label):
            w.setVisible(has)
        self.empty.setVisible(not has)
        if conv is None:
            return
        cust = conv.customer
        self.name.setText(cust.name)
        self.channel.setText(channel_name(conv.channel))
        self.first_seen.setText(cust.first_seen.astimezone().strftime("%Y-%m-%d %H:%M"))
        self.language.setText(LANGUAGE_NAMES.get(cust.locale, cust.locale or self.tr("unknown")))
        started = conv.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        self.conversation_value.setText(self.tr("#%1, started %2").replace("%1", str(conv.id)).replace("%2", started))
