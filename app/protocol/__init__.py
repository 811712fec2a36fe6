"""The wire protocol shared by hub and client (docs/protocol.md)."""

from app.protocol.codec import ProtocolError, convert, decode, encode, to_builtins
from app.protocol.errors import CloseCode, ErrorCode, close_code_is_final
from app.protocol.messages import MAX_FRAME_BYTES, MAX_TEXT_CHARS, PROTOCOL_VERSION

__all__ = [
    "MAX_FRAME_BYTES",
    "MAX_TEXT_CHARS",
    "PROTOCOL_VERSION",
    "CloseCode",
    "ErrorCode",
    "ProtocolError",
    "close_code_is_final",
    "convert",
    "decode",
    "encode",
    "to_builtins",
]
