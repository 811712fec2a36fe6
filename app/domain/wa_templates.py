"""WhatsApp message templates and the 24-hour customer-service window: pure rules shared
by the hub (checking a template send before it goes out) and the desktop client (the
dialog's live preview, the composer's banner).

WhatsApp delivers a free-form message only while the customer's *customer-service window*
is open: 24 hours from their last message to the business number. Outside it only a
*template* the business had approved by Meta is delivered. A template as the Graph API
lists it (``GET /{WABA-ID}/message_templates``)::

    {"name": "order_update", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
     "components": [{"type": "HEADER", "format": "TEXT", "text": "Your order"},
                    {"type": "BODY", "text": "Hello {{1}}, order {{2}} is on its way."},
                    {"type": "FOOTER", "text": "Frontline shop"},
                    {"type": "BUTTONS", "buttons": [...]}]}

Frontline offers templates whose only variables are the body's positional ``{{1}}`` …
``{{n}}`` (a text header without variables and a footer are shown with it); a template
with a media header, header variables or named parameters is listed as not usable here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.domain.errors import DomainError
from app.protocol.errors import ErrorCode

WINDOW = timedelta(hours=24)
PLACEHOLDER = re.compile(r"\{\{\s*(\d{1,3})\s*\}\}")
ANY_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")
MAX_PARAM_CHARS = 1024  # what a filled-in value may be (the body as a whole: 1024 in WhatsApp's rules)
MAX_BODY_CHARS = 1024
_BAD_PARAM = re.compile(r"[\n\t]| {5,}")


class TemplateInvalid(DomainError):
    """A template send the hub refuses before anything is stored: unknown or not approved
    template, a wrong number of values, a value WhatsApp would refuse."""

    code = ErrorCode.TEMPLATE_INVALID


class WindowClosed(DomainError):
    """A free-form reply to a WhatsApp customer whose 24-hour window is closed."""

    code = ErrorCode.WINDOW_CLOSED


@dataclass(frozen=True)
class Template:
    """One template of a WhatsApp business account as the hub keeps it."""

    name: str
    language: str
    status: str  # APPROVED, PENDING, REJECTED, PAUSED, DISABLED …
    category: str = ""
    header: str = ""
    body: str = ""
    footer: str = ""
    params: int = 0
    usable: bool = True  # False: a media header, header variables or named parameters
    why_not: str = ""

    @property
    def approved(self) -> bool:
        return self.status.upper() == "APPROVED"


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def param_count(text: str) -> int:
    """How many values ``text`` asks for: the highest ``{{n}}`` (WhatsApp numbers them
    1, 2, 3 … without gaps)."""
    return max((int(m.group(1)) for m in PLACEHOLDER.finditer(text)), default=0)


def parse_template(raw: Mapping[str, Any]) -> Template | None:
    """A template as the Graph API lists it; None when it has no name or language."""
    name, language = _str(raw.get("name")).strip(), _str(raw.get("language")).strip()
    if not name or not language:
        return None
    header = body = footer = ""
    why_not = ""
    components = raw.get("components")
    for comp in components if isinstance(components, list) else []:
        if not isinstance(comp, dict):
            continue
        kind = _str(comp.get("type")).upper()
        if kind == "HEADER":
            fmt = _str(comp.get("format")).upper() or "TEXT"
            if fmt != "TEXT":
                why_not = f"a {fmt.lower()} header"
            else:
                header = _str(comp.get("text"))
                if ANY_PLACEHOLDER.search(header):
                    why_not = "a header with variables"
        elif kind == "BODY":
            body = _str(comp.get("text"))
        elif kind == "FOOTER":
            footer = _str(comp.get("text"))
    if _str(raw.get("parameter_format")).upper() == "NAMED" or (
        ANY_PLACEHOLDER.search(body) and not PLACEHOLDER.search(body)
    ):
        why_not = why_not or "named parameters"
    return Template(
        name=name[:512],
        language=language[:16],
        status=_str(raw.get("status")).upper()[:32] or "UNKNOWN",
        category=_str(raw.get("category")).upper()[:32],
        header=header,
        body=body,
        footer=footer,
        params=param_count(body),
        usable=not why_not,
        why_not=why_not,
    )


def render(t: Template, params: Sequence[str]) -> str:
    """The text the customer reads: header, body with the values in place, footer."""

    def fill(m: re.Match[str]) -> str:
        i = int(m.group(1)) - 1
        return params[i] if 0 <= i < len(params) else m.group(0)

    parts = [t.header.strip(), PLACEHOLDER.sub(fill, t.body).strip(), t.footer.strip()]
    return "\n\n".join(p for p in parts if p)


def check_params(t: Template, params: Sequence[str]) -> list[str]:
    """The values as they will be sent (trimmed); :class:`TemplateInvalid` naming what is
    wrong: a count other than the template's, an empty value, or one WhatsApp refuses
    (new lines, tabs, more than four spaces in a row: error 132018)."""
    if len(params) != t.params:
        raise TemplateInvalid(
            f"the template {t.name} ({t.language}) takes {t.params} value(s), {len(params)} given"
        )
    clean = [p.strip() for p in params]
    for i, p in enumerate(clean, 1):
        if not p:
            raise TemplateInvalid(f"value {{{{{i}}}}} is empty")
        if len(p) > MAX_PARAM_CHARS:
            raise TemplateInvalid(f"value {{{{{i}}}}} is longer than {MAX_PARAM_CHARS} characters")
        if _BAD_PARAM.search(p):
            raise TemplateInvalid(
                f"value {{{{{i}}}}} has a line break, a tab or more than four spaces in a row "
                "(WhatsApp refuses those in template values)"
            )
    body = PLACEHOLDER.sub(lambda m: clean[int(m.group(1)) - 1], t.body)
    if len(body) > MAX_BODY_CHARS:
        raise TemplateInvalid(f"the filled-in text is longer than {MAX_BODY_CHARS} characters")
    return clean


def window_closes_at(last_customer_at: datetime | None) -> datetime | None:
    """When the 24-hour window closes (None: the customer never wrote: it is closed)."""
    return last_customer_at + WINDOW if last_customer_at is not None else None


def window_open(last_customer_at: datetime | None, now: datetime) -> bool:
    closes = window_closes_at(last_customer_at)
    return closes is not None and now < closes
