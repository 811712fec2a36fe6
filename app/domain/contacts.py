"""Customer card values: phone numbers (E.164), e-mail addresses, names, tags, notes and
admin-defined custom fields. Pure rules, no I/O, no Qt.

Every ``normalize_*``/``clean_*`` function returns the value as it is stored, or raises an
:class:`~app.domain.errors.InvalidValue` (a ``ValueError``) whose ``code`` is the protocol
error code the hub answers with (``invalid_phone``, ``invalid_email``, ``invalid_field``,
``invalid_value``) and whose text says what is wrong with which value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Final, Literal

import phonenumbers

from app.domain.errors import InvalidEmail, InvalidField, InvalidPhone, InvalidValue
from app.protocol import MAX_TEXT_CHARS

# ----------------------------------------------------------------------------- phones

# A locale's language when the locale names no country ("uk", "ru"): the country whose
# national number format a customer of that language most likely types.
LANGUAGE_REGIONS: Final = {"uk": "UA", "ru": "RU", "be": "BY", "kk": "KZ", "pl": "PL"}
# Tried in turn, when no region was given explicitly and the customer's locale gives none
# (or its region does not make the number valid): the product's home markets. Their
# national formats do not overlap (UA numbers start with 0, RU ones with 8 or 9), so at
# most one of them makes a number valid in practice; if both do, neither is taken.
FALLBACK_REGIONS: Final = ("UA", "RU")
PHONE_MAX_CHARS = 40
# what a phone number may be written with: digits, spaces, + ( ) - . / and nothing else
_PHONE_CHARS = re.compile(r"[0-9+()\-./\s\u00a0\u2009\u202f]+")


def _show(text: str, limit: int = 40) -> str:
    """A value quoted for an error text (shortened)."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def normalize_region(region: str) -> str:
    """An ISO 3166 country code as phonenumbers knows it (``"ua"`` -> ``"UA"``)."""
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidValue(f"unknown country code for phone numbers: {_show(region)} (use e.g. UA, RU, PL)")
    return code


def region_for_locale(locale: str) -> str | None:
    """The default phone region of a customer's locale: its country when it names one
    (``ru-UA`` -> UA, ``uk_UA.UTF-8`` -> UA), else from the language (``uk`` -> UA,
    ``ru`` -> RU, see :data:`LANGUAGE_REGIONS`); None when nothing fits (``en``)."""
    parts = [p for p in re.split(r"[-_.@]", locale.strip()) if p]
    if not parts:
        return None
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha() and part.upper() in phonenumbers.SUPPORTED_REGIONS:
            return part.upper()
    return LANGUAGE_REGIONS.get(parts[0].lower())


def _parse(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    """The number if it parses and is valid in ``region`` (None: international form only)."""
    try:
        num = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(num):
        return num
    digits = "".join(ch for ch in raw if ch.isdigit())
    if region == "UA" and not raw.lstrip().startswith("+") and digits.startswith("80") and len(digits) == 11:
        # the old long-distance form "8 067 123 45 67" (8, then the 0XX area code)
        return _parse(digits[1:], region)
    return None


def normalize_phone(text: str, region: str | None = None, *, locale: str = "") -> str:
    """``text`` as an E.164 number (``+380671234567``).

    A number written with ``+`` (or an international prefix such as ``00``) needs no
    region. A national form (``067 123 45 67``, ``8 (912) 345-67-89``) is read in
    ``region`` when given (an explicit choice: nothing else is tried), else in the region
    of ``locale`` (:func:`region_for_locale`), else in the :data:`FALLBACK_REGIONS` where
    exactly one of them makes it valid. The number must be a valid one for its country
    (phonenumbers' metadata), without an extension (E.164 has none: put it in the notes).
    """
    raw = text.strip()
    if not raw:
        raise InvalidPhone("the phone number is empty")
    if len(raw) > PHONE_MAX_CHARS:
        raise InvalidPhone(f"the phone number {_show(raw)} is too long")
    if not _PHONE_CHARS.fullmatch(raw):
        raise InvalidPhone(
            f"{_show(raw)} is not a phone number: write digits with spaces and + ( ) - only "
            "(an extension goes into the notes)"
        )
    digits = sum(ch.isdigit() for ch in raw)
    if digits < 3:
        raise InvalidPhone(f"{_show(raw)} is not a phone number")
    explicit = normalize_region(region) if region else None
    if explicit is not None:
        num = _parse(raw, explicit)
        if num is None:
            raise InvalidPhone(f"{_show(raw)} is not a valid phone number in {explicit}")
    else:
        num = _parse(raw, None) if raw.startswith("+") else None
        home = region_for_locale(locale)
        if num is None and home is not None:
            num = _parse(raw, home)
        if num is None and not raw.startswith("+"):
            found = {
                phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164): n
                for r in FALLBACK_REGIONS
                if r != home and (n := _parse(raw, r)) is not None
            }
            if len(found) == 1:
                num = next(iter(found.values()))
        if num is None:
            if raw.startswith("+"):
                raise InvalidPhone(f"{_show(raw)} is not a valid phone number")
            raise InvalidPhone(
                f"{_show(raw)} is not a valid phone number; write it with the country code "
                "(e.g. +380 67 123 45 67) or choose the country"
            )
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """An E.164 number for people (``+380 67 123 4567``); the input if it does not parse."""
    try:
        num = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


SUFFIX_MIN_DIGITS = 5
SUFFIX_MAX_DIGITS = 10


@dataclass(frozen=True)
class PhoneQuery:
    """How a search text matches stored E.164 numbers: ``exact`` numbers it normalises to
    (in every region tried), and the trailing digits (``suffix``) a number must end with.
    ``suffix`` holds at most the last 10 digits, which skips country codes and trunk
    prefixes: ``8 (912) 345-67-89``, ``+7 912…`` and ``912 345 67 89`` all end ``9123456789``."""

    exact: frozenset[str]
    suffix: str


def phone_query(text: str, regions: tuple[str, ...] = FALLBACK_REGIONS) -> PhoneQuery | None:
    """A search text read as a phone number, or None when it is not one (letters, or fewer
    than 5 digits)."""
    raw = text.strip()
    if not raw or len(raw) > PHONE_MAX_CHARS or not _PHONE_CHARS.fullmatch(raw):
        return None
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) < SUFFIX_MIN_DIGITS:
        return None
    exact: set[str] = set()
    for region in (None, *regions):
        if region is None and not raw.startswith("+"):
            continue
        num = _parse(raw, region)
        if num is not None:
            exact.add(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164))
    return PhoneQuery(frozenset(exact), digits[-SUFFIX_MAX_DIGITS:])


# ----------------------------------------------------------------------------- e-mail

EMAIL_MAX_CHARS = 254
_LOCAL_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-.]+")
_ASCII_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def normalize_email(text: str) -> str:
    """``text`` as an e-mail address to store: trimmed, the domain lower-cased (the local
    part keeps its case: it is the mail server's to interpret). Checks the syntax only
    (``local@domain.tld``; no quoted local parts, no IP literals, no network look-up).
    Internationalised addresses are allowed (letters beyond ASCII, IDN domains)."""
    raw = text.strip()
    if not raw:
        raise InvalidEmail("the e-mail address is empty")
    if len(raw) > EMAIL_MAX_CHARS:
        raise InvalidEmail(f"the e-mail address {_show(raw)} is too long")
    if raw.count("@") != 1:
        raise InvalidEmail(f"{_show(raw)} is not an e-mail address (name@example.com)")
    local, domain = raw.split("@")
    if not local or len(local) > 64:
        raise InvalidEmail(f"{_show(raw)}: the part before @ must have 1 to 64 characters")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidEmail(f"{_show(raw)}: dots may not start, end or repeat in the part before @")
    for ch in local:
        if ch.isascii():
            if not _LOCAL_ATEXT.fullmatch(ch):
                raise InvalidEmail(f"{_show(raw)}: {ch!r} is not allowed in an e-mail address")
        elif not ch.isprintable() or ch.isspace():
            raise InvalidEmail(f"{_show(raw)}: invisible characters are not allowed")
    domain = domain.lower()
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels):
        raise InvalidEmail(f"{_show(raw)}: the domain after @ needs a dot (example.com)")
    for label in labels:
        ascii_label = label
        if not label.isascii():
            try:
                ascii_label = label.encode("idna").decode("ascii")
            except UnicodeError:
                raise InvalidEmail(f"{_show(raw)}: {label!r} is not a valid domain name") from None
        if not _ASCII_LABEL.fullmatch(ascii_label):
            raise InvalidEmail(f"{_show(raw)}: {label!r} is not a valid domain name")
    if labels[-1].isdigit():
        raise InvalidEmail(f"{_show(raw)}: the domain must end with a name, not a number")
    return f"{local}@{domain}"


# ----------------------------------------------------------------------------- names, tags, notes

NAME_MAX_CHARS = 200
PART_NAME_MAX_CHARS = 100
TAG_MAX_CHARS = 64
NOTES_MAX_CHARS = MAX_TEXT_CHARS
MAX_PHONES = MAX_EMAILS = 20
MAX_TAGS = 50


def clean_name(text: str, *, what: str = "name", max_chars: int = NAME_MAX_CHARS, required: bool = True) -> str:
    """A name on one line: runs of whitespace become one space, the ends are trimmed."""
    name = " ".join(text.split())
    if required and not name:
        raise InvalidValue(f"the {what} may not be empty")
    if len(name) > max_chars:
        raise InvalidValue(f"the {what} is longer than {max_chars} characters")
    return name


def clean_tag(text: str) -> str:
    tag = " ".join(text.split())
    if not tag:
        raise InvalidValue("a tag may not be empty")
    if len(tag) > TAG_MAX_CHARS:
        raise InvalidValue(f"the tag {_show(tag)} is longer than {TAG_MAX_CHARS} characters")
    return tag


def clean_notes(text: str) -> str:
    """Free notes: kept as typed (line breaks too), the ends trimmed; empty clears them."""
    notes = text.strip()
    if len(notes) > NOTES_MAX_CHARS:
        raise InvalidValue(f"the notes are longer than {NOTES_MAX_CHARS} characters")
    return notes


# ----------------------------------------------------------------------------- custom fields

FieldType = Literal["text", "number", "date"]
FIELD_TYPES: Final[tuple[FieldType, ...]] = ("text", "number", "date")
FIELD_KEY_MAX = 64
FIELD_LABEL_MAX = 128
FIELD_TEXT_MAX = 1000
_FIELD_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")


def normalize_field_key(key: str) -> str:
    """A custom field's key: lower case, a letter then letters, digits or ``_``."""
    k = key.strip().lower()
    if not _FIELD_KEY.fullmatch(k):
        raise InvalidField(
            f"{_show(key)} is not a field key: use a letter, then letters, digits or _ (at most {FIELD_KEY_MAX})"
        )
    return k


def clean_field_label(label: str) -> str:
    return clean_name(label, what="field label", max_chars=FIELD_LABEL_MAX)


def field_type(value: str) -> FieldType:
    for t in FIELD_TYPES:
        if value == t:
            return t
    raise InvalidField(f"unknown field type {_show(value)}; use one of {', '.join(FIELD_TYPES)}")


def normalize_field_value(kind: FieldType, value: str, *, key: str = "field") -> str:
    """A custom field value as stored; ``""`` (empty) means "no value".

    ``text``: trimmed, at most 1000 characters. ``number``: a decimal number, spaces as
    thousands separators and a decimal comma accepted (``1 234,5`` -> ``1234.5``).
    ``date``: ``YYYY-MM-DD`` or ``DD.MM.YYYY``, stored as ``YYYY-MM-DD``."""
    v = value.strip()
    if not v:
        return ""
    if kind == "text":
        if len(v) > FIELD_TEXT_MAX:
            raise InvalidField(f"{key}: the value is longer than {FIELD_TEXT_MAX} characters")
        return v
    if kind == "number":
        compact = re.sub(r"[\s\u00a0\u2009\u202f]", "", v)
        if "," in compact and "." not in compact and compact.count(",") == 1:
            compact = compact.replace(",", ".")
        try:
            number = Decimal(compact)
        except InvalidOperation:
            raise InvalidField(f"{key}: {_show(v)} is not a number") from None
        if not number.is_finite() or len(compact) > 40:
            raise InvalidField(f"{key}: {_show(v)} is not a number")
        text = format(number.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            day: date = datetime.strptime(v, fmt).date()  # a calendar date: no time zone
        except ValueError:
            continue
        return day.isoformat()
    raise InvalidField(f"{key}: {_show(v)} is not a date (YYYY-MM-DD or DD.MM.YYYY)")


# ----------------------------------------------------------------------------- search


def fold(text: str) -> str:
    """Text as search compares it: case-folded (any script), ``ё`` read as ``е``, the
    apostrophes of Ukrainian spelling made one, runs of whitespace one space."""
    folded = " ".join(text.split()).casefold()
    return folded.replace("ё", "е").replace("\u2019", "'").replace("\u02bc", "'").replace("`", "'")
