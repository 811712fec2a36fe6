"""The one QObject between the widgets and the operator session (app.client).

Session events become Qt signals; user intents arrive as async slots that call the
service. Failures come back as translated, human sentences; nothing here touches a
socket directly.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from PySide6.QtCore import QObject, Signal
from qasync import asyncSlot

from app.client.connection import CommandFailed, ConnectionLost, HubUnreachable
from app.client.outbox import TIMED_OUT, OutboxItem
from app.client.session import LinkChange, OperatorSession
from app.protocol.messages import (
    ConversationInfo,
    ConversationOffered,
    MessageInfo,
    OperatorInfo,
    QueueInfo,
)
from ui.bridge.customer_bridge import CustomerBridge
from ui.bridge.files_bridge import FilesBridge
from ui.bridge.kb_bridge import KbBridge
from ui.bridge.template_bridge import TemplateBridge
from ui.bridge.wa_template_bridge import WaTemplateBridge

log = logging.getLogger(__name__)


class SessionBridge(QObject):
    link_changed = Signal(object)  # LinkChange
    synced = Signal()
    conversation_changed = Signal(object)  # ConversationInfo
    message_added = Signal(object)  # MessageInfo
    operator_changed = Signal(object)  # OperatorInfo
    session_ended = Signal(str)
    logged_in = Signal(object)  # OperatorInfo
    login_failed = Signal(str, str)  # kind: "auth" | "unreachable", human text
    history_loaded = Signal(int)  # conversation id
    older_history_loading = Signal(int, bool)  # conversation id, an older page is being read
    older_history_loaded = Signal(int)  # conversation id: an older page is in messages()
    message_sent = Signal(object)  # OutboxItem: the reply is queued (shown as pending)
    outbox_changed = Signal(object)  # OutboxItem: pending -> sent / failed (not sent)
    command_failed = Signal(str)  # human text
    signed_out = Signal()
    offers_changed = Signal()
    offer_accepted = Signal(int)
    offer_expired = Signal(object)  # OfferExpired
    typing_changed = Signal(object)  # TypingEvent
    viewers_changed = Signal(object)  # ViewingEvent
    queues_changed = Signal()

    def __init__(self, session: OperatorSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        # the customer card's reads and edits (its own bridge, same session)
        self.customers = CustomerBridge(session, self)
        # attachments: uploads, replies with files, images and files (its own bridge, same session)
        self.files = FilesBridge(session, self)
        # answer templates (their own bridge, same session)
        self.templates = TemplateBridge(session, self)
        # the knowledge base: suggestions, search, articles (same session)
        self.kb = KbBridge(session, self)
        # WhatsApp: the 24-hour window and approved templates (same session)
        self.wa_templates = WaTemplateBridge(session, self)
        self._older_in_flight: set[int] = set()  # conversations whose older page is being read
        session.link_changed.connect(self.link_changed.emit)
        session.synced.connect(lambda _v: self.synced.emit())
        session.conversation_changed.connect(self.conversation_changed.emit)
        session.message_added.connect(self.message_added.emit)
        session.operator_changed.connect(self.operator_changed.emit)
        session.session_ended.connect(self.session_ended.emit)
        session.offers_changed.connect(lambda _v: self.offers_changed.emit())
        session.offer_expired.connect(self.offer_expired.emit)
        session.typing_changed.connect(self.typing_changed.emit)
        session.viewers_changed.connect(self.viewers_changed.emit)
        session.queues_changed.connect(lambda _v: self.queues_changed.emit())
        session.outbox_changed.connect(self.outbox_changed.emit)
        session.outbox_changed.connect(self._on_outbox_changed)

    # ------------------------------------------------------------------ queries (no I/O)

    @property
    def me(self) -> OperatorInfo | None:
        return self.session.me

    def conversations(self) -> list[ConversationInfo]:
        return list(self.session.conversations.values())

    def conversation(self, conversation_id: int) -> ConversationInfo | None:
        return self.session.conversations.get(conversation_id)

    def messages(self, conversation_id: int) -> list[MessageInfo]:
        return self.session.messages_of(conversation_id)

    def has_more_history(self, conversation_id: int) -> bool:
        """Whether older messages than the loaded ones exist (known once a page was read)."""
        return self.session.has_more_history(conversation_id)

    def loading_older(self, conversation_id: int) -> bool:
        return conversation_id in self._older_in_flight

    def operator(self, operator_id: int | None) -> OperatorInfo | None:
        return self.session.operators.get(operator_id) if operator_id is not None else None

    @property
    def link(self) -> LinkChange:
        return self.session.link

    def outbox_of(self, conversation_id: int) -> list[OutboxItem]:
        return self.session.outbox_of(conversation_id)

    def newest_unsent(self) -> dict[int, OutboxItem]:
        """Conversation id -> its newest unsent reply (one pass over the outbox)."""
        return self.session.newest_unsent()

    @property
    def waiting_count(self) -> int:
        return self.session.waiting_count

    # ------------------------------------------------------------------ intents

    @asyncSlot(str, str, str, bool)
    async def login(self, url: str, username: str, password: str, remember: bool) -> None:
        try:
            me = await self.session.login(url, username, password, remember=remember)
        except HubUnreachable as exc:
            self.login_failed.emit("unreachable", self.unreachable_text(exc))
        except CommandFailed as exc:
            if exc.code == "auth_failed":
                text = self.tr("Wrong user name or password.")
            else:
                text = self.tr("The hub refused the login: %1").replace("%1", exc.text)
            self.login_failed.emit("auth", text)
        except ConnectionLost:
            self.login_failed.emit("unreachable", self.tr("The connection dropped during login. Try again."))
        else:
            self.logged_in.emit(me)

    async def resume(self, url: str) -> Literal["online", "unreachable", "none"]:
        """Log in with the token remembered for this hub: "online" when that worked,
        "unreachable" when the hub could not be reached (the token may still be good),
        "none" without a remembered session or when the hub refused it."""
        try:
            me = await self.session.login_with_stored_token(url)
        except HubUnreachable as exc:
            # a wrong address or a hub that refuses this client is not "offline"
            return "none" if exc.kind in ("address", "refused_by_hub") else "unreachable"
        except ConnectionLost:
            return "unreachable"
        if me is None:
            return "none"
        self.logged_in.emit(me)
        return "online"

    async def open_offline(self, url: str) -> bool:
        """The hub is unreachable: open the remembered session from the local cache (the
        window shows it offline and reconnects by itself). False without token or cache."""
        me = await self.session.start_offline(url)
        if me is None:
            return False
        self.logged_in.emit(me)
        return True

    def send_message(self, conversation_id: int, text: str) -> None:
        """Queue the reply in the outbox: it shows at once as pending and is sent when
        the link is up (also when it is down right now)."""
        try:
            item = self.session.send(conversation_id, text)
        except CommandFailed as exc:
            self.command_failed.emit(self._failure_text(exc, self.tr("The message was not sent")))
        else:
            self.message_sent.emit(item)

    def _on_outbox_changed(self, item: OutboxItem) -> None:
        if item.state == "failed":
            self.command_failed.emit(self.not_sent_text(item))

    def not_sent_text(self, item: OutboxItem) -> str:
        """Why a reply is "not sent", for the status bar and the bubble's tooltip."""
        if item.error == TIMED_OUT:
            why = self.tr("the hub could not be reached for 5 minutes")
            return f"{self.tr('The message was not sent')}: {why}"
        return self._failure_text(CommandFailed(item.error, item.error), self.tr("The message was not sent"))

    def resend(self, txn_id: str) -> None:
        """A "not sent" reply: try again (same txn_id, so it is never stored twice)."""
        self.session.resend(txn_id)

    @asyncSlot(int, str)
    async def send_note(self, conversation_id: int, text: str) -> None:
        try:
            msg = await self.session.send_message(conversation_id, text, internal=True)
        except (CommandFailed, ConnectionLost) as exc:
            self.command_failed.emit(self._failure_text(exc, self.tr("The note was not saved")))
        else:
            self.message_sent.emit(msg)

    @asyncSlot(int)
    async def accept_offer(self, conversation_id: int) -> None:
        try:
            await self.session.accept_offer(conversation_id)
        except (CommandFailed, ConnectionLost) as exc:
            self.command_failed.emit(self._failure_text(exc, self.tr("Could not accept the chat")))
        else:
            self.offer_accepted.emit(conversation_id)

    @asyncSlot(int)
    async def decline_offer(self, conversation_id: int) -> None:
        try:
            await self.session.decline_offer(conversation_id)
        except (CommandFailed, ConnectionLost) as exc:
            self.command_failed.emit(self._failure_text(exc, self.tr("Could not decline the chat")))

    @asyncSlot(int, str, int, str)
    async def transfer(self, conversation_id: int, kind: str, target_id: int, note: str) -> None:
        try:
            if kind == "queue":
                await self.session.transfer(conversation_id, queue_id=target_id, note=note)
            else:
                await self.session.transfer(conversation_id, operator_id=target_id, note=note)
        except (CommandFailed, ConnectionLost) as exc:
            self.command_failed.emit(self._failure_text(exc, self.tr("Could not transfer the conversation")))

    @asyncSlot(int, str, object)
    async def set_state(self, conversation_id: int, state: str, snoozed_until: datetime | None) -> None:
        if state not in ("open", "waiting", "snoozed"):
            return
        try:
            await self.session.set_state(conversation_id, state, snoozed_until)  # type: ignore[arg-type]
        except (CommandFailed, ConnectionLost) as exc:
            self.command_failed.emit(self._failure_text(exc, self.tr("Could not change the conversation state")))

    @asyncSlot(int, bool)
    async def typing(self, conversation_id: int, typing: bool) -> None:
        await self.session.notify_typing(conversation_id, typing)

    @asyncSlot(object)
    async def viewing(self, conversation_id: int | None) -> None:
        await self.session.notify_viewing(conversation_id)

    def offers(self) -> list[ConversationOffered]:
        return list(self.session.offers.values())

    def queues(self) -> list[QueueInfo]:
        return sorted(self.session.queues.values(), key=lambda q: (q.kind != "first", q.name))

    def operators(self) -> list[OperatorInfo]:
        return list(self.session.operators.values())

    @asyncSlot(int)
    async def take(self, conversation_id: int) -> None:
        try:
            await self.session.take(conversation_id)
        except (CommandFailed, ConnectionLost) as exc:
            self.command_failed.emit(self._failure_text(exc, self.tr("Could not take the conversation")))

    @asyncSlot(int)
    async def resolve(self, conversation_id: int) -> None:
        try:
            await self.session.resolve(conversation_id)
        except (CommandFailed, ConnectionLost) as exc:
            self.command_failed.emit(self._failure_text(exc, self.tr("Could not resolve the conversation")))

    @asyncSlot(str)
    async def set_status(self, status: str) -> None:
        if status not in ("online", "away", "busy", "offline"):
            return
        try:
            await self.session.set_status(status)  # type: ignore[arg-type]
        except (CommandFailed, ConnectionLost) as exc:
            self.command_failed.emit(self._failure_text(exc, self.tr("Could not change your status")))

    @asyncSlot(int)
    async def open_conversation(self, conversation_id: int) -> None:
        try:
            await self.session.load_history(conversation_id)
        except (CommandFailed, ConnectionLost) as exc:
            self.command_failed.emit(self._failure_text(exc, self.tr("Could not load the conversation")))
        else:
            self.history_loaded.emit(conversation_id)

    @asyncSlot(int)
    async def load_older(self, conversation_id: int) -> None:
        """The page before the loaded messages (the operator scrolled back to the top).
        One request at a time per conversation; nothing once the start is reached."""
        if conversation_id in self._older_in_flight or not self.session.has_more_history(conversation_id):
            return
        self._older_in_flight.add(conversation_id)
        self.older_history_loading.emit(conversation_id, True)
        failure = ""
        try:
            await self.session.load_history(conversation_id, older=True)
        except (CommandFailed, ConnectionLost) as exc:
            failure = self._failure_text(exc, self.tr("Could not load earlier messages"))
        finally:
            self._older_in_flight.discard(conversation_id)
            self.older_history_loading.emit(conversation_id, False)
        if failure:
            self.command_failed.emit(failure)
        else:
            self.older_history_loaded.emit(conversation_id)

    @asyncSlot()
    async def sign_out(self) -> None:
        await self.session.sign_out()
        self.signed_out.emit()

    def unreachable_text(self, exc: HubUnreachable) -> str:
        why = {
            "address": self.tr("this is not a valid hub address (example: ws://hub.example.local:8765)"),
            "refused": self.tr("nothing answers on that address and port; is the hub running?"),
            "timeout": self.tr("no answer in time; check the network or the address"),
            "not_a_hub": self.tr("the server there is not a Frontline hub"),
            "refused_by_hub": self.tr("the hub refused this client: %1").replace("%1", exc.reason),
            "network": self.tr("network error: %1").replace("%1", exc.reason),
        }[exc.kind]
        return self.tr("Cannot reach the hub at %1: %2").replace("%1", exc.url).replace("%2", why)

    def _failure_text(self, exc: Exception, what: str) -> str:
        if isinstance(exc, ConnectionLost):
            return self.tr("%1: the connection to the hub is down.").replace("%1", what)
        assert isinstance(exc, CommandFailed)
        texts = {
            "conflict": self.tr("another operator has already taken it"),
            "forbidden": self.tr("this conversation belongs to another operator"),
            "not_found": self.tr("the conversation no longer exists"),
            "empty_text": self.tr("the message is empty"),
            "text_too_long": self.tr("the message is too long (at most 8000 characters)"),
        }
        return f"{what}: {texts.get(exc.code, exc.text)}"
