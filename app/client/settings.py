"""Client settings, declared once with a type and a default.

Precedence: machine policy (a JSON file that office IT rolls out) > the user's own
choice > the declared default. A policy value cannot be changed from the app.
Secrets never live here (see :mod:`app.client.secrets`).
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

log = logging.getLogger(__name__)

APP_NAME = "Frontline"


@dataclass(frozen=True)
class Option:
    key: str
    type: type
    default: Any
    doc: str


OPTIONS: dict[str, Option] = {
    o.key: o
    for o in (
        Option("hub_url", str, "ws://127.0.0.1:8765", "Address of the hub the client logs in to."),
        Option("username", str, "", "The last user name typed in the login dialog."),
        Option("language", str, "", "UI language: en, ru or uk; empty follows the system."),
        Option("theme", str, "light", "light or dark."),
        Option("device_id", str, "", "A random id of this installation (for the hub's idempotency keys)."),
        Option("window_geometry", str, "", "Saved main-window geometry (hex)."),
        Option("window_state", str, "", "Saved main-window splitter sizes (hex)."),
    )
}


def user_config_dir() -> Path:
    override = os.environ.get("FRONTLINE_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def policy_file() -> Path:
    override = os.environ.get("FRONTLINE_POLICY_FILE")
    if override:
        return Path(override)
    return Path(platformdirs.site_config_dir(APP_NAME, appauthor=False)) / "policy.json"


class Settings:
    def __init__(self, config_dir: Path | None = None, policy: Path | None = None) -> None:
        self._dir = config_dir or user_config_dir()
        self._file = self._dir / "settings.json"
        self._user = self._load(self._file)
        self._policy = self._load(policy or policy_file())

    @staticmethod
    def _load(path: Path) -> dict[str, Any]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable settings file %s: %s", path, exc)
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if k in OPTIONS and isinstance(v, OPTIONS[k].type)}

    def get(self, key: str) -> Any:
        option = OPTIONS[key]
        if key in self._policy:
            return self._policy[key]
        return self._user.get(key, option.default)

    def is_locked(self, key: str) -> bool:
        """True when office IT's policy fixes this value."""
        return key in self._policy

    def set(self, key: str, value: Any) -> None:
        option = OPTIONS[key]
        if not isinstance(value, option.type):
            raise TypeError(f"setting {key} must be {option.type.__name__}")
        if self.is_locked(key):
            return
        self._user[key] = value
        self._save()

    def device_id(self) -> str:
        value: str = self.get("device_id")
        if not value:
            value = uuid.uuid4().hex
            self.set("device_id", value)
        return value

    def _save(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        tmp = self._file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._user, indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(self._file)
