"""Qt fixtures (a pytest plugin, see tests/conftest.py): one qasync loop drives each scenario,
since pytest-qt does not drive asyncio."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
import shiboken6
from PySide6.QtWidgets import QApplication

from app.client.secrets import MemorySecretStore
from app.client.session import OperatorSession
from app.client.settings import Settings
from ui import theme
from ui.bridge.session_bridge import SessionBridge
from ui.controller import AppController

T = TypeVar("T")


@pytest.fixture(scope="session")
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """One qasync loop for the whole session, like the app's one loop; closed before Qt goes."""
    theme.apply(qapp, "light")
    qapp.setQuitOnLastWindowClosed(False)  # as in ui.main: the controller decides when to quit
    loop = qasync.QEventLoop(qapp, already_running=False)
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-io")
    loop.set_default_executor(executor)  # plain threads, as in ui.main (see there)
    yield loop
    executor.shutdown(wait=True)
    loop.close()


@pytest.fixture
def run(qloop: qasync.QEventLoop, qtbot: Any) -> Iterator[Callable[[Awaitable[T]], T]]:
    """``run(scenario())``: drive a coroutine and the Qt event loop together. Depends on
    ``qtbot`` so that its teardown (closing widgets, processing Qt events) comes after
    this one has finished the tasks a test left: a task stepped by a Qt timer outside
    the loop would fail there ("no running event loop")."""
    asyncio.set_event_loop(qloop)

    def runner(coro: Awaitable[T]) -> T:
        return qloop.run_until_complete(asyncio.wait_for(coro, 60))

    yield runner
    # cancel what the test left running and let it finish here: a task stepped later by
    # Qt's timers (in the next test, with no loop running) fails there, not here
    tasks = [t for t in asyncio.all_tasks(qloop) if not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        qloop.run_until_complete(asyncio.wait(tasks, timeout=5))
    qloop.run_until_complete(asyncio.sleep(0))
    asyncio.set_event_loop(None)


class Client:
    """One operator's desktop app: settings in a temp dir, secrets in memory."""

    def __init__(self, tmp: Path, *, keyring: bool = True, store: MemorySecretStore | None = None) -> None:
        self.settings = Settings(config_dir=tmp, policy=tmp / "no-policy.json")
        self.secrets = store or MemorySecretStore(available=keyring)
        self.session = OperatorSession(self.secrets, self.settings.device_id(), data_dir=tmp / "data")
        self.bridge = SessionBridge(self.session)
        self.controller = AppController(self.bridge, self.settings)

    async def close(self) -> None:
        await self.session.close()
        # pytest-qt may have closed and deleted a window the test registered (qtbot.addWidget)
        # before this finalizer runs: only close what Qt has not deleted yet
        for widget in (self.controller.window, self.controller.dialog):
            if widget is not None and shiboken6.isValid(widget):
                widget.close()


@pytest.fixture
def make_client(tmp_path: Path, qtbot: Any) -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def factory(**kw: Any) -> Client:
        c = Client(tmp_path / f"client{len(made)}", **kw)
        made.append(c)
        return c

    yield factory
    loop = asyncio.get_event_loop_policy().get_event_loop()
    for c in made:
        loop.run_until_complete(c.close())
