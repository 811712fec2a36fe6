"""Message text rules. Pure, no I/O."""

from __future__ import annotations

from app.protocol import MAX_TEXT_CHARS, ErrorCode


class TextRejected(ValueError):
    """The text cannot be sent; ``code`` is the protocol error code."""

    def __init__(self, code: ErrorCode, text: str) -> None:
        super().__init__(text)
        self.code = code


def clean_text(text: str, *, max_chars: int = MAX_TEXT_CHARS) -> str:
    """The text as it will be stored: surrounding whitespace trimmed, nothing else changed.

    Markup stays as typed: HTML is text, rendering it safely is the clients' job.
    Raises :class:`TextRejected` with ``empty_text`` or ``text_too_long``.
    """
    cleaned = text.strip()
    if not cleaned:
        raise TextRejected(ErrorCode.EMPTY_TEXT, "message text is empty")
    if len(cleaned) > max_chars:
        raise TextRejected(ErrorCode.TEXT_TOO_LONG, f"message text is longer than {max_chars} characters")
    return cleaned
