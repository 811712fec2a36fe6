from datetime import UTC, datetime, timedelta

import pytest

from app.domain.passwords import PasswordRejected, check_password_policy, normalize_username
from app.domain.routing import OperatorLoad, RoutableConversation, choose_operator
from app.domain.text import TextRejected, clean_text
from app.domain.tokens import new_token, token_hash
from app.protocol import MAX_TEXT_CHARS, ErrorCode

CONV = RoutableConversation(id=1)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def op(
    id: int, *, status: str = "online", active: int = 0, cap: int = 3, last: datetime | None = None
) -> OperatorLoad:
    return OperatorLoad(id=id, status=status, active_chats=active, capacity=cap, last_assigned_at=last)


def test_routing_nobody_online_keeps_it_queued() -> None:
    assert choose_operator(CONV, []) is None
    assert choose_operator(CONV, [op(1, status="away"), op(2, status="offline")]) is None


def test_routing_skips_full_operators() -> None:
    assert choose_operator(CONV, [op(1, active=3, cap=3), op(2, active=2, cap=2)]) is None
    assert choose_operator(CONV, [op(1, active=3, cap=3), op(2, active=2, cap=5)]) == 2


def test_routing_prefers_fewest_active_chats() -> None:
    assert choose_operator(CONV, [op(1, active=2), op(2, active=0), op(3, active=1)]) == 2


def test_routing_then_idle_longest() -> None:
    ops = [
        op(1, active=1, last=T0 + timedelta(minutes=5)),
        op(2, active=1, last=T0),
        op(3, active=1, last=None),
    ]
    assert choose_operator(CONV, ops) == 3  # never assigned = idle longest
    assert choose_operator(CONV, ops[:2]) == 2


def test_routing_stable_tie_break_by_id() -> None:
    assert choose_operator(CONV, [op(5, last=T0), op(4, last=T0), op(9, last=T0)]) == 4
    assert choose_operator(CONV, [op(9), op(4), op(5)]) == 4


def test_routing_ignores_away_even_if_idle() -> None:
    assert choose_operator(CONV, [op(1, status="away"), op(2, active=2)]) == 2


def test_clean_text_trims_but_keeps_markup() -> None:
    assert clean_text("  <b>hi</b> & <script>x()</script>\n") == "<b>hi</b> & <script>x()</script>"
    assert clean_text("a\n\nb") == "a\n\nb"


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_clean_text_empty(text: str) -> None:
    with pytest.raises(TextRejected) as exc:
        clean_text(text)
    assert exc.value.code == ErrorCode.EMPTY_TEXT


def test_clean_text_limit() -> None:
    assert len(clean_text("я" * MAX_TEXT_CHARS)) == MAX_TEXT_CHARS
    with pytest.raises(TextRejected) as exc:
        clean_text("я" * (MAX_TEXT_CHARS + 1))
    assert exc.value.code == ErrorCode.TEXT_TOO_LONG


def test_tokens_are_long_random_and_hashed() -> None:
    a, b = new_token(), new_token()
    assert a != b
    assert len(a) >= 22  # >= 128 bits in url-safe base64
    h = token_hash(a)
    assert len(h) == 64 and a not in h
    assert token_hash(a) == h


def test_password_policy() -> None:
    check_password_policy("demo")
    for bad in ["", "abc", " padded "]:
        with pytest.raises(PasswordRejected):
            check_password_policy(bad)


def test_normalize_username() -> None:
    assert normalize_username(" Olena ") == "olena"
    for bad in ["", "a b", "x" * 65]:
        with pytest.raises(ValueError):
            normalize_username(bad)
