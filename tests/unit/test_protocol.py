"""The wire codec: what the hub and the client read and write (no I/O)."""

from datetime import UTC, datetime

import msgspec
import pytest

from app.protocol import PROTOCOL_VERSION, ErrorCode, ProtocolError, close_code_is_final, decode, encode
from app.protocol.codec import (
    decode_customer_inbound,
    decode_operator_inbound,
    decode_operator_outbound,
)
from app.protocol.messages import (
    MAX_FRAME_BYTES,
    ConversationInfo,
    ConversationUpdated,
    CustomerInfo,
    Hello,
    MessageCreated,
    MessageInfo,
    SendMessage,
)

NOW = datetime(2026, 11, 23, 7, 51, 2, tzinfo=UTC)


def test_every_frame_round_trips_with_its_type_tag() -> None:
    cust = CustomerInfo(id=3, name="Оксана", channel="web", first_seen=NOW, locale="uk")
    msg = MessageInfo(id=9, conversation_id=4, author="customer", text="<b>Привіт</b>", created_at=NOW)
    conv = ConversationInfo(id=4, customer=cust, channel="web", status="queued", created_at=NOW, last_message=msg)
    for frame in (ConversationUpdated(seq=7, conversation=conv), MessageCreated(seq=8, message=msg)):
        raw = encode(frame)
        assert raw.startswith('{"type":')
        assert decode_operator_outbound(raw) == frame


def test_hello_carries_the_protocol_version() -> None:
    raw = encode(Hello(protocol=PROTOCOL_VERSION, client="t"))
    assert msgspec.json.decode(raw) == {"type": "hello", "protocol": PROTOCOL_VERSION, "client": "t"}


def test_times_are_rfc3339_utc() -> None:
    msg = MessageInfo(id=1, conversation_id=1, author="operator", text="x", created_at=NOW)
    assert '"created_at":"2026-11-23T07:51:02Z"' in encode(msg)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{", ErrorCode.BAD_JSON),
        ("not json at all", ErrorCode.BAD_JSON),
        ("[1, 2]", ErrorCode.INVALID_FRAME),
        ('"hello"', ErrorCode.INVALID_FRAME),
        ('{"protocol": 1}', ErrorCode.INVALID_FRAME),
        ('{"type": "launch_missiles"}', ErrorCode.UNKNOWN_TYPE),
        ('{"type": "send_message", "txn_id": "t"}', ErrorCode.INVALID_FRAME),
        ('{"type": "send_message", "txn_id": "t", "conversation_id": "x", "text": "hi"}', ErrorCode.INVALID_FRAME),
        ('{"type": "customer_send", "txn_id": "t", "text": "hi"}', ErrorCode.UNKNOWN_TYPE),
    ],
)
def test_bad_frames_raise_a_protocol_error_with_a_machine_code(raw: str, code: ErrorCode) -> None:
    with pytest.raises(ProtocolError) as info:
        decode_operator_inbound(raw)
    assert info.value.code == code
    assert info.value.text


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    frame = decode_operator_inbound('{"type":"send_message","txn_id":"t","conversation_id":1,"text":"hi","x":1}')
    assert frame == SendMessage(txn_id="t", conversation_id=1, text="hi")


def test_customer_endpoint_does_not_accept_operator_commands() -> None:
    with pytest.raises(ProtocolError) as info:
        decode_customer_inbound('{"type":"take","txn_id":"t","conversation_id":1}')
    assert info.value.code == ErrorCode.UNKNOWN_TYPE


def test_oversized_frame_is_refused_before_parsing() -> None:
    raw = '{"type":"send_message","txn_id":"t","conversation_id":1,"text":"' + "x" * MAX_FRAME_BYTES + '"}'
    with pytest.raises(ProtocolError) as info:
        decode(raw, SendMessage)
    assert info.value.code == ErrorCode.FRAME_TOO_LARGE


def test_close_code_ranges() -> None:
    assert not close_code_is_final(1000)
    assert not close_code_is_final(4000)
    assert close_code_is_final(4100)
    assert close_code_is_final(4103)
    assert not close_code_is_final(None)
