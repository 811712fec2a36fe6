"""Hub relay benchmark: the real hub against a bare websockets relay, same load, same run.

    python -m bench.hub_relay [--quick] [--conversations 200] [--operators 4]

Simulated customers and operators on loopback. Each target runs in its own process
(the load generator is this process):

- ``hub``:   ``python -m app.hub.cli serve`` on a SQLite file (every message persisted,
             with its event row, before anyone hears of it);
- ``relay``: a websockets server with no logic: a customer's frame goes to every
             operator connection (the hub also sends every event to every operator),
             an operator's frame goes to the customer it names.

Both get the same clients, frames of the same shape and the same websockets settings.
Both servers run for the whole benchmark, each with its own clients connected; two
phases per target, on the same connections:

1. throughput (closed loop): every conversation keeps one exchange in flight: the customer
   writes, the assigned operator answers at once, the customer writes again on the answer.
   Messages relayed per second (customer messages + answers). Measured in ``--rounds``
   rounds, the targets taking turns (relay, hub; hub, relay; ...), so that a shared
   machine whose speed drifts over the run (it does: the same code measured 250 and 500
   us per message an hour apart) drifts for both; the ratio is of the totals, and each
   round's ratio is printed too.
2. latency (open loop): every conversation writes at a fixed rate (``--rate``, default 0.2
   per second: a message every 5 s in each of the 200 conversations, each answered, so
   80 messages/s in all, a busy contact centre), random phase; p50/p99 of customer →
   operator (the customer's send to the assigned operator reading the event).

The last line is one JSON object (see DESIGN.md, benchmark conventions).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password"  # a throwaway account in a temporary database
TARGET_RATIO = 0.5
TARGET_P99_MS = 25.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------- the bare relay


class _Routed(msgspec.Struct):
    conversation_id: int


async def _relay_main(port: int) -> None:
    customers: dict[int, ServerConnection] = {}
    operators: list[ServerConnection] = []
    routed = msgspec.json.Decoder(_Routed)

    async def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
        kind, _, idx = ws.request.path.strip("/").partition("/")
        try:
            if kind == "c":
                customers[int(idx)] = ws
                async for raw in ws:
                    for op in operators:
                        await op.send(raw)
            else:
                operators.append(ws)
                async for raw in ws:
                    peer = customers.get(routed.decode(raw).conversation_id)
                    if peer is not None:
                        await peer.send(raw)
        except ConnectionClosed:
            pass

    kw: dict[str, Any] = {}
    if os.environ.get("BENCH_RELAY_DEFLATE") != "all":
        # the hub's websockets settings: permessage-deflate for messages of 1 KiB and
        # more (app/hub/connection.py, SmallFramesPlain); BENCH_RELAY_DEFLATE=all gives
        # the relay websockets' default (every message compressed) instead
        from app.hub.connection import SmallFramesPlainFactory

        kw = {"compression": None, "extensions": [SmallFramesPlainFactory()]}
    async with serve(handler, "127.0.0.1", port, **kw):
        print("relay listening", file=sys.stderr, flush=True)
        await asyncio.Future()


# ---------------------------------------------------------------------- the load


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)  # customer → operator, seconds
    relayed: int = 0  # messages that reached the other side
    frames: int = 0  # frames the clients received while measuring (any kind)
    measuring: bool = False


class Target:
    """How clients talk to one target: URLs and frames."""

    name = ""

    def __init__(self, port: int) -> None:
        self.port = port

    def customer_url(self, i: int) -> str:
        raise NotImplementedError

    def operator_url(self, j: int) -> str:
        raise NotImplementedError


class HubTarget(Target):
    name = "hub"

    def customer_url(self, i: int) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/customer"

    def operator_url(self, j: int) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/operator"


class RelayTarget(Target):
    name = "relay"

    def customer_url(self, i: int) -> str:
        return f"ws://127.0.0.1:{self.port}/c/{i}"

    def operator_url(self, j: int) -> str:
        return f"ws://127.0.0.1:{self.port}/o/{j}"


def _txn() -> str:
    return str(uuid.uuid4())


def _dumps(obj: dict[str, Any]) -> str:
    return msgspec.json.encode(obj).decode()


class Customer:
    def __init__(self, i: int, target: Target, stats: Stats) -> None:
        self.i = i
        self.target = target
        self.stats = stats
        self.ws: ClientConnection | None = None
        self.conversation_id: int = i  # the relay names conversations by customer index
        self.answers: asyncio.Queue[None] = asyncio.Queue()
        self.reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self.ws = await connect(self.target.customer_url(self.i), open_timeout=30)
        if isinstance(self.target, HubTarget):
            await self.ws.send(_dumps({"type": "customer_hello", "protocol": 1, "name": f"Bench {self.i}"}))
            json.loads(await self.ws.recv())  # customer_welcome
            await self.ws.send(_dumps({"type": "customer_send", "txn_id": _txn(), "text": "hello"}))
            result = json.loads(await self.ws.recv())
            assert result["type"] == "result", result
            self.conversation_id = int(result["data"]["message"]["conversation_id"])
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                if self.stats.measuring:
                    self.stats.frames += 1
                # hub: message_created (an operator's answer) or result (our own send);
                # relay: the operator's frame itself
                if '"author":"operator"' in raw or '"send_message"' in raw:
                    if self.stats.measuring:
                        self.stats.relayed += 1
                    self.answers.put_nowait(None)

    async def say(self, k: int) -> None:
        assert self.ws is not None
        text = f"t={time.perf_counter():.9f} c={self.i} k={k} my order has not arrived yet, please check"
        frame: dict[str, Any] = {"type": "customer_send", "txn_id": _txn(), "text": text}
        if isinstance(self.target, RelayTarget):
            frame["conversation_id"] = self.i
        await self.ws.send(_dumps(frame))

    async def closed_loop(self, stop: asyncio.Event) -> None:
        k = 0
        while not stop.is_set():
            await self.say(k)
            k += 1
            await self.answers.get()

    async def open_loop(self, stop: asyncio.Event, rate: float) -> None:
        period = 1.0 / rate
        await asyncio.sleep(random.uniform(0, period))
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        k = 0
        while not stop.is_set():
            await self.say(k)
            k += 1
            next_at += period
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


class Operator:
    def __init__(self, j: int, n_ops: int, target: Target, stats: Stats, username: str) -> None:
        self.j = j
        self.n_ops = n_ops
        self.target = target
        self.stats = stats
        self.username = username
        self.ws: ClientConnection | None = None
        self.id = -1
        self.mine: set[int] = set()  # conversation ids assigned to this operator
        self.reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self.ws = await connect(self.target.operator_url(self.j), open_timeout=30, max_queue=None)
        if isinstance(self.target, HubTarget):
            await self.ws.send(_dumps({"type": "hello", "protocol": 1, "client": "bench", "device_id": f"b{self.j}"}))
            json.loads(await self.ws.recv())  # welcome
            auth = {"type": "auth", "txn_id": _txn(), "username": self.username, "password": PASSWORD}
            await self.ws.send(_dumps(auth))
            while True:
                frame = json.loads(await self.ws.recv())
                if frame.get("txn_id") == auth["txn_id"]:
                    assert frame["type"] == "result", frame
                    self.id = int(frame["data"]["operator"]["id"])
                    break
        self.reader = asyncio.create_task(self._read())

    def owns(self, conversation_id: int) -> bool:
        if isinstance(self.target, RelayTarget):
            return conversation_id % self.n_ops == self.j
        return conversation_id in self.mine

    async def _read(self) -> None:
        assert self.ws is not None
        hub = isinstance(self.target, HubTarget)
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                now = time.perf_counter()
                assert isinstance(raw, str)
                if self.stats.measuring:
                    self.stats.frames += 1
                if hub:
                    if raw.startswith('{"type":"conversation_updated"'):
                        conv = json.loads(raw)["conversation"]
                        if conv.get("assignee_id") == self.id:
                            self.mine.add(int(conv["id"]))
                        continue
                    if not raw.startswith('{"type":"message_created"') or '"author":"customer"' not in raw:
                        continue
                    msg = json.loads(raw)["message"]
                    conv_id, text = int(msg["conversation_id"]), msg["text"]
                else:
                    frame = json.loads(raw)
                    conv_id, text = int(frame["conversation_id"]), frame["text"]
                if not self.owns(conv_id) or not text.startswith("t="):
                    continue
                if self.stats.measuring:
                    self.stats.latencies.append(now - float(text[2 : text.index(" ")]))
                    self.stats.relayed += 1
                answer = {
                    "type": "send_message",
                    "txn_id": _txn(),
                    "conversation_id": conv_id,
                    "text": "thank you, I am checking it now",
                }
                await self.ws.send(_dumps(answer))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


@dataclass
class Figures:
    throughput: float  # messages relayed per second, closed loop
    sat_p50_ms: float
    sat_p99_ms: float
    p50_ms: float  # open loop at --rate
    p99_ms: float
    samples: int
    frames_per_message: float = math.nan  # frames the clients received per message relayed
    server_cpu_us: float = math.nan  # server process CPU time per message relayed (closed loop)
    loop_cpu_us: float = math.nan  # of which the server's main thread (the event loop)
    server_cpu_share: float = math.nan  # server CPU seconds per wall second (1.0: one core busy)
    load_cpu_share: float = math.nan  # the same for this load-generating process
    persisted: int | None = None
    rounds: list[float] = field(default_factory=list)  # closed-loop messages per second, each round


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each thread of a process (Linux /proc; empty elsewhere)."""
    out: dict[int, float] = {}
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def _pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000.0


@dataclass
class Rig:
    """One target's clients, connected, and what its throughput rounds measured."""

    target: Target
    server_pid: int
    operators: list[Operator]
    customers: list[Customer]
    stats: Stats
    relayed: int = 0
    elapsed: float = 0.0
    server_cpu: float = 0.0
    loop_cpu: float = 0.0
    own_cpu: float = 0.0
    frames: int = 0
    sat: list[float] = field(default_factory=list)  # customer -> operator, closed loop
    rounds: list[float] = field(default_factory=list)  # messages per second, each round
    latencies: list[float] = field(default_factory=list)  # customer -> operator, fixed rate


async def _connect(target: Target, args: argparse.Namespace, usernames: list[str], server_pid: int) -> Rig:
    stats = Stats()
    operators = [Operator(j, args.operators, target, stats, usernames[j]) for j in range(args.operators)]
    for op in operators:
        await op.open()
    customers = [Customer(i, target, stats) for i in range(args.conversations)]
    for start in range(0, len(customers), 50):  # connect in slices: no SYN storm
        await asyncio.gather(*(c.open() for c in customers[start : start + 50]))
    if isinstance(target, HubTarget):  # wait until routing assigned every conversation
        deadline = time.monotonic() + 30
        wanted = {c.conversation_id for c in customers}
        while set().union(*(op.mine for op in operators)) < wanted:
            if time.monotonic() > deadline:
                raise RuntimeError("the hub did not assign every conversation (operator capacity?)")
            await asyncio.sleep(0.05)
    return Rig(target, server_pid, operators, customers, stats)


async def _throughput_round(rig: Rig, args: argparse.Namespace, seconds: float, profile: bool) -> None:
    """Closed loop: every conversation keeps one exchange in flight for ``seconds``
    (after a warm-up); then every loop finishes the exchange it has in flight, so the
    next round (of either target) starts on idle servers."""
    stats = rig.stats
    stop = asyncio.Event()
    loops = [asyncio.create_task(c.closed_loop(stop)) for c in rig.customers]
    await asyncio.sleep(args.warmup)
    stats.measuring, stats.relayed, stats.latencies, stats.frames = True, 0, [], 0
    t0 = time.perf_counter()
    cpu0, own0 = _cpu_seconds(rig.server_pid), time.process_time()
    threads0 = _thread_cpu(rig.server_pid)
    spy = _profile(args, rig.target, rig.server_pid, seconds) if profile else None
    await asyncio.sleep(seconds)
    stats.measuring = False
    if spy is not None:
        await asyncio.to_thread(spy.wait)
    elapsed = time.perf_counter() - t0
    rig.server_cpu += _cpu_seconds(rig.server_pid) - cpu0
    rig.own_cpu += time.process_time() - own0
    threads1 = _thread_cpu(rig.server_pid)  # the main thread (id = pid) runs the loop
    rig.loop_cpu += threads1.get(rig.server_pid, math.nan) - threads0.get(rig.server_pid, math.nan)
    rig.relayed += stats.relayed
    rig.elapsed += elapsed
    rig.frames += stats.frames
    rig.sat += stats.latencies
    rig.rounds.append(stats.relayed / elapsed)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*loops), 60)


async def _latency_phase(rig: Rig, args: argparse.Namespace) -> None:
    """Open loop at a fixed rate: p50/p99 customer -> operator."""
    stats = rig.stats
    stop = asyncio.Event()
    loops = [asyncio.create_task(c.open_loop(stop, args.rate)) for c in rig.customers]
    await asyncio.sleep(args.warmup)
    stats.measuring, stats.latencies = True, []
    await asyncio.sleep(args.latency_seconds)
    stats.measuring = False
    rig.latencies = list(stats.latencies)
    stop.set()
    await asyncio.gather(*loops)
    await asyncio.sleep(0.5)  # let the last answers land before closing


async def _close(rig: Rig) -> None:
    for c in rig.customers:
        await c.close()
    for op in rig.operators:
        await op.close()


def _figures(rig: Rig) -> Figures:
    return Figures(
        throughput=rig.relayed / rig.elapsed if rig.elapsed else math.nan,
        sat_p50_ms=_pct(rig.sat, 0.50),
        sat_p99_ms=_pct(rig.sat, 0.99),
        p50_ms=_pct(rig.latencies, 0.50),
        p99_ms=_pct(rig.latencies, 0.99),
        samples=len(rig.latencies),
        frames_per_message=rig.frames / rig.relayed if rig.relayed else math.nan,
        server_cpu_us=rig.server_cpu / rig.relayed * 1e6 if rig.relayed else math.nan,
        loop_cpu_us=rig.loop_cpu / rig.relayed * 1e6 if rig.relayed else math.nan,
        server_cpu_share=rig.server_cpu / rig.elapsed if rig.elapsed else math.nan,
        load_cpu_share=rig.own_cpu / rig.elapsed if rig.elapsed else math.nan,
        rounds=list(rig.rounds),
    )


async def _drive(servers: list[tuple[Target, int, list[str]]], args: argparse.Namespace) -> list[Figures]:
    """Connect every target's clients, then run the throughput rounds interleaved
    (relay, hub; hub, relay; ...: a machine whose speed drifts during the run, as a
    shared one does, drifts for both), then each target's latency phase."""
    rigs = [await _connect(target, args, usernames, pid) for target, pid, usernames in servers]
    try:
        per_round = args.seconds / args.rounds
        for r in range(args.rounds):
            order = rigs if r % 2 == 0 else rigs[::-1]
            for rig in order:
                await _throughput_round(rig, args, per_round, profile=r == 0)
        for rig in rigs:
            await _latency_phase(rig, args)
    finally:
        for rig in rigs:
            await _close(rig)
    return [_figures(rig) for rig in rigs]


# ---------------------------------------------------------------------- processes


def _profile(args: argparse.Namespace, target: Target, pid: int, seconds: float) -> subprocess.Popen[bytes] | None:
    """With ``--profile FILE``: py-spy samples the hub (GIL holder only; every thread
    with ``BENCH_PYSPY_ALL=1``) through its first throughput round into FILE (py-spy's
    raw collapsed-stack format), ``BENCH_PYSPY_RATE`` (200) times a second."""
    if not args.profile or not isinstance(target, HubTarget):
        return None
    spy = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--nonblocking"]
    spy += ["--gil"] if os.environ.get("BENCH_PYSPY_ALL") is None else []
    rate = os.environ.get("BENCH_PYSPY_RATE", "200")  # samples per second
    spy += ["-r", rate, "-f", "raw", "-d", str(max(1, int(seconds))), "-o", args.profile]
    return subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            _r, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def _prepare_hub_db(db_path: Path, operators: int, capacity: int) -> list[str]:
    from app.hub.accounts import hash_password
    from app.storage import Store, make_engine, upgrade

    engine = make_engine(f"sqlite:///{db_path}")
    try:
        upgrade(engine)
        store = Store(engine)
        pw_hash = hash_password(PASSWORD)
        names = [f"bench{j}" for j in range(operators)]
        for name in names:
            store.create_operator(name, pw_hash, "operator", f"Bench operator {name}", capacity=capacity)
        return names
    finally:
        engine.dispose()


class _Server:
    """One target's server process (the relay, or the hub on a fresh SQLite file)."""

    def __init__(self, kind: str, args: argparse.Namespace, workdir: Path) -> None:
        self.kind = kind
        self.port = _free_port()
        self.db_path = workdir / "hub.db"
        self.usernames = [f"bench{j}" for j in range(args.operators)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if kind == "hub":
            capacity = math.ceil(args.conversations / args.operators) + 1
            self.usernames = _prepare_hub_db(self.db_path, args.operators, capacity)
            cmd = [sys.executable, "-m", "app.hub.cli", "--log-level", "warning", "serve"]
            cmd += ["--db", f"sqlite:///{self.db_path}", "--port", str(self.port)]
            self.target: Target = HubTarget(self.port)
        else:
            cmd = [sys.executable, "-m", "bench.hub_relay", "--serve-relay", str(self.port)]
            self.target = RelayTarget(self.port)
        self.log_path = workdir / f"{kind}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._log, stderr=self._log)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()

    def persisted(self) -> int:
        with contextlib.closing(sqlite3.connect(self.db_path)) as db:
            return int(db.execute("SELECT count(*) FROM messages").fetchone()[0])


async def _serve_and_drive(servers: list[_Server], args: argparse.Namespace) -> list[Figures]:
    for server in servers:
        await _wait_port(server.port, server.proc)
    return await _drive([(sv.target, sv.proc.pid, sv.usernames) for sv in servers], args)


def _report(name: str, f: Figures) -> str:
    return (
        f"{name:6s} throughput {f.throughput:8.0f} msg/s (closed loop: p50 {f.sat_p50_ms:6.2f} ms, "
        f"p99 {f.sat_p99_ms:6.2f} ms) | at the fixed rate: p50 {f.p50_ms:6.2f} ms, p99 {f.p99_ms:6.2f} ms "
        f"({f.samples} samples); {f.frames_per_message:.2f} frames received per message; "
        f"closed loop CPU: server {f.server_cpu_us:.0f} us/message (event loop {f.loop_cpu_us:.0f}), "
        f"{f.server_cpu_share:.2f} cores, "
        f"load generator {f.load_cpu_share:.2f} cores"
    )


def _main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-hub-relay-") as tmp:
        workdir = Path(tmp)
        servers = [_Server(kind, args, workdir) for kind in (["hub"] if args.hub_only else ["relay", "hub"])]
        try:
            figures = asyncio.run(_serve_and_drive(servers, args))
        finally:
            for server in servers:
                server.stop()
        hub = figures[-1]
        hub.persisted = servers[-1].persisted()
        log_errors = sum(" ERROR " in line for line in servers[-1].log_path.read_text().splitlines())
    if args.hub_only:
        print(_report("hub", hub), flush=True)
        return {
            "bench": "hub_relay",
            "hub_only": True,
            "hub_msgs_per_s": round(hub.throughput, 1),
            "hub_cpu_us_per_message": round(hub.server_cpu_us, 1),
            "hub_loop_cpu_us_per_message": round(hub.loop_cpu_us, 1),
            "p99_ms": round(hub.p99_ms, 2),
        }
    relay = figures[0]
    print(_report("relay", relay), flush=True)
    print(_report("hub", hub), flush=True)
    ratio = hub.throughput / relay.throughput if relay.throughput else 0.0
    round_ratios = [h / r if r else 0.0 for h, r in zip(hub.rounds, relay.rounds, strict=True)]
    print(
        f"hub/relay throughput ratio {ratio:.2f} (target >= {TARGET_RATIO}; rounds, interleaved: "
        f"{', '.join(f'{x:.2f}' for x in round_ratios)}); hub p99 customer->operator "
        f"{hub.p99_ms:.2f} ms at {args.rate:g} msg/s per conversation x {args.conversations} "
        f"(target < {TARGET_P99_MS} ms); messages stored: {hub.persisted}",
        flush=True,
    )
    return {
        "bench": "hub_relay",
        "quick": args.quick,
        "conversations": args.conversations,
        "operators": args.operators,
        "rate_per_conversation": args.rate,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "throughput_ratio": round(ratio, 3),
        "round_ratios": [round(x, 3) for x in round_ratios],
        "hub_msgs_per_s": round(hub.throughput, 1),
        "relay_msgs_per_s": round(relay.throughput, 1),
        "p50_ms": round(hub.p50_ms, 2),
        "p99_ms": round(hub.p99_ms, 2),
        "relay_p50_ms": round(relay.p50_ms, 2),
        "relay_p99_ms": round(relay.p99_ms, 2),
        "hub_closed_loop_p99_ms": round(hub.sat_p99_ms, 2),
        "relay_closed_loop_p99_ms": round(relay.sat_p99_ms, 2),
        "hub_cpu_us_per_message": round(hub.server_cpu_us, 1),
        "relay_cpu_us_per_message": round(relay.server_cpu_us, 1),
        "hub_loop_cpu_us_per_message": round(hub.loop_cpu_us, 1),
        "cpu_ratio": round(relay.server_cpu_us / hub.server_cpu_us, 3) if hub.server_cpu_us else None,
        "hub_cpu_cores": round(hub.server_cpu_share, 2),
        "relay_cpu_cores": round(relay.server_cpu_share, 2),
        "hub_frames_per_message": round(hub.frames_per_message, 2),
        "relay_frames_per_message": round(relay.frames_per_message, 2),
        "hub_messages_stored": hub.persisted,
        "hub_log_errors": log_errors,
        "targets_met": ratio >= TARGET_RATIO and hub.p99_ms < TARGET_P99_MS,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.hub_relay", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a run under a minute")
    p.add_argument("--conversations", type=int, default=200)
    p.add_argument("--operators", type=int, default=4)
    p.add_argument(
        "--rate",
        type=float,
        default=0.2,
        help="latency phase: messages per second per conversation, each answered (default 0.2: one every 5 s)",
    )
    p.add_argument(
        "--seconds", type=float, default=None, help="closed-loop time measured per target, over all rounds (15; 4)"
    )
    p.add_argument("--rounds", type=int, default=None, help="interleaved throughput rounds per target (3; 2)")
    p.add_argument("--hub-only", action="store_true", help="measure the hub alone (no ratio; for profiling)")
    p.add_argument("--profile", metavar="FILE", help="py-spy the hub's throughput phase into FILE (raw format)")
    p.add_argument("--serve-relay", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve_relay is not None:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_relay_main(args.serve_relay))
        return 0
    if args.seconds is None:
        args.seconds = 4.0 if args.quick else 15.0
    if args.rounds is None:
        args.rounds = 2 if args.quick else 3
    args.latency_seconds = 4.0 if args.quick else 15.0
    args.warmup = 0.5 if args.quick else 1.0
    summary = _main(args)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
