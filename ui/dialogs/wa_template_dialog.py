"""Choose an approved WhatsApp template, fill in its values, see what the customer will
read, send it (docs/protocol.md "WhatsApp templates").

The dialog knows nothing of the hub: the window gives it the list (``set_listing``), and
it says what the operator wants as signals (``send_requested`` with a
:class:`~app.protocol.messages.WaTemplateChoice`, ``refresh_requested``). It stays open
while the template is being sent; a refusal is shown in it (``show_error``) and what was
filled in stays, so nothing is lost.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.client.wa_templates import WaTemplateListing
from app.domain.wa_templates import Template, TemplateInvalid, check_params, render
from app.protocol.messages import WaTemplateChoice, WaTemplateInfo

TemplateRole = Qt.ItemDataRole.UserRole + 1


def _as_template(info: WaTemplateInfo) -> Template:
    return Template(
        name=info.name,
        language=info.language,
        status="APPROVED",
        category=info.category,
        header=info.header,
        body=info.body,
        footer=info.footer,
        params=info.params,
    )


class WaTemplateDialog(QDialog):
    send_requested = Signal(object)  # WaTemplateChoice
    refresh_requested = Signal()

    def __init__(self, customer_name: str, parent: QWidget | None = None, *, starting: bool = False) -> None:
        super().__init__(parent)
        self.customer_name = customer_name
        self.starting = starting  # writing first (conversation_start), not replying
        self.listing: WaTemplateListing | None = None
        self.sending = False
        self.loading = False
        self.fields: list[QLineEdit] = []
        self.setMinimumSize(720, 460)

        lay = QVBoxLayout(self)
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        lay.addWidget(self.intro)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        left = QWidget(split)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget(left)
        self.list.setObjectName("waTemplates")
        self.list.setSpacing(3)
        ll.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.fetched = QLabel(left)
        self.fetched.setObjectName("muted")
        self.fetched.setWordWrap(True)
        row.addWidget(self.fetched, 1)
        self.refresh_button = QPushButton(left)
        row.addWidget(self.refresh_button)
        ll.addLayout(row)

        right = QWidget(split)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(8, 0, 0, 0)
        self.title = QLabel(right)
        self.title.setObjectName("dialogTitle")
        rl.addWidget(self.title)
        self.body = QLabel(right)
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.body.setObjectName("muted")
        rl.addWidget(self.body)
        self.form_box = QWidget(right)
        self.form = QFormLayout(self.form_box)
        self.form.setContentsMargins(0, 4, 0, 4)
        rl.addWidget(self.form_box)
        self.preview_title = QLabel(right)
        self.preview_title.setObjectName("cardSection")
        rl.addWidget(self.preview_title)
        self.preview = QPlainTextEdit(right)
        self.preview.setReadOnly(True)
        self.preview.setObjectName("waPreview")
        rl.addWidget(self.preview, 1)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 460])
        lay.addWidget(split, 1)

        self.error = QLabel(self)
        self.error.setObjectName("fieldMessage")
        self.error.setProperty("kind", "error")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        lay.addWidget(self.error)
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        lay.addWidget(line)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton(self)
        self.send_button = QPushButton(self)
        self.send_button.setDefault(True)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.send_button)
        lay.addLayout(buttons)

        self.list.currentItemChanged.connect(lambda _cur, _prev: self._chosen())
        self.refresh_button.clicked.connect(self._refresh)
        self.cancel_button.clicked.connect(self.reject)
        self.send_button.clicked.connect(self._send)
        self.retranslate()
        self._chosen()

    # ------------------------------------------------------------------ text

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("WhatsApp template for %1").replace("%1", self.customer_name))
        if self.starting:
            self.intro.setText(self.tr(
                "WhatsApp delivers free text only to a customer who wrote in the last 24 hours; otherwise only "
                "approved templates. Choose one, fill in its values and send it to start the conversation."))
        else:
            self.intro.setText(self.tr(
                "The 24-hour window has closed: WhatsApp only delivers approved templates. Choose one, fill in "
                "its values and send it; when the customer answers, you can write freely again."))
        self.refresh_button.setText(self.tr("Refresh"))
        self.refresh_button.setToolTip(self.tr("Fetch the approved templates from WhatsApp again"))
        self.preview_title.setText(self.tr("What the customer will read"))
        self.cancel_button.setText(self.tr("Cancel"))
        self.send_button.setText(self.tr("Sending…") if self.sending else self.tr("Send"))
        self._render_fetched()
        self._render_template()

    # ------------------------------------------------------------------ what the window tells

    def set_loading(self, loading: bool) -> None:
        self.loading = loading
        self.refresh_button.setEnabled(not loading and not self.sending)
        self._render_fetched()

    def set_listing(self, listing: WaTemplateListing) -> None:
        """The approved templates (the choice stays when the list is read again)."""
        self.listing = listing
        self.loading = False
        self.refresh_button.setEnabled(not self.sending)
        chosen = self.current()
        key = (chosen.name, chosen.language) if chosen is not None else None
        self.list.blockSignals(True)
        self.list.clear()
        select = 0
        for i, t in enumerate(listing.templates):
            category = {"UTILITY": self.tr("utility"), "MARKETING": self.tr("marketing"),
                        "AUTHENTICATION": self.tr("authentication")}.get(t.category, t.category.lower())
            item = QListWidgetItem(f"{t.name}\n{t.language} · {category}")
            item.setData(TemplateRole, t)
            item.setToolTip(t.body)
            self.list.addItem(item)
            if key == (t.name, t.language):
                select = i
        self.list.blockSignals(False)
        if listing.templates:
            self.list.setCurrentRow(select)
        self._render_fetched()
        self._chosen()

    def show_error(self, text: str, detail: str = "") -> None:
        """A refusal: said here, the values stay for another try."""
        self.set_sending(False)
        self.error.setText(text)
        self.error.setToolTip(detail)
        self.error.show()

    def set_sending(self, sending: bool) -> None:
        self.sending = sending
        for f in self.fields:
            f.setReadOnly(sending)
        self.list.setEnabled(not sending)
        self.refresh_button.setEnabled(not sending and not self.loading)
        self.send_button.setText(self.tr("Sending…") if sending else self.tr("Send"))
        self._update_send()

    # ------------------------------------------------------------------ the chosen template

    def current(self) -> WaTemplateInfo | None:
        item = self.list.currentItem()
        value = item.data(TemplateRole) if item is not None else None
        return value if isinstance(value, WaTemplateInfo) else None

    def params(self) -> list[str]:
        return [f.text() for f in self.fields]

    def _chosen(self) -> None:
        old = self.params()
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = []
        t = self.current()
        for i in range(t.params if t is not None else 0):
            field = QLineEdit(self.form_box)
            field.setObjectName(f"param{i + 1}")
            if i < len(old):
                field.setText(old[i])
            field.textChanged.connect(lambda _t: self._render_template())
            self.form.addRow(f"{{{{{i + 1}}}}}", field)
            self.fields.append(field)
        self.error.hide()
        self._render_template()

    def _render_fetched(self) -> None:
        listing = self.listing
        if self.loading:
            self.fetched.setText(self.tr("Reading the templates…"))
        elif listing is None:
            self.fetched.setText("")
        elif listing.error and listing.fetched_at is not None:
            self.fetched.setText(self.tr("WhatsApp could not be reached just now; this is the list from %1.")
                                 .replace("%1", _when(listing.fetched_at)))
        elif listing.error:
            self.fetched.setText(self.tr("WhatsApp could not be reached: %1").replace("%1", listing.error))
        elif listing.fetched_at is not None:
            self.fetched.setText(self.tr("Approved templates as of %1").replace("%1", _when(listing.fetched_at)))
        else:
            self.fetched.setText(self.tr("The templates have not been fetched yet."))
        self.fetched.setToolTip(listing.error if listing is not None else "")

    def _render_template(self) -> None:
        t = self.current()
        if t is None:
            empty = self.listing is not None and not self.listing.templates
            self.title.setText(self.tr("No approved templates") if empty else self.tr("Choose a template"))
            self.body.setText(self.tr(
                "Templates are made and approved in Meta's WhatsApp Manager; ask your administrator."
            ) if empty else "")
            self.preview.setPlainText("")
            self._update_send()
            return
        self.title.setText(f"{t.name} · {t.language}")
        self.body.setText(t.body)
        self.preview.setPlainText(render(_as_template(t), [p.strip() or f"{{{{{i}}}}}" for i, p in
                                                           enumerate(self.params(), 1)]))
        self._update_send()

    def _problem(self) -> str:
        """Why the values cannot be sent yet ("" when they can)."""
        t = self.current()
        if t is None:
            return self.tr("Choose a template.")
        params = self.params()
        for i, p in enumerate(params, 1):
            if not p.strip():
                return self.tr("Fill in %1.").replace("%1", f"{{{{{i}}}}}")
        try:
            check_params(_as_template(t), params)
        except TemplateInvalid:
            return self.tr(
                "WhatsApp does not take line breaks, tabs or more than four spaces in a row in a value, "
                "nor a text longer than 1024 characters."
            )
        return ""

    def _update_send(self) -> None:
        problem = self._problem()
        self.send_button.setEnabled(not problem and not self.sending)
        self.send_button.setToolTip(problem)

    def _refresh(self) -> None:
        self.set_loading(True)
        self.refresh_requested.emit()

    def _send(self) -> None:
        t = self.current()
        if t is None or self._problem() or self.sending:
            return
        self.error.hide()
        self.set_sending(True)
        self.send_requested.emit(
            WaTemplateChoice(name=t.name, language=t.language, params=[p.strip() for p in self.params()])
        )


def _when(at: datetime) -> str:
    return at.astimezone().strftime("%d.%m %H:%M")
