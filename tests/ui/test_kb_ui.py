"""The knowledge base in the window against a real hub with the demo KB: a customer's
message shows the article that answers it in the suggestions panel, a newer message
replaces the suggestions, Ctrl+K searches as you type and Enter puts the article's text
into the composer without sending it, and supervisors (only they) edit articles.
No sleeps: every wait is on a condition."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from app.hub.cli import main as hub_cli
from tests.conftest import TestHub, create_test_accounts
from tests.helpers import CustomerClient, wait_until
from tests.ui.test_customer_card import open_chat
from tests.ui.test_window import log_in
from ui.widgets.kb_panel import clipped, marked_html
from ui.widgets.main_window import MainWindow

DEMO_KB = Path(__file__).resolve().parents[2] / "resources" / "demo" / "kb"
REFUND_RU = "kb-018"  # «Возврат денег за отменённый полис»
TRACKING_RU = "kb-040"  # «Как отследить заказ»


@pytest.fixture
def kb_hub(hub_db_url: str) -> Iterator[TestHub]:
    """A hub whose knowledge base is the demo KB, imported with the admin's CLI."""
    accounts = create_test_accounts(hub_db_url)
    assert hub_cli(["kb", "import", str(DEMO_KB), "--db", hub_db_url]) == 0
    h = TestHub(hub_db_url, accounts)
    h.start()
    try:
        yield h
    finally:
        h.stop()


async def window_of(hub: TestHub, make_client: Any, qtbot: Any, who: str = "operator") -> MainWindow:
    acc = getattr(hub.accounts, who)
    w = await log_in(make_client(), hub.ws_url, acc.username, acc.password)
    qtbot.addWidget(w)
    return w


def type_text(widget: QWidget, text: str) -> None:
    """Type ``text`` key by key, any script (QTest.keyClicks knows ASCII only)."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def suggested_ids(w: MainWindow) -> list[str]:
    return [str(h.id) for h in w.kb_panel.hits]


def suggested_for(w: MainWindow) -> int | None:
    """The message the panel's suggestions answer (None: none shown yet)."""
    found = w.bridge.kb.suggestions.get(w.current_id or 0)
    return found[0] if found is not None and w.kb_panel.state in ("ready", "none") else None


def test_marked_html_bolds_the_ranges_and_escapes_the_rest() -> None:
    assert marked_html("a <b> refund & more", [(6, 12)]) == "a &lt;b&gt; <b>refund</b> &amp; more"
    assert marked_html("abc", [(5, 9), (2, 1)]) == "abc"  # ranges outside the text are ignored
    text, marks = clipped("0123456789 " * 20 + "refund here", [(220, 226)], 40)
    assert len(text) <= 42 and text.startswith("…") and marked_html(text, marks).count("<b>refund</b>") == 1
    assert clipped("short", [(0, 5)], 40) == ("short", [(0, 5)])


def test_the_customers_message_shows_the_refund_article_in_the_suggestions(
    kb_hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    async def scenario() -> None:
        w = await window_of(kb_hub, make_client, qtbot)
        async with CustomerClient.connected(kb_hub.ws_url, name="Ирина Коваль", locale="ru") as cust:
            await open_chat(w, cust, "Здравствуйте")
            first = await cust.send("хочу вернуть деньги за полис")
            # (the hub builds its search index on first use: the first answer may take a while)
            await wait_until(lambda: suggested_for(w) == first.id, 60, "suggestions for the message")
            assert REFUND_RU in suggested_ids(w)[:3], suggested_ids(w)
            assert w.kb_panel.state == "ready" and 1 <= len(w.kb_panel.hits) <= 5
            row = w.kb_panel.rows[suggested_ids(w).index(REFUND_RU)]
            assert "<b>" in row.title.text() + row.snippet.text()  # the matched words in bold
            assert "(" in w.kb_panel.toggle.text()  # "Suggested articles (N)"

            # a newer message replaces the suggestions (those for the old one never come back)
            newer = await cust.send("как отследить заказ")
            await wait_until(lambda: suggested_for(w) == newer.id, message="suggestions for the newer message")
            assert suggested_ids(w)[0] == TRACKING_RU and REFUND_RU not in suggested_ids(w)[:1]
            # two messages at once: one search (debounced), for the last of them
            await cust.send("хочу вернуть деньги за полис")
            last = await cust.send("как отследить заказ?")
            await wait_until(lambda: suggested_for(w) == last.id, message="suggestions for the last message")
            assert suggested_ids(w)[0] == TRACKING_RU

            # a click inserts the article's text into the composer; nothing is sent
            again = await cust.send("хочу вернуть деньги за полис")
            await wait_until(lambda: suggested_for(w) == again.id, message="the refund article again")
            row = w.kb_panel.rows[suggested_ids(w).index(REFUND_RU)]
            QTest.mouseClick(row, Qt.MouseButton.LeftButton)
            await wait_until(lambda: w.pane.composer.toPlainText() != "", message="the article in the composer")
            text = w.pane.composer.toPlainText()
            assert "**" not in text and "#" not in text.splitlines()[0]
            assert w.bridge.outbox_of(w.current_id or 0) == []
            assert all(m.author == "customer" for m in w.bridge.messages(w.current_id or 0))

            # folded, the panel is one line; unfolded again, the suggestions are there
            w.kb_panel.toggle.click()
            assert not w.kb_panel.body.isVisible()
            w.kb_panel.toggle.click()
            assert w.kb_panel.body.isVisible() and w.kb_panel.rows

    run(scenario())


def test_ctrl_k_searches_as_you_type_and_enter_inserts_the_body_unsent(
    kb_hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    async def scenario() -> None:
        w = await window_of(kb_hub, make_client, qtbot)
        async with CustomerClient.connected(kb_hub.ws_url, name="Ирина Коваль", locale="ru") as cust:
            await open_chat(w, cust, "Добрый день")
            composer = w.pane.composer
            type_text(composer, "Добрый день! ")
            composer.selectAll()
            QTest.keyClick(w, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
            dlg = w.kb_dialog
            assert dlg is not None and dlg.isVisible()
            assert dlg.query.text() == "Добрый день!"  # the composer's selection
            assert not dlg.new_button.isVisible() and not dlg.edit_button.isVisible()  # an operator reads only
            dlg.query.clear()
            type_text(dlg.query, "вернуть деньги за полис")
            await wait_until(lambda: any(str(h.id) == REFUND_RU for h in dlg.hits), message="search results")
            # the language filter: only English articles
            dlg.language.setCurrentIndex(dlg.language.findData("en"))
            await wait_until(lambda: (dlg.hits and all(h.lang == "en" for h in dlg.hits)) or
                             "Nothing" in dlg.status.text(), message="English results")
            dlg.language.setCurrentIndex(dlg.language.findData(""))
            await wait_until(lambda: any(str(h.id) == REFUND_RU for h in dlg.hits), message="all languages again")
            while str(dlg.current_hit().id) != REFUND_RU:
                QTest.keyClick(dlg.query, Qt.Key.Key_Down)
            composer.clear()
            QTest.keyClick(dlg.query, Qt.Key.Key_Return)
            assert not dlg.isVisible()
            await wait_until(lambda: composer.toPlainText() != "", message="the article in the composer")
            text = composer.toPlainText()
            assert "полис" in text.lower() and "**" not in text
            assert w.bridge.outbox_of(w.current_id or 0) == []
            assert all(m.author == "customer" for m in w.bridge.messages(w.current_id or 0))

    run(scenario())


def test_a_supervisor_edits_an_article_and_an_empty_one_is_refused_in_the_dialog(
    kb_hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    async def scenario() -> None:
        w = await window_of(kb_hub, make_client, qtbot, "supervisor")
        dlg = w.open_kb_search()
        assert dlg.new_button.isVisible()
        type_text(dlg.query, "вернуть деньги за полис")
        await wait_until(lambda: any(str(h.id) == REFUND_RU for h in dlg.hits), message="search results")
        while str(dlg.current_hit().id) != REFUND_RU:
            QTest.keyClick(dlg.query, Qt.Key.Key_Down)
        dlg.edit_button.click()
        await wait_until(lambda: w.kb_editor is not None and w.kb_editor.isVisible(), message="the editor")
        editor = w.kb_editor
        assert editor is not None and editor.title.text().startswith("Возврат денег")
        old_body = editor.body.toPlainText()
        editor.title.clear()
        editor.save()
        assert "title" in editor.message.text() and editor.isVisible()  # refused before it is sent
        editor.title.setText("Возврат денег за отменённый полис (обновлено)")
        editor.body.setPlainText(old_body + "\n\nОбновлено супервизором.")
        editor.save()
        await wait_until(lambda: not editor.isVisible(), message="saved and closed")
        dlg.query.clear()
        type_text(dlg.query, "обновлено супервизором")
        await wait_until(lambda: any(str(h.id) == REFUND_RU for h in dlg.hits), message="the new text is found")

    run(scenario())


@pytest.fixture
def public_kb_hub(hub_db_url: str, tmp_path: Path) -> Iterator[TestHub]:
    """The demo KB (internal), with the refund article public, at a public address."""
    accounts = create_test_accounts(hub_db_url)
    assert hub_cli(["kb", "import", str(DEMO_KB), "--db", hub_db_url]) == 0
    public = tmp_path / "public"
    public.mkdir()
    src = next(DEMO_KB.glob(f"{REFUND_RU}*.md"))
    (public / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    assert hub_cli(["kb", "import", str(public), "--visibility", "public", "--db", hub_db_url]) == 0
    h = TestHub(hub_db_url, accounts, public_url="https://help.example.com")
    h.start()
    try:
        yield h
    finally:
        h.stop()


REFUND_LINK = "Возврат денег за отменённый полис: https://help.example.com/kb/kb-018-vozvrat-deneg-za-otmenennyy-polis"


def test_insert_link_puts_a_public_articles_title_and_url_into_the_composer(
    public_kb_hub: TestHub, run: Any, make_client: Any, qtbot: Any
) -> None:
    async def scenario() -> None:
        from tests.hub.test_http import get

        w = await window_of(public_kb_hub, make_client, qtbot)
        async with CustomerClient.connected(public_kb_hub.ws_url, name="Ирина Коваль", locale="ru") as cust:
            await open_chat(w, cust, "Здравствуйте")
            msg = await cust.send("хочу вернуть деньги за полис")
            await wait_until(lambda: suggested_for(w) == msg.id, 60, "suggestions for the message")
            ids = suggested_ids(w)
            assert REFUND_RU in ids and len(ids) >= 2, ids
            rows = dict(zip(ids, w.kb_panel.rows, strict=False))
            # the public article has "Insert link", the internal ones do not
            refund = rows[REFUND_RU]
            assert refund.link_button is not None and refund.link_button.isVisible()
            assert refund.link_button.text() == "Insert link"
            assert all(row.link_button is None for aid, row in rows.items() if aid != REFUND_RU)
            QTest.mouseClick(refund.link_button, Qt.MouseButton.LeftButton)
            assert w.pane.composer.toPlainText() == REFUND_LINK
            assert w.bridge.outbox_of(w.current_id or 0) == []  # nothing is sent
            # the link is the article's page on the hub
            path = REFUND_LINK.split("https://help.example.com", 1)[1]
            status, _h, body = get(public_kb_hub.port, path)
            assert status == 200 and "Возврат денег за отменённый полис".encode() in body

            # Ctrl+K: the button shows for the public article only
            w.pane.composer.clear()
            dlg = w.open_kb_search()
            dlg.query.setText("вернуть деньги за полис")
            await wait_until(lambda: len(dlg.hits) >= 2 and any(str(h.id) == REFUND_RU for h in dlg.hits),
                             message="search results")
            for row, hit in enumerate(dlg.hits):
                dlg.results.setCurrentRow(row)
                assert dlg.link_button.isVisible() == (str(hit.id) == REFUND_RU), hit.id
            dlg.results.setCurrentRow([str(h.id) for h in dlg.hits].index(REFUND_RU))
            QTest.mouseClick(dlg.link_button, Qt.MouseButton.LeftButton)
            assert not dlg.isVisible()
            assert w.pane.composer.toPlainText() == REFUND_LINK
            assert w.bridge.outbox_of(w.current_id or 0) == []

    run(scenario())
