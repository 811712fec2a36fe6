"""The cache file on its own: batches land in order off the caller's thread, an
unreadable cache is dropped (not fatal) and leaves the outbox alone."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from sqlalchemy import text

from app.client.cache import CacheBatch, SessionCache, token_hash
from app.client.outbox import DB_NAME, Outbox
from app.protocol.messages import ConversationInfo, CustomerInfo, MessageInfo, OperatorInfo

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ME = OperatorInfo(id=7, username="olena", display_name="Olena Koval", role="operator")
URL = "ws://hub.local:8765"


def conv(i: int, last: str = "") -> ConversationInfo:
    customer = CustomerInfo(id=i, name=f"Customer {i}", channel="web", first_seen=NOW)
    message = MessageInfo(id=100 + i, conversation_id=i, author="customer", text=last, created_at=NOW) if last else None
    return ConversationInfo(id=i, customer=customer, channel="web", status="open", created_at=NOW, last_message=message)


def batch(seq: int, **kw: object) -> CacheBatch:
    enc = msgspec.json.encode
    return CacheBatch(
        hub_url=URL, operator_id=ME.id, token_hash=token_hash("tok"), epoch="e1", seq=seq,
        me=enc(ME), queues=b"[]", **kw,  # type: ignore[arg-type]
    )


def test_batches_apply_in_order_and_removals_take_the_history_along(tmp_path: Path) -> None:
    cache = SessionCache(tmp_path / DB_NAME)
    enc = msgspec.json.encode
    m1 = MessageInfo(id=101, conversation_id=1, author="customer", text="hello", created_at=NOW)
    cache.write(batch(1, conversations={1: enc(conv(1, "hello")), 2: enc(conv(2))},
                      histories={1: False}, messages=[(1, 101, enc(m1))]))
    cache.write(batch(2, conversations={2: enc(conv(2, "second"))}))
    cache.write(batch(3, removed_conversations={1}))
    snap = cache.load(URL, ME.id)
    assert snap is not None
    assert snap.seq == 3 and snap.epoch == "e1" and snap.me == ME
    assert [c.id for c in snap.conversations] == [2]
    assert snap.conversations[0].last_message is not None
    assert snap.conversations[0].last_message.text == "second"
    assert snap.histories == {}
    assert cache.load_for_token(URL, "tok") is not None
    assert cache.load_for_token(URL, "another token") is None
    assert cache.load(URL, 8) is None and cache.load("ws://other:1", ME.id) is None
    cache.close()


def test_writes_run_on_the_cache_thread(tmp_path: Path) -> None:
    cache = SessionCache(tmp_path / DB_NAME)
    seen: list[str] = []
    original = cache._apply

    def spy(b: CacheBatch) -> None:
        seen.append(threading.current_thread().name)
        original(b)

    cache._apply = spy  # type: ignore[method-assign]
    cache.write(batch(1)).result()
    assert seen and seen[0].startswith("frontline-cache") and seen[0] != threading.current_thread().name
    cache.close()


def test_an_unreadable_cache_is_dropped_and_the_outbox_is_kept(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    outbox = Outbox(path)
    item = outbox.add(URL, ME.id, 2, "unsent reply")
    cache = SessionCache(path)
    cache.write(batch(1, conversations={2: msgspec.json.encode(conv(2))})).result()
    with cache.engine.begin() as conn:
        conn.execute(text("UPDATE cache_conversations SET data = '{\"id\": \"not a number\"}'"))
    assert cache.load(URL, ME.id) is None  # dropped, not an exception
    with cache.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM cache_meta")).scalar() == 0
    assert [i.txn_id for i in outbox.items(URL, ME.id)] == [item.txn_id]
    cache.close()
    outbox.close()
