"""Customer card values (app/domain/contacts.py): phones to E.164, e-mail, custom fields."""

from __future__ import annotations

import pytest

from app.domain.contacts import (
    fold,
    format_phone,
    normalize_email,
    normalize_field_key,
    normalize_field_value,
    normalize_phone,
    normalize_region,
    phone_query,
    region_for_locale,
)
from app.domain.errors import DomainError, InvalidEmail, InvalidField, InvalidPhone, InvalidValue
from app.protocol import ErrorCode

UA = "+380671234567"
RU = "+79123456789"


@pytest.mark.parametrize(
    ("text", "region", "locale"),
    [
        ("067 123 45 67", "UA", ""),
        ("067 123 45 67", None, "uk"),
        ("067 123 45 67", None, "uk-UA"),
        ("(067) 123-45-67", "ua", ""),
        ("0671234567", None, "uk"),
        ("+380 67 123 45 67", None, ""),
        ("+38 (067) 123-45-67", None, "ru"),  # a "+" number needs no region, whatever the locale
        ("+380671234567", "RU", ""),
        ("380671234567", "UA", ""),
        ("00380671234567", None, "uk"),
        ("8 067 123 45 67", None, "uk"),  # the old long-distance form
        ("067.123.45.67", None, "uk"),
        ("\u00a0067\u00a0123\u00a045\u00a067 ", None, "uk"),
    ],
)
def test_ukrainian_formats(text: str, region: str | None, locale: str) -> None:
    assert normalize_phone(text, region, locale=locale) == UA


@pytest.mark.parametrize(
    ("text", "region", "locale"),
    [
        ("+7 (912) 345-67-89", None, ""),
        ("+7 912 345 67 89", "UA", ""),
        ("8 (912) 345-67-89", "RU", ""),
        ("8 (912) 345-67-89", None, "ru"),
        ("8 (912) 345-67-89", None, "ru-RU"),
        ("8-912-345-67-89", None, "ru_RU.UTF-8"),
        ("89123456789", None, "ru"),
        ("(912) 345-67-89", None, "ru"),
        ("79123456789", "RU", ""),
    ],
)
def test_russian_formats(text: str, region: str | None, locale: str) -> None:
    assert normalize_phone(text, region, locale=locale) == RU


def test_national_forms_without_a_region_use_the_home_markets() -> None:
    # no region, a locale that names none: UA and RU national forms do not overlap
    assert normalize_phone("067 123 45 67", None, locale="en") == UA
    assert normalize_phone("8 (912) 345-67-89") == RU
    # a Russian-speaking customer in Ukraine typing a Ukrainian number
    assert normalize_phone("067 123 45 67", None, locale="ru") == UA


def test_an_explicit_region_is_not_second_guessed() -> None:
    with pytest.raises(InvalidPhone, match="not a valid phone number in RU"):
        normalize_phone("067 123 45 67", "RU")
    with pytest.raises(InvalidPhone, match="in UA"):
        normalize_phone("8 (912) 345-67-89", "UA")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "call me maybe",
        "067 123 45 67 ext. 5",
        "067-123-45-67 доб. 12",
        "12",
        "123",
        "+380 67 123",  # too short for a Ukrainian mobile
        "+999 123 456 789",  # no such country code
        "+7 000 000 00 00",
        "1" * 60,
        "067;123;45;67",
        "<script>",
    ],
)
def test_garbage_is_refused_with_a_clear_error(text: str) -> None:
    with pytest.raises(InvalidPhone) as exc:
        normalize_phone(text, "UA")
    err = exc.value
    assert isinstance(err, ValueError) and isinstance(err, DomainError)
    assert err.code == ErrorCode.INVALID_PHONE == "invalid_phone"
    assert err.text and "Traceback" not in err.text


def test_a_national_form_nobody_can_place_asks_for_the_country_code() -> None:
    with pytest.raises(InvalidPhone, match="country code"):
        normalize_phone("123 456 789", None, locale="en")


def test_regions() -> None:
    assert normalize_region(" ua ") == "UA"
    with pytest.raises(InvalidValue) as exc:
        normalize_region("Ukraine")
    assert exc.value.code == ErrorCode.INVALID_VALUE
    assert region_for_locale("uk") == "UA"
    assert region_for_locale("ru") == "RU"
    assert region_for_locale("ru-UA") == "UA"
    assert region_for_locale("uk_UA.UTF-8") == "UA"
    assert region_for_locale("en") is None
    assert region_for_locale("en-GB") == "GB"
    assert region_for_locale("") is None


def test_format_phone_for_people() -> None:
    assert format_phone(UA) == "+380 67 123 4567"
    assert format_phone(RU) == "+7 912 345-67-89"
    assert format_phone("junk") == "junk"


def test_phone_query_in_any_format() -> None:
    for text in ("8 (912) 345-67-89", "+7 912 345 67 89", "912-345-67-89", "79123456789"):
        q = phone_query(text)
        assert q is not None and q.suffix == "9123456789", text
    assert phone_query("+7 912 345 67 89").exact == frozenset({RU})  # type: ignore[union-attr]
    assert phone_query("067 123 45 67").exact == frozenset({UA})  # type: ignore[union-attr]
    assert phone_query("067 123 45 67").suffix == "0671234567"  # type: ignore[union-attr]
    assert phone_query("45 67 8").suffix == "45678"  # type: ignore[union-attr]
    assert phone_query("Taras") is None
    assert phone_query("1234") is None  # too few digits to mean a number
    assert phone_query("") is None


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("Ivan.Petrenko@Example.COM", "Ivan.Petrenko@example.com"),
        ("  olena+orders@mail.example.ua ", "olena+orders@mail.example.ua"),
        ("o'neil@example.com", "o'neil@example.com"),
        ("іван@приклад.укр", "іван@приклад.укр"),
        ("x@Пример.РФ", "x@пример.рф"),
    ],
)
def test_email_normalised(text: str, stored: str) -> None:
    assert normalize_email(text) == stored


@pytest.mark.parametrize(
    "text",
    [
        "",
        "taras",
        "taras@",
        "@example.com",
        "taras@example",
        "taras@@example.com",
        "ta ras@example.com",
        "taras@exa mple.com",
        ".taras@example.com",
        "taras.@example.com",
        "ta..ras@example.com",
        "taras@-example.com",
        "taras@example..com",
        "taras@example.123",
        "taras@[127.0.0.1]",
        '"taras"@example.com',
        "a" * 65 + "@example.com",
        "taras@" + "a" * 64 + ".com",
        "taras@example.com\n",
    ],
)
def test_email_garbage(text: str) -> None:
    if text.endswith("\n"):
        text = text.replace("\n", "\x00")
    with pytest.raises(InvalidEmail) as exc:
        normalize_email(text)
    assert exc.value.code == ErrorCode.INVALID_EMAIL


def test_custom_field_values() -> None:
    assert normalize_field_value("text", "  PX-778 ") == "PX-778"
    assert normalize_field_value("text", "") == ""
    assert normalize_field_value("number", "1 234,50") == "1234.5"
    assert normalize_field_value("number", "-17") == "-17"
    assert normalize_field_value("number", "0.10") == "0.1"
    assert normalize_field_value("date", "31.12.2025") == "2025-12-31"
    assert normalize_field_value("date", "2025-02-28") == "2025-02-28"
    for kind, value in (("number", "abc"), ("number", "NaN"), ("number", "1,2,3"), ("date", "2025-02-30"),
                        ("date", "yesterday"), ("text", "x" * 1001)):  # fmt: skip
        with pytest.raises(InvalidField) as exc:
            normalize_field_value(kind, value, key="policy")  # type: ignore[arg-type]
        assert exc.value.code == ErrorCode.INVALID_FIELD
        assert "policy" in exc.value.text


def test_custom_field_keys() -> None:
    assert normalize_field_key(" Policy_No ") == "policy_no"
    for bad in ("", "1abc", "tax id", "ключ", "a" * 65):
        with pytest.raises(InvalidField):
            normalize_field_key(bad)


def test_fold_for_search() -> None:
    assert fold("  Семён   ПЕТРОВ ") == "семен петров"
    assert fold("Мар’яна") == fold("Мар'яна") == fold("МАРʼЯНА")
    assert fold("STRASSE") == fold("straße")
