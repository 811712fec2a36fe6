"""How much the local cache costs the UI loop: apply events with and without it.

    /work/main/.venv/bin/python scripts/bench_client_cache.py

5000 events (half message_created, half conversation_updated) at ~2500/s over 200
conversations with 50 loaded messages each; prints the per-event apply time, the loop-side
encoding per batch, the number of batches, and how long reading the snapshot back takes.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.client.cache import SessionCache
from app.client.outbox import DB_NAME
from app.client.secrets import MemorySecretStore
from app.client.session import OperatorSession, _History
from app.protocol.messages import (
    ConversationInfo,
    ConversationUpdated,
    CustomerInfo,
    MessageCreated,
    MessageInfo,
    OperatorInfo,
)

NOW = datetime.now(UTC)
CONVS, EVENTS = 200, 5000
ROOT = Path(tempfile.gettempdir()) / "frontline-bench-cache"


def conv(i: int) -> ConversationInfo:
    customer = CustomerInfo(id=i, name=f"Customer {i}", channel="web", first_seen=NOW)
    return ConversationInfo(id=i, customer=customer, channel="web", status="open", created_at=NOW, assignee_id=1)


def msg(mid: int, cid: int) -> MessageInfo:
    return MessageInfo(id=mid, conversation_id=cid, author="customer", text="Where is my order? " * 5, created_at=NOW)


async def run(cache_on: bool, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    s = OperatorSession(MemorySecretStore(), "bench", data_dir=folder)
    s.hub_url, s._token, s.epoch = "ws://hub:1", "token", "e1"
    s.me = OperatorInfo(id=1, username="o", display_name="O", role="operator", status="online")
    s.conversations = {i: conv(i) for i in range(1, CONVS + 1)}
    for i in range(1, CONVS + 1):
        hist = s._histories.setdefault(i, _History())
        for k in range(50):
            hist.add(msg(i * 1000 + k, i))
    s._cache_on = cache_on
    if cache_on:
        s._dirty.full = True
        await s.flush_cache()
    per: list[float] = []
    encode: list[float] = []
    original = s._write_cache

    def timed_write() -> None:
        t = time.perf_counter()
        original()
        encode.append(time.perf_counter() - t)

    s._write_cache = timed_write  # type: ignore[method-assign]
    for n in range(EVENTS):
        cid = 1 + n % CONVS
        frame = (
            MessageCreated(seq=n + 1, message=msg(10_000_000 + n, cid))
            if n % 2
            else ConversationUpdated(seq=n + 1, conversation=conv(cid))
        )
        t = time.perf_counter()
        s._apply(frame)
        per.append(time.perf_counter() - t)
        if n % 10 == 9:
            await asyncio.sleep(0.004)  # ~2500 events/s; the debounce timer runs meanwhile
    await s.flush_cache()
    await s.close()
    per.sort()
    label = "on " if cache_on else "off"
    enc = f"{statistics.median(encode) * 1e3:.2f} ms (max {max(encode) * 1e3:.2f})" if encode else "-"
    print(
        f"cache {label}: apply median {statistics.median(per) * 1e6:.1f} us,"
        f" p99 {per[int(len(per) * 0.99)] * 1e6:.1f} us,"
        f" max {per[-1] * 1e6:.0f} us; {len(encode)} batches, loop-side encoding per batch {enc}"
    )


async def main() -> None:
    await run(False, ROOT / "off")
    await run(True, ROOT / "on")
    cache = SessionCache(ROOT / "on" / DB_NAME)
    t = time.perf_counter()
    snap = cache.load("ws://hub:1", 1)
    took = time.perf_counter() - t
    cache.close()
    assert snap is not None
    messages = sum(len(h.messages) for h in snap.histories.values())
    n = len(snap.conversations)
    print(f"reading the snapshot back: {n} conversations, {messages} messages, {took * 1e3:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
