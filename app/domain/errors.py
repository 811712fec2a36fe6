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


class InvalidValue(DomainError, ValueError):
    """A value the customer card cannot store (a name too long, an empty tag...). Also a
    ValueError, so code that only knows ValueError (the CLI) reports it as well."""

    code = ErrorCode.INVALID_VALUE


class InvalidPhone(InvalidValue):
    code = ErrorCode.INVALID_PHONE


class InvalidEmail(InvalidValue):
    code = ErrorCode.INVALID_EMAIL


class InvalidField(InvalidValue):
    """An unknown custom field, or a value that does not fit its type."""

    code = ErrorCode.INVALID_FIELD
