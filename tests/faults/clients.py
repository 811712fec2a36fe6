"""Clients that follow the resume contract, for fault tests.

What a real client does after any failure (lost connection, stalled link, hub restart):

1. reconnect (backoff with jitter) with keepalive pings, so a half-open link is noticed;
2. re-sync: operators ``auth`` with the stored token, ``sync``, then page the history of
   every conversation they know; customers send their visitor token in the hello and get
   the conversation back in ``customer_welcome``;
3. re-send every command without a result, in order, with the SAME ``txn_id``;
4. keep what they know by message id (a message seen twice is applied once).

``Tally`` counts acknowledged commands across clients and lets a test act at the moment
the n-th acknowledgement arrives, so faults hit the middle of a burst, not a guess.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import fcntl
import random
import re
import sqlite3
import termios
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from app.protocol import PROTOCOL_VERSION, convert
from app.protocol.messages import (
    Auth,
    CustomerHello,
    CustomerSend,
    CustomerWelcome,
    Error,
    Hello,
    History,
    MessageCreated,
    MessageInfo,
    Result,
    SendMessage,
    Sync,
    Welcome,
)
from tests.helpers import CommandFailed, CustomerClient, OperatorClient, ProtoClient, txn, wait_until

WINDOW = 8  # commands in flight per client
# Failures a client recovers from by reconnecting (anything else fails the test).
LINK_ERRORS = (ConnectionError, ConnectionClosed, TimeoutError, OSError, InvalidHandshake)
KEY = re.compile(r"\[(?P<who>[a-z0-9]+)#(?P<n>\d+)\]")


@dataclass
class Outgoing:
    """One message a client wants stored: its text names it (``[c3#007]``)."""

    key: str
    text: str
    txn_id: str
    conversation_id: int | None = None
    attempts: int = 0
    result: MessageInfo | None = None


class Tally:
    def __init__(self) -> None:
        self.acked = 0
        self._marks: list[tuple[int, asyncio.Future[None]]] = []
        self._windows: list[asyncio.Future[None]] = []

    def ack(self) -> None:
        self.acked += 1
        for n, fut in self._marks:
            if self.acked >= n and not fut.done():
                fut.set_result(None)

    def reached(self, n: int) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._marks.append((n, fut))
        if self.acked >= n:
            fut.set_result(None)
        return fut

    def window_sent(self) -> None:
        """A client has just sent a window of commands and waits for their results."""
        waiting, self._windows = self._windows, []
        for fut in waiting:
            if not fut.done():
                fut.set_result(None)

    def next_window(self) -> asyncio.Future[None]:
        """Resolved when a client next sends a window: a fault injected then hits
        commands in flight (sent, not answered), whatever the hub's speed."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._windows.append(fut)
        return fut


async def _first(client: ProtoClient, kind: type, timeout: float) -> Any:
    """The first frame of ``kind``, or ConnectionError if the link dies first."""
    await wait_until(lambda: client.frames(kind) or not client.is_open, timeout)
    found = client.frames(kind)
    if not found:
        raise ConnectionError("connection lost during the handshake")
    return found[0]


class Resilient:
    """Connection supervision, the outbox and the view of messages; see the module doc."""

    def __init__(
        self,
        url: str,
        tally: Tally,
        *,
        ping_interval: float = 0.2,
        ping_timeout: float = 0.4,
        request_timeout: float = 3.0,
        reconnect_deadline: float = 40.0,
    ) -> None:
        self.url = url
        self.tally = tally
        self.ws_kw = {
            "ping_interval": ping_interval,
            "ping_timeout": ping_timeout,
            "close_timeout": 0.3,
            "open_timeout": 2.0,
        }
        self.request_timeout = request_timeout
        self.reconnect_deadline = reconnect_deadline
        self.outbox: list[Outgoing] = []
        self._window: list[tuple[Outgoing, asyncio.Future[Any]]] = []  # the commands in flight
        self.view: dict[int, MessageInfo] = {}  # what this client knows, by message id
        self.connects = 0
        self.link_failures = 0
        self.event_dups = 0  # the same message id twice as an event on ONE connection
        self.client: ProtoClient | None = None
        self.connected = asyncio.Event()
        self._seen = 0
        self._conn_ids: set[int] = set()
        self._supervisor: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ to override

    async def _open(self) -> ProtoClient:
        raise NotImplementedError

    def _command(self, out: Outgoing) -> Any:
        raise NotImplementedError

    # ------------------------------------------------------------------ connection

    async def start(self) -> None:
        self._supervisor = asyncio.create_task(self._supervise())
        await self.wait_connected()

    async def wait_connected(self) -> None:
        """Until connected; the supervisor's error if it gave up (e.g. the hub never came back)."""
        supervisor = self._supervisor
        assert supervisor is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reconnect_deadline
        # a loop: the link may drop again between the wake-up and the check
        while not self.connected.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"not connected within {self.reconnect_deadline} s")
            waiter = asyncio.ensure_future(self.connected.wait())
            try:
                await asyncio.wait({waiter, supervisor}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
            if supervisor.done():
                supervisor.result()
                raise AssertionError("the connection supervisor stopped")

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if self.client is not None:
            self._absorb()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.client.close(), 1.0)

    async def _supervise(self) -> None:
        while True:
            client = await self._reconnect()
            self.client = client
            self.connected.set()
            with contextlib.suppress(Exception):
                await asyncio.shield(client._reader)
            self._drop(client)

    async def _reconnect(self) -> ProtoClient:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reconnect_deadline
        delay = 0.02
        while True:
            self._seen = 0
            self._conn_ids = set()
            try:
                client = await self._open()
            except (*LINK_ERRORS, InvalidURI):
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(delay * random.uniform(0.5, 1.5))  # backoff with jitter
                delay = min(delay * 2, 0.25)
                continue
            self.connects += 1
            return client

    def _drop(self, client: ProtoClient) -> None:
        """Give up a connection (idempotent): keep what it delivered, close it hard."""
        if self.client is client:
            self._absorb()
            self.client = None
            self.connected.clear()
            self.link_failures += 1
        transport = client.ws.transport
        if transport is not None:
            transport.abort()

    def _absorb(self) -> None:
        """Apply the message events received so far on the current connection."""
        client = self.client
        if client is None:
            return
        frames = client.received
        for frame in frames[self._seen :]:
            if isinstance(frame, MessageCreated):
                m = frame.message
                if m.id in self._conn_ids:
                    self.event_dups += 1
                self._conn_ids.add(m.id)
                self.view[m.id] = m
        self._seen = len(frames)

    def knows(self) -> dict[int, MessageInfo]:
        self._absorb()
        return self.view

    # ------------------------------------------------------------------ sending

    def queue(self, key: str, body: str, conversation_id: int | None = None) -> Outgoing:
        out = Outgoing(key, f"[{key}] {body}", txn(), conversation_id)
        self.outbox.append(out)
        return out

    def answered(self) -> int:
        """Messages whose result this client has: counted (``result`` set) or read from
        the socket and waiting to be counted (a done future of the window in flight)."""
        waiting = {out.txn_id: fut for out, fut in self._window}
        arrived = 0
        for out in self.outbox:
            if out.result is not None:
                arrived += 1
                continue
            fut = waiting.get(out.txn_id)
            if fut is not None and fut.done() and not fut.cancelled() and fut.exception() is None:
                arrived += 1
        return arrived

    def drained(self) -> bool:
        """Everything the link has delivered is read and handled: no unread bytes in
        the socket, no message waiting in websockets' queue (the reader handles a message
        without awaiting, so it has seen every one it took). While the hub → client
        direction is stalled, ``answered()`` is then final."""
        client = self.client
        if client is None or client.ws.transport is None:
            return True
        sock = client.ws.transport.get_extra_info("socket")
        if sock is None:
            return True
        unread = array.array("i", [0])
        fcntl.ioctl(sock.fileno(), termios.FIONREAD, unread)
        return unread[0] == 0 and len(client.ws.recv_messages.frames) == 0

    async def flush(self) -> None:
        """Send everything without a result, in order, until all are acknowledged."""
        while True:
            pending = [o for o in self.outbox if o.result is None]
            if not pending:
                return
            await self.wait_connected()
            client = self.client
            if client is None:
                continue
            try:
                await self._send_window(client, pending[:WINDOW])
            except LINK_ERRORS:
                self._drop(client)

    async def _send_window(self, client: ProtoClient, batch: list[Outgoing]) -> None:
        loop = asyncio.get_running_loop()
        futures: list[tuple[Outgoing, asyncio.Future[Any]]] = []
        self._window = futures  # (answered(): the reader pops a future when it sets it)
        try:
            for out in batch:
                fut: asyncio.Future[Any] = loop.create_future()
                client._pending[out.txn_id] = fut
                futures.append((out, fut))
                if not client.is_open:
                    raise ConnectionError("connection lost")
                out.attempts += 1
                await client.send_frame(self._command(out))
            self.tally.window_sent()
            for out, fut in futures:
                self._accept(out, await asyncio.wait_for(fut, self.request_timeout))
        finally:  # results that did arrive count even if a later one failed
            for out, fut in futures:
                if fut.done() and not fut.cancelled() and fut.exception() is None and out.result is None:
                    self._accept(out, fut.result())
                client._pending.pop(out.txn_id, None)

    def _accept(self, out: Outgoing, answer: Result | Error) -> None:
        if out.result is not None:
            return
        if isinstance(answer, Error):
            raise CommandFailed(answer)  # not a link failure: the test fails
        out.result = convert(answer.data["message"], MessageInfo)
        self.tally.ack()


class ResilientCustomer(Resilient):
    def __init__(self, url: str, tally: Tally, name: str, **kw: Any) -> None:
        super().__init__(url, tally, **kw)
        self.name = name
        self.visitor_token = ""
        self.conversation_id: int | None = None

    async def _open(self) -> ProtoClient:
        client = CustomerClient(await connect(self.url + "/ws/customer", **self.ws_kw))
        try:
            hello = CustomerHello(
                protocol=PROTOCOL_VERSION, visitor_token=self.visitor_token, name=self.name, locale="en"
            )
            await client.send_frame(hello)
            welcome: CustomerWelcome = await _first(client, CustomerWelcome, self.request_timeout)
        except BaseException:
            client.ws.transport.abort()
            raise
        client.welcome = welcome
        self.visitor_token = welcome.visitor_token
        if welcome.conversation_id is not None:
            self.conversation_id = welcome.conversation_id
        for m in welcome.messages:  # the conversation so far fills any gap
            self.view[m.id] = m
        return client

    def _command(self, out: Outgoing) -> Any:
        return CustomerSend(txn_id=out.txn_id, text=out.text)


class ResilientOperator(Resilient):
    def __init__(self, url: str, tally: Tally, username: str, password: str, **kw: Any) -> None:
        super().__init__(url, tally, **kw)
        self.username = username
        self.password = password
        self.token = ""
        self.conversations: set[int] = set()
        self.history_pages = 0

    async def _open(self) -> ProtoClient:
        client = OperatorClient(await connect(self.url + "/ws/operator", **self.ws_kw))
        try:
            await client.send_frame(Hello(protocol=PROTOCOL_VERSION, client="faults/0", device_id="faults"))
            client.welcome = await _first(client, Welcome, self.request_timeout)
            auth = Auth(txn_id=txn(), token=self.token) if self.token else None
            if auth is None:
                auth = Auth(txn_id=txn(), username=self.username, password=self.password)
            data = await client.request(auth, self.request_timeout)
            self.token = str(data["token"])
            client.operator = dict(data["operator"])
            # re-sync: the inbox, then the whole history of every conversation we know
            state = await client.request(Sync(txn_id=txn()), self.request_timeout)
            self.conversations |= {int(c["id"]) for c in state["conversations"]}
            for conv_id in sorted(self.conversations):
                before: int | None = None
                while True:
                    page = await client.request(
                        History(txn_id=txn(), conversation_id=conv_id, before_id=before, limit=200),
                        self.request_timeout,
                    )
                    self.history_pages += 1
                    msgs = [convert(m, MessageInfo) for m in page["messages"]]
                    for m in msgs:
                        self.view[m.id] = m
                    if not page["has_more"] or not msgs:
                        break
                    before = msgs[0].id
        except BaseException:
            client.ws.transport.abort()
            raise
        return client

    def _absorb(self) -> None:
        super()._absorb()
        self.conversations |= {m.conversation_id for m in self.view.values()}

    def _command(self, out: Outgoing) -> Any:
        assert out.conversation_id is not None
        return SendMessage(txn_id=out.txn_id, conversation_id=out.conversation_id, text=out.text)


# ---------------------------------------------------------------------- the count


@dataclass
class Report:
    sent: int = 0
    acked: int = 0
    retried: int = 0
    delivered: int = 0
    lost: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)
    retried_not_once: list[str] = field(default_factory=list)
    reconnects: int = 0
    event_dups: int = 0

    def line(self) -> str:
        return (
            f"sent={self.sent} acked={self.acked} delivered={self.delivered} retried={self.retried} "
            f"lost={len(self.lost)} duplicates={len(self.duplicates)} out_of_order={len(self.out_of_order)} "
            f"reconnects={self.reconnects}"
        )

    def assert_clean(self) -> None:
        assert self.acked == self.sent, self.line()
        assert not self.lost, f"{self.line()}; lost: {self.lost[:10]}"
        assert not self.duplicates, f"{self.line()}; duplicates: {self.duplicates[:10]}"
        assert not self.out_of_order, f"{self.line()}; out of order: {self.out_of_order[:10]}"
        assert not self.retried_not_once, f"{self.line()}; retried but not stored once: {self.retried_not_once}"
        assert self.event_dups == 0, f"{self.line()}; the same event twice on one connection"
        assert self.delivered == self.acked, self.line()


def _key(text: str) -> tuple[str, int] | None:
    m = KEY.search(text)
    return (m["who"], int(m["n"])) if m else None


def _order_faults(where: str, messages: list[tuple[int, str]]) -> list[str]:
    """Messages (id, text) of one conversation: each sender's numbers must rise with the id."""
    last: dict[str, int] = {}
    bad = []
    for _id, text in sorted(messages):
        k = _key(text)
        if k is None:
            continue
        who, n = k
        if who in last and n <= last[who]:
            bad.append(f"{where}: {who}#{n} after #{last[who]}")
        last[who] = n
    return bad


def db_rows(db_path: str) -> list[tuple[int, int, str, str | None, str]]:
    """(id, conversation_id, sender_key, txn_id, text) of every stored message."""
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return list(db.execute("SELECT id, conversation_id, sender_key, txn_id, text FROM messages ORDER BY id"))


def count(db_path: str, operator: ResilientOperator, customers: list[ResilientCustomer]) -> Report:
    """Compare what was sent, acknowledged, stored (the messages table) and delivered."""
    rep = Report()
    everyone: list[Resilient] = [operator, *customers]
    outs = [o for c in everyone for o in c.outbox]
    rep.sent = len(outs)
    rep.acked = sum(o.result is not None for o in outs)
    rep.retried = sum(o.attempts > 1 for o in outs)
    rep.reconnects = sum(max(0, c.connects - 1) for c in everyone)
    rep.event_dups = sum(c.event_dups for c in everyone)

    rows = db_rows(db_path)
    by_txn: defaultdict[tuple[str, str | None], list[int]] = defaultdict(list)
    by_key: defaultdict[str, list[int]] = defaultdict(list)
    per_conv: defaultdict[int, list[tuple[int, str]]] = defaultdict(list)
    for id_, conv, sender, txn_id, text in rows:
        by_txn[(sender, txn_id)].append(id_)
        k = _key(text)
        if k is not None:
            by_key[f"{k[0]}#{k[1]:03d}"].append(id_)
        per_conv[conv].append((id_, text))
    rep.duplicates += [f"db {k}: ids {ids}" for k, ids in by_key.items() if len(ids) > 1]
    rep.duplicates += [f"db txn {k}: ids {ids}" for k, ids in by_txn.items() if k[1] and len(ids) > 1]
    for conv, msgs in per_conv.items():
        rep.out_of_order += _order_faults(f"db conversation {conv}", msgs)
    txns = {txn_id for (_s, txn_id) in by_txn}
    for o in outs:
        if o.attempts > 1 and len(by_key.get(o.key, [])) != 1:
            rep.retried_not_once.append(o.key)
        if o.result is not None and o.txn_id not in txns:
            rep.lost.append(f"{o.key} acknowledged but not stored")

    # delivery: customer messages to the operator, operator replies to their customer
    op_view = operator.knows()
    for c in customers:
        c_view = c.knows()
        for o in c.outbox:
            if o.result is None:
                continue
            if o.result.id in op_view:
                rep.delivered += 1
            else:
                rep.lost.append(f"{o.key} (id {o.result.id}) not delivered to the operator")
        mine = [(m.id, m.text) for m in c_view.values()]
        rep.duplicates += [f"customer {c.name} sees {t}" for t, n in _counts(mine).items() if n > 1]
        rep.out_of_order += _order_faults(f"customer {c.name}", mine)
    replies = {m.id for c in customers for m in c.knows().values() if m.author == "operator"}
    for o in operator.outbox:
        if o.result is None:
            continue
        if o.result.id in replies:
            rep.delivered += 1
        else:
            rep.lost.append(f"{o.key} (id {o.result.id}) not delivered to the customer")
    op_convs: defaultdict[int, list[tuple[int, str]]] = defaultdict(list)
    for m in op_view.values():
        op_convs[m.conversation_id].append((m.id, m.text))
    for conv, msgs in op_convs.items():
        rep.duplicates += [f"operator sees {t}" for t, n in _counts(msgs).items() if n > 1]
        rep.out_of_order += _order_faults(f"operator view of {conv}", msgs)
    return rep


def _counts(msgs: list[tuple[int, str]]) -> dict[str, int]:
    seen: defaultdict[str, int] = defaultdict(int)
    for _id, text in msgs:
        k = _key(text)
        if k is not None:
            seen[f"{k[0]}#{k[1]:03d}"] += 1
    return seen
