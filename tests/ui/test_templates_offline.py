"""Answer templates offline: the client caches the templates it may use (and later
changes that arrive as events), so after a restart with the hub down ``/shortcode`` + Tab
still works in the window. No sleeps: every wait is on a condition."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.protocol.messages import TemplateDraft, TemplateSave
from tests.helpers import txn, wait_until
from tests.hub.test_customer_card import signed_in
from tests.ui.test_cache import cached, first_run, restart
from tests.ui.test_templates_ui import team_template


def test_shortcodes_work_after_a_restart_without_the_hub(hub: Any, run: Any, make_client: Any) -> None:
    team_template(hub, "refund", "Refund", "Dear {customer.name}, the refund is on its way.")

    async def scenario() -> None:
        first = make_client()
        w, conv_id, _visitor = await first_run(first, hub, "Where is my money?")
        await wait_until(lambda: "refund" in w.pane.composer.templates, message="the templates loaded")
        # a template made while the window is open arrives as an event and is cached too
        sup = await signed_in(hub, "supervisor")
        await sup.request(TemplateSave(txn_id=txn(), template=TemplateDraft(
            shortcode="late", title="Late", body="Sorry for the wait, {customer.name}.", scope="team")))
        await sup.close()
        await wait_until(lambda: "late" in w.pane.composer.templates, message="the new template live")
        await first.session.flush_cache()
        snap = cached(first, hub.ws_url, hub.accounts.operator.id)
        assert snap is not None and sorted(t.shortcode for t in snap.templates) == ["late", "refund"]
        await first.session.close()
        w.close()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, hub.stop)

        second = restart(make_client, first)
        second.settings.set("hub_url", hub.ws_url)
        await second.controller.start()
        w2 = second.controller.window
        assert w2 is not None and second.session.link.state == "reconnecting"
        assert sorted(w2.pane.composer.templates) == ["late", "refund"]
        w2.mine_view.setCurrentIndex(w2.mine.index(0, 0))
        await wait_until(lambda: w2.current_id == conv_id, message="the cached conversation open")
        composer = w2.pane.composer
        composer.setFocus()
        QTest.keyClicks(composer, "/late")
        QTest.keyClick(composer, Qt.Key.Key_Tab)
        assert composer.toPlainText() == "Sorry for the wait, Ірина Мельник."
        composer.clear()
        QTest.keyClicks(composer, "/ref")
        popup = composer.completion
        assert popup is not None and popup.isVisible() and popup.count() == 1
        QTest.keyClick(composer, Qt.Key.Key_Tab)
        assert composer.toPlainText() == "Dear Ірина Мельник, the refund is on its way."

        # signing out forgets the cached templates with the rest
        await loop.run_in_executor(None, hub.start)
        await wait_until(lambda: second.session.link.state == "online", timeout=15, message="back online")
        await second.session.sign_out()
        assert cached(second, hub.ws_url, hub.accounts.operator.id) is None
        assert second.session.templates == {}

    run(scenario())
