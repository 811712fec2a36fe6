"""Secrets (session tokens) go through the OS keyring and nowhere else.

Never a plaintext fallback: where the OS offers no keyring backend the store says
it is unavailable, and the session lasts for this run only.
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)

SERVICE = "Frontline"


class SecretStore(Protocol):
    @property
    def available(self) -> bool: ...

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...


class MemorySecretStore:
    """For tests, and the honest stand-in when no keyring exists (kept for this run only)."""

    def __init__(self, available: bool = True) -> None:
        self._available = available
        self._data: dict[str, str] = {}

    @property
    def available(self) -> bool:
        return self._available

    def get(self, key: str) -> str | None:
        return self._data.get(key)

    def set(self, key: str, value: str) -> None:
        if not self._available:
            raise RuntimeError("no secret store available")
        self._data[key] = value

    def delete(self, key: str) -> None:
        self._data.pop(key, None)


class KeyringSecretStore:
    """The OS keyring (Windows Credential Manager, macOS Keychain, Secret Service)."""

    def __init__(self, service: str = SERVICE) -> None:
        import keyring
        from keyring.backends import fail

        self._keyring = keyring
        backend = keyring.get_keyring()
        self._available = not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 1) > 0
        self._service = service

    @property
    def available(self) -> bool:
        return self._available

    def get(self, key: str) -> str | None:
        if not self._available:
            return None
        try:
            value: str | None = self._keyring.get_password(self._service, key)
            return value
        except Exception as exc:  # a locked or broken keyring must not crash login
            log.warning("keyring read failed: %s", type(exc).__name__)
            return None

    def set(self, key: str, value: str) -> None:
        if not self._available:
            raise RuntimeError("no secret store available")
        self._keyring.set_password(self._service, key, value)

    def delete(self, key: str) -> None:
        if not self._available:
            return
        try:
            self._keyring.delete_password(self._service, key)
        except Exception:
            log.debug("no stored secret to delete")
