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


@pytest.mark.parametrize("lang", ["en", "ru", "uk"])
def test_the_customer_card_fits_its_texts(qapp, qtbot, tmp_path, lang) -> None:
    """Russian and Ukrainian texts are longer: no one-line text of the card (titles, the
    VIP toggle, links, buttons) or of the top bar is narrower than it needs, at the
    window's default size."""
    from datetime import UTC, datetime

    from PySide6.QtWidgets import QAbstractButton, QLabel

    from app.protocol.messages import CustomerProfile, CustomFieldDef, IdentityInfo
    from ui.bridge.customer_bridge import CachedCard

    translators = i18n.install(qapp, lang)
    try:
        bridge = SessionBridge(OperatorSession(MemorySecretStore(), "dev"))
        w = MainWindow(bridge, Settings(config_dir=tmp_path, policy=tmp_path / "none.json"))
        qtbot.addWidget(w)
        w.show()
        profile = CustomerProfile(
            id=7, name="Олександра Ковальчук-Мельниченко", first_seen=datetime(2026, 1, 2, tzinfo=UTC),
            locale="uk", phones=["+380671234567"], emails=["oleksandra.kovalchuk@example.com.ua"],
            identities=[IdentityInfo(channel="web")], tags=["постійний клієнт"], vip=False,
            notes="", fields={"policy_no": "PA-2291-4471"},
        )
        defs = [CustomFieldDef(key="policy_no", label="Номер страхового поліса"),
                CustomFieldDef(key="since", label="Клієнт з", type="date")]
        card = w.card
        card.show_profile(profile)  # offline (no hub): the note says so
        card.online = True
        card.on_card_loaded(CachedCard(profile, defs, datetime.now(UTC)))
        w.retranslate()
        qapp.processEvents()
        assert card.state == "ready" and card.phones.values == ["+380671234567"]
        cut = []
        checked = 0
        for widget in [*card.findChildren(QLabel), *card.findChildren(QAbstractButton), w.find_button,
                       w.link_label, w.menu_button]:
            if not widget.isVisibleTo(w) or (isinstance(widget, QLabel) and widget.wordWrap()):
                continue
            checked += 1
            if widget.width() < widget.sizeHint().width():
                cut.append((type(widget).__name__, widget.text(), widget.width(), widget.sizeHint().width()))
        assert checked >= 10, "the card's texts were not shown"
        assert not cut, f"{lang}: cut off: {cut}"
    finally:
        for t in translators:
            QCoreApplication.removeTranslator(t)
