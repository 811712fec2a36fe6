"""The pure template rules: shortcodes, prompts, and filling placeholders without ever
dropping one."""

from __future__ import annotations

import pytest

from app.domain.errors import InvalidValue
from app.domain.templates import expand, normalize_shortcode, prompts


def test_shortcodes_are_normalised_or_refused() -> None:
    assert normalize_shortcode(" /Refund ") == "refund"
    assert normalize_shortcode("/Возврат-2") == "возврат-2"
    for bad in ("", "/", "two words", "a/b", "x" * 33, "{x}"):
        with pytest.raises(InvalidValue):
            normalize_shortcode(bad)


def test_prompts_in_order_each_once() -> None:
    body = "Policy {?Policy number}, card {?Card}, again {?Policy number}; {customer.name} {?}"
    assert prompts(body) == ["Policy number", "Card"]


def test_expand_fills_what_it_knows_and_keeps_the_rest_visible() -> None:
    body = "Hi {customer.name}, {customer.phone} / {customer.nick} / {?Policy} / {not a var} / {x.y}"
    out = expand(body, {"customer.name": "Iryna", "customer.phone": ""}, {"Policy": "PX-1"})
    assert out.text == "Hi Iryna, {customer.phone} / {customer.nick} / PX-1 / {not a var} / {x.y}"
    assert out.unfilled == ["{customer.phone}", "{customer.nick}", "{x.y}"]
    # a value that looks like a placeholder is inserted as it is, not expanded again
    assert expand("{customer.name}", {"customer.name": "{operator.name}"}).text == "{operator.name}"
