"""The WhatsApp template path of the main window (docs/protocol.md "WhatsApp templates"):
the conversation pane's 24-hour-window banner and the customer card's "Choose template…"
open a :class:`~ui.dialogs.wa_template_dialog.WaTemplateDialog`; its choice goes to the
bridges; their answers close it (sent: the message shows in the conversation like any
reply) or are said in it (refused: the values stay).

Kept apart from MainWindow so that the window only says which conversation it shows.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMainWindow

from app.client.outbox import OutboxItem
from app.client.wa_templates import WaTemplateListing, WindowInfo
from app.protocol.messages import ConversationInfo, MessageInfo, WaTemplateChoice
from ui.bridge.session_bridge import SessionBridge
from ui.bridge.wa_template_bridge import WINDOWED_CHANNELS
from ui.dialogs.wa_template_dialog import WaTemplateDialog
from ui.widgets.conversation import ConversationPane
from ui.widgets.customer_card import CustomerCard


class WaTemplateFlow(QObject):
    def __init__(
        self, window: QMainWindow, bridge: SessionBridge, pane: ConversationPane, card: CustomerCard
    ) -> None:
        super().__init__(window)  # the window owns this; no reference back to it (no cycle)
        self.bridge = bridge
        self.wa = bridge.wa_templates
        self.pane = pane
        self.card = card
        self.dialog: WaTemplateDialog | None = None
        # what the dialog sends for: ("reply", conversation id) or ("start", customer, channel, identity)
        self.target: tuple[object, ...] | None = None
        self.wa.window_changed.connect(self._window_changed)
        self.wa.templates_loading.connect(self._loading)
        self.wa.templates_loaded.connect(self._loaded)
        self.wa.templates_failed.connect(self._load_failed)
        self.wa.template_sent.connect(self._sent)
        self.wa.template_failed.connect(self._send_failed)
        pane.template_dialog_requested.connect(self.open_for_reply)
        card.template_start_requested.connect(self.open_for_start)
        bridge.customers.conversation_started.connect(self._started)
        bridge.customers.conversation_start_failed.connect(self._start_failed)
        bridge.outbox_changed.connect(self._outbox_changed)

    # ------------------------------------------------------------------ the window

    def _window(self) -> QMainWindow:
        window = self.parent()
        assert isinstance(window, QMainWindow)
        return window

    def conversation_shown(self, conv: ConversationInfo | None) -> None:
        """The window shows ``conv``: its window as known, and asked anew from the hub."""
        if conv is None or conv.channel not in WINDOWED_CHANNELS:
            return
        self.pane.set_window(self.wa.window(conv.id))
        if conv.status != "resolved":
            self.wa.check_window(conv.id, conv.channel)

    def _outbox_changed(self, item: OutboxItem) -> None:
        """A reply typed while the window was open reached the hub after it closed: the
        hub refused it; ask again so that the banner shows the way out."""
        if item.state == "failed" and item.error == "window_closed":
            self.wa.check_window(item.conversation_id, "whatsapp")

    def _window_changed(self, conversation_id: int, info: WindowInfo) -> None:
        conv = self.pane.conversation
        if conv is not None and conv.id == conversation_id:
            self.pane.set_window(info)

    # ------------------------------------------------------------------ the dialog

    def open_for_reply(self, conversation_id: int) -> WaTemplateDialog | None:
        conv = self.bridge.conversation(conversation_id)
        if conv is None:
            return None
        return self._open(conv.customer.name, conv.channel, ("reply", conversation_id))

    def open_for_start(self, customer_id: int, channel: str, identity_id: int) -> WaTemplateDialog:
        profile = self.card.profile
        name = profile.name if profile is not None and profile.id == customer_id else ""
        return self._open(name, channel, ("start", customer_id, channel, identity_id))

    def _open(self, name: str, channel: str, target: tuple[object, ...]) -> WaTemplateDialog:
        if self.dialog is not None:
            self.dialog.close()
        dialog = WaTemplateDialog(name, self._window(), starting=target[0] == "start")
        self.dialog, self.target = dialog, target
        dialog.setProperty("channel", channel)
        known = self.wa.listing(channel)
        if known is not None:
            dialog.set_listing(known)
        dialog.send_requested.connect(self._send)
        dialog.refresh_requested.connect(lambda: self.wa.load(channel, True))
        dialog.finished.connect(lambda _r, d=dialog: self._closed(d))
        self.wa.load(channel, False)
        dialog.open()
        return dialog

    def _closed(self, dialog: WaTemplateDialog) -> None:
        if self.dialog is dialog:
            self.dialog, self.target = None, None
        dialog.deleteLater()

    def _send(self, choice: WaTemplateChoice) -> None:
        target = self.target
        if target is None:
            return
        if target[0] == "reply":
            self.wa.send(target[1], choice)
        else:
            _kind, customer_id, channel, identity_id = target
            self.bridge.customers.start_with_template(customer_id, channel, identity_id, choice)

    # ------------------------------------------------------------------ answers

    def _loading(self, channel: str) -> None:
        if self.dialog is not None and self.dialog.property("channel") == channel:
            self.dialog.set_loading(True)

    def _loaded(self, channel: str, listing: WaTemplateListing) -> None:
        if self.dialog is not None and self.dialog.property("channel") == channel:
            self.dialog.set_listing(listing)

    def _load_failed(self, channel: str, text: str, detail: str) -> None:
        if self.dialog is not None and self.dialog.property("channel") == channel:
            self.dialog.set_loading(False)
            self.dialog.show_error(text, detail)

    def _sent(self, conversation_id: int, _msg: MessageInfo) -> None:
        if self.dialog is not None and self.target == ("reply", conversation_id):
            self.dialog.accept()
        self._window().statusBar().showMessage(self.tr("Template sent."), 6000)

    def _send_failed(self, conversation_id: int, text: str, detail: str) -> None:
        if self.dialog is not None and self.target == ("reply", conversation_id):
            self.dialog.show_error(text, detail)
        else:
            self._window().statusBar().showMessage(text, 8000)

    def _started(self, conv: ConversationInfo) -> None:
        target = self.target
        if self.dialog is not None and target is not None and target[0] == "start" and target[1] == conv.customer.id:
            self.dialog.accept()

    def _start_failed(self, customer_id: int, channel: str, text: str, detail: str) -> None:
        target = self.target
        if self.dialog is not None and target is not None and target[:3] == ("start", customer_id, channel):
            self.dialog.show_error(text, detail)
