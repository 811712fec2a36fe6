"""Answer templates: the pure rules (no I/O, no Qt).

- what a shortcode may be (``/refund``, ``/возврат``: letters of any script, digits,
  ``_`` and ``-``; stored lower-case without the slash) and the limits of the other fields,
  checked on the hub before anything is written;
- the placeholders of a body: variables the window fills in (``{customer.name}``,
  ``{operator.name}``, ``{conversation.id}``, ``{customer.phone}``, ``{customer.email}``)
  and fill-in prompts the operator answers before insertion (``{?Policy number}``).

:func:`expand` never drops a placeholder it cannot fill: an unknown variable, or a
known one without a value (a customer with no phone), stays in the text as written and
is reported, so the window can highlight it for the operator to replace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.domain.errors import InvalidValue

SHORTCODE_MAX = 32
TITLE_MAX = 200
CATEGORY_MAX = 64
BODY_MAX = 8000  # a template is inserted into a reply: at most a message (MAX_TEXT_CHARS)
LANGUAGES = ("", "en", "ru", "uk")

VARIABLES = ("customer.name", "customer.phone", "customer.email", "operator.name", "conversation.id")

_SHORTCODE = re.compile(r"^[\w-]+$")
# {name.part} (a variable) or {?Question} (a prompt); no braces or line breaks inside
PLACEHOLDER = re.compile(r"\{(\?[^{}\n]{1,80}|[A-Za-z_][\w.]{0,63})\}")


def normalize_shortcode(value: str) -> str:
    """``/Refund`` -> ``refund``; InvalidValue when it cannot be a shortcode."""
    code = value.strip().lstrip("/").strip().lower()
    if not code:
        raise InvalidValue("a template needs a shortcode (e.g. refund, typed as /refund)")
    if len(code) > SHORTCODE_MAX:
        raise InvalidValue(f"a shortcode is at most {SHORTCODE_MAX} characters")
    if not _SHORTCODE.match(code):
        raise InvalidValue(
            f"shortcode {value.strip()!r}: use letters, digits, _ and - only (no spaces)"
        )
    return code


def clean_title(value: str) -> str:
    title = " ".join(value.split())
    if not title:
        raise InvalidValue("a template needs a title")
    if len(title) > TITLE_MAX:
        raise InvalidValue(f"a template title is at most {TITLE_MAX} characters")
    return title


def clean_category(value: str) -> str:
    category = " ".join(value.split())
    if len(category) > CATEGORY_MAX:
        raise InvalidValue(f"a category is at most {CATEGORY_MAX} characters")
    return category


def clean_body(value: str) -> str:
    body = value.strip("\n").rstrip()
    if not body.strip():
        raise InvalidValue("a template needs a text")
    if len(body) > BODY_MAX:
        raise InvalidValue(f"a template text is at most {BODY_MAX} characters")
    return body


def clean_language(value: str) -> str:
    lang = value.strip().lower()
    if lang not in LANGUAGES:
        raise InvalidValue(f"language {value!r}: use one of en, ru, uk (or none)")
    return lang


def prompts(body: str) -> list[str]:
    """The fill-in prompts of a body, in order of first appearance, each once."""
    seen: list[str] = []
    for m in PLACEHOLDER.finditer(body):
        token = m.group(1)
        if token.startswith("?"):
            label = token[1:].strip()
            if label and label not in seen:
                seen.append(label)
    return seen


@dataclass(frozen=True)
class Expansion:
    """A body with its placeholders filled in; ``unfilled`` are the placeholders left
    as written (unknown, or known without a value), as they appear in ``text``."""

    text: str
    unfilled: list[str]


def expand(body: str, values: dict[str, str], answers: dict[str, str] | None = None) -> Expansion:
    """Fill ``{variable}`` from ``values`` and ``{?Prompt}`` from ``answers``. A
    placeholder without a (non-empty) value stays as written and is listed in
    ``unfilled``; nothing is ever dropped."""
    answers = answers or {}
    unfilled: list[str] = []

    def fill(m: re.Match[str]) -> str:
        token = m.group(1)
        if token.startswith("?"):
            value = answers.get(token[1:].strip(), "")
        else:
            value = values.get(token, "")
        if value:
            return value
        if m.group(0) not in unfilled:
            unfilled.append(m.group(0))
        return m.group(0)

    return Expansion(PLACEHOLDER.sub(fill, body), unfilled)
