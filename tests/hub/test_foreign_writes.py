"""Writes another process makes to the event log (the admin CLI against the database of
a running hub) reach the operators' windows live and in seq order."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.hub.cli import main as hub_cli
from app.protocol.messages import MessageCreated, QueuesUpdated
from tests.conftest import TestHub, running_hub
from tests.helpers import CustomerClient, OperatorClient, scenario


def cli(*argv: str) -> None:
    assert hub_cli(list(argv)) == 0


@pytest.fixture
def slow_tick_hub(tmp_path: Path) -> Iterator[TestHub]:
    """A hub whose timed round (which also looks for other writers) runs once a minute:
    only its own next write can bring the CLI's events out."""
    with running_hub(tmp_path, tick_s=60) as h:
        yield h


@scenario
async def test_a_line_added_with_the_cli_reaches_a_signed_in_window_within_a_tick(hub: TestHub) -> None:
    async with OperatorClient.connected(hub.ws_url) as op:
        acc = hub.accounts.supervisor
        await op.login(acc.username, acc.password)
        synced = await op.sync()
        await asyncio.to_thread(cli, "queue", "add", "billing", "--db", hub.db_url)
        event = await op.wait_frame(QueuesUpdated, lambda f: any(q.name == "billing" for q in f.queues))
        assert event.seq > synced["seq"]


@scenario
async def test_the_cli_events_come_before_the_hubs_next_ones_in_seq_order(slow_tick_hub: TestHub) -> None:
    hub = slow_tick_hub
    async with OperatorClient.connected(hub.ws_url) as op:
        acc = hub.accounts.supervisor
        await op.login(acc.username, acc.password)
        synced = await op.sync()
        await asyncio.to_thread(cli, "queue", "add", "legal", "--db", hub.db_url)
        async with CustomerClient.connected(hub.ws_url) as cust:
            sent = await cust.send("hello after the CLI")
        await op.wait_frame(MessageCreated, lambda f: f.message.id == sent.id)
        seqs = [f.seq for f in op.received if getattr(f, "seq", 0) > synced["seq"]]
        assert seqs == sorted(seqs), "events must arrive in seq order"
        queues = [f for f in op.frames(QueuesUpdated) if any(q.name == "legal" for q in f.queues)]
        assert len(queues) == 1, "the CLI's event is published once, before the message"
        # nothing between the sync and the message is missing: a client that keeps the
        # highest seq it saw would otherwise skip the CLI's event for good
        assert seqs == list(range(synced["seq"] + 1, seqs[-1] + 1))
