"""Encode and decode frames. Pure functions, no I/O.

Decoding never raises anything but :class:`ProtocolError`, which carries the
machine code that goes into the error frame.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from app.protocol.errors import ErrorCode
from app.protocol.messages import (
    MAX_FRAME_BYTES,
    MAX_HUB_FRAME_BYTES,
    CustomerInbound,
    CustomerOutbound,
    OperatorInbound,
    OperatorOutbound,
)

T = TypeVar("T")


class ProtocolError(Exception):
    """A frame that cannot be accepted. ``code`` is an :class:`ErrorCode` value."""

    def __init__(self, code: ErrorCode, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


_encoder = msgspec.json.Encoder()
_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}


def _decoder(kind: Any) -> msgspec.json.Decoder[Any]:
    dec = _decoders.get(kind)
    if dec is None:
        dec = _decoders[kind] = msgspec.json.Decoder(kind)
    return dec


def encode(frame: msgspec.Struct) -> str:
    """One frame as the text of one websocket message."""
    return _encoder.encode(frame).decode()


def encode_bytes(frame: msgspec.Struct) -> bytes:
    """:func:`encode` as UTF-8 bytes (what goes on the wire: no str round trip)."""
    return _encoder.encode(frame)


def decode(raw: str | bytes, kind: Any, *, max_bytes: int = MAX_FRAME_BYTES) -> Any:
    """Decode one frame into one of the types of the union ``kind``."""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > max_bytes:
        raise ProtocolError(ErrorCode.FRAME_TOO_LARGE, f"frame of {len(raw)} bytes exceeds {max_bytes}")
    try:
        return _decoder(kind).decode(raw)
    except msgspec.ValidationError as exc:
        raise _classify(raw, str(exc)) from None
    except msgspec.DecodeError as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"not valid JSON: {exc}") from None


def _classify(raw: bytes, detail: str) -> ProtocolError:
    try:
        obj = msgspec.json.decode(raw)
    except msgspec.DecodeError:  # pragma: no cover - typed decode would have said so
        return ProtocolError(ErrorCode.BAD_JSON, "not valid JSON")
    if not isinstance(obj, dict):
        return ProtocolError(ErrorCode.INVALID_FRAME, "a frame must be a JSON object")
    if "type" not in obj:
        return ProtocolError(ErrorCode.INVALID_FRAME, "a frame must have a 'type' field")
    if "at `$.type`" in detail:
        return ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown frame type {obj.get('type')!r}")
    return ProtocolError(ErrorCode.INVALID_FRAME, f"invalid {obj.get('type')!r} frame: {detail}")


def decode_operator_inbound(raw: str | bytes) -> Any:
    return decode(raw, OperatorInbound)


def decode_operator_outbound(raw: str | bytes) -> Any:
    return decode(raw, OperatorOutbound, max_bytes=MAX_HUB_FRAME_BYTES)


def decode_customer_inbound(raw: str | bytes) -> Any:
    return decode(raw, CustomerInbound)


def decode_customer_outbound(raw: str | bytes) -> Any:
    return decode(raw, CustomerOutbound)


def to_builtins(obj: Any) -> Any:
    """A struct as plain JSON-ready values (for ``Result.data``)."""
    return msgspec.to_builtins(obj)


def convert(data: Any, kind: type[T]) -> T:
    """Plain values (e.g. ``Result.data``) into a typed struct; ProtocolError if they do not fit."""
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        raise ProtocolError(ErrorCode.INVALID_FRAME, str(exc)) from None
