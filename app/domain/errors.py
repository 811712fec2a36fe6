"""Rule violations, each carrying the protocol error code the hub answers with."""

from __future__ import annotations

from app.protocol import ErrorCode


class DomainError(Exception):
    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class Conflict(DomainError):
    code = ErrorCode.CONFLICT


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN
