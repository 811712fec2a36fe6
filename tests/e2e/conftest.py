"""Browser fixtures for end-to-end tests: Playwright (sync API) driving Debian's chromium.

No browser is ever downloaded. Without chromium the tests are skipped on a developer
machine (``apt-get install chromium``, or just run ``./scripts/test``), but under CI
(``CI`` set) a missing browser is a failure: CI must never silently skip them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's own default is 5 s; a busy 2-core CI machine deserves more.
EXPECT_TIMEOUT_MS = 15_000


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _find_chromium() -> str | None:
    override = os.environ.get("FRONTLINE_CHROMIUM")  # another chromium build; only that one is tried
    candidates = [override] if override else ["/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _missing(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason} (CI is set: browser tests must run, not skip)", pytrace=False)
    pytest.skip(f"{reason}; install it with `apt-get install chromium` or run ./scripts/test")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = _find_chromium()
    if path is None:
        _missing("Debian's chromium is not installed (/usr/bin/chromium)")
    assert path is not None
    return path


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Any]:
    """Function-scoped on purpose: while a sync Playwright is alive it marks its asyncio loop
    as the running loop of this thread between calls, so ``asyncio.run`` and qasync in any
    later test (tests/hub, tests/ui) would fail with "cannot be called from a running event
    loop". One chromium start per test costs about a second."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:  # pragma: no cover - a dev dependency
        _missing("the playwright package is not installed")
        raise
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@dataclass
class BrowserPage:
    """A page plus what went wrong in it (uncaught exceptions, console errors)."""

    page: Any
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., BrowserPage]]:
    """Factory: ``new_page(locale="ru-RU", viewport=(390, 760))`` → a fresh page in its own
    browser context (own localStorage, so a fresh visitor). Closed at teardown."""
    contexts: list[Any] = []

    def make(locale: str = "en-US", viewport: tuple[int, int] = (420, 760)) -> BrowserPage:
        ctx = browser.new_context(locale=locale, viewport={"width": viewport[0], "height": viewport[1]})
        ctx.set_default_timeout(EXPECT_TIMEOUT_MS)
        contexts.append(ctx)
        page = ctx.new_page()
        bp = BrowserPage(page)
        page.on("pageerror", lambda exc: bp.page_errors.append(str(exc)))
        page.on("console", lambda msg: bp.console_errors.append(msg.text) if msg.type == "error" else None)
        return bp

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def operator(hub: Any) -> Iterator[Any]:
    """``hub.accounts.operator`` logged in (and online) through tests/helpers.OperatorClient,
    wrapped for synchronous tests (see tests/e2e/sync_operator.py)."""
    from tests.e2e.sync_operator import OperatorThread

    account = hub.accounts.operator
    op = OperatorThread(hub.ws_url, account.username, account.password)
    try:
        yield op
    finally:
        op.close()
