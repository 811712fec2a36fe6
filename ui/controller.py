"""What the application shows when: login dialog, main window, back to login after sign-out."""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject, Signal

from app.client.settings import Settings
from app.protocol.messages import OperatorInfo
from ui.bridge.session_bridge import SessionBridge
from ui.dialogs.login import LoginDialog
from ui.widgets.main_window import MainWindow

log = logging.getLogger(__name__)


class AppController(QObject):
    window_shown = Signal(object)  # MainWindow
    finished = Signal()

    def __init__(self, bridge: SessionBridge, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.settings = settings
        self.dialog: LoginDialog | None = None
        self.window: MainWindow | None = None
        self.done: asyncio.Future[None] = asyncio.get_event_loop().create_future()
        self._pending_url = ""
        self._pending_user = ""
        bridge.logged_in.connect(self.on_logged_in)
        bridge.login_failed.connect(self.on_login_failed)
        bridge.signed_out.connect(self.on_session_over)
        bridge.session_ended.connect(lambda _reason: self.on_session_over())

    async def start(self, *, try_stored: bool = True) -> None:
        url = self.settings.get("hub_url")
        if try_stored:
            outcome = await self.bridge.resume(url)
            if outcome == "online":
                return
            # unreachable, but a remembered token and a local cache: work offline
            if outcome == "unreachable" and await self.bridge.open_offline(url):
                return
        self.show_login()

    def show_login(self, error: str = "") -> None:
        if self.dialog is None:
            self.dialog = LoginDialog(self.settings.get("hub_url"), self.settings.get("username"),
                                      self.bridge.session.secrets.available)
            self.dialog.login_requested.connect(self._login_requested)
            self.dialog.rejected.connect(self._dialog_rejected)
        if error:
            self.dialog.show_error(error)
        self.dialog.show()
        self.dialog.raise_()

    def _login_requested(self, url: str, user: str, password: str, remember: bool) -> None:
        self._pending_url, self._pending_user = url, user
        self.bridge.login(url, user, password, remember)

    def on_login_failed(self, kind: str, text: str) -> None:
        if self.dialog is not None:
            self.dialog.show_error(text, retry=kind == "unreachable")

    def on_logged_in(self, me: OperatorInfo) -> None:
        if self._pending_url:
            self.settings.set("hub_url", self._pending_url)
            self.settings.set("username", self._pending_user)
        if self.dialog is not None:
            self.dialog.hide()
            self.dialog.deleteLater()
            self.dialog = None
        if self.window is None:
            self.window = MainWindow(self.bridge, self.settings)
            self.window.closed.connect(self._finish)
        self.window.on_synced()
        self.window.show()
        self.window_shown.emit(self.window)

    def on_session_over(self) -> None:
        if self.window is not None:
            self.window.save_layout()
            self.window.closed.disconnect(self._finish)
            self.window.hide()
            self.window.deleteLater()
            self.window = None
        self.show_login()

    def _dialog_rejected(self) -> None:
        if self.window is None:
            self._finish()

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)
        self.finished.emit()
