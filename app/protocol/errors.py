"""Error codes of error frames and websocket close codes (docs/protocol.md)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ErrorCode(StrEnum):
    BAD_JSON = "bad_json"
    UNKNOWN_TYPE = "unknown_type"
    INVALID_FRAME = "invalid_frame"
    FRAME_TOO_LARGE = "frame_too_large"
    PROTOCOL_MISMATCH = "protocol_mismatch"
    HELLO_REQUIRED = "hello_required"
    NOT_AUTHENTICATED = "not_authenticated"
    AUTH_FAILED = "auth_failed"
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 - an error code, not a secret
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    TEXT_TOO_LONG = "text_too_long"
    EMPTY_TEXT = "empty_text"
    INTERNAL = "internal"
    # customer card (docs/protocol.md "Customer card")
    INVALID_PHONE = "invalid_phone"
    INVALID_EMAIL = "invalid_email"
    INVALID_FIELD = "invalid_field"
    INVALID_VALUE = "invalid_value"
    # attachments (docs/protocol.md "Files")
    FILE_TOO_BIG = "file_too_big"
    FILE_TYPE_NOT_ALLOWED = "file_type_not_allowed"
    FILE_BROKEN = "file_broken"
    UPLOAD_OFFSET = "upload_offset"
    # conversation_start: the channel is not configured on the hub, or is down
    CHANNEL_UNAVAILABLE = "channel_unavailable"
    # WhatsApp (docs/protocol.md "WhatsApp templates"): free text outside the customer's
    # 24-hour window; a template send the hub refuses (unknown, not approved, wrong values)
    WINDOW_CLOSED = "window_closed"
    TEMPLATE_INVALID = "template_invalid"


class CloseCode(IntEnum):
    """Close codes. 1000-1999 are the standard ones (1009: frame too big).

    4000-4099: the client should reconnect (with backoff).
    4100-4199: final; reconnecting with the same credentials will not help.
    """

    NORMAL = 1000
    GOING_AWAY = 1001
    TOO_BIG = 1009
    # retry range
    HUB_SHUTTING_DOWN = 4000
    SLOW_CONSUMER = 4001
    HELLO_TIMEOUT = 4002
    # final range
    PROTOCOL_MISMATCH = 4100
    AUTH_REVOKED = 4101
    TOO_MANY_BAD_FRAMES = 4102
    SIGNED_OUT = 4103

    @property
    def should_retry(self) -> bool:
        return not 4100 <= self.value < 4200


def close_code_is_final(code: int | None) -> bool:
    return code is not None and 4100 <= code < 4200


BAD_FRAMES_BEFORE_CLOSE = 10
