"""Shared fixtures. ``hub``: a real hub (EmbeddedHub, own thread and loop) on a temporary
SQLite file and a free port, with test accounts in ``hub.accounts``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from app.hub.accounts import hash_password
from app.hub.embedded import EmbeddedHub
from app.storage import Store, make_engine, upgrade

TEST_PASSWORD = "test-password"

# Qt fixtures (qloop, run, make_client) for tests/ui and tests/e2e.
pytest_plugins = ["tests.qt_fixtures"]


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    display_name: str
    role: str
    id: int = 0


@dataclass(frozen=True)
class TestAccounts:
    """``operator`` and ``operator2`` (role operator) and ``supervisor``; all offline until they sign in."""

    __test__ = False

    operator: Account
    operator2: Account
    supervisor: Account

    @property
    def all(self) -> list[Account]:
        return [self.operator, self.operator2, self.supervisor]


@lru_cache(maxsize=1)
def _test_hash() -> str:
    return hash_password(TEST_PASSWORD)  # hash once per run: argon2 is slow on purpose


def create_test_accounts(db_url: str) -> TestAccounts:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        store = Store(engine)
        made = []
        for username, name, role in (
            ("olena", "Olena Koval", "operator"),
            ("dmytro", "Dmytro Shevchenko", "operator"),
            ("maria", "Maria Bondarenko", "supervisor"),
        ):
            info = store.create_operator(username, _test_hash(), role, name)
            made.append(Account(username, TEST_PASSWORD, name, role, info.id))
        return TestAccounts(*made)
    finally:
        engine.dispose()


class TestHub(EmbeddedHub):
    """An EmbeddedHub that knows its database and its test accounts."""

    __test__ = False

    def __init__(self, db_url: str, accounts: TestAccounts, **kw: Any) -> None:
        super().__init__(db_url, **kw)
        self.db_url = db_url
        self.accounts = accounts


@contextlib.contextmanager
def running_hub(tmp_path: Path, name: str = "hub", **config: Any) -> Iterator[TestHub]:
    """A started hub on its own SQLite file with the test accounts and ``config``
    (HubConfig fields), stopped afterwards."""
    url = f"sqlite:///{tmp_path / f'{name}.db'}"
    h = TestHub(url, create_test_accounts(url), **config)
    h.start()
    try:
        yield h
    finally:
        h.stop()


@pytest.fixture
def hub_db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hub.db'}"


@pytest.fixture
def hub(hub_db_url: str) -> Iterator[TestHub]:
    """A started hub on 127.0.0.1, port 0 (``hub.ws_url``, ``hub.http_url``, ``hub.port``),
    with ``hub.accounts.operator`` / ``.operator2`` / ``.supervisor`` (password in ``.password``).
    ``hub.stop(); hub.start()`` restarts it on the same port and database."""
    accounts = create_test_accounts(hub_db_url)
    h = TestHub(hub_db_url, accounts)
    h.start()
    try:
        yield h
    finally:
        h.stop()
