"""Fault-test fixtures: a hub with short keepalive (so it notices dead peers quickly too)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import TestHub, create_test_accounts

HUB_PING_S = 0.5


@pytest.fixture
def keepalive_hub(hub_db_url: str) -> Iterator[TestHub]:
    h = TestHub(
        hub_db_url,
        create_test_accounts(hub_db_url),
        ping_interval_s=HUB_PING_S,
        ping_timeout_s=HUB_PING_S,
    )
    h.start()
    try:
        yield h
    finally:
        h.stop()
