"""What the client reads of WhatsApp templates and windows (docs/protocol.md, "WhatsApp
templates"): the results of ``wa_template_list`` and ``conversation_window``."""

from __future__ import annotations

from datetime import datetime

import msgspec

from app.protocol.messages import WaTemplateInfo


class WaTemplateListing(msgspec.Struct, omit_defaults=True):
    """The approved templates of a channel, when the hub fetched them (None: never),
    and why the last fetch failed ("" when it worked)."""

    templates: list[WaTemplateInfo] = []
    fetched_at: datetime | None = None
    error: str = ""


class WindowInfo(msgspec.Struct, omit_defaults=True):
    """A conversation's customer-service window. ``applies`` False: free text always goes."""

    applies: bool = False
    open: bool = True
    last_customer_at: datetime | None = None
    closes_at: datetime | None = None
