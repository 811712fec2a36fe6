"""The one window: inbox on the left, conversation in the middle, customer card on the right."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.client.outbox import OutboxItem
from app.client.session import LinkChange
from app.client.settings import Settings
from app.domain.contacts import format_phone
from app.domain.markdown import to_plain
from app.protocol.messages import (
    ConversationInfo,
    CustomerProfile,
    MessageInfo,
    OfferExpired,
    OperatorInfo,
    TypingEvent,
    ViewingEvent,
)
from ui import theme
from ui.bridge.session_bridge import SessionBridge
from ui.dialogs.customer_search import CustomerSearchDialog
from ui.dialogs.kb_editor import KbEditorDialog
from ui.dialogs.kb_search import KbSearchDialog
from ui.dialogs.templates_dialog import TemplatesDialog
from ui.dialogs.transfer import TransferDialog
from ui.models.inbox import ConversationRole, InboxFilter, InboxModel
from ui.models.messages import FIRST_ROWS, MessageRole, MessagesModel
from ui.widgets.conversation import ConversationPane
from ui.widgets.customer_card import CustomerCard
from ui.widgets.inbox import InboxView, minutes_text
from ui.widgets.kb_panel import KbSuggestions, public_url
from ui.widgets.offer_banner import OfferBanner
from ui.widgets.wa_templates import WaTemplateFlow

STATUSES = ("online", "away", "busy", "offline")
TYPING_SHOWN_MS = 6000


def since_text(since: datetime | None, now: datetime | None = None) -> str:
    """How long a status has lasted, short: "5 min", "2 h 10 min", "" when unknown."""
    if since is None:
        return ""
    return minutes_text(max(0, int(((now or datetime.now(UTC)) - since).total_seconds() // 60)))


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(self, bridge: SessionBridge, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.settings = settings
        self.current_id: int | None = None
        self._focus_message: tuple[int, int] | None = None  # (conversation, message) to scroll to once loaded
        self.setMinimumSize(760, 480)

        self.inbox = InboxModel(self)
        self.mine = InboxFilter("mine", self)
        self.queue = InboxFilter("queue", self)
        for proxy in (self.mine, self.queue):
            proxy.setSourceModel(self.inbox)
        self.messages = MessagesModel(self)

        # ---- top bar
        top = QWidget(self)
        tl = QHBoxLayout(top)
        tl.setContentsMargins(12, 8, 12, 8)
        self.brand = QLabel("Frontline", top)
        self.brand.setObjectName("sectionTitle")
        tl.addWidget(self.brand)
        tl.addSpacing(16)
        self.find_button = QToolButton(top)
        self.find_button.setObjectName("findButton")
        self.find_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        tl.addWidget(self.find_button)
        tl.addStretch(1)
        self.link_label = QLabel(top)
        self.link_label.setObjectName("linkState")
        tl.addWidget(self.link_label)
        self.me_label = QLabel(top)
        tl.addWidget(self.me_label)
        self.status_box = QComboBox(top)
        tl.addWidget(self.status_box)
        self.since_label = QLabel(top)
        self.since_label.setObjectName("muted")
        tl.addWidget(self.since_label)
        self.menu_button = QToolButton(top)
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.menu_button)
        self.templates_action = QAction(self)
        self.menu.addAction(self.templates_action)
        self.menu.addSeparator()
        self.sign_out_action = QAction(self)
        self.menu.addAction(self.sign_out_action)
        self.menu_button.setMenu(self.menu)
        tl.addWidget(self.menu_button)

        # ---- panes
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.mine_view = InboxView("", self.tabs)
        self.mine_view.setModel(self.mine)
        self.queue_view = InboxView("", self.tabs)
        self.queue_view.setModel(self.queue)
        self.tabs.addTab(self.mine_view, "")
        self.tabs.addTab(self.queue_view, "")
        self.team_view = QListWidget(self.tabs)
        self.team_view.setFrameShape(QListWidget.Shape.NoFrame)
        self.team_view.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.team_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.addTab(self.team_view, "")
        self.pane = ConversationPane(self.messages, self)
        self.card = CustomerCard(bridge.customers, self)
        # the right side: the knowledge-base suggestions (collapsible) above the card
        self.side = QWidget(self)
        side = QVBoxLayout(self.side)
        side.setContentsMargins(6, 6, 0, 0)
        side.setSpacing(4)
        self.kb_panel = KbSuggestions(self.side)
        side.addWidget(self.kb_panel)
        side.addWidget(self.card, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.pane)
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        self.splitter.setSizes([320, 600, 360])

        central = QWidget(self)
        cl = QVBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(0)
        cl.addWidget(top)
        self.offer_banner = OfferBanner(central)
        cl.addWidget(self.offer_banner)
        cl.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        # ---- wiring: bridge -> view
        bridge.synced.connect(self.on_synced)
        bridge.conversation_changed.connect(self.on_conversation_changed)
        bridge.message_added.connect(self.on_message_added)
        bridge.operator_changed.connect(self.on_operator_changed)
        bridge.link_changed.connect(self.on_link_changed)
        bridge.history_loaded.connect(self.on_history_loaded)
        bridge.older_history_loading.connect(self.on_older_history_loading)
        bridge.older_history_loaded.connect(self.on_older_history_loaded)
        bridge.message_sent.connect(self.pane.message_sent)
        bridge.outbox_changed.connect(self.on_outbox_changed)
        bridge.command_failed.connect(self.on_command_failed)
        bridge.offers_changed.connect(self.on_offers_changed)
        bridge.offer_expired.connect(self.on_offer_expired)
        bridge.offer_accepted.connect(self.open_conversation)
        bridge.typing_changed.connect(self.on_typing)
        bridge.viewers_changed.connect(self.on_viewers)
        self.offer_banner.accepted.connect(bridge.accept_offer)
        self.offer_banner.declined.connect(bridge.decline_offer)
        self.pane.note_requested.connect(bridge.send_note)
        self.pane.transfer_requested.connect(self.open_transfer)
        self.pane.state_requested.connect(bridge.set_state)
        self.pane.typing_changed.connect(bridge.typing)
        self.card.conversation_chosen.connect(self.open_conversation)
        self.card.note_chosen.connect(self.open_conversation_at)
        self.search_dialog: CustomerSearchDialog | None = None
        self.templates_dialog: TemplatesDialog | None = None
        self.pane.set_variable_source(self.template_values)
        # WhatsApp: the 24-hour window banner and the template dialog
        self.wa_flow = WaTemplateFlow(self, bridge, self.pane, self.card)
        bridge.templates.templates_changed.connect(self._templates_changed)
        self.templates_action.triggered.connect(self.open_templates)
        # knowledge base: suggestions for the customer's latest message, Ctrl+K search
        self.kb_dialog: KbSearchDialog | None = None
        self.kb_editor: KbEditorDialog | None = None
        kb = bridge.kb
        kb.suggesting.connect(self._kb_suggesting)
        kb.suggestions_ready.connect(self._kb_suggestions_ready)
        kb.suggestions_failed.connect(self._kb_suggestions_failed)
        kb.article_loaded.connect(self._kb_article_loaded)
        kb.article_load_failed.connect(self._kb_article_failed)
        self.kb_panel.insert_requested.connect(self.insert_article)
        self.kb_panel.link_requested.connect(lambda hit: self.insert_article(hit, "link"))
        self.kb_panel.search_requested.connect(self.open_kb_search)
        self.kb_shortcut = QShortcut(QKeySequence("Ctrl+K"), self)
        self.kb_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self.kb_shortcut.activated.connect(self.open_kb_search)
        self.find_button.clicked.connect(self.open_customer_search)
        self.find_shortcut = QShortcut(QKeySequence("Ctrl+Shift+F"), self)
        self.find_shortcut.activated.connect(self.open_customer_search)
        # ---- wiring: view -> bridge
        self.pane.send_requested.connect(bridge.send_message)
        self.pane.resend_requested.connect(bridge.resend)
        self.pane.take_requested.connect(bridge.take)
        self.pane.older_requested.connect(self._older_wanted)
        self.pane.newer_requested.connect(self._newer_wanted)
        self.pane.newest_requested.connect(self._show_messages)
        self.pane.resolve_requested.connect(bridge.resolve)
        # ---- attachments (FilesBridge)
        files = bridge.files
        self.pane.set_files(files)
        files.upload_progressed.connect(self.pane.upload_progressed)
        files.upload_finished.connect(self.pane.upload_finished)
        files.upload_failed.connect(self.pane.upload_failed)
        files.sent.connect(self.pane.files_sent)
        files.send_failed.connect(self.pane.files_send_failed)
        files.file_ready.connect(self.on_file_ready)
        files.file_failed.connect(self.on_file_failed)
        self.pane.attach_path_requested.connect(files.upload_path)
        self.pane.attach_data_requested.connect(files.upload_data)
        self.pane.upload_cancel_requested.connect(files.cancel)
        self.pane.send_files_requested.connect(files.send)
        self.pane.open_file_requested.connect(lambda att: files.save_file(att, ""))
        self.pane.save_file_requested.connect(files.save_file)
        self.status_box.activated.connect(self._status_chosen)
        self.sign_out_action.triggered.connect(bridge.sign_out)
        for view in (self.mine_view, self.queue_view):
            view.selectionModel().selectionChanged.connect(self._selection_changed)
        for proxy in (self.mine, self.queue):
            proxy.rowsInserted.connect(self._update_tab_titles)
            proxy.rowsRemoved.connect(self._update_tab_titles)
            proxy.modelReset.connect(self._update_tab_titles)
            proxy.layoutChanged.connect(self._update_tab_titles)

        self._customer_typing_off = QTimer(self)
        self._customer_typing_off.setSingleShot(True)
        self._customer_typing_off.setInterval(TYPING_SHOWN_MS)
        self._customer_typing_off.timeout.connect(lambda: self.pane.set_customer_typing(False))
        self._operator_typing: dict[int, str] = {}
        self._since_tick = QTimer(self)
        self._since_tick.setInterval(30_000)
        self._since_tick.timeout.connect(self._update_me)
        self._since_tick.timeout.connect(self._update_team)
        self._since_tick.start()
        self._link_tick = QTimer(self)
        self._link_tick.setInterval(1000)
        self._link_tick.timeout.connect(lambda: self.on_link_changed(self.bridge.link))
        self.retranslate()
        self.restore_layout()
        self.on_synced()
        self.on_link_changed(bridge.link)

    # ------------------------------------------------------------------ text

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Frontline"))
        self.mine_view.empty_text = self.tr(
            "No conversations assigned to you.\n\nWhile you are Online, new chats are given to you "
            "automatically; you can also take one from the Queue.")
        self.queue_view.empty_text = self.tr("Nobody is waiting in the queue.")
        self.status_box.blockSignals(True)
        current = self.status_box.currentIndex()
        self.status_box.clear()
        for key in STATUSES:
            self.status_box.addItem(self.status_label(key), key)
        self.status_box.setCurrentIndex(max(0, current))
        self.status_box.blockSignals(False)
        self.status_box.setToolTip(self.tr("Only Online operators are offered new conversations"))
        self.menu_button.setText(self.tr("Menu"))
        self.find_button.setText(self.tr("Find a customer…"))
        self.find_button.setToolTip(
            self.tr("Search customers by name, phone in any format, e-mail or a field such as a policy number "
                    "(Ctrl+Shift+F)"))
        self.sign_out_action.setText(self.tr("Sign out"))
        self.templates_action.setText(self.tr("Answer templates…"))
        self._update_team()
        self._update_me()

    def _update_tab_titles(self, *_args: object) -> None:
        self.tabs.setTabText(0, self.tr("Mine (%1)").replace("%1", str(self.mine.rowCount())))
        self.tabs.setTabText(1, self.tr("Queue (%1)").replace("%1", str(self.queue.rowCount())))
        online = sum(1 for op in self.bridge.operators() if op.status == "online")
        self.tabs.setTabText(2, self.tr("Team (%1)").replace("%1", str(online)))
        self.tabs.setTabToolTip(2, self.tr("Your team; %1 online now").replace("%1", str(online)))

    def status_label(self, status: str) -> str:
        return {
            "online": self.tr("Online"),
            "away": self.tr("Away"),
            "busy": self.tr("Busy (in a call)"),
            "offline": self.tr("Offline"),
        }.get(status, status)

    def _update_team(self) -> None:
        """The small team list: everyone with their status and how long they have had it."""
        c = theme.colors()
        colours = {"online": c.ok, "busy": c.bad, "away": c.warn, "offline": c.muted}
        order = {"online": 0, "busy": 1, "away": 2, "offline": 3}
        self.team_view.clear()
        for op in sorted(self.bridge.operators(), key=lambda o: (order.get(o.status, 9), o.display_name)):
            since = since_text(op.status_since)
            text = f"●  {op.display_name} — {self.status_label(op.status)}"
            if since and op.status != "offline":
                text += " · " + since
            if op.status in ("online", "busy"):
                text += "  " + self.tr("(%1 of %2 chats)").replace("%1", str(op.active_chats)).replace(
                    "%2", str(op.capacity)
                )
            item = QListWidgetItem(text)
            item.setForeground(colours.get(op.status, c.muted))
            item.setData(Qt.ItemDataRole.UserRole, op.id)
            self.team_view.addItem(item)
        self._update_tab_titles()

    def _update_me(self) -> None:
        me = self.bridge.me
        self.me_label.setText(me.display_name if me else "")
        if me is not None:
            self.status_box.blockSignals(True)
            self.status_box.setCurrentIndex(STATUSES.index(me.status))
            self.status_box.blockSignals(False)
            since = since_text(me.status_since)
            self.since_label.setText(self.tr("for %1").replace("%1", since) if since else "")
            if me.status_since is not None:
                self.since_label.setToolTip(
                    self.tr("Since %1").replace("%1", me.status_since.astimezone().strftime("%H:%M"))
                )

    # ------------------------------------------------------------------ events from the hub

    def on_synced(self) -> None:
        me = self.bridge.me
        for proxy in (self.mine, self.queue):
            proxy.set_me(me.id if me else None)
        self.pane.me_id = me.id if me else None
        self.inbox.reset(self.bridge.conversations(), self.bridge.newest_unsent())
        self._update_me()
        self._update_team()
        self.on_offers_changed()
        self._templates_changed()
        if self.current_id is not None:
            conv = self.bridge.customers.conversation(self.current_id)
            self._show(conv)
            if conv is not None:
                self.bridge.open_conversation(conv.id)
                self._select_in_inbox(conv.id)  # the lists were filled anew

    def on_conversation_changed(self, conv: ConversationInfo) -> None:
        self.inbox.upsert(conv)
        self.card.on_conversation_changed(conv)
        if conv.id == self.current_id:
            self.pane.show_conversation(conv)
            self.card.show_customer(conv)

    def on_message_added(self, msg: MessageInfo) -> None:
        conv = self.bridge.conversation(msg.conversation_id)
        if conv is not None:
            self.inbox.upsert(conv)
        if not self.messages.add(msg) and self.messages.newer_hidden and msg.conversation_id == self.current_id:
            self.pane.show_new_pill()  # it is below the rows the window holds now
        if msg.conversation_id == self.current_id and msg.author == "customer" and not msg.internal:
            self.bridge.kb.suggest(msg.conversation_id, msg.id, msg.text)

    def on_operator_changed(self, op: OperatorInfo) -> None:
        self._update_team()
        me = self.bridge.me
        if me is not None and op.id == me.id:
            self._update_me()

    def on_history_loaded(self, conversation_id: int) -> None:
        if conversation_id == self.current_id:
            self._show_messages(conversation_id)
            self._suggest_for_latest(conversation_id)
            # the newest page is read: from now on scrolling to the top reads older ones
            self.pane.set_history_state(
                self.bridge.has_more_history(conversation_id), self.bridge.loading_older(conversation_id)
            )
            self._bring_focus_message()

    def on_older_history_loading(self, conversation_id: int, loading: bool) -> None:
        if conversation_id == self.current_id:
            self.pane.set_history_state(self.bridge.has_more_history(conversation_id), loading)

    def on_older_history_loaded(self, conversation_id: int) -> None:
        if conversation_id == self.current_id:
            self.messages.prepend(self.bridge.messages(conversation_id))
            self._bring_focus_message()

    def _older_wanted(self, conversation_id: int) -> None:
        """Scrolled back to the top: older rows the session keeps, else a page from the hub."""
        if conversation_id != self.current_id:
            return
        if not self.messages.older_hidden or not self.messages.prepend(
            self.bridge.messages(conversation_id), FIRST_ROWS
        ):
            self.bridge.load_older(conversation_id)

    def _newer_wanted(self, conversation_id: int) -> None:
        """Scrolled down to the end of a window left above the newest messages."""
        if conversation_id == self.current_id:
            self.messages.append_newer(self.bridge.messages(conversation_id))

    def _show_messages(self, conversation_id: int) -> None:
        me = self.bridge.me
        self.messages.author_name = me.display_name if me else ""
        self.messages.show(
            conversation_id, self.bridge.messages(conversation_id), self.bridge.outbox_of(conversation_id)
        )

    def on_outbox_changed(self, item: OutboxItem) -> None:
        if item.conversation_id == self.current_id and self.messages.newer_hidden and item.state != "sent":
            self._show_messages(item.conversation_id)  # the operator's reply: with the newest messages
        self.messages.update_outbox(item)
        unsent = self.bridge.outbox_of(item.conversation_id)
        self.inbox.set_unsent(item.conversation_id, unsent[-1] if unsent else None)
        self.on_link_changed(self.bridge.link)

    def on_link_changed(self, link: LinkChange) -> None:
        c = theme.colors()
        if link.state == "online":
            text, color = self.tr("● Connected"), c.ok
            self._link_tick.stop()
        elif link.state == "disconnected":
            text, color = self.tr("● Not connected"), c.muted
            self._link_tick.stop()
        elif link.state == "reconnecting":
            text, color = self.offline_text(link), c.bad
            self._link_tick.start()
        elif link.state == "connecting":
            text, color = self.tr("● Connecting…"), c.warn
        else:
            text, color = self.tr("● Signed out"), c.muted
        self.link_label.setText(text)
        self.link_label.setStyleSheet(f"color: {color.name()};")
        self.card.on_link_changed(link)
        if link.detail and link.state == "ended":
            self.link_label.setToolTip(link.detail)

    def on_offers_changed(self) -> None:
        offers = self.bridge.offers()
        timeout = None
        if offers:
            q = {q.id: q for q in self.bridge.queues()}.get(offers[0].conversation.queue_id or -1)
            timeout = q.offer_timeout_s if q else None
        self.offer_banner.show_offers(offers, timeout)

    def on_offer_expired(self, ev: OfferExpired) -> None:
        conv = self.bridge.conversation(ev.conversation_id)
        name = conv.customer.name if conv else f"#{ev.conversation_id}"
        self.offer_banner.show_notice(
            self.tr(
                "You did not accept the chat with %1 in time, so it went to a colleague and your status "
                "is now Away. Choose Online to get new chats."
            ).replace("%1", name)
        )

    def on_typing(self, ev: TypingEvent) -> None:
        if ev.who == "customer":
            if ev.conversation_id == self.current_id:
                self.pane.set_customer_typing(ev.typing)
                if ev.typing:
                    self._customer_typing_off.start()
            return
        if ev.operator_id is None:
            return
        op = self.bridge.operator(ev.operator_id)
        if ev.typing and ev.conversation_id == self.current_id:
            self._operator_typing[ev.operator_id] = op.display_name if op else f"#{ev.operator_id}"
        else:
            self._operator_typing.pop(ev.operator_id, None)
        self._update_collision()

    def on_viewers(self, ev: ViewingEvent) -> None:
        if ev.conversation_id == self.current_id:
            self._viewers = list(ev.operator_ids)
            self._update_collision()

    def _update_collision(self) -> None:
        me = self.bridge.me
        others = [i for i in getattr(self, "_viewers", []) if me is None or i != me.id]
        names = []
        for op_id in others:
            op = self.bridge.operator(op_id)
            names.append(op.display_name if op else f"#{op_id}")
        typing = ", ".join(self._operator_typing.values())
        self.pane.set_collision(names, typing)

    def open_transfer(self, conversation_id: int) -> TransferDialog | None:
        conv = self.bridge.conversation(conversation_id)
        if conv is None:
            return None
        me = self.bridge.me
        dialog = TransferDialog(conv.customer.name, self.bridge.operators(), self.bridge.queues(),
                                me.id if me else None, self)
        self.transfer_dialog = dialog

        def done(result: int) -> None:
            target = dialog.target()
            if result == TransferDialog.DialogCode.Accepted and target is not None:
                self.bridge.transfer(conversation_id, target[0], target[1], dialog.note())

        dialog.finished.connect(done)
        dialog.open()
        return dialog
    def offline_text(self, link: LinkChange) -> str:
        """"● Offline since 14:02 · 3 messages waiting" (the count only when there are some)."""
        since = link.since.astimezone().strftime("%H:%M") if link.since else ""
        waiting = self.bridge.waiting_count
        if waiting == 1:
            return self.tr("● Offline since %1 · 1 message waiting").replace("%1", since)
        if waiting > 1:
            return (
                self.tr("● Offline since %1 · %2 messages waiting")
                .replace("%1", since)
                .replace("%2", str(waiting))
            )
        return self.tr("● Offline since %1, reconnecting…").replace("%1", since)

    def on_command_failed(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def on_file_failed(self, _file_id: int, text: str) -> None:
        self.statusBar().showMessage(self.tr("The file could not be fetched: %1").replace("%1", text), 8000)

    def on_file_ready(self, _file_id: int, path: str, opened: bool) -> None:
        if opened:
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))
        else:
            self.statusBar().showMessage(self.tr("Saved to %1").replace("%1", path), 8000)

    # ------------------------------------------------------------------ user actions

    def _status_chosen(self, index: int) -> None:
        self.bridge.set_status(self.status_box.itemData(index))

    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        conv: ConversationInfo = indexes[0].data(ConversationRole)
        # one selection across both lists
        other = self.queue_view if self.sender() is self.mine_view.selectionModel() else self.mine_view
        other.selectionModel().clearSelection()
        self.open_conversation(conv.id)

    def open_conversation(self, conversation_id: int) -> None:
        """Open a conversation of the inbox, or any one a customer card listed (also a
        resolved one: read-only but for internal notes)."""
        conv = self.bridge.customers.conversation(conversation_id)
        if conv is None:
            return
        if conversation_id != self.current_id:
            self._viewers = []
            self._operator_typing.clear()
            self.bridge.viewing(conversation_id)
        # the page is asked for first: its request then goes out ahead of the card's
        # reads (the slots' tasks run in the order they were started)
        self.bridge.open_conversation(conversation_id)
        self.current_id = conversation_id
        self._select_in_inbox(conversation_id)
        self._show(conv)
        self.pane.set_history_state(False, False)  # until its newest page is read
        self._show_messages(conversation_id)
        self._suggest_for_latest(conversation_id)
        self.pane.composer.setFocus()

    def open_conversation_at(self, conversation_id: int, message_id: int) -> None:
        """Open a conversation at one of its messages (a note clicked in the customer's
        timeline): older pages are read until it is loaded, then it is scrolled to and
        selected."""
        self._focus_message = (conversation_id, message_id)
        if conversation_id == self.current_id:
            self._bring_focus_message()
        else:
            self.open_conversation(conversation_id)

    def _bring_focus_message(self) -> None:
        if self._focus_message is None or self._focus_message[0] != self.current_id:
            return
        conv_id, message_id = self._focus_message
        for row in range(self.messages.rowCount()):
            msg = self.messages.index(row, 0).data(MessageRole)
            if msg is not None and msg.id == message_id:
                self._focus_message = None
                index = self.messages.index(row, 0)
                self.pane.list.setCurrentIndex(index)
                self.pane.list.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
                return
        first = self.messages.first_id()
        if first is not None and first < message_id:
            self._focus_message = None  # not in this conversation any more
            return
        if self.messages.older_hidden and self.messages.prepend(self.bridge.messages(conv_id)):
            self._bring_focus_message()
        elif self.bridge.has_more_history(conv_id):
            self.bridge.load_older(conv_id)  # on_older_history_loaded comes back here
        else:
            self._focus_message = None

    def _select_in_inbox(self, conversation_id: int) -> None:
        """Mark it in Mine or Queue when it is there (opened from the card or an offer),
        so that clicking the previous one there opens that again."""
        for view, proxy in ((self.mine_view, self.mine), (self.queue_view, self.queue)):
            row = proxy.row_of(conversation_id)  # a bisect, not a walk through 5,000 rows
            found = proxy.index(row) if row is not None else None
            sm = view.selectionModel()
            if found is not None and sm.currentIndex() == found and sm.isSelected(found):
                continue
            sm.blockSignals(True)
            if found is not None:
                view.setCurrentIndex(found)
            else:
                sm.clearSelection()
                sm.setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.NoUpdate)
            sm.blockSignals(False)
            view.viewport().update()

    def open_customer_search(self) -> CustomerSearchDialog:
        if self.search_dialog is None:
            self.search_dialog = CustomerSearchDialog(self.bridge.customers, self)
            self.search_dialog.customer_chosen.connect(self.show_customer)
        self.search_dialog.open_fresh()
        return self.search_dialog

    def open_templates(self) -> TemplatesDialog:
        if self.templates_dialog is None:
            self.templates_dialog = TemplatesDialog(self.bridge.templates, self, files=self.bridge.files)
        self.templates_dialog.show()
        self.templates_dialog.raise_()
        return self.templates_dialog

    def _templates_changed(self) -> None:
        self.pane.set_templates(self.bridge.templates.by_shortcode())

    def template_values(self) -> dict[str, str]:
        """What the window knows for a template's variables: the open conversation, its
        customer's card (when it was read) and the signed-in operator. A variable
        without a value is left out, so the composer keeps it visible."""
        values: dict[str, str] = {}
        me = self.bridge.me
        if me is not None:
            values["operator.name"] = me.display_name
        conv = self.bridge.customers.conversation(self.current_id) if self.current_id is not None else None
        if conv is not None:
            values["conversation.id"] = str(conv.id)
            values["customer.name"] = conv.customer.name
            card = self.bridge.customers.cached_card(conv.customer.id)
            if card is not None:
                profile = card.profile
                values["customer.name"] = profile.name or conv.customer.name
                if profile.phones:
                    values["customer.phone"] = format_phone(profile.phones[0])
                if profile.emails:
                    values["customer.email"] = profile.emails[0]
        return values

    # ------------------------------------------------------------------ knowledge base

    def _latest_customer_message(self, conversation_id: int) -> MessageInfo | None:
        for msg in reversed(self.bridge.messages(conversation_id)):
            if msg.author == "customer" and not msg.internal:
                return msg
        return None

    def _suggest_for_latest(self, conversation_id: int) -> None:
        """Suggestions for the customer's latest message: the ones found before when
        that is still the latest, else a new search."""
        msg = self._latest_customer_message(conversation_id)
        if msg is None:
            self.kb_panel.show_empty()
            return
        known = self.bridge.kb.suggestions.get(conversation_id)
        if known is not None and known[0] == msg.id:
            self.kb_panel.show_hits(known[1])
        else:
            self.kb_panel.show_empty()
            self.bridge.kb.suggest(conversation_id, msg.id, msg.text)

    def _kb_suggesting(self, conversation_id: int) -> None:
        if conversation_id == self.current_id:
            self.kb_panel.show_looking()

    def _kb_suggestions_ready(self, conversation_id: int, _message_id: int, hits: list[Any]) -> None:
        if conversation_id == self.current_id:
            self.kb_panel.show_hits(hits)

    def _kb_suggestions_failed(self, conversation_id: int, text: str) -> None:
        if conversation_id == self.current_id:
            self.kb_panel.show_failed(text)

    def open_kb_search(self) -> KbSearchDialog:
        if self.kb_dialog is None:
            self.kb_dialog = KbSearchDialog(self.bridge.kb, self)
            self.kb_dialog.insert_requested.connect(self.insert_article)
            self.kb_dialog.edit_requested.connect(self.edit_article)
        self.kb_dialog.open_with(self.pane.selected_text())
        return self.kb_dialog

    def insert_article(self, hit: Any, how: str = "text") -> None:
        """An article chosen in the suggestions or the search: its text (read whole from
        the hub) or its public link goes into the composer, for editing."""
        url = public_url(hit)
        if how == "link" and url:
            # the title says what the link is about; the operator edits it before sending
            self._insert(f"{' '.join(str(hit.title).split())}: {url}")
            return
        self.bridge.kb.load_article(str(hit.id), "insert")

    def edit_article(self, hit: Any | None) -> None:
        if hit is None:
            self._open_editor(None)
        else:
            self.bridge.kb.load_article(str(hit.id), "edit")

    def _open_editor(self, article: Any | None) -> KbEditorDialog:
        self.kb_editor = KbEditorDialog(self.bridge.kb, article, self)
        self.kb_editor.setModal(True)
        self.kb_editor.show()
        return self.kb_editor

    def _kb_article_loaded(self, article: Any, purpose: str) -> None:
        if purpose == "edit":
            self._open_editor(article)
        elif purpose == "insert":
            self._insert(to_plain(str(article.body)))

    def _kb_article_failed(self, text: str, _hub_text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _insert(self, text: str) -> None:
        if not self.pane.insert_text(text):
            self.statusBar().showMessage(
                self.tr("Open a conversation you can reply to, then insert the answer."), 8000
            )

    def show_customer(self, profile: CustomerProfile) -> None:
        """A customer chosen in the search: their card and conversations on the right."""
        self.card.show_profile(profile)

    def _show(self, conv: ConversationInfo | None) -> None:
        if conv is None:
            self.current_id = None
            self.messages.show(None, [])
            self.pane.set_history_state(False, False)
        self.pane.show_conversation(conv)
        self.wa_flow.conversation_shown(conv)
        self.card.show_customer(conv)

    # ------------------------------------------------------------------ layout memory

    def restore_layout(self) -> None:
        geometry = self.settings.get("window_geometry")
        state = self.settings.get("window_state")
        if geometry:
            self.restoreGeometry(QByteArray.fromHex(geometry.encode()))
        else:
            self.resize(1280, 800)
        if state:
            self.splitter.restoreState(QByteArray.fromHex(state.encode()))

    def save_layout(self) -> None:
        self.settings.set("window_geometry", bytes(self.saveGeometry().toHex().data()).decode())
        self.settings.set("window_state", bytes(self.splitter.saveState().toHex().data()).decode())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        super().closeEvent(event)
        self.closed.emit()
