"""Client-side services that need no hub: settings precedence, secrets, hub addresses."""

import json
from pathlib import Path

import pytest

from app.client.connection import HubUnreachable, operator_endpoint
from app.client.secrets import KeyringSecretStore, MemorySecretStore
from app.client.settings import Settings


@pytest.mark.parametrize(
    ("typed", "endpoint"),
    [
        ("hub.local:8765", "ws://hub.local:8765/ws/operator"),
        ("ws://127.0.0.1:9000/", "ws://127.0.0.1:9000/ws/operator"),
        ("https://hub.example.com", "wss://hub.example.com/ws/operator"),
        ("  WS://h:1/ws/operator ", "ws://h:1/ws/operator"),
    ],
)
def test_what_a_user_types_becomes_the_operator_endpoint(typed: str, endpoint: str) -> None:
    assert operator_endpoint(typed) == endpoint


@pytest.mark.parametrize("typed", ["", "ftp://h", "ws://"])
def test_unusable_hub_addresses_are_refused_clearly(typed: str) -> None:
    with pytest.raises(HubUnreachable) as info:
        operator_endpoint(typed)
    assert "cannot reach the hub" in str(info.value)


def test_settings_precedence_policy_over_user_over_default(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"hub_url": "wss://hub.corp:443"}))
    s = Settings(config_dir=tmp_path / "user", policy=policy)
    assert s.get("theme") == "light"  # default
    s.set("theme", "dark")
    s.set("hub_url", "ws://elsewhere:1")  # locked by policy: ignored
    assert s.is_locked("hub_url")
    again = Settings(config_dir=tmp_path / "user", policy=policy)
    assert again.get("theme") == "dark"
    assert again.get("hub_url") == "wss://hub.corp:443"


def test_settings_survive_a_broken_file_and_reject_wrong_types(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text("{not json")
    s = Settings(config_dir=tmp_path, policy=tmp_path / "none.json")
    assert s.get("username") == ""
    with pytest.raises(TypeError):
        s.set("username", 5)
    s.set("username", "olena")
    assert json.loads((tmp_path / "settings.json").read_text())["username"] == "olena"


def test_settings_never_hold_secrets() -> None:
    from app.client.settings import OPTIONS

    assert not any(word in key for key in OPTIONS for word in ("token", "password", "secret"))


def test_device_id_is_made_once_and_kept(tmp_path: Path) -> None:
    s = Settings(config_dir=tmp_path, policy=tmp_path / "none.json")
    first = s.device_id()
    assert len(first) == 32
    assert Settings(config_dir=tmp_path, policy=tmp_path / "none.json").device_id() == first


def test_memory_store_without_keyring_refuses_to_keep_secrets() -> None:
    store = MemorySecretStore(available=False)
    with pytest.raises(RuntimeError):
        store.set("k", "v")
    assert store.get("k") is None


def test_keyring_store_reports_the_fail_backend_as_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    store = KeyringSecretStore()
    assert store.available is False
    assert store.get("anything") is None
    with pytest.raises(RuntimeError):
        store.set("k", "v")


def test_an_update_result_never_overwrites_a_newer_card_from_an_event(tmp_path: Path) -> None:
    """Our customer_update's answer can arrive after a colleague's later change
    (customer_updated with a higher seq): the window keeps the colleague's card."""
    import asyncio
    from datetime import UTC, datetime

    from app.client.session import OperatorSession, _Data
    from app.protocol.messages import CustomerChanges, CustomerProfile, CustomerUpdated

    session = OperatorSession(MemorySecretStore(), "dev", data_dir=tmp_path)
    session.seq = 100
    ours = CustomerProfile(id=7, name="Olena", first_seen=datetime(2026, 11, 1, tzinfo=UTC))
    theirs = CustomerProfile(id=7, name="Olena Koval", first_seen=ours.first_seen)
    shown: list[CustomerProfile] = []
    session.customer_changed.connect(shown.append)

    async def answered_late(command: object) -> _Data:
        session._apply(CustomerUpdated(seq=101, customer=ours))  # our change, live
        session._apply(CustomerUpdated(seq=102, customer=theirs))  # then the colleague's
        return _Data(customer=ours)  # our answer arrives last

    session._request = answered_late  # type: ignore[method-assign]
    got = asyncio.run(session.update_customer(7, CustomerChanges(name="Olena")))
    assert got == ours  # the caller learns what its own update produced
    assert shown == [ours, theirs], "the later card stays shown"

    async def answered_alone(command: object) -> _Data:
        return _Data(customer=ours)  # no event meanwhile (e.g. nothing changed)

    session._request = answered_alone  # type: ignore[method-assign]
    asyncio.run(session.update_customer(7, CustomerChanges(name="Olena")))
    assert shown[-1] == ours


def test_a_merge_answer_never_overwrites_a_newer_card_from_an_event(tmp_path: Path) -> None:
    """The same rule for customer_merge: a colleague's change of the kept card that
    arrived before our answer stays shown."""
    import asyncio
    from datetime import UTC, datetime

    from app.client.session import OperatorSession, _Data
    from app.protocol.messages import CustomerProfile, CustomersMerged, CustomerUpdated, MergeInfo

    session = OperatorSession(MemorySecretStore(), "dev", data_dir=tmp_path)
    session.seq = 10
    at = datetime(2026, 11, 1, tzinfo=UTC)
    merged = CustomerProfile(id=7, name="Olena", first_seen=at, phones=["+380671234567"])
    later = CustomerProfile(id=7, name="Olena Koval", first_seen=at, phones=["+380671234567"])
    info = MergeInfo(id=1, kept_id=7, merged_id=8, operator_id=2, created_at=at)
    shown: list[CustomerProfile] = []
    session.customer_changed.connect(shown.append)

    async def answered_late(command: object) -> _Data:
        session._apply(CustomersMerged(seq=11, merge=info, kept=merged))
        session._apply(CustomerUpdated(seq=12, customer=later))  # a colleague renames it
        return _Data(merge=info, customer=merged)

    session._request = answered_late  # type: ignore[method-assign]
    assert asyncio.run(session.merge_customers(7, 8)) == (info, merged)
    assert shown == [merged, later]
