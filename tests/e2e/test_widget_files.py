"""Files in the customer web widget, in a real browser against a real hub: the visitor
sends a picture and the operator gets it; the operator's picture shows in the widget;
a refused file is said in the widget's words."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.sync_operator import OperatorThread
from tests.helpers import png_bytes


def _open_widget(new_page: Any, hub: Any, locale: str = "en-US") -> Any:
    bp = new_page(locale=locale)
    bp.page.goto(hub.http_url + "/")
    expect(bp.page.locator("#status")).to_have_attribute("data-state", "connected")
    return bp


def _image_loaded(page: Any, selector: str) -> Any:
    return page.wait_for_function(
        "s => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 0; }",
        arg=selector,
    )


def test_the_widget_sends_a_png_and_the_operator_gets_it(hub: Any, new_page: Any, operator: OperatorThread) -> None:
    picture = png_bytes(64, 48, (20, 140, 220))
    bp = _open_widget(new_page, hub)
    page = bp.page
    page.locator("#file").set_input_files(files=[{"name": "meter.png", "mimeType": "image/png", "buffer": picture}])

    mine = page.locator('.msg[data-author="customer"]:not(.pending)')
    expect(mine).to_have_count(1)
    expect(mine.locator("img.attachment-image")).to_have_attribute("alt", "meter.png")
    _image_loaded(page, '.msg[data-author="customer"] img.attachment-image')
    assert page.evaluate("document.querySelector('img.attachment-image').naturalWidth") == 64

    msg = operator.wait_customer_files()
    (att,) = msg.attachments
    assert (att.name, att.mime, att.width, att.height) == ("meter.png", "image/png", 64, 48)
    assert operator.download(att.id) == picture
    assert bp.page_errors == []


def test_the_operators_picture_shows_in_the_widget(hub: Any, new_page: Any, operator: OperatorThread) -> None:
    bp = _open_widget(new_page, hub)
    page = bp.page
    page.locator("#composer").fill("How do I connect it?")
    page.locator("#composer").press("Enter")
    msg = operator.wait_customer_message("How do I connect it?")

    operator.send_file(msg.conversation_id, png_bytes(120, 90, (250, 200, 30)), "wiring.png", "Like this")
    reply = page.locator('.msg[data-author="operator"]')
    expect(reply).to_have_count(1)
    expect(reply.locator(".text")).to_have_text("Like this")
    _image_loaded(page, '.msg[data-author="operator"] img.attachment-image')
    assert page.evaluate("document.querySelector('.msg[data-author=\"operator\"] img').naturalWidth") == 120

    # a PDF comes as a link that downloads the file
    pdf = b"%PDF-1.4\n%%EOF\n"
    operator.send_file(msg.conversation_id, pdf, "manual.pdf")
    link = page.locator(".msg a.attachment-file")
    expect(link).to_contain_text("manual.pdf")
    expect(link).to_have_attribute("href", re.compile(r"^/files/\d+\?exp=\d+&sig="))
    with page.expect_download() as dl:
        link.click()
    assert open(dl.value.path(), "rb").read() == pdf
    assert bp.page_errors == []


def test_a_refused_file_is_said_in_the_widget(hub: Any, new_page: Any, operator: OperatorThread) -> None:
    bp = _open_widget(new_page, hub, locale="uk-UA")
    page = bp.page
    program = b"MZ\x90\x00" + b"\x00" * 2000
    page.locator("#file").set_input_files(files=[{"name": "photo.png", "mimeType": "image/png", "buffer": program}])
    error = page.locator("#upload-error")
    expect(error).to_be_visible()
    expect(error).to_have_text("photo.png не можна надіслати: лише зображення (PNG, JPEG, GIF, WebP) і PDF.")
    expect(page.locator(".msg")).to_have_count(0)
    # too big is said before a byte is sent
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024 + 1)
    page.locator("#file").set_input_files(files=[{"name": "huge.png", "mimeType": "image/png", "buffer": big}])
    expect(error).to_have_text("huge.png завеликий: можна надсилати файли до 10 МБ.")
    assert bp.page_errors == []
