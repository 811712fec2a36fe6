"""A hub in a background thread with its own asyncio loop (desktop demo, Qt tests)."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from app.hub.server import Hub, HubConfig

START_TIMEOUT_S = 30.0


class EmbeddedHub:
    """``start()`` blocks until the hub listens (and raises if it could not start);
    ``stop()`` closes it and joins the thread. Also a context manager."""

    def __init__(
        self,
        db_url: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        widget_dir: Path | None = None,
        token_ttl: timedelta = timedelta(days=30),
        **config: Any,
    ) -> None:
        self.config = HubConfig(
            db_url=db_url, host=host, port=port, widget_dir=widget_dir, token_ttl=token_ttl, **config
        )
        self.hub = Hub(self.config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stop: asyncio.Event | None = None

    @property
    def port(self) -> int:
        return self.hub.port

    @property
    def ws_url(self) -> str:
        return self.hub.ws_url

    @property
    def http_url(self) -> str:
        return self.hub.http_url

    @property
    def webhook_url(self) -> str:
        return self.hub.webhook_url

    @property
    def epoch(self) -> str:
        return self.hub.epoch

    def start(self) -> EmbeddedHub:
        if self._thread is not None:
            raise RuntimeError("already started")
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._main, name="frontline-hub", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise TimeoutError("the hub did not start in time")
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError(f"the hub could not start: {self._error}") from self._error
        return self

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.hub.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.hub.stop()

    def call(self, coro: Any, timeout: float = 30.0) -> Any:
        """Run a coroutine on the hub's loop from another thread and return its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if self.loop is not None and self._stop is not None and not self.loop.is_closed():
            stop = self._stop
            self.loop.call_soon_threadsafe(stop.set)
        thread.join()
        # A stopped hub can be started again: same database and, so that clients can
        # reconnect to the address they know, the same port it had.
        if self.hub.port:
            self.config.port = self.hub.port
        self.hub = Hub(self.config)

    def __enter__(self) -> EmbeddedHub:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
