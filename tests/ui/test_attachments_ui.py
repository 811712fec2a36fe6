"""Attachments in the operator window against a real hub: a PNG dropped on the composer
goes to the customer and shows inline; the customer's picture shows inline; a refused
file says why and keeps the typed text."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from app.protocol.messages import CustomerSend
from tests.helpers import CustomerClient, file_urls, http_get, png_bytes, txn, upload, wait_until
from tests.ui.test_window import log_in
from ui.widgets.main_window import MainWindow


def _shows_colour(w: MainWindow, rgb: tuple[int, int, int]) -> bool:
    """Whether the message list, as painted now, has a patch of this colour (the image)."""
    img: QImage = w.pane.list.viewport().grab().toImage()
    hits = 0
    for y in range(0, img.height(), 3):
        for x in range(0, img.width(), 3):
            c = img.pixelColor(x, y)
            if abs(c.red() - rgb[0]) + abs(c.green() - rgb[1]) + abs(c.blue() - rgb[2]) < 24:
                hits += 1
                if hits >= 12:
                    return True
    return False


def test_attach_a_png_it_reaches_the_customer_and_shows_inline(hub, run, make_client, qtbot, tmp_path: Path) -> None:
    op = hub.accounts.operator
    red = (200, 40, 40)
    green = (30, 170, 60)
    picture = png_bytes(60, 40, red)
    path = tmp_path / "plan.png"
    path.write_bytes(picture)

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, op.username, op.password)
        qtbot.addWidget(w)
        w.resize(1200, 800)
        async with CustomerClient.connected(hub.ws_url) as cust:
            await cust.send("Where do I put the new router?")
            await wait_until(lambda: w.mine.rowCount() == 1)
            w.mine_view.setCurrentIndex(w.mine.index(0, 0))
            await wait_until(lambda: w.messages.rowCount() == 1)

            # the file is dropped on the composer (as a file manager drops it)
            mime = QMimeData()
            mime.setUrls([QUrl.fromLocalFile(str(path))])
            w.pane.composer.insertFromMimeData(mime)
            assert w.pane.composer.toPlainText() == ""  # a file, not text
            await wait_until(lambda: any(p.info for p in w.pane.pending.values()), message="the upload")
            (chip,) = w.pane.pending.values()
            assert chip.label.text().startswith("✓ plan.png")
            w.pane.composer.insertPlainText("Here is the plan")
            QTest.keyClick(w.pane.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

            got = await cust.wait_message(lambda m: m.author == "operator")
            assert got.text == "Here is the plan"
            (att,) = got.attachments
            urls = await file_urls(cust, [att.id])
            assert (await http_get(hub.http_url + urls[str(att.id)]))[2] == picture
            await wait_until(lambda: not w.pane.pending and w.pane.composer.toPlainText() == "",
                             message="the composer emptied")
            await wait_until(lambda: _shows_colour(w, red), message="the picture inline in the window")

            # the customer's picture shows inline too (fetched through a signed URL)
            f = await upload(cust, png_bytes(80, 50, green), "photo.png")
            await cust.request(CustomerSend(txn_id=txn(), text="", attachments=[f["id"]]))
            await wait_until(lambda: w.messages.rowCount() == 3)
            await wait_until(lambda: _shows_colour(w, green), message="the customer's picture inline")

            # a file is saved where the operator chooses (the context menu's "Save as…")
            target = tmp_path / "saved" / "photo.png"
            target.parent.mkdir()
            (got_att,) = [a for m in w.bridge.messages(got.conversation_id) for a in m.attachments if a.id == f["id"]]
            w.pane.save_file_requested.emit(got_att, str(target))
            await wait_until(lambda: target.exists() and target.read_bytes() == png_bytes(80, 50, green),
                             message="the saved file")
            assert str(target) in w.statusBar().currentMessage()

    run(scenario())


def test_a_refused_file_says_why_and_keeps_the_text(hub, run, make_client, qtbot, tmp_path: Path) -> None:
    op = hub.accounts.operator
    fake = tmp_path / "invoice.png"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 500)  # a program, renamed

    async def scenario() -> None:
        c = make_client()
        w = await log_in(c, hub.ws_url, op.username, op.password)
        qtbot.addWidget(w)
        async with CustomerClient.connected(hub.ws_url) as cust:
            await cust.send("hello")
            await wait_until(lambda: w.mine.rowCount() == 1)
            w.mine_view.setCurrentIndex(w.mine.index(0, 0))
            await wait_until(lambda: w.messages.rowCount() == 1)
            w.pane.composer.insertPlainText("See the invoice")
            w.pane.attach_paths([str(fake)])
            await wait_until(lambda: any(p.error for p in w.pane.pending.values()), message="the refusal")
            (chip,) = w.pane.pending.values()
            assert "not allowed" in chip.label.text()
            assert "invoice.png was not attached" in w.pane.hint.text()
            assert w.pane.composer.toPlainText() == "See the invoice"
            # sending now says what to do, and sends nothing
            w.pane.submit()
            assert "Remove the files" in w.pane.hint.text()
            assert w.messages.rowCount() == 1
            # removed, the text goes as usual
            w.pane.remove_pending(next(iter(w.pane.pending)))
            w.pane.submit()
            got = await cust.wait_message(lambda m: m.author == "operator")
            assert got.text == "See the invoice" and got.attachments == []

    run(scenario())
