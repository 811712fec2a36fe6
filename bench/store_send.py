"""The hub's hot writes alone: customer messages and operator answers through ``Store``
on a SQLite file, in group commits of a given size, no sockets, one thread.

    python -m bench.store_send [--quick] [--group 16]

Prints CPU and wall time per message for groups of 1 exchange (a commit per customer
message and answer) and of ``--group`` exchanges, and their ratio; the last line is one
JSON object (DESIGN.md, benchmark conventions). The database thread's share of
``bench.hub_relay``'s CPU per message comes from here (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

from app.storage import Store, make_engine, upgrade
from app.storage.engine import checkpoint_in_background

TEXT_IN = "my order has not arrived yet, please check"
TEXT_OUT = "thank you, I am checking it now"


def _setup(path: Path, conversations: int) -> tuple[Store, int, list[int], list[int]]:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    checkpoint_in_background(engine)  # as the hub: no checkpoint inside a commit
    store = Store(engine)
    op = store.create_operator("bench", "not-a-hash", "operator", "Bench", capacity=conversations + 1)
    store.set_status(op.id, "online")
    customers = []
    for i in range(conversations):
        customer = store.create_visitor("web", f"visitor-{i}", f"Customer {i}", "en").customer.id
        store.customer_send(customer, "hello", str(uuid.uuid4()))
        customers.append(customer)
    store.route_queued()
    convs = {c.customer.id: c.id for c in store.sync_state().conversations}
    return store, op.id, customers, [convs[c] for c in customers]


def _run(
    store: Store, op_id: int, customers: list[int], convs: list[int], messages: int, group: int
) -> tuple[float, float]:
    """CPU and wall seconds per message for ``messages`` messages in groups of ``group`` exchanges."""
    exchanges = messages // 2
    cpu0, wall0 = time.process_time(), time.perf_counter()
    k = 0
    while k < exchanges:
        with store.batch():
            for _ in range(min(group, exchanges - k)):
                i = k % len(customers)
                store.customer_send(customers[i], TEXT_IN, str(uuid.uuid4()))
                store.operator_send(op_id, convs[i], TEXT_OUT, str(uuid.uuid4()))
                k += 1
    return (time.process_time() - cpu0) / messages, (time.perf_counter() - wall0) / messages


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.store_send", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer messages (a few seconds)")
    p.add_argument("--group", type=int, default=16, help="exchanges per group commit (default 16)")
    p.add_argument("--conversations", type=int, default=200)
    args = p.parse_args(argv)
    messages = 2000 if args.quick else 8000
    with tempfile.TemporaryDirectory(prefix="bench-store-send-") as tmp:
        store, op_id, customers, convs = _setup(Path(tmp) / "hub.db", args.conversations)
        _run(store, op_id, customers, convs, 400, args.group)  # warm-up
        single_cpu, single_wall = _run(store, op_id, customers, convs, messages, 1)
        group_cpu, group_wall = _run(store, op_id, customers, convs, messages, args.group)
        store.engine.dispose()
    for name, cpu, wall in (
        ("1 exchange", single_cpu, single_wall),
        (f"{args.group} exchanges", group_cpu, group_wall),
    ):
        print(f"group of {name:13s}: {cpu * 1e6:7.1f} us CPU, {wall * 1e6:7.1f} us wall per message", flush=True)
    print(f"grouping saves {1 - group_cpu / single_cpu:.0%} of the CPU per message", flush=True)
    print(
        json.dumps(
            {
                "bench": "store_send",
                "quick": args.quick,
                "messages": messages,
                "group": args.group,
                "cpu_us_per_message": round(group_cpu * 1e6, 1),
                "wall_us_per_message": round(group_wall * 1e6, 1),
                "single_cpu_us_per_message": round(single_cpu * 1e6, 1),
                "group_vs_single": round(group_cpu / single_cpu, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
