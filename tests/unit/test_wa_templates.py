"""The pure rules of WhatsApp templates: reading the Graph API's listing, counting and
checking values, rendering, the 24-hour window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.wa_templates import (
    TemplateInvalid,
    check_params,
    param_count,
    parse_template,
    render,
    window_closes_at,
    window_open,
)
from tests.whatsapp_double import DEFAULT_TEMPLATES


def test_the_listing_is_read_and_unusable_templates_are_marked() -> None:
    parsed = [parse_template(raw) for raw in DEFAULT_TEMPLATES]
    assert all(t is not None for t in parsed)
    order, _order_uk, follow, sale, invoice = parsed  # type: ignore[misc]
    assert (order.name, order.language, order.status) == ("order_update", "en_US", "APPROVED")
    assert order.category == "UTILITY"
    assert (order.header, order.footer, order.params, order.usable) == ("Your order", "Frontline shop", 2, True)
    assert (follow.params, follow.usable, sale.approved) == (0, True, False)
    assert (invoice.usable, invoice.why_not) == (False, "a document header")
    named = parse_template({"name": "n", "language": "en", "status": "APPROVED", "parameter_format": "NAMED",
                            "components": [{"type": "BODY", "text": "Hi {{first_name}}"}]})
    assert named is not None and (named.usable, named.why_not) == (False, "named parameters")
    header_var = parse_template({"name": "h", "language": "en", "status": "APPROVED",
                                 "components": [{"type": "HEADER", "format": "TEXT", "text": "Hi {{1}}"}]})
    assert header_var is not None and header_var.why_not == "a header with variables"
    assert parse_template({"name": "", "language": "en"}) is None
    assert parse_template({"name": "x", "components": "junk"}) is None  # no language


def test_values_are_counted_checked_and_rendered() -> None:
    order = parse_template(DEFAULT_TEMPLATES[0])
    assert order is not None
    assert param_count("{{1}} and {{ 3 }} and {{2}}") == 3
    assert check_params(order, [" Olena ", "A-1077"]) == ["Olena", "A-1077"]
    assert render(order, ["Olena", "A-1077"]) == (
        "Your order\n\nHello Olena, your order A-1077 is on its way.\n\nFrontline shop"
    )
    assert render(order, ["Olena"]) == "Your order\n\nHello Olena, your order {{2}} is on its way.\n\nFrontline shop"
    for bad, why in (
        (["Olena"], "takes 2 value(s), 1 given"),
        (["Olena", ""], "value {{2}} is empty"),
        (["Olena", "a\tb"], "a tab"),
        (["Olena", "a     b"], "more than four spaces"),
        (["x" * 1025, "y"], "longer than 1024"),
    ):
        with pytest.raises(TemplateInvalid) as exc:
            check_params(order, bad)
        assert why in exc.value.text
        assert exc.value.code == "template_invalid"


def test_the_window_is_24_hours_from_the_customers_last_message() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert window_open(now - timedelta(hours=23, minutes=59), now)
    assert not window_open(now - timedelta(hours=24), now)
    assert not window_open(None, now)  # never wrote
    assert window_closes_at(now) == now + timedelta(hours=24)
