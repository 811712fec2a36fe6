"""Fixtures of the channel tests: a local Bot API double and a hub with a Telegram channel
pointed at it (configured with the CLI, as office IT would)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from app.hub.cli import main as hub_cli
from app.storage import Store, make_engine
from app.storage.channels import ChannelStatus, ChannelStore
from tests.conftest import TestHub, create_test_accounts
from tests.telegram_double import TOKEN, BotApiDouble
from tests.whatsapp_double import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    WABA_ID,
    GraphApiDouble,
)

TOKEN_ENV = "FRONTLINE_TEST_TG_TOKEN"

# fast channel timings: settings re-read and outbox swept every 0.1 s, backoff 0.05 s … 0.4 s
FAST_CHANNELS = {
    "channel_refresh_s": 0.1,
    "channel_sweep_s": 0.1,
    "channel_retry_base_s": 0.05,
    "channel_retry_max_s": 0.4,
}


@dataclass
class TelegramSetup:
    hub: TestHub
    api: BotApiDouble
    db_url: str

    def add_channel(self, *extra: str) -> None:
        code = hub_cli(
            [
                "channel", "add", "telegram", "--token-env", TOKEN_ENV, "--api-url", self.api.url,
                "--poll-timeout", "1", "--db", self.db_url, *extra,
            ]
        )
        assert code == 0

    def status(self) -> ChannelStatus:
        """The channel as ``frontline-hub channel status`` reads it from the database."""
        engine = make_engine(self.db_url)
        try:
            (st,) = ChannelStore(Store(engine)).status()
            return st
        finally:
            engine.dispose()


@pytest.fixture
def bot_api() -> Iterator[BotApiDouble]:
    api = BotApiDouble().start()
    try:
        yield api
    finally:
        api.stop()


def _telegram_hub(hub_db_url: str, bot_api: BotApiDouble, mode: str) -> Iterator[TelegramSetup]:
    accounts = create_test_accounts(hub_db_url)
    hub = TestHub(hub_db_url, accounts, webhook_port=0, **FAST_CHANNELS)
    setup = TelegramSetup(hub, bot_api, hub_db_url)
    if mode == "polling":
        setup.add_channel()
    hub.start()
    try:
        yield setup
    finally:
        hub.stop()


@pytest.fixture
def telegram(hub_db_url: str, bot_api: BotApiDouble, monkeypatch: pytest.MonkeyPatch) -> Iterator[TelegramSetup]:
    """A hub with a Telegram channel in polling mode against ``bot_api``."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    yield from _telegram_hub(hub_db_url, bot_api, "polling")


@pytest.fixture
def telegram_webhook(
    hub_db_url: str, bot_api: BotApiDouble, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TelegramSetup]:
    """A hub with a webhook listener; the Telegram channel is added in webhook mode while
    it runs (its public URL is the listener's, known once the hub listens)."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    for setup in _telegram_hub(hub_db_url, bot_api, "webhook"):
        setup.add_channel("--mode", "webhook", "--public-url", setup.hub.webhook_url)
        yield setup


# ---------------------------------------------------------------------------- WhatsApp

WA_TOKEN_ENV = "FRONTLINE_TEST_WA_TOKEN"
WA_SECRET_ENV = "FRONTLINE_TEST_WA_APP_SECRET"
WA_VERIFY_ENV = "FRONTLINE_TEST_WA_VERIFY_TOKEN"


@dataclass
class WhatsAppSetup:
    hub: TestHub
    api: GraphApiDouble
    db_url: str

    def add_channel(self, *extra: str) -> None:
        code = hub_cli(
            [
                "channel", "add", "whatsapp", "--phone-number-id", PHONE_NUMBER_ID, "--waba-id", WABA_ID,
                "--token-env", WA_TOKEN_ENV, "--app-secret-env", WA_SECRET_ENV,
                "--verify-token-env", WA_VERIFY_ENV, "--api-url", self.api.url,
                "--public-url", self.hub.webhook_url, "--db", self.db_url, *extra,
            ]
        )
        assert code == 0

    def status(self) -> ChannelStatus:
        engine = make_engine(self.db_url)
        try:
            (st,) = [s for s in ChannelStore(Store(engine)).status() if s.channel.name == "whatsapp"]
            return st
        finally:
            engine.dispose()


@pytest.fixture
def graph_api() -> Iterator[GraphApiDouble]:
    api = GraphApiDouble().start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def whatsapp(hub_db_url: str, graph_api: GraphApiDouble, monkeypatch: pytest.MonkeyPatch) -> Iterator[WhatsAppSetup]:
    """A hub with a webhook listener and a WhatsApp channel against ``graph_api``, which
    delivers its notifications to the hub's callback URL (added with the CLI once the hub
    listens, as its public URL is the listener's)."""
    monkeypatch.setenv(WA_TOKEN_ENV, ACCESS_TOKEN)
    monkeypatch.setenv(WA_SECRET_ENV, APP_SECRET)
    monkeypatch.setenv(WA_VERIFY_ENV, VERIFY_TOKEN)
    accounts = create_test_accounts(hub_db_url)
    hub = TestHub(hub_db_url, accounts, webhook_port=0, **FAST_CHANNELS)
    setup = WhatsAppSetup(hub, graph_api, hub_db_url)
    hub.start()
    try:
        setup.add_channel()
        graph_api.callback_url = f"{hub.webhook_url}/channels/whatsapp/webhook"
        # the running hub picks the channel up from the database (within channel_refresh_s)
        deadline = time.monotonic() + 10
        while setup.status().channel.state != "up":
            assert time.monotonic() < deadline, f"the channel did not come up: {setup.status().channel}"
            time.sleep(0.02)  # polling a condition (this fixture has no event loop)
        yield setup
    finally:
        hub.stop()
