"""Shared test helpers: condition waits and protocol-level clients (websockets + app.protocol).

Used by tests/hub and reusable by the UI and browser tests:

    async with OperatorClient.connected(hub.ws_url) as op:
        await op.login("olena", "pw")
        state = await op.sync()
        ev = await op.wait_event(lambda e: e.type == "message_created")  # any frame attribute check
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.protocol import PROTOCOL_VERSION, convert, decode, encode
from app.protocol.messages import (
    Ack,
    Auth,
    ConversationInfo,
    ConversationUpdated,
    CustomerHello,
    CustomerOutbound,
    CustomerSend,
    CustomerWelcome,
    Error,
    Hello,
    History,
    MessageCreated,
    MessageInfo,
    OperatorOutbound,
    OperatorUpdated,
    Resolve,
    Result,
    SendMessage,
    SetStatus,
    SignOut,
    Sync,
    Take,
    Welcome,
)

DEFAULT_TIMEOUT = 5.0


async def wait_until(cond: Callable[[], Any], timeout: float = DEFAULT_TIMEOUT, message: str = "") -> Any:
    """Poll ``cond`` every 10 ms until it returns something truthy (returned), else fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout} s")
        await asyncio.sleep(0.01)


async def wait_until_async(
    cond: Callable[[], Awaitable[Any]], timeout: float = 10.0, message: str = "", every: float = 0.02
) -> Any:
    """:func:`wait_until` for a condition that must ask (e.g. the hub, by a request)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout} s")
        await asyncio.sleep(every)


def txn() -> str:
    return str(uuid.uuid4())


class CommandFailed(Exception):
    """The hub answered a command with an error frame."""

    def __init__(self, error: Error) -> None:
        super().__init__(f"{error.code}: {error.text}")
        self.code = error.code
        self.text = error.text
        self.error = error


class ProtoClient:
    """A websocket client that reads every frame in a background task.

    Results/errors with a txn_id resolve the matching ``request``; everything else is
    appended to ``received`` (events, welcome, errors with txn_id null)."""

    outbound: Any = OperatorOutbound

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.received: list[Any] = []
        self.undecodable: list[str | bytes] = []
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, base_url: str, path: str = "/ws/operator", **kw: Any) -> Any:
        ws = await connect(base_url + path, open_timeout=DEFAULT_TIMEOUT, **kw)
        return cls(ws)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                try:
                    frame = decode(raw, self.outbound)
                except Exception:
                    self.undecodable.append(raw)
                    continue
                txn_id = getattr(frame, "txn_id", None)
                fut = self._pending.pop(txn_id, None) if txn_id else None
                if fut is not None and not fut.done():
                    fut.set_result(frame)
                else:
                    self.received.append(frame)
        except ConnectionClosed:
            pass
        finally:
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError(f"connection closed ({self.ws.close_code})"))

    # -- sending

    async def send_frame(self, frame: msgspec.Struct) -> None:
        await self.ws.send(encode(frame))

    async def send_raw(self, raw: str | bytes) -> None:
        await self.ws.send(raw)

    async def request_frame(self, frame: Any, timeout: float = DEFAULT_TIMEOUT) -> Result | Error:
        """Send a command and return the result or error frame that carries its txn_id."""
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[frame.txn_id] = fut
        await self.send_frame(frame)
        return await asyncio.wait_for(fut, timeout)

    async def request(self, frame: Any, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """Send a command; its result data, or CommandFailed with the error code."""
        answer = await self.request_frame(frame, timeout)
        if isinstance(answer, Error):
            raise CommandFailed(answer)
        return answer.data

    # -- receiving

    def frames(self, kind: type | tuple[type, ...] = object) -> list[Any]:
        return [f for f in self.received if isinstance(f, kind)]

    async def wait_frame(
        self,
        kind: type | tuple[type, ...],
        pred: Callable[[Any], bool] = lambda f: True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Any:
        """The first received frame of ``kind`` matching ``pred`` (already received or arriving)."""

        def find() -> Any:
            for f in self.received:
                if isinstance(f, kind) and pred(f):
                    return f
            return None

        return await wait_until(find, timeout, f"no {kind} frame matching the condition within {timeout} s")

    async def wait_closed(self, timeout: float = DEFAULT_TIMEOUT) -> int | None:
        """Wait until the hub closed the connection; the close code."""
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        return self.ws.close_code

    @property
    def is_open(self) -> bool:
        return not self._reader.done()

    async def close(self) -> None:
        await self.ws.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._reader, DEFAULT_TIMEOUT)


class OperatorClient(ProtoClient):
    """An operator speaking the protocol: hello, auth, commands, events."""

    outbound = OperatorOutbound
    welcome: Welcome
    token: str = ""
    operator: dict[str, Any]

    @classmethod
    async def connect(cls, ws_url: str, *, device_id: str = "test-device", **kw: Any) -> OperatorClient:
        client: OperatorClient = await cls.open(ws_url, "/ws/operator", **kw)
        await client.send_frame(Hello(protocol=PROTOCOL_VERSION, client="tests/0", device_id=device_id))
        client.welcome = await client.wait_frame(Welcome)
        return client

    @classmethod
    @contextlib.asynccontextmanager
    async def connected(cls, ws_url: str, **kw: Any) -> AsyncIterator[OperatorClient]:
        client = await cls.connect(ws_url, **kw)
        try:
            yield client
        finally:
            await client.close()

    async def login(self, username: str, password: str) -> dict[str, Any]:
        data = await self.request(Auth(txn_id=txn(), username=username, password=password))
        self.token = str(data["token"])
        self.operator = dict(data["operator"])  # type: ignore[call-overload]
        return data

    async def resume(self, token: str) -> dict[str, Any]:
        data = await self.request(Auth(txn_id=txn(), token=token))
        self.token = str(data["token"])
        self.operator = dict(data["operator"])  # type: ignore[call-overload]
        return data

    @property
    def operator_id(self) -> int:
        return int(self.operator["id"])

    async def sync(self, last_seq: int | None = None, epoch: str = "") -> dict[str, Any]:
        return await self.request(Sync(txn_id=txn(), last_seq=last_seq, epoch=epoch))

    async def ack(self, seq: int) -> None:
        await self.send_frame(Ack(seq=seq))

    @property
    def max_seq(self) -> int:
        """The highest seq among the events received so far (0 if none)."""
        return max((e.seq for e in self.events), default=0)

    async def history(
        self, conversation_id: int, before_id: int | None = None, limit: int = 50
    ) -> dict[str, Any]:
        return await self.request(
            History(txn_id=txn(), conversation_id=conversation_id, before_id=before_id, limit=limit)
        )

    async def send_message(self, conversation_id: int, text: str, txn_id: str | None = None) -> MessageInfo:
        data = await self.request(
            SendMessage(txn_id=txn_id or txn(), conversation_id=conversation_id, text=text)
        )
        return convert(data["message"], MessageInfo)

    async def take(self, conversation_id: int) -> ConversationInfo:
        data = await self.request(Take(txn_id=txn(), conversation_id=conversation_id))
        return convert(data["conversation"], ConversationInfo)

    async def resolve(self, conversation_id: int) -> ConversationInfo:
        data = await self.request(Resolve(txn_id=txn(), conversation_id=conversation_id))
        return convert(data["conversation"], ConversationInfo)

    async def set_status(self, status: str) -> dict[str, Any]:
        return await self.request(SetStatus(txn_id=txn(), status=status))  # type: ignore[arg-type]

    async def sign_out(self) -> dict[str, Any]:
        return await self.request(SignOut(txn_id=txn()))

    # -- events

    @property
    def events(self) -> list[ConversationUpdated | MessageCreated | OperatorUpdated]:
        return self.frames((ConversationUpdated, MessageCreated, OperatorUpdated))

    async def wait_conversation(
        self, pred: Callable[[ConversationInfo], bool], timeout: float = DEFAULT_TIMEOUT
    ) -> ConversationUpdated | MessageCreated:
        """A ``conversation_updated``, or a ``message_created`` carrying the conversation
        the message changed (its turn: state, waiting clock), matching ``pred``."""
        return await self.wait_frame(  # type: ignore[no-any-return]
            (ConversationUpdated, MessageCreated),
            lambda e: e.conversation is not None and pred(e.conversation),
            timeout,
        )

    async def wait_message(
        self, pred: Callable[[MessageInfo], bool], timeout: float = DEFAULT_TIMEOUT
    ) -> MessageCreated:
        return await self.wait_frame(MessageCreated, lambda e: pred(e.message), timeout)

    async def wait_operator(
        self, pred: Callable[[Any], bool], timeout: float = DEFAULT_TIMEOUT
    ) -> OperatorUpdated:
        return await self.wait_frame(OperatorUpdated, lambda e: pred(e.operator), timeout)


class CustomerClient(ProtoClient):
    """A web-chat visitor speaking the customer protocol."""

    outbound = CustomerOutbound
    welcome: CustomerWelcome

    @classmethod
    async def connect(
        cls, ws_url: str, *, visitor_token: str = "", name: str = "", locale: str = "en", **kw: Any
    ) -> CustomerClient:
        client: CustomerClient = await cls.open(ws_url, "/ws/customer", **kw)
        await client.send_frame(
            CustomerHello(protocol=PROTOCOL_VERSION, visitor_token=visitor_token, name=name, locale=locale)
        )
        client.welcome = await client.wait_frame(CustomerWelcome)
        return client

    @classmethod
    @contextlib.asynccontextmanager
    async def connected(cls, ws_url: str, **kw: Any) -> AsyncIterator[CustomerClient]:
        client = await cls.connect(ws_url, **kw)
        try:
            yield client
        finally:
            await client.close()

    @property
    def visitor_token(self) -> str:
        return self.welcome.visitor_token

    async def send(self, text: str, txn_id: str | None = None) -> MessageInfo:
        data = await self.request(CustomerSend(txn_id=txn_id or txn(), text=text))
        return convert(data["message"], MessageInfo)

    @property
    def messages(self) -> list[MessageInfo]:
        return [f.message for f in self.frames(MessageCreated)]

    async def wait_message(
        self, pred: Callable[[MessageInfo], bool], timeout: float = DEFAULT_TIMEOUT
    ) -> MessageInfo:
        ev = await self.wait_frame(MessageCreated, lambda e: pred(e.message), timeout)
        return ev.message  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- attachments


def png_bytes(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A real PNG (8-bit RGB, one colour) made with zlib: what a screenshot tool writes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


async def upload(
    client: ProtoClient,
    data: bytes,
    name: str,
    mime: str = "",
    *,
    txn_id: str | None = None,
    stop_after: int | None = None,
) -> dict[str, Any]:
    """Upload ``data`` as the protocol says (begin, base64 chunks, end): the ``file`` of
    the result. With ``stop_after`` (bytes), stop there and return the begin's result
    (a cut upload, to be resumed with the same ``txn_id``)."""
    import base64

    from app.protocol.messages import FileUploadBegin, FileUploadChunk, FileUploadEnd

    begin_txn = txn_id or txn()
    began = await client.request(FileUploadBegin(txn_id=begin_txn, name=name, size=len(data), mime=mime))
    upload_id, offset, step = str(began["upload_id"]), int(began["offset"]), int(began["chunk_bytes"])  # type: ignore[call-overload]
    while offset < len(data):
        if stop_after is not None and offset >= stop_after:
            return {**began, "txn_id": begin_txn, "offset": offset}
        piece = data[offset : offset + step]
        answer = await client.request(
            FileUploadChunk(
                txn_id=txn(), upload_id=upload_id, offset=offset, data=base64.b64encode(piece).decode()
            )
        )
        offset = int(answer["offset"])  # type: ignore[call-overload]
    ended = await client.request(FileUploadEnd(txn_id=txn(), upload_id=upload_id))
    return dict(ended["file"])  # type: ignore[call-overload]


async def file_urls(client: ProtoClient, ids: list[int]) -> dict[str, str]:
    from app.protocol.messages import FileUrls

    data = await client.request(FileUrls(txn_id=txn(), file_ids=ids))
    return dict(data["urls"])  # type: ignore[call-overload]


async def http_get(url: str) -> tuple[int, dict[str, str], bytes]:
    """GET over real HTTP (urllib on a worker thread): status, headers, body."""
    import urllib.error
    import urllib.request

    def fetch() -> tuple[int, dict[str, str], bytes]:
        try:
            with urllib.request.urlopen(url, timeout=DEFAULT_TIMEOUT) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()

    return await asyncio.to_thread(fetch)


def jpeg_header(width: int = 1280, height: int = 960) -> bytes:
    """The segments of a baseline JPEG up to its frame header (what the hub checks), and
    the end marker: a JPEG as far as type and size go."""
    import struct

    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def serve_http(
    handle: Callable[[BaseHTTPRequestHandler], None], name: str
) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """A threaded HTTP/1.1 server on 127.0.0.1 (a free port) that passes every GET and POST
    to ``handle``: the base of the channel API doubles (tests/telegram_double.py,
    tests/whatsapp_double.py)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            handle(self)

        def do_GET(self) -> None:
            handle(self)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return server, thread


async def new_conversations(ws_url: str, count: int, text: str = "question") -> list[int]:
    """``count`` new web-chat customers write once each; their conversation ids."""
    ids = []
    for i in range(count):
        async with CustomerClient.connected(ws_url) as cust:
            ids.append((await cust.send(f"{text} {i}")).conversation_id)
    return ids


def scenario(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test body on its own loop (the hub runs on another thread)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run
