"""The whole path with real parts: a customer in Debian's chromium, the hub on loopback,
and the operator in the real desktop window.

The browser runs Playwright's sync API on its own thread; the window and its qasync loop
stay on the main thread, as in the app.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.e2e.conftest import CHROMIUM_ARGS, EXPECT_TIMEOUT_MS
from tests.helpers import wait_until
from tests.ui.test_window import log_in

QUESTION = "Hi! Where is my parcel? <i>order 1042</i>"
ANSWER = "Hello! It left the warehouse today."


class BrowserCustomer(threading.Thread):
    """Opens the web chat, asks, and waits for the operator's answer to appear on the page."""

    def __init__(self, chromium: str, url: str) -> None:
        super().__init__(name="browser-customer", daemon=True)
        self.chromium, self.url = chromium, url
        self.sent = threading.Event()
        self.error: BaseException | None = None
        self.answer_seen = ""
        self.question_on_page = ""

    def run(self) -> None:
        from playwright.sync_api import expect, sync_playwright

        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=self.chromium, args=CHROMIUM_ARGS, headless=True)
                try:
                    page = browser.new_page()
                    page.set_default_timeout(EXPECT_TIMEOUT_MS)
                    page.goto(self.url)
                    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
                    page.locator("#composer").fill(QUESTION)
                    page.locator("#send").click()
                    mine = page.locator('.msg[data-author="customer"] .text')
                    expect(mine).to_have_text(QUESTION)
                    self.question_on_page = mine.inner_text()
                    self.sent.set()
                    reply = page.locator('.msg[data-author="operator"] .text')
                    expect(reply).to_have_text(ANSWER, timeout=30_000)
                    self.answer_seen = reply.inner_text()
                finally:
                    browser.close()
        except BaseException as exc:
            self.error = exc
            self.sent.set()


def test_browser_customer_and_desktop_operator_talk(hub: Any, run: Any, make_client: Any, qtbot: Any,
                                                    chromium_path: str) -> None:
    op = hub.accounts.operator

    async def scenario() -> None:
        client = make_client()
        w = await log_in(client, hub.ws_url, op.username, op.password)
        qtbot.addWidget(w)
        customer = BrowserCustomer(chromium_path, hub.http_url + "/")
        customer.start()
        await wait_until(lambda: w.mine.rowCount() == 1, timeout=30, message="the browser's chat in Mine")
        w.mine_view.setCurrentIndex(w.mine.index(0, 0))
        await wait_until(lambda: w.messages.texts() == [QUESTION], message="the question in the window")
        doc = w.pane.list.itemDelegate().document_for(w.messages.index(0, 0))
        assert doc.toPlainText() == QUESTION  # markup shown as typed, not interpreted
        QTest.keyClicks(w.pane.composer, ANSWER)
        QTest.keyClick(w.pane.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        await wait_until(lambda: not customer.is_alive(), timeout=45, message="the answer in the browser")
        if customer.error is not None:
            raise customer.error
        assert customer.question_on_page == QUESTION
        assert customer.answer_seen == ANSWER

    run(scenario())
