"""The WhatsApp adapter's pure parts: how Graph API errors map to what the outbox does,
how notification parts become inbound messages, and the settings it accepts."""

from __future__ import annotations

import pytest

from app.hub.channels.base import ConfigurationFailure, Refused, TemporaryFailure
from app.hub.channels.whatsapp import (
    WhatsAppAdapter,
    api_failure,
    message_key,
    parse_message,
    status_error,
)


@pytest.mark.parametrize(
    ("status", "error", "kind", "text"),
    [
        (400, {"code": 131047}, Refused, "the customer has not written in 24 hours"),
        (400, {"code": 131026}, Refused, "could not deliver it to this number"),
        (400, {"code": 100, "message": "Invalid parameter"}, Refused, "Invalid parameter"),
        (429, {"code": 130429}, TemporaryFailure, "rate limited"),
        (400, {"code": 131056}, TemporaryFailure, "rate limited"),
        (500, {"code": 131000}, TemporaryFailure, "131000"),
        (503, {}, TemporaryFailure, "503"),
        (401, {"code": 190, "message": "Invalid OAuth access token"}, ConfigurationFailure, "token"),
        (400, {"code": 190}, ConfigurationFailure, "190"),
        (403, {"code": 10}, ConfigurationFailure, "10"),
        (400, {"code": 100, "error_subcode": 33}, ConfigurationFailure, "phone number id"),
    ],
)
def test_graph_errors_map_to_outbox_outcomes(status: int, error: dict, kind: type, text: str) -> None:
    failure = api_failure(status, error)
    assert type(failure) is kind
    assert text in failure.text


def test_messages_become_readable_text_with_the_phone() -> None:
    names = {"380671234567": "Olena Koval"}
    text = parse_message(
        {"from": "380671234567", "id": "wamid.A", "type": "text", "text": {"body": " hi "}}, names
    )
    assert (text.text, text.name, text.label, text.phone) == ("hi", "Olena Koval", "+380 67 123 4567", "+380671234567")
    assert text.key == message_key("wamid.A") and len(text.key) <= 64 and text.address == "380671234567"
    doc = parse_message(
        {"from": "380671234567", "id": "wamid.B", "type": "document",
         "document": {"id": "m1", "filename": "invoice.pdf", "mime_type": "application/pdf", "caption": "here"}},
        names,
    )
    assert doc.text == "[document: invoice.pdf]\nhere"
    assert (doc.files[0].kind, doc.files[0].ref, doc.files[0].name) == ("document", "m1", "invoice.pdf")
    for kind, body, shown in [
        ("location", {"latitude": 50.45, "longitude": 30.52, "name": "Office"}, "[location: Office]"),
        ("reaction", {"message_id": "wamid.X", "emoji": "👍"}, "[reaction 👍]"),
        ("interactive", {"type": "button_reply", "button_reply": {"id": "y", "title": "Yes"}}, "Yes"),
        ("contacts", [], "[contact]"),
        ("video", {"id": "v"}, "[video]"),
        ("brand_new_type", {}, "[unsupported message: brand_new_type]"),
    ]:
        got = parse_message({"from": "380671234567", "id": f"wamid.{kind}", "type": kind, kind: body}, names)
        assert got.text == shown
    # a number phonenumbers does not accept: no phone on the card, the wa_id as the label
    odd = parse_message({"from": "999", "id": "wamid.C", "type": "text", "text": {"body": "x"}}, {})
    assert (odd.phone, odd.label, odd.name) == ("", "+999", "WhatsApp 999")


def test_failed_statuses_read_for_the_operator() -> None:
    assert status_error({"errors": [{"code": 131047}]}).startswith("the customer has not written in 24 hours")
    assert status_error({"errors": [{"code": 131999, "error_data": {"details": "Odd"}}]}) == "Odd (131999)"
    assert status_error({}) == "WhatsApp reported it failed"


def test_settings_name_every_secret_and_a_numeric_phone_number_id() -> None:
    ok = {"phone_number_id": "1065", "token_env": "T", "app_secret_env": "S", "verify_token_file": "/v"}
    s = WhatsAppAdapter.check_settings(ok)
    assert (s["api_url"], s["api_version"], s["mode"]) == ("https://graph.facebook.com", "v21.0", "webhook")
    for bad, says in [
        ({**ok, "phone_number_id": "+1 555"}, "phone_number_id"),
        ({k: v for k, v in ok.items() if k != "app_secret_env"}, "app secret"),
        ({k: v for k, v in ok.items() if k != "verify_token_file"}, "verify token"),
        ({**ok, "api_version": "21"}, "api_version"),
        ({**ok, "mode": "polling"}, "webhook only"),
    ]:
        with pytest.raises(ValueError, match=says):
            WhatsAppAdapter.check_settings(bad)
