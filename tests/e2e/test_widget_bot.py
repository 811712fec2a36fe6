"""The bot first line in a real browser: a visitor asks a question a public article
answers, sees the article as a card with "This helped" / "Talk to a person", clicks
"This helped", and the operator sees the offer and the conversation resolved by the bot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import TestHub, create_test_accounts
from tests.e2e.sync_operator import OperatorThread
from tests.hub.test_kb_bot import REFUND_EN, REFUND_UK, import_demo_kb


@pytest.fixture
def hub(hub_db_url: str, tmp_path: Path) -> Iterator[TestHub]:
    """A hub without lines, the bot switched on in its config, the demo KB imported."""
    accounts = create_test_accounts(hub_db_url)
    import_demo_kb(hub_db_url, tmp_path)
    h = TestHub(hub_db_url, accounts, kb_refresh_s=0.0, bot_first_line=True)
    h.start()
    try:
        yield h
    finally:
        h.stop()


def _ask(new_page: Any, hub: TestHub, locale: str, text: str) -> Any:
    bp = new_page(locale=locale)
    page = bp.page
    page.goto(hub.http_url + "/")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    page.locator("#composer").fill(text)
    page.locator("#composer").press("Enter")
    return bp


def test_the_visitor_sees_the_article_and_clicks_this_helped(
    hub: TestHub, new_page: Any, operator: OperatorThread
) -> None:
    bp = _ask(new_page, hub, "en-US", REFUND_EN)
    page = bp.page
    card = page.locator(".bot-card")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("data-article", "kb-020")
    expect(card.locator(".bot-label")).to_have_text("Suggested answer")
    expect(card.locator(".bot-title")).to_have_text(
        "Cooling-off period — cancel a policy within 14 days for a full refund"
    )
    expect(card.locator(".bot-text")).to_contain_text("14 calendar days")
    expect(card.get_by_role("button", name="Talk to a person")).to_be_visible()
    page.screenshot(path=str(Path("/tmp") / "kbbot-widget-card.png"))

    msg = operator.wait_customer_message(REFUND_EN)
    client = operator._client()
    note = operator._run(client.wait_message(lambda m: m.author == "system" and m.internal))
    assert note.message.text.startswith("Bot offered: Cooling-off period") and "(kb-020)" in note.message.text

    card.get_by_role("button", name="This helped").click()
    expect(card.locator(".bot-outcome")).to_have_text("Glad it helped! Write to us any time if you need more.")
    expect(card.locator("button")).to_have_count(0)
    operator._run(client.wait_conversation(lambda c: c.id == msg.conversation_id and c.status == "resolved"))
    texts = [m["text"] for m in operator.history(msg.conversation_id)]
    assert any("resolved by the bot" in t for t in texts)
    assert bp.page_errors == []


def test_talk_to_a_person_in_ukrainian(hub: TestHub, new_page: Any, operator: OperatorThread) -> None:
    bp = _ask(new_page, hub, "uk-UA", REFUND_UK)
    card = bp.page.locator(".bot-card")
    expect(card).to_have_attribute("data-article", "kb-019")
    expect(card.locator(".bot-label")).to_have_text("Можлива відповідь")
    expect(card.get_by_role("button", name="Це допомогло")).to_be_visible()
    card.get_by_role("button", name="Покликати оператора").click()
    expect(card.locator(".bot-outcome")).to_have_text("Оператор відповість вам тут.")
    # the operator is told, and answers as usual
    msg = operator.wait_customer_message(REFUND_UK)
    client = operator._client()
    operator._run(client.wait_message(lambda m: m.author == "system" and "wants a person" in m.text))
    operator.reply(msg.conversation_id, "Добрий день! Допоможу.")
    expect(bp.page.locator('.msg[data-author="operator"] .text')).to_have_text("Добрий день! Допоможу.")
    assert bp.page_errors == []
