"""The customer web-chat widget in a real browser against a real hub.

The browser is driven with Playwright's sync API on the test's thread; the operator side
is a protocol-level websocket client running on its own event loop in a helper thread
(the sync Playwright API refuses to run inside a running asyncio loop).
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.sync_operator import OperatorThread

XSS = "<script>window.pwned=1</script><b>bold</b>"


def _open_widget(new_page: Any, hub: Any, locale: str = "en-US") -> Any:
    bp = new_page(locale=locale)
    bp.page.goto(hub.http_url + "/")
    expect(bp.page.locator("#status")).to_have_attribute("data-state", "connected")
    return bp


def _send(page: Any, text: str) -> None:
    page.locator("#composer").fill(text)
    page.locator("#composer").press("Enter")


def test_customer_and_operator_talk(hub: Any, new_page: Any, operator: OperatorThread) -> None:
    bp = _open_widget(new_page, hub)
    page = bp.page
    expect(page.locator("#status")).to_have_text("Connected")
    expect(page.locator("#empty")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Chat with support")

    _send(page, "Where is my order?")
    mine = page.locator('.msg[data-author="customer"]')
    expect(mine).to_have_count(1)
    expect(mine.first).not_to_have_class(re.compile(r"\bpending\b"))
    expect(page.locator("#empty")).to_be_hidden()
    expect(page.locator("#composer")).to_have_value("")

    msg = operator.wait_customer_message("Where is my order?")
    operator.reply(msg.conversation_id, "It ships today.\nTracking follows.")

    reply = page.locator('.msg[data-author="operator"]')
    expect(reply).to_have_count(1)
    expect(reply.locator(".text")).to_have_text("It ships today.\nTracking follows.")
    expect(reply.locator(".author")).to_have_text(operator.display_name)
    assert bp.page_errors == []


def test_message_text_is_never_html(hub: Any, new_page: Any, operator: OperatorThread) -> None:
    bp = _open_widget(new_page, hub)
    page = bp.page
    _send(page, XSS)
    mine = page.locator('.msg[data-author="customer"] .text')
    expect(mine).to_have_text(XSS)
    expect(page.locator('.msg[data-author="customer"]')).not_to_have_class(re.compile(r"\bpending\b"))

    # The operator's copy is the same literal text; echo it back as an operator reply too.
    msg = operator.wait_customer_message(XSS)
    operator.reply(msg.conversation_id, XSS)
    expect(page.locator('.msg[data-author="operator"] .text')).to_have_text(XSS)

    assert page.evaluate("window.pwned") is None
    assert page.locator("#messages b").count() == 0
    assert page.locator("#messages script").count() == 0
    assert bp.page_errors == []


def test_reload_brings_the_conversation_back(hub: Any, new_page: Any, operator: OperatorThread) -> None:
    bp = _open_widget(new_page, hub)
    page = bp.page
    _send(page, "first visit question")
    msg = operator.wait_customer_message("first visit question")
    operator.reply(msg.conversation_id, "first visit answer")
    expect(page.locator('.msg[data-author="operator"]')).to_have_count(1)
    token = page.evaluate("localStorage.getItem('frontline.visitor_token')")
    assert token

    page.reload()
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    texts = page.locator(".msg .text")
    expect(texts).to_have_text(["first visit question", "first visit answer"])
    expect(page.locator('.msg[data-author="operator"] .author')).to_have_text(operator.display_name)
    assert page.evaluate("localStorage.getItem('frontline.visitor_token')") == token

    # A new browser profile is a new visitor: no history.
    other = _open_widget(new_page, hub)
    expect(other.page.locator("#empty")).to_be_visible()
    expect(other.page.locator(".msg")).to_have_count(0)


def test_hub_restart_reconnects_and_delivers_queued_message_once(
    hub: Any, new_page: Any, operator: OperatorThread
) -> None:
    bp = _open_widget(new_page, hub)
    page = bp.page
    _send(page, "before the outage")
    first = operator.wait_customer_message("before the outage")

    hub.stop()
    expect(page.locator("#status")).to_have_attribute("data-state", "reconnecting")
    expect(page.locator("#status")).to_have_text("Reconnecting…")

    # Typing is not blocked while offline; the message waits in the outbox.
    expect(page.locator("#composer")).to_be_enabled()
    _send(page, "typed during the outage")
    queued = page.locator('.msg.pending[data-author="customer"]')
    expect(queued).to_have_count(1)

    hub.start()
    expect(page.locator("#status")).to_have_attribute("data-state", "connected", timeout=30_000)
    expect(page.locator(".msg.pending")).to_have_count(0)
    expect(page.locator(".msg .text")).to_have_text(["before the outage", "typed during the outage"])

    operator.reconnect()
    history = operator.history(first.conversation_id)
    texts = [m["text"] for m in history]
    assert texts.count("typed during the outage") == 1, texts
    assert texts.count("before the outage") == 1, texts

    # And after a reload the hub's copy is what the page shows: still exactly once.
    page.reload()
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    expect(page.locator(".msg .text")).to_have_text(["before the outage", "typed during the outage"])


def test_widget_speaks_russian_and_ukrainian(hub: Any, new_page: Any) -> None:
    ru = _open_widget(new_page, hub, locale="ru-RU").page
    expect(ru.locator("h1")).to_have_text("Чат с поддержкой")
    expect(ru.locator("#status")).to_have_text("Подключено")
    uk = _open_widget(new_page, hub, locale="uk-UA").page
    expect(uk.locator("h1")).to_have_text("Чат з підтримкою")
    expect(uk.locator("#empty")).to_contain_text("Напишіть нам")


def test_shift_enter_makes_a_newline_and_enter_sends(hub: Any, new_page: Any) -> None:
    page = _open_widget(new_page, hub).page
    composer = page.locator("#composer")
    composer.click()
    composer.press_sequentially("line one")
    composer.press("Shift+Enter")
    composer.press_sequentially("line two")
    expect(page.locator(".msg")).to_have_count(0)
    expect(composer).to_have_value("line one\nline two")
    composer.press("Enter")
    expect(page.locator('.msg[data-author="customer"] .text')).to_have_text("line one\nline two")


def test_phone_width_long_words_do_not_overflow(hub: Any, new_page: Any) -> None:
    bp = new_page(viewport=(360, 640))
    page = bp.page
    page.goto(hub.http_url + "/")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    _send(page, "x" * 300 + " https://example.com/" + "a/" * 80)
    expect(page.locator(".msg:not(.pending)")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = page.locator("#send").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360


def test_dropped_link_brings_missed_replies_once_and_sends_the_typed_message_once(
    hub: Any, new_page: Any, operator: OperatorThread
) -> None:
    """The visitor's Wi-Fi drops (the hub stays up): replies written meanwhile arrive after
    the reconnect, each once, next to what was already shown; a message typed meanwhile is
    stored once."""
    link = {"up": True}
    live: list[Any] = []

    def route(ws: Any) -> None:
        if not link["up"]:
            ws.close(code=4000, reason="no network")  # a retry code: the widget keeps trying
            return
        ws.connect_to_server()
        live.append(ws)

    bp = new_page()
    page = bp.page
    page.route_web_socket(re.compile(r"/ws/customer"), route)
    page.goto(hub.http_url + "/")
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    _send(page, "my parcel is late")
    first = operator.wait_customer_message("my parcel is late")
    operator.reply(first.conversation_id, "let me check")
    expect(page.locator(".msg .text")).to_have_text(["my parcel is late", "let me check"])

    link["up"] = False
    for ws in live:
        ws.close(code=4000, reason="no network")
    expect(page.locator("#status")).to_have_attribute("data-state", "reconnecting")
    operator.reply(first.conversation_id, "found it: it ships today")
    operator.reply(first.conversation_id, "tracking number follows")
    _send(page, "thanks, waiting")
    expect(page.locator('.msg.pending[data-author="customer"]')).to_have_count(1)

    link["up"] = True
    expect(page.locator("#status")).to_have_attribute("data-state", "connected", timeout=30_000)
    expect(page.locator(".msg.pending")).to_have_count(0)
    expect(page.locator(".msg .text")).to_have_text(
        ["my parcel is late", "let me check", "found it: it ships today", "tracking number follows",
         "thanks, waiting"]
    )
    texts = [m["text"] for m in operator.history(first.conversation_id)]
    assert texts.count("thanks, waiting") == 1, texts


def test_scrolling_to_the_top_loads_messages_older_than_the_welcome(
    hub: Any, new_page: Any, operator: OperatorThread
) -> None:
    bp = _open_widget(new_page, hub)
    page = bp.page
    _send(page, "the very first")
    msg = operator.wait_customer_message("the very first")
    for i in range(205):
        operator.reply(msg.conversation_id, f"reply {i}")
    expect(page.locator(".msg")).to_have_count(206)

    # the welcome of a reload holds the latest 200: the first six are not there
    page.reload()
    expect(page.locator("#status")).to_have_attribute("data-state", "connected")
    texts = page.locator(".msg .text")
    expect(texts).to_have_count(200)
    expect(texts.first).to_have_text("reply 5")
    expect(texts.last).to_have_text("reply 204")

    page.locator("#messages").evaluate("box => { box.scrollTop = 0; }")
    expect(texts).to_have_count(206)
    expect(texts.first).to_have_text("the very first")
    expect(texts.nth(6)).to_have_text("reply 5")
    expect(page.locator(".older")).to_have_count(0)
    # what was at the top stays in view (the page went above it, not over it)
    assert page.locator("#messages").evaluate("box => box.scrollTop") > 0
    # nothing older remains: going to the top again asks nothing and shows nothing twice
    page.locator("#messages").evaluate("box => { box.scrollTop = 0; }")
    expect(page.locator(".older")).to_have_count(0)
    expect(texts).to_have_count(206)


def test_a_link_in_an_operators_message_is_clickable_and_safe(
    hub: Any, new_page: Any, operator: OperatorThread, tmp_path: Any
) -> None:
    """An operator's "Insert link" (a public article's page) arrives as a link the customer
    can open; a javascript: address or HTML in the same message stays text."""
    from app.hub.cli import main as hub_cli

    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "kb-e2e.md").write_text(
        "---\nid: kb-e2e\ntitle: Refund of a cancelled policy\nlang: en\n---\nThe money comes back **by itself**.\n",
        encoding="utf-8",
    )
    assert hub_cli(["kb", "import", str(folder), "--visibility", "public", "--db", hub.db_url]) == 0
    url = hub.http_url + "/kb/kb-e2e-refund-of-a-cancelled-policy"

    bp = _open_widget(new_page, hub)
    page = bp.page
    _send(page, "how do I get my money back?")
    msg = operator.wait_customer_message("how do I get my money back?")
    operator.reply(
        msg.conversation_id,
        f"Refund of a cancelled policy: {url}.\nNot javascript:alert(1) nor <a href=\"javascript:alert(2)\">x</a>",
    )
    reply = page.locator('.msg[data-author="operator"] .text')
    expect(reply).to_have_text(
        f"Refund of a cancelled policy: {url}.\nNot javascript:alert(1) nor <a href=\"javascript:alert(2)\">x</a>"
    )
    links = reply.locator("a")
    expect(links).to_have_count(1)  # the full stop after the address is not part of it
    link = links.first
    expect(link).to_have_attribute("href", url)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    assert page.locator("#messages a[href^='javascript']").count() == 0

    with page.context.expect_page() as opened:
        link.click()
    article = opened.value
    article.wait_for_load_state()
    expect(article.locator("h1")).to_have_text("Refund of a cancelled policy")
    expect(article.locator("strong")).to_have_text("by itself")
    assert article.evaluate("window.opener") is None  # noopener: no handle on the chat
    assert page.evaluate("window.pwned") is None
    assert bp.page_errors == []
