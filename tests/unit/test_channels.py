"""Channels without sockets: Telegram's update shapes, the pure helpers, and the channel
storage (app/storage/channels.py, migration 0006) on a real SQLite file."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.domain.channels import (
    FileRef,
    InboundMessage,
    backoff_delay,
    file_text,
    identity_hash,
    inbound_text,
    split_text,
)
from app.hub.channels.base import Health, derived_secret
from app.hub.channels.telegram import BadUpdate, TelegramAdapter, parse_update
from app.protocol.messages import ConversationInfo, MessageCreated
from app.storage import Store, make_engine, upgrade
from app.storage.channels import ChannelStore

# ---------------------------------------------------------------------------- Telegram shapes


def message(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "message_id": 17,
        "from": {"id": 1001, "is_bot": False, "first_name": "Iryna", "last_name": "Koval",
                 "username": "iryna_k", "language_code": "uk"},
        "chat": {"id": 1001, "first_name": "Iryna", "type": "private"},
        "date": 1700000000,
    }
    base.update(fields)
    return {"update_id": 90001, "message": base}


def test_a_text_message_becomes_an_inbound_message() -> None:
    update_id, msg, why = parse_update(message(text="  Привіт!  "))
    assert (update_id, why) == (90001, "")
    assert msg == InboundMessage(
        channel="telegram",
        external_id="1001",
        address="1001",
        key="1001:17",
        text="Привіт!",
        name="Iryna Koval",
        label="@iryna_k",
        locale="uk",
    )


def test_photos_documents_and_other_content_get_a_readable_text() -> None:
    _, msg, _ = parse_update(message(photo=[
        {"file_id": "small", "file_unique_id": "s", "file_size": 100, "width": 90, "height": 90},
        {"file_id": "big", "file_unique_id": "b", "file_size": 9000, "width": 800, "height": 800},
        {"file_id": "mid", "file_unique_id": "m", "file_size": 4000, "width": 320, "height": 320},
    ], caption="receipt"))
    assert msg is not None and msg.text == "[photo]\nreceipt"
    assert [(f.kind, f.ref, f.size) for f in msg.files] == [("photo", "big", 9000)]

    _, msg, _ = parse_update(message(document={
        "file_id": "doc1", "file_unique_id": "d", "file_name": "contract.pdf", "mime_type": "application/pdf",
        "file_size": 20000,
    }))
    assert msg is not None and msg.text == "[document: contract.pdf]"
    assert msg.files == (FileRef("document", "doc1", "d", "contract.pdf", "application/pdf", 20000),)

    for extra, expected in (
        ({"sticker": {"file_id": "x", "emoji": "😀"}}, "[sticker 😀]"),
        ({"voice": {"file_id": "v", "duration": 3}}, "[voice message]"),
        ({"location": {"latitude": 50.45, "longitude": 30.52}}, "[location]"),
        ({"something_new": {}}, "[unsupported message]"),
        ({"text": "   "}, "[unsupported message]"),
    ):
        _, msg, _ = parse_update(message(**extra))
        assert msg is not None and msg.text == expected, extra


def test_updates_that_are_not_a_person_writing_are_ignored_with_a_reason() -> None:
    assert parse_update({"update_id": 5, "edited_message": {}})[1:] == (
        None, "update type edited_message is not handled"
    )
    assert parse_update({"update_id": 6})[1:] == (None, "update type (none) is not handled")
    group = message(text="hi", chat={"id": -100123, "type": "supergroup", "title": "Chat"})
    assert parse_update(group)[1:] == (None, "not a private chat with a person")
    bot = message(text="hi")
    bot["message"]["from"]["is_bot"] = True
    assert parse_update(bot)[1] is None


@pytest.mark.parametrize(
    "update",
    [
        "not an object",
        {"message": {}},  # no update_id
        {"update_id": "7", "message": {}},
        {"update_id": True, "message": {}},
        {"update_id": 7, "message": "text"},
        {"update_id": 7, "message": {"message_id": 1, "chat": {"id": "1", "type": "private"}}},
        {"update_id": 7, "message": {"message_id": 1, "chat": {"id": 1, "type": "private"}}},  # no from
        {"update_id": 7, "message": {"message_id": 1, "chat": {"id": 1, "type": "private"},
                                     "from": {"id": 1}, "photo": []}},
        {"update_id": 7, "message": {"message_id": 1, "chat": {"id": 1, "type": "private"},
                                     "from": {"id": 1}, "document": {"file_name": "x"}}},
    ],
)
def test_malformed_updates_are_refused(update: Any) -> None:
    with pytest.raises(BadUpdate):
        parse_update(update)


def test_settings_are_checked_before_they_are_stored() -> None:
    ok = TelegramAdapter.check_settings({"token_env": "TG"})
    assert ok["mode"] == "polling" and ok["api_url"] == "https://api.telegram.org" and ok["poll_timeout_s"] == 25
    for bad, word in (
        ({}, "token"),
        ({"token_env": "TG", "mode": "carrier pigeon"}, "mode"),
        ({"token_env": "TG", "mode": "webhook"}, "public_url"),
        ({"token_env": "TG", "api_url": "ftp://x"}, "api_url"),
        ({"token_env": "TG", "poll_timeout_s": 500}, "poll_timeout_s"),
    ):
        with pytest.raises(ValueError, match=word):
            TelegramAdapter.check_settings(bad)


# ---------------------------------------------------------------------------- pure helpers


def test_texts_are_split_at_spaces_and_kept_whole() -> None:
    long = " ".join(f"word{i}" for i in range(2000))  # ~ 17000 characters
    parts = split_text(long, 4096)
    assert all(0 < len(p) <= 4096 for p in parts) and len(parts) == 5
    assert " ".join(parts) == long
    assert split_text("x" * 5000, 4096) == ["x" * 4096, "x" * 904]
    assert split_text("short", 4096) == ["short"]


def test_inbound_text_and_file_text() -> None:
    assert inbound_text("  hi ", 8000) == "hi"
    assert inbound_text("", 8000) == "[empty message]"
    assert inbound_text("a" * 9000, 8000) == "a" * 7999 + "…"
    files = (FileRef("photo", "p"), FileRef("document", "d", name="a.pdf"), FileRef("document", "e"))
    assert file_text(files, "see") == "[photo]\n[document: a.pdf]\n[document]\nsee"


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(n, 1.0, 60.0, rng) for n in range(10)]
    for n, d in enumerate(delays):
        nominal = min(60.0, 2.0**n)
        assert 0.5 * nominal <= d < 1.5 * nominal


def test_secrets_derived_from_the_token_and_redacted() -> None:
    a = derived_secret("123:abc", "webhook secret")
    assert re.fullmatch(r"[A-Za-z0-9_-]{40}", a)
    assert a == derived_secret("123:abc", "webhook secret")
    assert a != derived_secret("123:abd", "webhook secret") != derived_secret("123:abc", "webhook path")
    seen: list[str] = []
    health = Health(lambda h: seen.append(h.state), secrets=("123:abc",))
    health.retrying("POST /bot123:abc/getUpdates: refused")
    health.retrying("POST /bot123:abc/getUpdates: refused")  # no change: no second note
    health.ok()
    assert seen == ["retrying", "up"]
    assert health.last_error == "POST /bot<secret>/getUpdates: refused"
    assert identity_hash("telegram", "1") != identity_hash("whatsapp", "1")


# ---------------------------------------------------------------------------- storage


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    upgrade(engine)
    yield Store(engine)
    engine.dispose()


def tg(user: int, key: str, text: str = "hi", **kw: Any) -> InboundMessage:
    return InboundMessage("telegram", str(user), str(user), key, text, **kw)


def test_receive_makes_a_customer_once_and_stores_each_message_once(store: Store) -> None:
    ch = ChannelStore(store)
    first = ch.receive(tg(1, "1:1", name="Iryna", label="@iryna", locale="uk"))
    assert first.value.new_customer and first.value.new_conversation and not first.value.duplicate
    conv_events = [e for e in first.events if isinstance(e, MessageCreated)]
    assert conv_events and conv_events[0].message.text == "hi"
    conv = store.conversation(first.value.conversation_id)
    assert isinstance(conv, ConversationInfo)
    assert (conv.channel, conv.customer.channel, conv.customer.name) == ("telegram", "telegram", "Iryna")

    again = ch.receive(tg(1, "1:1", text="hi"))  # the same update again
    assert again.value.duplicate and again.events == []
    assert (again.value.message_id, again.value.customer_id) == (first.value.message_id, first.value.customer_id)

    second = ch.receive(tg(1, "1:2", text="more", label="@iryna_new"))
    assert not second.value.new_customer and not second.value.new_conversation
    assert second.value.conversation_id == first.value.conversation_id
    profile, _ = store.customers.card(first.value.customer_id)
    assert [(i.channel, i.label) for i in profile.identities] == [("telegram", "@iryna_new")]

    other = ch.receive(tg(2, "2:1"))
    assert other.value.customer_id != first.value.customer_id
    assert store.history(first.value.conversation_id, None, 50).messages[-1].text == "more"
    both = {first.value.conversation_id: "telegram", other.value.conversation_id: "telegram"}
    assert ch.conversation_channels() == both


def test_only_operator_replies_of_channel_conversations_reach_the_outbox_in_order(store: Store) -> None:
    ch = ChannelStore(store)
    op = store.create_operator("olena", "x", "operator", "Olena")
    web = store.create_visitor("web", "f" * 64, "Web visitor", "en").customer.id
    web_conv = store.customer_send(web, "from the web", "w1").value.message.conversation_id
    got = ch.receive(tg(7, "7:1")).value
    assert ch.enqueue_replies() == 0
    store.take(op.id, got.conversation_id)
    store.take(op.id, web_conv)
    store.operator_send(op.id, got.conversation_id, "first", "t1")
    store.operator_send(op.id, web_conv, "to the web", "t2")
    store.operator_send(op.id, got.conversation_id, "note", "t3", internal=True)
    store.operator_send(op.id, got.conversation_id, "second", "t4")
    assert ch.enqueue_replies() == 2
    assert ch.enqueue_replies() == 0  # nothing twice
    pending = ch.pending("telegram")
    assert [(p.text, p.address) for p in pending] == [("first", "7"), ("second", "7")]

    ch.mark_attempt(pending[0].outbox_id, "sendMessage: 502")
    ch.mark_sent(pending[0].outbox_id, "55")
    failed = ch.mark_failed(pending[1].outbox_id, "sendMessage: 403 Forbidden", "Telegram")
    (event,) = failed.events
    assert isinstance(event, MessageCreated)
    assert (event.message.author, event.message.internal) == ("system", True)
    assert event.message.text == "Not delivered through Telegram: sendMessage: 403 Forbidden"
    assert ch.mark_failed(pending[1].outbox_id, "again", "Telegram").events == []  # once
    assert ch.pending("telegram") == []
    # no channel configured (removed): its rows are still shown under its name
    (st,) = ch.status()
    assert (st.channel.name, st.channel.enabled, st.pending, st.sent, st.failed) == ("telegram", False, 0, 1, 1)
    assert "not configured" in st.channel.last_error


def test_a_reply_stored_before_a_crash_is_still_queued_at_start(tmp_path: Path) -> None:
    """The copy into the outbox runs after the reply's commit; a database with replies
    and no outbox rows (the hub died in between) gets them at the next sweep."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    engine = make_engine(url)
    upgrade(engine)
    store = Store(engine)
    ch = ChannelStore(store)
    op = store.create_operator("olena", "x", "operator", "Olena")
    got = ch.receive(tg(9, "9:1")).value
    store.take(op.id, got.conversation_id)
    ch.enqueue_replies()
    store.operator_send(op.id, got.conversation_id, "written just before the crash", "t1")
    engine.dispose()

    engine = make_engine(url)
    ch = ChannelStore(Store(engine))
    assert ch.enqueue_replies() == 1
    assert [p.text for p in ch.pending("telegram")] == ["written just before the crash"]
    engine.dispose()


def test_configure_status_and_old_databases(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade(url, "0004_customer_card")
    engine = make_engine(url)
    with engine.begin() as conn:  # a web customer from before the channels
        conn.execute(text("INSERT INTO customers (name, channel, locale, first_seen) "
                          "VALUES ('Old', 'web', 'en', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO customer_identities (customer_id, channel, external_id_hash) "
                          "VALUES (1, 'web', 'abc')"))
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT address FROM customer_identities")).scalar() == ""
    ch = ChannelStore(Store(engine))
    rec, created = ch.configure("telegram", "telegram", {"mode": "polling", "token_env": "TG"})
    assert created and rec.state == "stopped" and rec.enabled
    rec, created = ch.configure("telegram", "telegram", {"mode": "webhook", "token_env": "TG"}, enabled=False)
    assert not created and rec.settings["mode"] == "webhook" and not rec.enabled
    with pytest.raises(ValueError):
        ch.configure("telegram", "whatsapp", {})
    ch.set_cursor("telegram", "500123")
    assert ch.cursor("telegram") == "500123"
    (st,) = ch.status()
    assert (st.channel.name, st.pending, st.failed, st.sent, st.oldest_pending_at) == ("telegram", 0, 0, 0, None)
    assert ch.remove("telegram") and not ch.remove("telegram")
    engine.dispose()
