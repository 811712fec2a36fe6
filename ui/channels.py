"""How the window names and colours a conversation's channel (inbox badge, header, card)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor

from ui import theme


def channel_name(channel: str) -> str:
    """The channel's name in the window's language; an unknown channel by its own name."""
    names = {
        "web": QCoreApplication.translate("Channels", "Web chat"),
        "telegram": QCoreApplication.translate("Channels", "Telegram"),
        "whatsapp": QCoreApplication.translate("Channels", "WhatsApp"),
        "email": QCoreApplication.translate("Channels", "E-mail"),
    }
    return names.get(channel, channel)


def channel_color(channel: str) -> QColor:
    c = theme.colors()
    return {
        "telegram": c.badge_telegram,
        "whatsapp": c.badge_whatsapp,
        "email": c.badge_email,
    }.get(channel, c.badge_web)
