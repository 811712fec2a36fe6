"""The web widget in a real browser: typing indicators both ways, and the business-hours
message outside the first line's hours."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import expect

from app.protocol.messages import Typing, TypingEvent
from app.storage import Store, make_engine
from tests.e2e.sync_operator import OperatorThread


def test_typing_indicators_between_widget_and_operator(hub: Any, new_page: Any, operator: OperatorThread) -> None:
    bp = new_page(locale="uk-UA")
    page = bp.page
    page.goto(hub.http_url + "/")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    page.locator("#composer").fill("Привіт")
    page.locator("#composer").press("Enter")
    msg = operator.wait_customer_message("Привіт")
    typing = page.locator("#typing")
    expect(typing).to_be_hidden()

    client = operator._client()
    operator._run(client.send_frame(Typing(conversation_id=msg.conversation_id, typing=True)))
    expect(typing).to_be_visible()
    expect(typing).to_have_text("Оператор друкує…")
    operator.reply(msg.conversation_id, "Добрий день!")
    expect(typing).to_be_hidden()  # the reply itself ends the indicator

    # the visitor types: the operator sees it (who: customer)
    page.locator("#composer").press_sequentially("Ще питання")
    seen = operator._run(
        client.wait_frame(TypingEvent, lambda e: e.who == "customer" and e.conversation_id == msg.conversation_id)
    )
    assert seen.typing is True


def test_widget_says_when_the_team_is_back(hub: Any, new_page: Any) -> None:
    # the first line works two hours on a day that is not today: closed now
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(datetime.now(UTC).weekday() + 2) % 7]
    engine = make_engine(hub.db_url)
    try:
        Store(engine).create_queue("first", kind="first", timezone="UTC", hours=json.dumps({day: ["10:00-12:00"]}))
    finally:
        engine.dispose()
    bp = new_page(locale="en-US")
    page = bp.page
    page.goto(hub.http_url + "/")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    hours = page.locator("#hours")
    expect(hours).to_be_visible()
    weekday = {
        "mon": "Monday",
        "tue": "Tuesday",
        "wed": "Wednesday",
        "thu": "Thursday",
        "fri": "Friday",
        "sat": "Saturday",
        "sun": "Sunday",
    }[day]
    expect(hours).to_contain_text("We are away right now and will be back")
    expect(hours).to_contain_text(weekday)
    # the visitor can still write; the message waits in the first line
    page.locator("#composer").fill("Call me back please")
    page.locator("#composer").press("Enter")
    expect(page.locator('.msg[data-author="customer"]')).to_have_count(1)
