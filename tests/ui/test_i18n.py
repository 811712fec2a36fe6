"""Every string a user sees ships in English, Russian and Ukrainian."""

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication

from app.client.secrets import MemorySecretStore
from app.client.session import OperatorSession
from app.client.settings import Settings
from ui import i18n
from ui.bridge.session_bridge import SessionBridge
from ui.widgets.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]


def test_catalogues_are_fresh_and_complete() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "i18n.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("lang", "mine", "send"), [("ru", "Мои (0)", "Отправить"), ("uk", "Мої (0)", "Надіслати")])
def test_the_window_speaks_the_chosen_language(qapp, qtbot, tmp_path, lang, mine, send) -> None:
    translators = i18n.install(qapp, lang)
    try:
        assert translators, "the compiled catalogue did not load"
        bridge = SessionBridge(OperatorSession(MemorySecretStore(), "dev"))
        w = MainWindow(bridge, Settings(config_dir=tmp_path, policy=tmp_path / "none.json"))
        qtbot.addWidget(w)
        assert w.tabs.tabText(0) == mine
        assert w.pane.send_button.text() == send
    finally:
        for t in translators:
            QCoreApplication.removeTranslator(t)
