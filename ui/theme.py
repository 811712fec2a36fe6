"""Light and dark themes: a Fusion palette plus the few colours the delegates paint."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Colors:
    customer_bubble: QColor
    operator_bubble: QColor
    operator_text: QColor
    system_text: QColor
    muted: QColor
    ok: QColor
    warn: QColor
    bad: QColor
    badge_web: QColor
    badge_telegram: QColor
    badge_whatsapp: QColor
    badge_email: QColor
    note_bubble: QColor
    note_border: QColor
    note_text: QColor
    offer_bg: QColor
    vip: QColor


LIGHT = Colors(
    customer_bubble=QColor("#eef1f5"),
    operator_bubble=QColor("#2f6fde"),
    operator_text=QColor("#ffffff"),
    system_text=QColor("#6b7280"),
    muted=QColor("#6b7280"),
    ok=QColor("#1f9d55"),
    warn=QColor("#d98e04"),
    bad=QColor("#d64545"),
    badge_web=QColor("#5b6ee1"),
    badge_telegram=QColor("#1f8fcf"),
    badge_whatsapp=QColor("#1c9e55"),
    badge_email=QColor("#7a6a58"),
    note_bubble=QColor("#fff3bf"),
    note_border=QColor("#e0b000"),
    note_text=QColor("#3d3200"),
    offer_bg=QColor("#e7f0ff"),
    vip=QColor("#b7791f"),
)

DARK = Colors(
    customer_bubble=QColor("#2c313a"),
    operator_bubble=QColor("#2f62c4"),
    operator_text=QColor("#ffffff"),
    system_text=QColor("#9aa3af"),
    muted=QColor("#9aa3af"),
    ok=QColor("#3ccf7a"),
    warn=QColor("#f0b429"),
    bad=QColor("#ff6b6b"),
    badge_web=QColor("#7c8cf0"),
    badge_telegram=QColor("#2a9fd8"),
    badge_whatsapp=QColor("#25a85e"),
    badge_email=QColor("#8f7f6c"),
    note_bubble=QColor("#4a3f12"),
    note_border=QColor("#c9a227"),
    note_text=QColor("#fff1c1"),
    offer_bg=QColor("#243552"),
    vip=QColor("#f0b429"),
)

_current = LIGHT


def colors() -> Colors:
    return _current


def apply(app: QApplication, theme: str) -> None:
    global _current
    app.setStyle("Fusion")
    if theme == "dark":
        _current = DARK
        p = QPalette()
        base, window, text = QColor("#1e2228"), QColor("#252a31"), QColor("#e6e8eb")
        p.setColor(QPalette.ColorRole.Window, window)
        p.setColor(QPalette.ColorRole.WindowText, text)
        p.setColor(QPalette.ColorRole.Base, base)
        p.setColor(QPalette.ColorRole.AlternateBase, QColor("#2a2f37"))
        p.setColor(QPalette.ColorRole.Text, text)
        p.setColor(QPalette.ColorRole.Button, QColor("#2f353d"))
        p.setColor(QPalette.ColorRole.ButtonText, text)
        p.setColor(QPalette.ColorRole.Highlight, QColor("#3a6fd8"))
        p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        p.setColor(QPalette.ColorRole.ToolTipBase, window)
        p.setColor(QPalette.ColorRole.ToolTipText, text)
        p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8b929c"))
        p.setColor(QPalette.ColorRole.Mid, QColor("#3a4049"))
        p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6b7280"))
        p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6b7280"))
        app.setPalette(p)
    else:
        _current = LIGHT
        p = QPalette()
        p.setColor(QPalette.ColorRole.Window, QColor("#f6f7f9"))
        p.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
        p.setColor(QPalette.ColorRole.AlternateBase, QColor("#f2f4f7"))
        p.setColor(QPalette.ColorRole.Highlight, QColor("#dbe7fd"))
        p.setColor(QPalette.ColorRole.HighlightedText, QColor("#111827"))
        p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8b929c"))
        app.setPalette(p)
    c = _current
    app.setStyleSheet(
        """
        QSplitter::handle { background: palette(mid); }
        QSplitter::handle:horizontal { width: 1px; }
        QTabBar::tab { padding: 6px 10px; }
        QLabel#sectionTitle { font-weight: 600; font-size: 15px; }
        QLabel#cardName { font-weight: 600; font-size: 17px; }
        QLabel#muted { color: palette(placeholder-text); }
        QFrame#banner { background: palette(alternate-base); border-radius: 6px; }
        QLabel#linkState { padding: 2px 8px; border-radius: 9px; }
        QLabel#typing { color: palette(placeholder-text); font-style: italic; }
        QLabel#historyLoading { color: palette(text); background: palette(base); border: 1px solid palette(mid);
                                border-radius: 10px; padding: 3px 12px; }
        """
        + f"""
        QFrame#offerBanner {{ background: {c.offer_bg.name()}; border: 2px solid {c.badge_web.name()};
                              border-radius: 8px; }}
        QFrame#offerBanner QProgressBar {{ border: none; background: palette(mid); border-radius: 3px; }}
        QFrame#offerBanner QProgressBar::chunk {{ background: {c.badge_web.name()}; border-radius: 3px; }}
        QFrame#noticeBanner {{ background: {c.note_bubble.name()}; border: 1px solid {c.note_border.name()};
                               border-radius: 6px; }}
        QFrame#noticeBanner QLabel {{ color: {c.note_text.name()}; }}
        QLabel#collision {{ color: {c.warn.name()}; font-weight: 600; }}
        QPushButton#newMessagesPill {{ background: {c.badge_web.name()}; color: #ffffff; border: none;
                                       border-radius: 9px; padding: 3px 14px; font-weight: 600; }}
        QPushButton#newMessagesPill:hover {{ background: {c.badge_telegram.name()}; }}
        QPlainTextEdit[noteMode="true"] {{ background: {c.note_bubble.name()}; color: {c.note_text.name()};
                                           border: 1px solid {c.note_border.name()}; }}
        QLabel#cardSection {{ font-weight: 600; color: palette(placeholder-text); padding-top: 10px; }}
        QLabel#fieldLabel {{ color: palette(placeholder-text); padding-top: 4px; }}
        QLabel#fieldMessage {{ padding: 0px 4px; }}
        QLabel[editable="true"], QLabel[editable="false"] {{ padding: 2px 4px; border-radius: 4px; }}
        QLabel[editable="true"]:hover {{ background: palette(alternate-base); }}
        QLabel[empty="true"] {{ color: palette(placeholder-text); font-style: italic; }}
        QLabel#addLink[empty="true"] {{ color: {c.badge_web.name()}; font-style: normal; }}
        QLabel#addLink[editable="false"] {{ color: palette(placeholder-text); font-style: italic; }}
        QLabel#fieldMessage[kind="hint"] {{ color: palette(placeholder-text); }}
        QLabel#fieldMessage[kind="error"] {{ color: {c.bad.name()}; }}
        QLabel#cardNote {{ background: palette(alternate-base); border-radius: 6px; padding: 6px 8px; }}
        QLabel#cardNote[kind="error"] {{ color: {c.bad.name()}; }}
        QFrame#mergeNotice {{ background: palette(alternate-base); border: 1px solid palette(mid);
                              border-radius: 6px; }}
        QLabel#dialogTitle {{ font-weight: 600; font-size: 11pt; }}
        QLabel#mergeCardHead {{ padding: 6px 8px; border-radius: 6px; border: 1px solid palette(mid); }}
        QLabel#mergeCardHead[kept="true"] {{ border: 2px solid {c.badge_web.name()}; }}
        QFrame#tagChip {{ background: palette(alternate-base); border: 1px solid palette(mid); border-radius: 9px;
                          min-height: 20px; }}
        QToolButton#chipRemove, QToolButton#rowRemove {{ border: none; padding: 0px 4px;
                                                         color: palette(placeholder-text); }}
        QToolButton#chipRemove:hover, QToolButton#rowRemove:hover {{ color: {c.bad.name()}; }}
        QToolButton#vipToggle {{ padding: 2px 6px; }}
        QToolButton#vipToggle[vip="true"] {{ color: {c.vip.name()}; font-weight: 600; }}
        QLabel#warning {{ color: {c.warn.name()}; }}
        QListWidget#templateCompletion {{ border: 1px solid palette(mid); border-radius: 4px; }}
        QFrame#promptBar, QFrame#kbPanel {{ background: palette(alternate-base); border: 1px solid palette(mid);
                                           border-radius: 6px; }}
        QLabel#promptTitle {{ font-weight: 600; }}
        QFrame#kbHit {{ background: palette(base); border: 1px solid palette(mid); border-radius: 5px; }}
        QFrame#kbHit:hover {{ border: 1px solid {c.badge_web.name()}; }}
        QToolButton#kbToggle {{ font-weight: 600; border: none; }}
        QPushButton#linkButton {{ border: none; color: {c.badge_web.name()}; text-align: left; padding: 0px 4px; }}
        QToolButton#timelineChip {{ border: 1px solid palette(mid); border-radius: 9px; padding: 1px 10px; }}
        QToolButton#timelineChip:checked {{ background: {c.badge_web.name()}; color: #ffffff;
                                           border: 1px solid {c.badge_web.name()}; }}
        QFrame#attachmentChip {{ background: palette(alternate-base); border: 1px solid palette(mid);
                                 border-radius: 9px; min-height: 20px; }}
        QFrame#attachmentChip[failed="true"] {{ border: 1px solid {c.bad.name()}; }}
        QFrame#attachmentChip[failed="true"] QLabel {{ color: {c.bad.name()}; }}
        QFrame#attachmentChip QToolButton {{ border: none; padding: 0px 4px; color: palette(placeholder-text); }}
        """
    )
