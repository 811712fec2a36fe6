"""WhatsApp templates and the 24-hour window between the widgets and the operator
session (app.client; docs/protocol.md "WhatsApp templates").

WhatsApp delivers free text only within 24 hours of the customer's last message; after
that only an approved template. This bridge asks the hub for a conversation's window when
it is opened (``conversation_window``), keeps it current as the customer writes (a
customer message opens it again: no round trip), reads the channel's approved templates
(``wa_template_list``, refreshed on demand) and sends a chosen template. Answers come back
as signals; a refusal as a translated sentence with the hub's own text for the tooltip.
"""

from __future__ import annotations

import logging

import msgspec
from PySide6.QtCore import QObject, Signal
from qasync import asyncSlot

from app.client.connection import CommandFailed, ConnectionLost, new_txn_id
from app.client.session import OperatorSession
from app.client.wa_templates import WaTemplateListing, WindowInfo
from app.domain.wa_templates import window_closes_at
from app.protocol.messages import MessageInfo, WaTemplateChoice

log = logging.getLogger(__name__)

WINDOWED_CHANNELS = ("whatsapp",)


class WaTemplateBridge(QObject):
    window_changed = Signal(int, object)  # conversation id, WindowInfo
    templates_loading = Signal(str)  # channel
    templates_loaded = Signal(str, object)  # channel, WaTemplateListing
    templates_failed = Signal(str, str, str)  # channel, human text, the hub's text
    template_sent = Signal(int, object)  # conversation id, MessageInfo (stored, shown like any reply)
    template_failed = Signal(int, str, str)  # conversation id, human text, the hub's text

    def __init__(self, session: OperatorSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.windows: dict[int, WindowInfo] = {}
        self.listings: dict[str, WaTemplateListing] = {}
        # a template sent again after a lost answer keeps its txn_id: the hub stores it once
        self._send_txn: dict[tuple[int, bytes], str] = {}
        session.message_added.connect(self.on_message)

    # ------------------------------------------------------------------ queries (no I/O)

    def window(self, conversation_id: int) -> WindowInfo | None:
        return self.windows.get(conversation_id)

    def listing(self, channel: str = "whatsapp") -> WaTemplateListing | None:
        return self.listings.get(channel)

    def on_message(self, msg: MessageInfo) -> None:
        """A customer message opens the window again for 24 hours (as the hub counts it)."""
        known = self.windows.get(msg.conversation_id)
        if known is None or not known.applies or msg.author != "customer" or msg.internal:
            return
        last = msg.created_at
        if known.last_customer_at is not None and known.last_customer_at >= last:
            return
        info = WindowInfo(applies=True, open=True, last_customer_at=last, closes_at=window_closes_at(last))
        self.windows[msg.conversation_id] = info
        self.window_changed.emit(msg.conversation_id, info)

    # ------------------------------------------------------------------ intents

    @asyncSlot(int, str)
    async def check_window(self, conversation_id: int, channel: str) -> None:
        """Ask the hub about the conversation's window (only for channels that have one)."""
        if channel not in WINDOWED_CHANNELS:
            return
        try:
            info = await self.session.conversation_window(conversation_id)
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            log.info("window of conversation %d not known: %s", conversation_id, exc)
            return
        self.windows[conversation_id] = info
        self.window_changed.emit(conversation_id, info)

    @asyncSlot(str, bool)
    async def load(self, channel: str, refresh: bool) -> None:
        self.templates_loading.emit(channel)
        try:
            listing = await self.session.wa_templates(channel, refresh=refresh)
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            self.templates_failed.emit(channel, self._failure_text(exc, sending=False), getattr(exc, "text", ""))
            return
        self.listings[channel] = listing
        self.templates_loaded.emit(channel, listing)

    @asyncSlot(int, object)
    async def send(self, conversation_id: int, choice: WaTemplateChoice) -> None:
        key = (conversation_id, msgspec.json.encode(choice))
        txn_id = self._send_txn.setdefault(key, new_txn_id())
        try:
            msg = await self.session.send_template(conversation_id, choice, txn_id=txn_id)
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            if isinstance(exc, CommandFailed):
                self._send_txn.pop(key, None)  # refused: a new try is a new command
            self.template_failed.emit(conversation_id, self._failure_text(exc, sending=True), getattr(exc, "text", ""))
            return
        self._send_txn.pop(key, None)
        self.template_sent.emit(conversation_id, msg)

    # ------------------------------------------------------------------ helpers

    def _failure_text(self, exc: Exception, *, sending: bool) -> str:
        if isinstance(exc, ConnectionLost):
            if sending:
                return self.tr("Not sent: the connection to the hub is down. Try again when it is back.")
            return self.tr("The templates could not be read: the connection to the hub is down.")
        if isinstance(exc, TimeoutError):
            return self.tr("The hub did not answer in time. Try again.")
        assert isinstance(exc, CommandFailed)
        if exc.code == "template_invalid":
            return self.tr("Not sent: %1").replace("%1", exc.text)
        if exc.code == "channel_unavailable":
            return self.tr(
                "WhatsApp is not working on the hub right now (not set up, or down). Tell your administrator."
            )
        if exc.code == "window_closed":
            return self.tr("The 24-hour window has closed: WhatsApp only delivers approved templates")
        return self.tr("Not sent: %1").replace("%1", exc.text) if sending else exc.text
