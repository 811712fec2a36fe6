"""The operator window against a real hub: log in, see a customer, answer, and the failures."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from app.hub.embedded import EmbeddedHub
from tests.conftest import create_test_accounts
from tests.helpers import CommandFailed, CustomerClient, OperatorClient, wait_until
from ui.models.inbox import ConversationRole
from ui.widgets.main_window import MainWindow


async def log_in(client: Any, hub_url: str, username: str, password: str, *, remember: bool = False) -> MainWindow:
    client.settings.set("hub_url", hub_url)
    await client.controller.start()
    dlg = client.controller.dialog
    assert dlg is not None and dlg.isVisible()
    dlg.user.setText(username)
    dlg.password.setText(password)
    dlg.remember.setChecked(remember)
    dlg.sign_in.click()
    await wait_until(lambda: client.controller.window is not None, message="the main window")
    window = client.controller.window
    assert window is not None and window.isVisible()
    return window


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_wrong_password_is_said_clearly_and_nothing_else_happens(hub, run, make_client) -> None:
    async def scenario() -> None:
        c = make_client()
        c.settings.set("hub_url", hub.ws_url)
        await c.controller.start()
        dlg = c.controller.dialog
        dlg.user.setText(hub.accounts.operator.username)
        dlg.password.setText("not-the-password")
        dlg.sign_in.click()
        await wait_until(lambda: dlg.error.isVisible(), message="the error text")
        assert dlg.error.text() == "Wrong user name or password."
        assert c.controller.window is None
        assert dlg.sign_in.isEnabled() and dlg.password.isEnabled()
        # and the same dialog then logs in with the right password
        dlg.password.setText(hub.accounts.operator.password)
        dlg.sign_in.click()
        await wait_until(lambda: c.controller.window is not None)

    run(scenario())


def test_unreachable_hub_is_named_and_retry_works(hub_db_url, run, make_client) -> None:
    port = free_port()
    url = f"ws://127.0.0.1:{port}"
    accounts = create_test_accounts(hub_db_url)
    late_hub = EmbeddedHub(hub_db_url, port=port)

    async def scenario() -> None:
        c = make_client()
        c.settings.set("hub_url", url)
        await c.controller.start()
        dlg = c.controller.dialog
        dlg.user.setText(accounts.operator.username)
        dlg.password.setText(accounts.operator.password)
        dlg.sign_in.click()
        await wait_until(lambda: dlg.error.isVisible())
        assert dlg.error.text().startswith(f"Cannot reach the hub at {url}")
        assert dlg.sign_in.text() == "Retry"
        await asyncio.get_running_loop().run_in_executor(None, late_hub.start)
        dlg.sign_in.click()
        await wait_until(lambda: c.controller.window is not None, message="login after retry")

    try:
        run(scenario())
    finally:
        late_hub.stop()


def test_window_stays_responsive_while_the_hub_does_not_answer(run, make_client) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts TCP, never speaks websocket
    url = f"ws://127.0.0.1:{silent.getsockname()[1]}"

    async def scenario() -> None:
        c = make_client()
        c.session.connect_timeout = 1.5
        c.settings.set("hub_url", url)
        await c.controller.start()
        ticks = []
        timer = QTimer()
        timer.setInterval(50)
        timer.timeout.connect(lambda: ticks.append(1))
        timer.start()
        dlg = c.controller.dialog
        dlg.user.setText("olena")
        dlg.password.setText("x")
        dlg.sign_in.click()
        assert not dlg.sign_in.isEnabled()  # busy, not frozen
        await wait_until(lambda: dlg.error.isVisible(), timeout=10)
        timer.stop()
        assert "Cannot reach the hub at" in dlg.error.text()
        assert len(ticks) >= 10, "the Qt event loop was blocked during the connection attempt"

    try:
        run(scenario())
    finally:
        silent.close()


def test_customer_message_arrives_and_the_reply_reaches_the_customer(hub, run, make_client, qtbot) -> None:
    op = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, op.username, op.password)
        qtbot.addWidget(w)
        async with CustomerClient.connected(hub.ws_url, name="Ірина Мельник", locale="uk") as cust:
            raw = "<script>alert(1)</script><b>Де моє замовлення?</b>"
            await cust.send(raw)
            await wait_until(lambda: w.mine.rowCount() == 1, message="the conversation in Mine")
            conv = w.mine.index(0, 0).data(ConversationRole)
            assert conv.customer.name == "Ірина Мельник"
            assert conv.waiting_since is not None
            assert w.tabs.tabText(0) == "Mine (1)"
            w.mine_view.setCurrentIndex(w.mine.index(0, 0))
            await wait_until(lambda: w.messages.texts() == [raw], message="the customer's message")
            # shown as text: the document holds the literal markup, nothing interpreted
            doc = w.pane.list.itemDelegate().document_for(w.messages.index(0, 0))
            assert doc.toPlainText() == raw
            assert w.card.name.text() == "Ірина Мельник"
            assert w.card.name.textFormat() != Qt.TextFormat.RichText or "<" not in w.card.name.text()

            w.pane.composer.insertPlainText("Доброго дня! Перевіряю.")  # QTest types ASCII only
            QTest.keyClick(w.pane.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            reply = await cust.wait_message(lambda m: m.author == "operator")
            assert reply.text == "Доброго дня! Перевіряю."
            assert reply.author_name == op.display_name
            await wait_until(lambda: w.messages.texts() == [raw, reply.text])
            await wait_until(lambda: w.pane.composer.toPlainText() == "", message="composer cleared")
            await wait_until(lambda: w.mine.index(0, 0).data(ConversationRole).waiting_since is None)

    run(scenario())


def test_enter_alone_does_not_send(hub, run, make_client, qtbot) -> None:
    op = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, op.username, op.password)
        qtbot.addWidget(w)
        async with CustomerClient.connected(hub.ws_url) as cust:
            await cust.send("hi")
            await wait_until(lambda: w.mine.rowCount() == 1)
            w.mine_view.setCurrentIndex(w.mine.index(0, 0))
            await wait_until(lambda: w.messages.rowCount() == 1)
            QTest.keyClicks(w.pane.composer, "line one")
            QTest.keyClick(w.pane.composer, Qt.Key.Key_Return)
            QTest.keyClicks(w.pane.composer, "line two")
            assert w.pane.composer.toPlainText() == "line one\nline two"
            w.pane.send_button.click()
            reply = await cust.wait_message(lambda m: m.author == "operator")
            assert reply.text == "line one\nline two"

    run(scenario())


def test_queued_conversation_can_be_taken_by_hand(hub, run, make_client, qtbot) -> None:
    op = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, op.username, op.password)
        qtbot.addWidget(w)
        w.status_box.setCurrentIndex(w.status_box.findData("away"))
        w.status_box.activated.emit(w.status_box.currentIndex())
        await wait_until(lambda: c.session.me.status == "away", message="status away")
        async with CustomerClient.connected(hub.ws_url, name="John Carter") as cust:
            await cust.send("Is anybody there?")
            await wait_until(lambda: w.queue.rowCount() == 1, message="the conversation in the queue")
            assert w.mine.rowCount() == 0
            w.tabs.setCurrentWidget(w.queue_view)
            w.queue_view.setCurrentIndex(w.queue.index(0, 0))
            await wait_until(lambda: w.messages.rowCount() == 1)
            assert w.pane.banner.isVisibleTo(w) and w.pane.take_button.isVisibleTo(w)
            w.pane.take_button.click()
            await wait_until(lambda: w.mine.rowCount() == 1 and w.queue.rowCount() == 0, message="taken")
            assert not w.pane.banner.isVisibleTo(w)
            assert w.pane.resolve_button.isVisibleTo(w)

    run(scenario())


def test_status_choice_reaches_the_team(hub, run, make_client, qtbot) -> None:
    op, other = hub.accounts.operator, hub.accounts.operator2

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, op.username, op.password)
        qtbot.addWidget(w)
        async with OperatorClient.connected(hub.ws_url) as watcher:
            await watcher.login(other.username, other.password)
            w.status_box.setCurrentIndex(w.status_box.findData("away"))
            w.status_box.activated.emit(w.status_box.currentIndex())
            ev = await watcher.wait_operator(lambda o: o.id == op.id and o.status == "away")
            assert ev.operator.username == op.username

    run(scenario())


def test_remember_me_keeps_the_token_in_the_keyring_and_sign_out_revokes_it(hub, run, make_client, qtbot) -> None:
    op = hub.accounts.operator

    async def scenario() -> None:
        first = make_client()
        w = await log_in(first, hub.ws_url, op.username, op.password, remember=True)
        stored = dict(first.secrets._data)
        assert len(stored) == 1
        token = next(iter(stored.values()))
        assert op.password not in stored.values()
        assert token not in first.settings._file.read_text()  # never in the settings file
        await first.session.close()
        w.close()

        # next start: logged in with the stored token, no dialog
        second = make_client(store=first.secrets)
        second.settings.set("hub_url", hub.ws_url)
        await second.controller.start()
        assert second.controller.dialog is None
        w2 = second.controller.window
        assert w2 is not None and w2.me_label.text() == op.display_name
        qtbot.addWidget(w2)

        w2.sign_out_action.trigger()
        await wait_until(lambda: second.controller.dialog is not None, message="login dialog after sign-out")
        assert second.secrets._data == {}
        async with OperatorClient.connected(hub.ws_url) as probe:
            try:
                await probe.resume(token)
            except CommandFailed as exc:
                assert exc.error.code == "auth_failed"
            else:
                raise AssertionError("the signed-out token still works")

    run(scenario())


def test_without_a_keyring_the_dialog_says_so_and_offers_no_remember(run, make_client) -> None:
    async def scenario() -> None:
        c = make_client(keyring=False)
        await c.controller.start(try_stored=False)
        dlg = c.controller.dialog
        assert not dlg.remember.isEnabled() and not dlg.remember.isChecked()
        assert dlg.keyring_note.isVisibleTo(dlg)
        assert "cannot remember you" in dlg.keyring_note.text()

    run(scenario())


def test_lost_hub_shows_offline_then_reconnects_by_itself(hub, run, make_client, qtbot) -> None:
    op = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, op.username, op.password)
        qtbot.addWidget(w)
        assert "Connected" in w.link_label.text()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, hub.stop)
        await wait_until(lambda: "Offline since" in w.link_label.text(), message="offline state")
        assert w.isEnabled()
        await loop.run_in_executor(None, hub.start)
        await wait_until(lambda: "Connected" in w.link_label.text(), timeout=20, message="reconnected")
        async with CustomerClient.connected(hub.ws_url) as cust:
            await cust.send("after the restart")
            await wait_until(lambda: w.mine.rowCount() == 1, message="new conversation after reconnect")

    run(scenario())


def test_window_layout_is_remembered(hub, run, make_client, qtbot) -> None:
    op = hub.accounts.operator

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, op.username, op.password)
        qtbot.addWidget(w)
        w.resize(790, 560)  # fits the offscreen screen (800x600), so nothing clamps it
        w.splitter.setSizes([230, 330, 230])
        sizes = w.splitter.sizes()
        w.close()
        again = MainWindow(c.bridge, c.settings)
        qtbot.addWidget(again)
        again.show()
        assert again.splitter.sizes() == sizes
        assert (again.width(), again.height()) == (790, 560)

    run(scenario())
