"""``frontline demo``: an embedded hub on SQLite, demo data, simulated customers, logged in.

Everything goes through the real parts: the hub listens on a loopback port, the
simulated customers speak the web-chat protocol over websockets, and the window
logs in like any operator would.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from app.client.secrets import MemorySecretStore
from app.client.session import OperatorSession
from app.client.settings import Settings
from app.hub.demo import DEMO_PASSWORD, seed_demo
from app.hub.embedded import EmbeddedHub
from app.hub.simulator import CustomerSimulator
from app.protocol.messages import MessageInfo
from ui.bridge.session_bridge import SessionBridge
from ui.controller import AppController
from ui.models.inbox import ConversationRole
from ui.widgets.main_window import MainWindow

log = logging.getLogger(__name__)

# the conversation a --screenshot shows (its customer has a card with data and an earlier chat)
SCREENSHOT_CUSTOMER = "Michael Brown"


async def wait_for(cond: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


class Demo:
    def __init__(self, data_dir: Path, *, operator: str = "olena", pace: float = 20.0) -> None:
        self.data_dir = data_dir
        self.operator = operator
        self.pace = pace
        self.hub: EmbeddedHub | None = None
        self.simulator: CustomerSimulator | None = None
        self.session: OperatorSession | None = None

    async def start_hub(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        db_url = f"sqlite:///{self.data_dir / 'hub.db'}"
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, seed_demo, db_url)
        self.hub = EmbeddedHub(db_url)
        await loop.run_in_executor(None, self.hub.start)
        log.info("demo hub at %s (database %s); web chat at %s", self.hub.ws_url, db_url, self.hub.http_url)
        self.simulator = CustomerSimulator(self.hub.ws_url, mean_interval=self.pace)
        self.simulator.start_in_thread()
        return self.hub.ws_url

    async def run(
        self, settings: Settings, *, screenshot: str | None, timeout: float, show: str | None = None
    ) -> int:
        url = await self.start_hub()
        self.session = OperatorSession(
            MemorySecretStore(available=False), settings.device_id(), data_dir=self.data_dir / "client"
        )
        bridge = SessionBridge(self.session)
        controller = AppController(bridge, settings)
        arrived: list[MessageInfo] = []
        bridge.message_added.connect(lambda m: arrived.append(m) if m.author == "customer" else None)
        settings.set("hub_url", url)
        settings.set("username", self.operator)
        me = await self.session.login(url, self.operator, DEMO_PASSWORD)
        bridge.logged_in.emit(me)
        window = controller.window
        assert window is not None
        if not screenshot:
            await controller.done
            return 0
        await wait_for(lambda: bool(arrived), timeout, "a simulated customer's message")
        await self._show_live_conversation(window, arrived)
        shown = await self._show_part(window, show) if show else window
        QApplication.processEvents()
        path = Path(screenshot)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not shown.grab().save(str(path), "PNG"):
            log.error("could not write %s", path)
            return 1
        log.info("screenshot saved to %s", path)
        return 0

    async def _show_live_conversation(self, window: MainWindow, arrived: list[MessageInfo]) -> None:
        """Select a conversation as an operator would: one of a returning customer whose
        card the team has filled in (:data:`SCREENSHOT_CUSTOMER`), else the conversation
        of the newest customer message; wait until its history and card are shown."""
        conv_id = arrived[-1].conversation_id
        for conv in window.bridge.conversations():
            if conv.customer.name == SCREENSHOT_CUSTOMER and conv.status != "resolved":
                conv_id = conv.id
        for view in (window.mine_view, window.queue_view):
            model = view.model()
            for row in range(model.rowCount()):
                idx = model.index(row, 0)
                if idx.data(ConversationRole).id == conv_id:
                    window.tabs.setCurrentWidget(view)
                    view.setCurrentIndex(idx)
                    break
        await wait_for(lambda: window.current_id == conv_id and window.messages.rowCount() > 0,
                       15, "the conversation's history")
        await wait_for(lambda: window.card.state == "ready" and window.card.timeline.rowCount() > 0,
                       15, "the customer card")
        files = window.bridge.files
        window.pane.list.viewport().repaint()  # painting asks for the thumbnails

        def images_shown() -> bool:
            return all(
                files.image(a.id) is not None or files.image_failed(a.id)
                for m in window.bridge.messages(conv_id)
                for a in m.attachments
                if a.mime.startswith("image/")
            )

        await wait_for(images_shown, 15, "the conversation's images")
        # the suggestions for the customer's latest message (the hub builds its search
        # index on first use: a screenshot should not show "Looking for articles…")
        await wait_for(lambda: window.kb_panel.state != "looking", 30, "the suggested articles")
        window.pane.list.viewport().repaint()

    async def _show_part(self, window: MainWindow, show: str) -> QWidget:
        """Open what ``--show`` names, as an operator would, and return what to grab."""
        if show == "card-note":  # the timeline's note editor, with a refused note (nothing is lost)
            window.card.add_note_button.click()
            window.card.note_edit.setPlainText("Asked to call back after 18:00 about the refund")
            window.card._note_failed(window.card.offline_note_text())
            return window
        if show == "templates":
            await wait_for(lambda: bool(window.pane.composer.templates), 15, "the answer templates")
            window.pane.composer.setFocus()
            # typed from the Qt loop, not inside this task (the typing signal starts a slot task)
            QTimer.singleShot(0, lambda: window.pane.composer.insertPlainText("Hi! /re"))
            await wait_for(lambda: window.pane.composer.completion is not None
                           and window.pane.composer.completion.isVisible(), 5, "the template list")
            return window
        if show == "template-prompt":
            await wait_for(lambda: bool(window.pane.composer.templates), 15, "the answer templates")
            window.pane.composer.setFocus()

            def type_refund() -> None:
                window.pane.composer.insertPlainText("/refund")
                window.pane.composer.choose()

            QTimer.singleShot(0, type_refund)
            await wait_for(lambda: window.pane.prompt_bar.isVisible(), 5, "the fill-in prompt")
            window.pane.prompt_bar.fields[0][1].setText("PX-778")
            window.pane.prompt_bar.insert_button.click()
            window.pane.composer.insertPlainText(" {customer.nickname}")
            return window
        if show == "templates-dialog":
            await wait_for(lambda: bool(window.pane.composer.templates), 15, "the answer templates")
            dialog = window.open_templates()
            dialog.select(next(t.id for t in window.bridge.templates.templates() if t.shortcode == "refund"))
            return dialog
        if show == "kb":
            await wait_for(lambda: window.kb_panel.state in ("ready", "none", "failed"), 15, "the suggestions")
            return window
        if show in ("kb-search", "kb-editor"):
            search = window.open_kb_search()
            search.query.setText("вернуть деньги за полис")
            await wait_for(lambda: bool(search.hits) or "Nothing" in search.status.text(), 15, "search results")
            if show == "kb-search":
                return search
            search.edit_requested.emit(search.current_hit())
            await wait_for(lambda: window.kb_editor is not None and window.kb_editor.isVisible(), 15, "the editor")
            assert window.kb_editor is not None
            return window.kb_editor
        return window

    async def stop(self) -> None:
        loop = asyncio.get_running_loop()
        if self.session is not None:
            await self.session.close()
        if self.simulator is not None:
            await loop.run_in_executor(None, self.simulator.stop)
        if self.hub is not None:
            await loop.run_in_executor(None, self.hub.stop)
