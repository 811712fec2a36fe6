"""One websocket connection from an operator client to the hub.

It speaks the protocol (hello, commands with txn_ids, events) and nothing else:
reconnecting and state live in :mod:`app.client.session`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any, Literal

import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from app.protocol import PROTOCOL_VERSION, ProtocolError, encode
from app.protocol.codec import decode_operator_outbound
from app.protocol.messages import MAX_HUB_FRAME_BYTES, Error, Hello, Result, Welcome

log = logging.getLogger(__name__)

CLIENT_NAME = "frontline-desktop/0.1.0"
# The longest the reader handles frames in one go before it lets the loop run (paint,
# timers, other tasks): a burst of 200 events used to hold the window for 50-90 ms.
READ_SLICE_S = 0.008


UnreachableKind = Literal["address", "refused", "timeout", "not_a_hub", "refused_by_hub", "network"]


class HubUnreachable(Exception):
    """The hub could not be reached at all. ``kind`` says why, for a translated message;
    ``reason`` is the detail in English, for logs."""

    def __init__(self, url: str, reason: str, kind: UnreachableKind = "network") -> None:
        super().__init__(f"cannot reach the hub at {url}: {reason}")
        self.url = url
        self.reason = reason
        self.kind: UnreachableKind = kind


class CommandFailed(Exception):
    """The hub answered a command with an error frame."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


class ConnectionLost(Exception):
    """The connection closed while a command was waiting for its answer."""

    def __init__(self, close_code: int | None) -> None:
        super().__init__(f"connection closed (code {close_code})")
        self.close_code = close_code


def operator_endpoint(url: str) -> str:
    """Normalise what a user typed ("hub.local:8765", "ws://h:1/") to the operator endpoint."""
    url = url.strip()
    if not url:
        raise HubUnreachable(url, "no hub address given", "address")
    if "://" not in url:
        url = "ws://" + url
    scheme, rest = url.split("://", 1)
    scheme = {"http": "ws", "https": "wss"}.get(scheme.lower(), scheme.lower())
    if scheme not in ("ws", "wss"):
        raise HubUnreachable(url, f"unsupported scheme {scheme!r}", "address")
    host = rest.split("/", 1)[0]
    if not host:
        raise HubUnreachable(url, "no host in the address", "address")
    return f"{scheme}://{host}/ws/operator"


EventHandler = Callable[[Any], None]
CloseHandler = Callable[[int | None], None]


class HubConnection:
    """An open, greeted connection. Create with :meth:`open`."""

    def __init__(self, ws: ClientConnection, welcome: Welcome) -> None:
        self._ws = ws
        self.welcome = welcome
        self._pending: dict[str, asyncio.Future[dict[str, object]]] = {}
        self._on_event: EventHandler | None = None
        self._on_close: CloseHandler | None = None
        self._early_events: list[Any] = []
        self._closed = False
        self._notifies: set[asyncio.Task[None]] = set()
        self.close_code: int | None = None
        # Reading starts at once so command results arrive; events that come before
        # start() are kept and handed over by it, in order.
        self._reader = asyncio.get_running_loop().create_task(self._read_loop())

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        device_id: str,
        timeout: float = 8.0,
        ping_interval: float = 10.0,
        ping_timeout: float = 10.0,
        close_timeout: float = 5.0,
    ) -> HubConnection:
        """Connect and greet. Keepalive: a ping every ``ping_interval`` s; no pong within
        ``ping_timeout`` s fails the connection (docs/protocol.md "Keepalive")."""
        endpoint = operator_endpoint(url)
        try:
            ws = await asyncio.wait_for(
                connect(
                    endpoint,
                    open_timeout=timeout,
                    max_size=MAX_HUB_FRAME_BYTES,
                    ping_interval=ping_interval,
                    ping_timeout=ping_timeout,
                    close_timeout=close_timeout,
                ),
                timeout,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            raise HubUnreachable(url, _reason(exc), _kind(exc)) from None
        try:
            await ws.send(encode(Hello(protocol=PROTOCOL_VERSION, client=CLIENT_NAME, device_id=device_id)))
            raw = await asyncio.wait_for(ws.recv(), timeout)
            frame = decode_operator_outbound(raw)
        except (ConnectionClosed, TimeoutError, ProtocolError, OSError) as exc:
            await ws.close()
            raise HubUnreachable(url, f"the hub did not greet us ({_reason(exc)})", "not_a_hub") from None
        if isinstance(frame, Error):
            await ws.close()
            raise HubUnreachable(url, frame.text, "refused_by_hub")
        if not isinstance(frame, Welcome):
            await ws.close()
            raise HubUnreachable(url, "the server does not speak the Frontline protocol", "not_a_hub")
        return cls(ws, frame)

    def start(self, on_event: EventHandler, on_close: CloseHandler) -> None:
        """Start dispatching events; ``on_close`` runs once when the connection ends."""
        self._on_event = on_event
        self._on_close = on_close
        early, self._early_events = self._early_events, []
        for frame in early:
            self._dispatch(frame)
        if self._closed:
            on_close(self.close_code)

    def _dispatch(self, frame: Any) -> None:
        if self._on_event is None:
            self._early_events.append(frame)
            return
        try:
            self._on_event(frame)
        except Exception:
            log.exception("event handler failed for %s", type(frame).__name__)

    async def request(self, command: Any, timeout: float = 15.0) -> dict[str, object]:
        """Send a command (a struct with a ``txn_id``) and wait for its result data."""
        txn_id: str = command.txn_id
        fut: asyncio.Future[dict[str, object]] = asyncio.get_running_loop().create_future()
        self._pending[txn_id] = fut
        try:
            await self._ws.send(encode(command))
            return await asyncio.wait_for(fut, timeout)
        except ConnectionClosed:
            raise ConnectionLost(self._ws.close_code) from None
        finally:
            self._pending.pop(txn_id, None)

    async def send_ephemeral(self, frame: Any) -> None:
        """Send a frame that has no answer (typing, viewing); a lost link just drops it."""
        with contextlib.suppress(ConnectionClosed):
            await self._ws.send(encode(frame))
    def notify(self, frame: Any) -> None:
        """Send a frame that gets no answer (``ack``); a failure is the reader's business."""

        async def send() -> None:
            with contextlib.suppress(ConnectionClosed):
                await self._ws.send(encode(frame))

        task = asyncio.get_running_loop().create_task(send())
        self._notifies.add(task)
        task.add_done_callback(self._notifies.discard)

    async def close(self, code: int = 1000) -> None:
        await self._ws.close(code)
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    @property
    def is_open(self) -> bool:
        return self._ws.state is websockets.protocol.State.OPEN

    async def _read_loop(self) -> None:
        loop = asyncio.get_running_loop()
        slice_end = loop.time() + READ_SLICE_S
        try:
            async for raw in self._ws:
                # frames already received come without a pause in between: a burst of
                # events would hold the loop (and the window) until the last one
                if loop.time() >= slice_end:
                    await asyncio.sleep(0)
                    slice_end = loop.time() + READ_SLICE_S
                try:
                    frame = decode_operator_outbound(raw)
                except ProtocolError as exc:
                    log.warning("ignoring a frame the hub sent that we cannot read: %s", exc.code)
                    continue
                if isinstance(frame, Result):
                    self._resolve(frame.txn_id, result=frame.data)
                elif isinstance(frame, Error):
                    if frame.txn_id is not None:
                        self._resolve(frame.txn_id, error=CommandFailed(frame.code, frame.text))
                    else:
                        log.warning("hub reported an error: %s %s", frame.code, frame.text)
                else:
                    self._dispatch(frame)
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self._ws.close_code
            self._closed = True
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionLost(self.close_code))
            if self._on_close is not None:
                self._on_close(self.close_code)

    def _resolve(
        self, txn_id: str, *, result: dict[str, object] | None = None, error: Exception | None = None
    ) -> None:
        fut = self._pending.get(txn_id)
        if fut is None or fut.done():
            return
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(result or {})


def new_txn_id() -> str:
    return str(uuid.uuid4())


def _kind(exc: BaseException) -> UnreachableKind:
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, InvalidHandshake):
        return "not_a_hub"
    if isinstance(exc, InvalidURI):
        return "address"
    return "network"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, InvalidHandshake):
        return "the server there is not a Frontline hub"
    text = str(exc) or type(exc).__name__
    return text
