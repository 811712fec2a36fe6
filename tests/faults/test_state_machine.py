"""A property-based test of the client/hub contract under random disconnects.

Hypothesis drives customers sending, the operator replying, the link being cut (proxy),
the hub restarting (EmbeddedHub stop/start on the same port and database) and clients
settling after reconnecting, in random order, with commands in flight when a fault hits.

After every step: each acknowledged message is in the hub's history (the messages
table) exactly once, each sender's messages keep their send order per conversation, and
no retry ever stored a second copy. At the end every message is acknowledged and
delivered to the other side.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.conftest import TestHub, create_test_accounts
from tests.faults.clients import KEY, Resilient, ResilientCustomer, ResilientOperator, Tally, count, db_rows
from tests.faults.proxy import FaultProxy
from tests.helpers import wait_until

CUSTOMERS = 3
STEP_TIMEOUT_S = 20.0
# a fault right after the commands were written (their results not yet read), or none
FAULT_NOW = st.sampled_from([None, "cut", "restart"])


class HubContract(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="frontline-faults-"))
        self.db_path = str(self.tmp / "hub.db")
        db_url = f"sqlite:///{self.db_path}"
        accounts = create_test_accounts(db_url)
        self.hub = TestHub(db_url, accounts, ping_interval_s=0.5, ping_timeout_s=0.5)
        self.hub.start()
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)  # gather() and friends outside the loop find it
        self.proxy = FaultProxy("127.0.0.1", self.hub.port)
        self.run(self.proxy.start())
        self.tally = Tally()
        acc = accounts.operator
        self.operator = ResilientOperator(self.proxy.url, self.tally, acc.username, acc.password)
        self.customers = [ResilientCustomer(self.proxy.url, self.tally, f"Customer {i}") for i in range(CUSTOMERS)]
        self.flushes: dict[int, asyncio.Task[None]] = {}
        self.numbers: defaultdict[str, int] = defaultdict(int)
        self.restarts = self.cuts = 0
        self.run(asyncio.gather(*(c.start() for c in self.clients)))

    @property
    def clients(self) -> list[Resilient]:
        return [self.operator, *self.customers]

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(coro, STEP_TIMEOUT_S))

    def _send(self, client: Resilient) -> None:
        """Start (or keep) the client's flush and let it get as far as writing the commands
        (or finishing): a fault in the next step hits them in flight."""
        task = self.flushes.get(id(client))
        if task is None or task.done():
            if task is not None:
                task.result()
            task = self.flushes[id(client)] = self.loop.create_task(client.flush())

        def attempts() -> int:
            return sum(o.attempts for o in client.outbox)

        before = attempts()
        self.run(wait_until(lambda: task.done() or attempts() > before, STEP_TIMEOUT_S))

    def _next(self, who: str) -> str:
        self.numbers[who] += 1
        return f"{who}#{self.numbers[who]:03d}"

    # ------------------------------------------------------------------ rules

    def _then(self, fault: str | None) -> None:
        if fault == "cut":
            self.connections_drop()
        elif fault == "restart":
            self.hub_restarts()

    @rule(i=st.integers(0, CUSTOMERS - 1), n=st.integers(1, 4), fault=FAULT_NOW)
    def customer_sends(self, i: int, n: int, fault: str | None) -> None:
        c = self.customers[i]
        for _ in range(n):
            c.queue(self._next(f"c{i}"), "question")
        self._send(c)
        self._then(fault)

    def _known_conversations(self) -> list[tuple[int, int]]:
        return [
            (i, c.outbox[0].result.conversation_id)
            for i, c in enumerate(self.customers)
            if c.outbox and c.outbox[0].result is not None
        ]

    @precondition(lambda self: bool(self._known_conversations()))
    @rule(pick=st.integers(0, CUSTOMERS - 1), n=st.integers(1, 4), fault=FAULT_NOW)
    def operator_replies(self, pick: int, n: int, fault: str | None) -> None:
        known = self._known_conversations()
        i, conv = known[pick % len(known)]
        for _ in range(n):
            self.operator.queue(self._next(f"op{i}"), "answer", conv)
        self._send(self.operator)
        self._then(fault)

    @rule()
    def connections_drop(self) -> None:
        async def cut() -> int:
            return self.proxy.cut()

        self.run(cut())
        self.cuts += 1

    @rule()
    def hub_restarts(self) -> None:
        # stop() closes connections with 1001: our loop must run meanwhile (the proxy lives here)
        self.run(self.loop.run_in_executor(None, self.hub.stop))
        self.run(self.loop.run_in_executor(None, self.hub.start))
        self.restarts += 1

    @rule()
    def clients_reconnect_and_settle(self) -> None:
        self.run(self._settle())

    async def _settle(self) -> None:
        await asyncio.gather(*self.flushes.values())
        await wait_until(lambda: all(c.connected.is_set() for c in self.clients), STEP_TIMEOUT_S)

    # ------------------------------------------------------------------ the invariant

    @invariant()
    def acknowledged_messages_stored_once_in_send_order(self) -> None:
        rows = db_rows(self.db_path)
        ids_by_key: defaultdict[str, list[int]] = defaultdict(list)
        per_sender: defaultdict[tuple[int, str], list[int]] = defaultdict(list)
        for id_, conv, _sender, _txn, text in rows:
            m = KEY.search(text)
            assert m is not None, text
            ids_by_key[f"{m['who']}#{m['n']}"].append(id_)
            per_sender[(conv, m["who"])].append(int(m["n"]))
        dups = {k: v for k, v in ids_by_key.items() if len(v) > 1}
        assert not dups, f"stored twice: {dups}"
        for (conv, who), numbers in per_sender.items():
            assert numbers == sorted(numbers), f"{who} in conversation {conv} out of order: {numbers}"
        for c in self.clients:
            for out in c.outbox:
                if out.result is not None:
                    stored = ids_by_key.get(out.key, [])
                    assert stored == [out.result.id], f"{out.key} acknowledged as {out.result.id}, stored {stored}"

    def teardown(self) -> None:
        try:
            self.run(self._settle())
            sent_ids = {o.result.id for c in self.clients for o in c.outbox if o.result}

            def delivered() -> bool:
                seen = set(self.operator.knows())
                for c in self.customers:
                    seen |= set(c.knows())
                return sent_ids <= seen

            with contextlib.suppress(AssertionError):  # the report names what is missing
                self.run(wait_until(delivered, 10))
            self.run(asyncio.gather(*(c.stop() for c in self.clients)))
            report = count(self.db_path, self.operator, self.customers)
            event(f"retried: {'some' if report.retried else 'none'}")
            event(f"hub restarts: {min(self.restarts, 2)}{'+' if self.restarts > 2 else ''}")
            report.assert_clean()
        finally:
            with contextlib.suppress(Exception):
                self.run(self.proxy.stop())
            self.hub.stop()
            for task in asyncio.all_tasks(self.loop):
                task.cancel()
            with contextlib.suppress(Exception):
                self.loop.run_until_complete(asyncio.sleep(0))
            self.loop.close()
            asyncio.set_event_loop(None)
            shutil.rmtree(self.tmp, ignore_errors=True)


HubContract.TestCase.settings = settings(
    max_examples=10,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_hub_contract_under_random_disconnects = HubContract.TestCase
