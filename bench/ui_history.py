"""Long histories in the real window: a 10,000-message conversation, a 5,000-entry
customer timeline and a 5,000-conversation inbox, driven offscreen.

    python -m bench.ui_history [--quick] [--pages 40]

A real hub (``app.hub.embedded.EmbeddedHub`` on a temporary SQLite file, seeded in one
transaction) runs in a child process, so that its work does not share this process's
GIL with the window, as on an operator's machine. This process is the desktop client:
``OperatorSession`` + ``SessionBridge`` + the real ``MainWindow`` on one qasync loop
(``QT_QPA_PLATFORM=offscreen``). Measured:

- ``open_ms``: ``MainWindow.open_conversation`` of the 10,000-message conversation until
  its newest page is in the model and the window has been painted (``repaint``);
- ``timeline_open_ms``: opening a conversation of the customer with 5,000 past timeline
  entries of every kind (2,000 conversations, 1,500 internal notes in them, 1,450 notes
  on the card, 50 identity merges) until the card's timeline shows its first page
  (a mix of kinds), painted;
- ``max_stall_ms``: the longest gap of a 2 ms ``QTimer`` while scrolling back through
  ``--pages`` older pages (each: scroll to the top, the older page arrives and is
  inserted at the top, the view is painted), and each page insert's own time;
- the inbox: ``MainWindow.on_synced`` with the 5,000 conversations (what a sync or a
  resume applies) until painted, and the longest stall while 200
  ``conversation_updated`` events arrive in a burst (another operator sets 200 of their
  conversations to "waiting").

"Painted" means the window's pending update request was delivered (what the widgets
marked dirty is painted, as the next turn of the event loop would); ``--full-repaint``
repaints the whole window instead (the inbox lists too). Opens and syncs are measured
``--repeat`` times (default 5) and the median is reported. Next to each wall-clock figure
the bench prints the CPU time behind it: this thread's (the window and the asyncio loop)
and the hub process's (``/proc/PID/stat``). On a shared 2-core machine the wall clock
mostly measures the wait for a core; the CPU figures and their ratios to the same
ceilings are what moves with the code.

Each figure is printed against its ceiling as a ratio (figure / ceiling, at most 1
meets it); the last line is one JSON object (DESIGN.md, benchmark conventions).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import msgspec

from app.protocol.messages import MAX_HUB_FRAME_BYTES

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PASSWORD = "bench-password"  # a throwaway account in a temporary database
HISTORY = 10_000  # messages of the long conversation
TIMELINE = 5_000  # past timeline entries of one customer, of every kind:
TIMELINE_CONVERSATIONS = 2_000  # conversations,
TIMELINE_NOTES = 1_500  # internal notes in them (in three of every four),
TIMELINE_MERGES = 50  # identity merges (cards merged into this one),
TIMELINE_CARD_NOTES = TIMELINE - TIMELINE_CONVERSATIONS - TIMELINE_NOTES - TIMELINE_MERGES  # notes on the card
INBOX = 5_000  # open and queued conversations
BURST = 200  # conversation updates in one burst
MAX_FRAME_KIB = MAX_HUB_FRAME_BYTES // 1024

OPEN_CEILING_MS = 100.0  # issue 4: the newest page in under 100 ms
TIMELINE_CEILING_MS = 100.0  # the same for the timeline's first page
STALL_CEILING_MS = 50.0  # scrolling back without a stall over 50 ms
INBOX_SYNC_CEILING_MS = 100.0  # "smooth": applying the whole inbox counts as one open
BURST_STALL_CEILING_MS = 50.0  # "smooth": no stall over 50 ms in a burst

WORDS = (
    "order delivery parcel invoice refund please check thank you tracking number address "
    "payment card account the a my is not yet when will arrive today tomorrow week"
).split()


# ---------------------------------------------------------------------- the data


@dataclass
class Seeded:
    long_conversation: int
    timeline_customer: int
    timeline_conversation: int  # the customer's open conversation (the other 2,000 are resolved)
    burst_conversations: list[int]  # open conversations of the other operator


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.choice((3, 6, 12, 25, 60))))


def seed(db_url: str) -> Seeded:
    """Operators ``bench`` and ``other``, then customers, conversations and messages in
    one Core transaction with explicit ids (the database is new)."""
    from sqlalchemy import insert

    from app.hub.accounts import hash_password
    from app.storage import Store, make_engine, upgrade
    from app.storage.models import Conversation, Customer, CustomerMerge, CustomerNote, Message

    engine = make_engine(db_url)
    upgrade(engine)
    store = Store(engine)
    pw = hash_password(PASSWORD)
    me = store.create_operator("bench", pw, "operator", "Bench Operator").id
    other = store.create_operator("other", pw, "operator", "Other Operator").id
    rng = random.Random(4)
    now = datetime.now(UTC)
    start = now - timedelta(days=800)
    customers: list[dict[str, Any]] = []
    convs: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []

    def conversation(customer: int, status: str, assignee: int | None, at: datetime, n_msgs: int) -> int:
        cid = len(convs) + 1
        waiting = at if status != "resolved" else None
        convs.append(dict(id=cid, customer_id=customer, channel="web", status=status, assignee_id=assignee,
                          created_at=at, updated_at=at + timedelta(minutes=n_msgs), waiting_since=waiting,
                          declined_by="", state="open"))
        for k in range(n_msgs):
            author = "customer" if k % 2 == 0 else "operator"
            messages.append(dict(
                id=len(messages) + 1, conversation_id=cid, author=author,
                operator_id=assignee if author == "operator" else None,
                sender_key=f"op:{assignee}" if author == "operator" else f"cust:{customer}",
                text=f"{k + 1}: {_text(rng)}", created_at=at + timedelta(minutes=k), internal=False,
            ))
        return cid

    def customer(name: str) -> int:
        customers.append(dict(id=len(customers) + 1, name=name, channel="web", locale="uk",
                              first_seen=start, vip=False, first_name="", last_name="", notes="",
                              merged_into=None))
        return len(customers)

    long_cust = customer("Iryna Dovha")
    long_conv = conversation(long_cust, "open", me, now - timedelta(days=60), HISTORY)
    tl_cust = customer("Taras Postiinyi")
    notes: list[dict[str, Any]] = []
    merges: list[dict[str, Any]] = []
    step = timedelta(minutes=(now - timedelta(days=1) - start).total_seconds() / 60 / TIMELINE)
    for n in range(TIMELINE_CONVERSATIONS):  # the kinds interleaved over the 800 days
        at = start + step * (n * TIMELINE // TIMELINE_CONVERSATIONS)
        cid = conversation(tl_cust, "resolved", other, at, 2)
        if n % 4:  # three of every four conversations have a note
            messages.append(dict(
                id=len(messages) + 1, conversation_id=cid, author="operator", operator_id=other,
                sender_key=f"op:{other}", text=f"note: {_text(rng)}", created_at=at + timedelta(minutes=5),
                internal=True,
            ))
    for n in range(TIMELINE_CARD_NOTES):
        notes.append(dict(id=n + 1, customer_id=tl_cust, operator_id=other if n % 3 else me, txn_id=f"seed-{n}",
                          text=f"{_text(rng)}", created_at=start + step * (n * TIMELINE // TIMELINE_CARD_NOTES) +
                          timedelta(minutes=7)))
    for n in range(TIMELINE_MERGES):
        gone = customer(f"Taras (old card {n})")
        customers[-1]["merged_into"] = tl_cust
        merges.append(dict(id=n + 1, kept_id=tl_cust, merged_id=gone, operator_id=me, txn_id=f"seed-{n}",
                           record="{}", created_at=start + step * (n * TIMELINE // TIMELINE_MERGES) +
                           timedelta(minutes=9)))
    tl_conv = conversation(tl_cust, "open", me, now - timedelta(hours=1), 3)
    burst: list[int] = []
    for n in range(INBOX - 2):  # with the two above: 5,000 active conversations
        c = customer(f"Customer {n}")
        at = now - timedelta(minutes=INBOX - n)
        if n % 10 < 2:
            conversation(c, "open", me, at, 2)
        elif n % 10 < 5:
            conversation(c, "queued", None, at, 1)
        else:
            burst.append(conversation(c, "open", other, at, 2))
    with engine.begin() as db:
        db.execute(insert(Customer), customers)
        db.execute(insert(Conversation), convs)
        db.execute(insert(Message), messages)
        db.execute(insert(CustomerNote), notes)
        db.execute(insert(CustomerMerge), merges)
    engine.dispose()
    return Seeded(long_conv, tl_cust, tl_conv, burst[:BURST])


# ---------------------------------------------------------------------- the hub (child process)


def _hub_main(db_url: str, conn: Connection) -> None:
    from app.hub.embedded import EmbeddedHub

    # orphan_after_s=-1: the other operator is offline the whole run, and their 2,500
    # waiting customers going back to the queue after 2 minutes would land in the middle
    hub = EmbeddedHub(db_url, orphan_after_s=-1).start()
    conn.send(hub.port)
    while True:
        cmd, arg = conn.recv()
        if cmd == "burst":
            try:
                conn.send(asyncio.run(_burst(hub.port, arg)))
            except Exception as exc:  # e.g. its socket timed out on a saturated machine
                print(f"the burst failed: {exc!r}", file=sys.stderr, flush=True)
                conn.send(-1)
        else:
            hub.stop()
            conn.send("stopped")
            return


async def _burst(port: int, conversation_ids: list[int]) -> int:
    """``other`` sets each of its conversations to "waiting", all frames at once; returns
    how many the hub confirmed."""
    from websockets.asyncio.client import connect

    async with connect(f"ws://127.0.0.1:{port}/ws/operator", max_queue=None) as ws:
        await ws.send(json.dumps({"type": "hello", "protocol": 1, "client": "bench", "device_id": "burst"}))
        await ws.recv()
        auth = {"type": "auth", "txn_id": str(uuid.uuid4()), "username": "other", "password": PASSWORD}
        await ws.send(json.dumps(auth))
        while json.loads(await ws.recv()).get("txn_id") != auth["txn_id"]:
            pass
        txns = set()
        for cid in conversation_ids:
            t = str(uuid.uuid4())
            txns.add(t)
            await ws.send(json.dumps({"type": "set_state", "txn_id": t, "conversation_id": cid, "state": "waiting"}))
        done = 0
        while txns:
            frame = json.loads(await ws.recv())
            if frame.get("txn_id") in txns:
                txns.discard(frame["txn_id"])
                done += frame["type"] == "result"
        return done


# ---------------------------------------------------------------------- the window


class Ticker:
    """A QTimer every 2 ms: the largest gap between two ticks is the longest time the
    event loop was blocked (plus up to 2 ms)."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(2)
        self.timer.timeout.connect(self._tick)
        self.last = self.last_cpu = 0.0
        self.max_gap = 0.0
        self.max_busy = 0.0  # the most CPU this thread spent between two ticks

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.max_gap = max(self.max_gap, now - self.last)
        self.max_busy = max(self.max_busy, cpu - self.last_cpu)
        self.last, self.last_cpu = now, cpu

    def start(self) -> None:
        self.last, self.last_cpu = time.perf_counter(), time.thread_time()
        self.max_gap = self.max_busy = 0.0
        self.timer.start()

    def busy_ms(self) -> float:
        """The longest the loop was kept busy by this thread's own work (CPU time between
        two ticks): the stall the code causes; the rest of a gap is waiting for a core."""
        return self.max_busy * 1000.0

    def stop(self) -> float:
        self._tick()
        self.timer.stop()
        return self.max_gap * 1000.0


@dataclass
class Probe:
    """Times between a bridge signal reaching the window (a slot connected before the
    window's) and the window being done with it (a slot connected after)."""

    started: dict[str, float] = field(default_factory=dict)
    last_started: dict[str, float] = field(default_factory=dict)
    spans: dict[str, list[float]] = field(default_factory=dict)
    waiters: list[tuple[Callable[[str, tuple[Any, ...]], bool], asyncio.Future[None]]] = field(default_factory=list)

    def before(self, name: str) -> Callable[..., None]:
        def slot(*_args: Any) -> None:
            self.started[name] = self.last_started[name] = time.perf_counter()
        return slot

    def after(self, name: str) -> Callable[..., None]:
        def slot(*args: Any) -> None:
            self.spans.setdefault(name, []).append((time.perf_counter() - self.started.pop(name, 0.0)) * 1000)
            for cond, fut in list(self.waiters):
                if not fut.done() and cond(name, args):
                    fut.set_result(None)
        return slot

    def wait(self, cond: Callable[[str, tuple[Any, ...]], bool], timeout: float = 60.0) -> Any:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append((cond, fut))
        return asyncio.wait_for(fut, timeout)


def _patient_requests() -> None:
    """The hub's full sync of 5,000 conversations takes seconds of its own on a loaded
    machine: more than the client's 15 s request timeout. This process (only) waits
    longer, so that the window behind it can be measured at all."""
    from app.client import connection

    request = connection.HubConnection.request

    async def patient(self: Any, command: Any, timeout: float = 15.0) -> dict[str, object]:
        return await request(self, command, max(timeout, 90.0))

    connection.HubConnection.request = patient  # type: ignore[method-assign]


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0


class Clocks:
    """Wall time, this thread's CPU time (the window's: Qt and the asyncio loop run on
    it) and the hub process's CPU time (``/proc/PID/stat``), read together. CPU times do
    not count the time spent waiting for a core, which on this shared 2-core machine is
    most of the difference between two runs."""

    def __init__(self, hub_pid: int) -> None:
        self.hub_pid = hub_pid
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def hub_cpu(self) -> float:
        try:
            with open(f"/proc/{self.hub_pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / self._tick * 1000.0  # utime + stime, ms
        except (OSError, IndexError, ValueError):
            return float("nan")

    def read(self) -> tuple[float, float, float]:
        return time.perf_counter() * 1000.0, time.thread_time() * 1000.0, self.hub_cpu()

    def since(self, start: tuple[float, float, float]) -> tuple[float, float, float]:
        now = self.read()
        return now[0] - start[0], now[1] - start[1], now[2] - start[2]


def _paint(w: Any) -> None:
    """Paint what the last steps changed, now: the window's pending update request (the
    regions its widgets marked dirty), as the next turn of the event loop would. (A
    ``repaint()`` of the whole window would also paint what did not change: the inbox
    lists, 25–40 ms of a loaded machine at each step; ``--full-repaint`` measures that.)"""
    from PySide6.QtCore import QCoreApplication, QEvent

    if FULL_REPAINT:
        w.repaint()
    else:
        QCoreApplication.sendPostedEvents(w, QEvent.Type.UpdateRequest)


FULL_REPAINT = False


PHASES = ("sync", "open", "scroll", "timeline", "burst")


@contextlib.contextmanager
def _profiled(args: argparse.Namespace, phase: str) -> Iterator[None]:
    """cProfile on while ``phase`` is measured, when asked (``--profile-phase``)."""
    profiler = getattr(args, "profiler", None)
    on = profiler is not None and args.profile_phase == phase
    if on:
        profiler.enable()
    try:
        yield
    finally:
        if on:
            profiler.disable()


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def _loadavg() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


async def _drive(
    url: str, seeded: Seeded, args: argparse.Namespace, hub: Connection, tmp: Path, clocks: Clocks
) -> dict[str, Any]:
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication

    from app.client.secrets import MemorySecretStore
    from app.client.session import OperatorSession
    from app.client.settings import Settings
    from ui.bridge.session_bridge import SessionBridge
    from ui.widgets.main_window import MainWindow

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    _patient_requests()
    settings = Settings(config_dir=tmp / "config", policy=tmp / "no-policy.json")
    session = OperatorSession(MemorySecretStore(), settings.device_id(), data_dir=tmp / "client")
    bridge = SessionBridge(session)
    # (no processEvents in here: inside a qasync coroutine it would re-enter tasks; repaint()
    # paints synchronously, and the loop itself runs Qt's events between awaits)
    c0 = clocks.read()
    await session.login(url, "bench", PASSWORD)
    login_ms, login_cpu, login_hub_cpu = clocks.since(c0)
    sync_bytes = len(msgspec.json.encode(list(session.conversations.values())))
    # the client's decode of that sync frame, alone (what the login spent on it)
    from app.client.session import _data
    from app.protocol.codec import decode_operator_outbound, encode, to_builtins
    from app.protocol.messages import Result

    frame = encode(Result(txn_id="t", data={
        "epoch": "e", "seq": 1, "recovered": False,
        "conversations": to_builtins(list(session.conversations.values())),
        "operators": to_builtins(list(session.operators.values())),
        "queues": to_builtins(list(session.queues.values())),
    }))
    decodes = []
    for _ in range(3):
        t = time.thread_time()
        _data(decode_operator_outbound(frame).data)
        decodes.append((time.thread_time() - t) * 1000.0)

    probe = Probe()
    signals = {
        "history": bridge.history_loaded,
        "older": bridge.older_history_loaded,
        "timeline": bridge.customers.timeline_loaded,
        "changed": bridge.conversation_changed,
    }
    for name, sig in signals.items():
        sig.connect(probe.before(name))
    t0 = time.perf_counter()
    w = MainWindow(bridge, settings)  # connects the window's slots: after the probe's "before"
    w.resize(1280, 800)
    w.show()
    w.repaint()
    window_ms = _ms(t0)
    for name, sig in signals.items():
        sig.connect(probe.after(name))
    ticker = Ticker()
    out: dict[str, Any] = {"login_ms": login_ms, "window_ms": window_ms, "sync_kib": sync_bytes / 1024}
    out["login_cpu_ms"], out["login_hub_cpu_ms"] = login_cpu, login_hub_cpu
    out["sync_decode_cpu_ms"] = _median(decodes)
    out["inbox_rows"] = w.inbox.rowCount()

    # the inbox: what every sync (and resume) applies, until painted
    syncs, sync_cpu = [], []
    for _ in range(args.repeat):
        c0 = clocks.read()
        with _profiled(args, "sync"):
            w.on_synced()
            _paint(w)
        wall, cpu, _hub = clocks.since(c0)
        syncs.append(wall)
        sync_cpu.append(cpu)
        await asyncio.sleep(0.05)
    out["inbox_sync_ms"] = _median(syncs)
    out["inbox_sync_cpu_ms"] = _median(sync_cpu)

    # the long conversation: newest page, painted (after the login's cache write is done:
    # the operator does not click within the first second)
    await asyncio.sleep(1.0)
    # reference: the same newest page read by the session alone (the round trip, no window)
    bare, bare_hub = [], []
    for _ in range(args.repeat):
        session._histories.pop(seeded.long_conversation, None)
        c0 = clocks.read()
        await session.load_history(seeded.long_conversation)
        wall, _cpu, hub_cpu = clocks.since(c0)
        bare.append(wall)
        bare_hub.append(hub_cpu)
        await asyncio.sleep(0.1)
    out["bare_page_ms"] = _median(bare)
    out["bare_page_hub_cpu_ms"] = _median(bare_hub)
    session._histories.pop(seeded.long_conversation, None)
    ticker.start()
    opens, calls, waits, applies, open_cpu, open_hub = [], [], [], [], [], []
    for k in range(args.repeat):
        if k:  # open another one in between, then this again: a fresh read of the newest page
            w.open_conversation(seeded.timeline_conversation)
            await probe.wait(lambda n, a: n == "history" and a[0] == seeded.timeline_conversation)
            await asyncio.sleep(0.2)
            session._histories.pop(seeded.long_conversation, None)  # as if never opened this run
        t0 = time.perf_counter()
        c0 = clocks.read()
        with _profiled(args, "open"):
            done = probe.wait(lambda n, a: n == "history" and a[0] == seeded.long_conversation)
            w.open_conversation(seeded.long_conversation)
            t_call = time.perf_counter()
            await done
            _paint(w)
        wall, cpu, hub_cpu = clocks.since(c0)
        opens.append(wall)
        open_cpu.append(cpu)
        open_hub.append(hub_cpu)
        calls.append((t_call - t0) * 1000)
        waits.append((probe.last_started["history"] - t_call) * 1000)
        applies.append(probe.spans["history"][-1])
        await asyncio.sleep(0.2)
    out["open_stall_ms"] = ticker.stop()
    out["open_ms"] = statistics.median(opens)
    out["open_cpu_ms"] = _median(open_cpu)
    out["open_hub_cpu_ms"] = _median(open_hub)
    out["opens"] = [round(x, 1) for x in opens]
    out["open_call_ms"] = statistics.median(calls)
    out["open_wait_ms"] = statistics.median(waits)
    out["open_apply_ms"] = statistics.median(applies)
    out["open_rows"] = w.messages.rowCount()

    # scrolling back, page by page, with the event loop's gaps measured throughout
    pane = w.pane
    bar = pane.list.verticalScrollBar()
    kept_in_place = 0
    await asyncio.sleep(0.1)
    ticker.start()
    t_scroll = time.perf_counter()
    c_scroll = clocks.read()
    max_rows = 0
    with _profiled(args, "scroll"):
        for _ in range(args.pages):
            rows = w.messages.rowCount()
            first = w.messages.first_id()
            done = probe.wait(lambda n, a: n == "older")
            bar.setValue(0)  # the operator drags to the top
            top = pane.list.indexAt(QPoint(pane.list.viewport().width() // 2, 0))
            top_id, top_y = w.messages.message_at(top.row()).id, pane.list.visualRect(top).top()
            await done
            max_rows = max(max_rows, w.messages.rowCount())
            added = first != w.messages.first_id()
            # where that message is now (the rows above it are the new page)
            row = next(r for r in range(w.messages.rowCount()) if w.messages.message_at(r).id == top_id)
            moved = pane.list.visualRect(w.messages.index(row)).top() - top_y
            kept_in_place += added and moved == 0
            if added and moved != 0:
                print(f"  page at {rows} rows: the message at the top moved by {moved} px", flush=True)
            await asyncio.sleep(0.01)  # let it paint, as the operator would see it
            if not pane.more_history:
                break
    out["scroll_ms"] = _ms(t_scroll)
    out["max_stall_ms"] = ticker.stop()
    out["max_stall_cpu_ms"] = ticker.busy_ms()
    _wall, scroll_cpu, scroll_hub = clocks.since(c_scroll)
    out["max_rows"] = max_rows
    inserts = probe.spans.get("older", [])
    out["pages"] = len(inserts)
    out["scroll_cpu_ms_per_page"] = scroll_cpu / max(1, len(inserts))
    out["scroll_hub_cpu_ms_per_page"] = scroll_hub / max(1, len(inserts))
    out["rows_after_scroll"] = w.messages.rowCount()
    out["page_insert_ms_p50"] = statistics.median(inserts) if inserts else float("nan")
    out["page_insert_ms_max"] = max(inserts) if inserts else float("nan")
    out["page_insert_ms_last"] = inserts[-1] if inserts else float("nan")
    out["kept_in_place"] = kept_in_place

    # the customer with 5,000 past conversations: the card's timeline, first page painted
    tl_opens, tl_cpu, tl_hub = [], [], []
    for k in range(args.repeat):
        if k:  # another customer in between, and the timeline not cached: a fresh read
            w.open_conversation(seeded.long_conversation)
            await probe.wait(lambda n, a: n == "history" and a[0] == seeded.long_conversation)
            w.bridge.customers._forget_timelines(seeded.timeline_customer)
        await asyncio.sleep(0.2)
        c0 = clocks.read()
        with _profiled(args, "timeline"):
            done = probe.wait(lambda n, a: n == "timeline" and a[0] == seeded.timeline_customer)
            w.open_conversation(seeded.timeline_conversation)
            await done
            _paint(w)
        wall, cpu, hub_cpu = clocks.since(c0)
        tl_opens.append(wall)
        tl_cpu.append(cpu)
        tl_hub.append(hub_cpu)
    out["timeline_open_ms"] = _median(tl_opens)
    out["timeline_open_cpu_ms"] = _median(tl_cpu)
    out["timeline_open_hub_cpu_ms"] = _median(tl_hub)
    out["timeline_rows"] = w.card.timeline.rowCount()
    out["timeline_kinds"] = sorted({e.kind for e in w.card.timeline.entries()})

    # a burst of 200 conversation updates into the 5,000-conversation inbox
    await asyncio.sleep(0.2)
    waiting = set(seeded.burst_conversations)
    changed: set[int] = set()

    def burst_done(name: str, a: tuple[Any, ...]) -> bool:
        if name == "changed" and a[0].id in waiting and a[0].state == "waiting":
            changed.add(a[0].id)
        return len(changed) == len(waiting)

    probe.spans.pop("changed", None)
    done = probe.wait(burst_done)
    ticker.start()
    t0 = time.perf_counter()
    c0 = clocks.read()
    with _profiled(args, "burst"):
        hub.send(("burst", seeded.burst_conversations))
        await done
        _paint(w)
    out["burst_ms"] = _ms(t0)
    out["burst_stall_ms"] = ticker.stop()
    out["burst_stall_cpu_ms"] = ticker.busy_ms()
    out["burst_cpu_ms"] = clocks.since(c0)[1]
    applied = probe.spans.get("changed", [])
    out["burst_update_ms_max"] = max(applied) if applied else float("nan")
    out["burst_update_ms_p50"] = statistics.median(applied) if applied else float("nan")
    await asyncio.get_running_loop().run_in_executor(None, hub.recv)

    w.close()
    await session.close()
    return out


def _report(r: dict[str, Any]) -> list[tuple[str, float, float]]:
    return [
        ("open_ms", r["open_ms"], OPEN_CEILING_MS),
        ("timeline_open_ms", r["timeline_open_ms"], TIMELINE_CEILING_MS),
        ("max_stall_ms", r["max_stall_ms"], STALL_CEILING_MS),
        ("page_insert_ms_max", r["page_insert_ms_max"], STALL_CEILING_MS),
        ("inbox_sync_ms", r["inbox_sync_ms"], INBOX_SYNC_CEILING_MS),
        ("burst_stall_ms", r["burst_stall_ms"], BURST_STALL_CEILING_MS),
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ui_history", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="20 pages back, one open (under a minute)")
    p.add_argument("--pages", type=int, default=None, help="older pages to scroll back through (default 40; 20 quick)")
    p.add_argument("--repeat", type=int, default=None,
                   help="opens and syncs measured, the median reported (default 5; 3 quick)")
    p.add_argument("--full-repaint", action="store_true",
                   help="measure each step until the whole window is repainted (not only what changed)")
    p.add_argument("--profile", metavar="FILE", help="write a cProfile of the window side (this process) to FILE")
    p.add_argument("--profile-phase", choices=PHASES,
                   help="with --profile: only while this is measured (default: the whole run)")
    args = p.parse_args(argv)
    if args.pages is None:
        args.pages = 20 if args.quick else 40
    if args.repeat is None:
        args.repeat = 3 if args.quick else 5
    global FULL_REPAINT
    FULL_REPAINT = args.full_repaint
    load_start = _loadavg()

    import qasync
    from PySide6.QtWidgets import QApplication

    from ui import theme

    with tempfile.TemporaryDirectory(prefix="bench-ui-history-") as tmpdir:
        tmp = Path(tmpdir)
        db_url = f"sqlite:///{tmp / 'hub.db'}"
        t0 = time.perf_counter()
        seeded = seed(db_url)
        print(f"seeded {HISTORY} messages, {TIMELINE} past and {INBOX} active conversations in {_ms(t0):.0f} ms",
              flush=True)
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_hub_main, args=(db_url, child), daemon=True)
        proc.start()
        port = parent.recv()
        app = QApplication.instance() or QApplication([])
        theme.apply(app, "light")  # type: ignore[arg-type]
        app.setQuitOnLastWindowClosed(False)  # type: ignore[union-attr]
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        profiler = args.profiler = cProfile.Profile() if args.profile else None
        try:
            if profiler is not None and not args.profile_phase:
                profiler.enable()
            assert proc.pid is not None
            clocks = Clocks(proc.pid)
            result = loop.run_until_complete(_drive(f"ws://127.0.0.1:{port}", seeded, args, parent, tmp, clocks))
        finally:
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(args.profile)
            if proc.is_alive():
                parent.send(("stop", None))
                if parent.poll(30):
                    parent.recv()
            proc.join(10)
            loop.close()

    print(f"the sync of {result['inbox_rows']} conversations is one frame of ~{result['sync_kib']:.0f} KiB "
          f"(the hub may send up to {MAX_FRAME_KIB} KiB to a client)", flush=True)
    print(f"login (sync of {result['inbox_rows']} conversations): {result['login_ms']:.0f} ms "
          f"(hub CPU {result['login_hub_cpu_ms']:.0f} ms, window thread CPU {result['login_cpu_ms']:.0f} ms, "
          f"of it decoding the sync frame {result['sync_decode_cpu_ms']:.0f} ms); "
          f"window built and shown: {result['window_ms']:.0f} ms", flush=True)
    print(f"scrolled back {result['pages']} pages ({result['rows_after_scroll']} messages in the view, "
          f"at most {result['max_rows']}) in "
          f"{result['scroll_ms']:.0f} ms; page insert p50 {result['page_insert_ms_p50']:.1f} ms, "
          f"last {result['page_insert_ms_last']:.1f} ms; place kept on {result['kept_in_place']} inserts", flush=True)
    print(f"timeline first page: {result['timeline_rows']} rows ({', '.join(result['timeline_kinds'])}); "
          f"burst of {BURST} updates applied in "
          f"{result['burst_ms']:.0f} ms (each p50 {result['burst_update_ms_p50']:.2f} ms, "
          f"max {result['burst_update_ms_max']:.2f} ms)", flush=True)
    print(f"open: {result['open_call_ms']:.1f} ms in open_conversation, "
          f"{result['open_wait_ms']:.1f} ms waiting for the "
          f"hub's page, {result['open_apply_ms']:.1f} ms showing it, the rest painting; longest stall meanwhile "
          f"{result['open_stall_ms']:.1f} ms; the same page read by the session alone: {result['bare_page_ms']:.1f} ms "
          f"(hub CPU {result['bare_page_hub_cpu_ms']:.1f} ms); opens: {result['opens']}",
          flush=True)
    print("CPU time (not waiting for a core): "
          f"open {result['open_cpu_ms']:.1f} ms window thread + {result['open_hub_cpu_ms']:.1f} ms hub; "
          f"timeline {result['timeline_open_cpu_ms']:.1f} + {result['timeline_open_hub_cpu_ms']:.1f} ms hub; "
          f"inbox sync {result['inbox_sync_cpu_ms']:.1f} ms; "
          f"per older page {result['scroll_cpu_ms_per_page']:.1f} ms + "
          f"{result['scroll_hub_cpu_ms_per_page']:.1f} ms hub; "
          f"burst {result['burst_cpu_ms']:.1f} ms; longest the loop was kept busy (CPU between two ticks): "
          f"scrolling {result['max_stall_cpu_ms']:.1f} ms, burst {result['burst_stall_cpu_ms']:.1f} ms", flush=True)
    for name, cpu_key, ceiling in (
        ("open", "open_cpu_ms", OPEN_CEILING_MS),
        ("timeline_open", "timeline_open_cpu_ms", TIMELINE_CEILING_MS),
        ("inbox_sync", "inbox_sync_cpu_ms", INBOX_SYNC_CEILING_MS),
        ("max_stall", "max_stall_cpu_ms", STALL_CEILING_MS),
        ("burst_stall", "burst_stall_cpu_ms", BURST_STALL_CEILING_MS),
    ):
        print(f"{name + ' CPU':20s} {result[cpu_key]:8.1f} ms  ceiling {ceiling:5.0f} ms  "
              f"ratio {result[cpu_key] / ceiling:5.2f}  (window thread only)", flush=True)
    load_end = _loadavg()
    print(f"load average (1 min) at the start {load_start:.1f}, at the end {load_end:.1f}; "
          f"medians of {args.repeat}", flush=True)
    summary: dict[str, Any] = {"bench": "ui_history", "quick": args.quick}
    for name, value, ceiling in _report(result):
        ratio = value / ceiling
        verdict = "meets" if ratio <= 1 else "MISSES"
        print(f"{name:20s} {value:8.1f} ms  ceiling {ceiling:5.0f} ms  ratio {ratio:5.2f}  {verdict}", flush=True)
        summary[name] = round(value, 1)
        summary[f"{name.removesuffix('_ms')}_ratio"] = round(ratio, 3)
    summary["load_start"] = round(load_start, 1)
    summary["load_end"] = round(load_end, 1)
    summary["repeat"] = args.repeat
    summary["full_repaint"] = args.full_repaint
    summary["sync_kib"] = round(result["sync_kib"])
    summary["sync_fits_frame"] = result["sync_kib"] <= MAX_FRAME_KIB
    for key in ("bare_page_ms", "open_wait_ms", "pages", "page_insert_ms_p50", "burst_ms", "login_ms",
                "timeline_rows", "rows_after_scroll", "max_rows", "open_cpu_ms", "open_hub_cpu_ms",
                "timeline_open_cpu_ms", "timeline_open_hub_cpu_ms", "inbox_sync_cpu_ms", "scroll_cpu_ms_per_page",
                "scroll_hub_cpu_ms_per_page", "burst_cpu_ms",
                "max_stall_cpu_ms", "burst_stall_cpu_ms", "login_hub_cpu_ms", "sync_decode_cpu_ms"):
        v = result[key]
        summary[key] = round(v, 1) if isinstance(v, float) else v
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
