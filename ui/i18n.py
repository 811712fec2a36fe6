"""Loading the UI language: Frontline's own catalogue plus Qt's for standard buttons."""

from __future__ import annotations

import logging

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from ui.paths import resources_dir

log = logging.getLogger(__name__)

LANGUAGES = ("en", "ru", "uk")


def pick_language(requested: str | None) -> str:
    if requested in LANGUAGES:
        return requested
    system = QLocale.system().name().split("_")[0]
    return system if system in LANGUAGES else "en"


def install(app: QApplication, language: str) -> list[QTranslator]:
    """Install translators for ``language``; returns them (they must stay alive)."""
    installed: list[QTranslator] = []
    if language == "en":
        return installed
    ours = QTranslator(app)
    path = resources_dir() / "i18n" / f"frontline_{language}.qm"
    if ours.load(str(path)):
        app.installTranslator(ours)
        installed.append(ours)
    else:
        log.warning("no translation catalogue at %s", path)
    qt = QTranslator(app)
    if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        installed.append(qt)
    return installed
