"""The suggestions panel above the customer card: the knowledge-base articles that best
answer the customer's latest message, found as the message arrives. A click on one
puts its text into the composer for editing (never sends it); a public article's "Insert
link" puts its title and the address of its public page there instead. The header collapses
the panel to one line; "Search…" opens the Ctrl+K dialog."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui import theme

SHOWN = 3  # the panel shares the side with the card: the best three, the rest in Ctrl+K
SNIPPET_CHARS = 95  # about two lines of the panel


def marked_html(text: str, marks: Sequence[Sequence[int]] = ()) -> str:
    """``text`` as HTML with the ``(start, end)`` ranges in bold; everything escaped
    (an article's text is data, never markup)."""
    out: list[str] = []
    pos = 0
    for start, end in sorted((int(m[0]), int(m[1])) for m in marks if len(m) >= 2):
        if start < pos or end <= start or end > len(text):
            continue
        out.append(html.escape(text[pos:start]))
        out.append("<b>" + html.escape(text[start:end]) + "</b>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def clipped(text: str, marks: Sequence[Sequence[int]], limit: int) -> tuple[str, list[tuple[int, int]]]:
    """At most ``limit`` characters of ``text`` around its first mark, the marks moved
    along (those cut off are dropped)."""
    spans = sorted((int(m[0]), int(m[1])) for m in marks if len(m) >= 2)
    if len(text) <= limit:
        return text, spans
    start = max(0, (spans[0][0] - 20) if spans else 0)
    start = min(start, max(0, len(text) - limit))
    if start > 0:  # at a word, not in one
        space = text.find(" ", start, start + 15)
        start = space + 1 if space >= 0 and (not spans or space < spans[0][0]) else start
    end = min(len(text), start + limit)
    if end < len(text):
        space = text.rfind(" ", start + limit // 2, end)
        end = space if space > 0 else end
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = start - len(prefix)
    moved = [(a - shift, b - shift) for a, b in spans if a >= start and b <= end]
    return prefix + text[start:end] + suffix, moved


def hit_title_html(hit: Any) -> str:
    return marked_html(str(getattr(hit, "title", "")), getattr(hit, "title_highlights", ()) or ())


def hit_snippet_html(hit: Any) -> str:
    return marked_html(str(getattr(hit, "snippet", "")), getattr(hit, "highlights", ()) or ())


def public_url(obj: Any) -> str:
    """The public address of an article or hit (its page for customers, app/hub/kb_pages.py),
    "" for an internal article or when the hub gives none."""
    if str(getattr(obj, "visibility", "public") or "public") != "public":
        return ""
    return str(getattr(obj, "public_url", "") or "")


class HitButton(QFrame):
    """One suggested article: its title and the snippet with the matched words in bold;
    a public article also has "Insert link" (its page's address instead of its text)."""

    clicked = Signal(object)  # the hit
    link_clicked = Signal(object)  # the hit: insert its public link

    def __init__(self, hit: Any, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hit = hit
        self.setObjectName("kbHit")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(tooltip)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 5, 8, 5)
        lay.setSpacing(1)
        lang = str(getattr(hit, "lang", "") or "").upper()
        muted = theme.colors().muted.name()
        self.title = QLabel(
            f"<span style='font-weight: 600'>{hit_title_html(hit)}</span>"
            f" <span style='color: {muted}'>{html.escape(lang)}</span>",
            self,
        )
        self.title.setObjectName("kbHitTitle")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        text, marks = clipped(str(getattr(hit, "snippet", "")), getattr(hit, "highlights", ()) or (), SNIPPET_CHARS)
        self.snippet = QLabel(marked_html(text, marks), self)
        self.snippet.setObjectName("kbHitSnippet")
        self.snippet.setWordWrap(True)
        self.snippet.setTextFormat(Qt.TextFormat.RichText)
        self.snippet.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # two lines at most, cut at a line, never through one
        self.snippet.setFixedHeight(2 * self.snippet.fontMetrics().lineSpacing())
        for label in (self.title, self.snippet):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.setSpacing(6)
        head.addWidget(self.title, 1)
        self.link_button: QPushButton | None = None
        if public_url(hit):
            self.link_button = QPushButton(self)
            self.link_button.setObjectName("linkButton")
            self.link_button.setCursor(Qt.CursorShape.PointingHandCursor)
            self.link_button.clicked.connect(lambda: self.link_clicked.emit(self.hit))
            head.addWidget(self.link_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(head)
        lay.addWidget(self.snippet)

    def mouseReleaseEvent(self, event: Any) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit(self.hit)
        super().mouseReleaseEvent(event)


class KbSuggestions(QFrame):
    insert_requested = Signal(object)  # the hit: insert its article's text into the composer
    link_requested = Signal(object)  # the hit (a public article): insert its title and link
    search_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kbPanel")
        self.expanded = True
        self.state = "empty"  # empty (no conversation) / looking / ready / none / failed
        self.hits: list[Any] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 8)
        lay.setSpacing(4)
        head = QHBoxLayout()
        self.toggle = QToolButton(self)
        self.toggle.setObjectName("kbToggle")
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setAutoRaise(True)
        head.addWidget(self.toggle, 1)
        self.search_button = QPushButton(self)
        self.search_button.setObjectName("linkButton")
        self.search_button.setCursor(Qt.CursorShape.PointingHandCursor)
        head.addWidget(self.search_button)
        lay.addLayout(head)
        self.body = QWidget(self)
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.body_layout.setSpacing(3)
        self.status = QLabel(self.body)
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.body_layout.addWidget(self.status)
        self.rows: list[HitButton] = []
        lay.addWidget(self.body)
        self.toggle.clicked.connect(self.toggle_expanded)
        self.search_button.clicked.connect(self.search_requested.emit)
        self.retranslate()
        self.show_empty()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.search_button.setText(self.tr("Search… (Ctrl+K)"))
        self.search_button.setToolTip(self.tr("Search the knowledge base (Ctrl+K)"))
        self._update_texts()

    def _update_texts(self) -> None:
        n = len(self.hits) if self.state == "ready" else 0
        title = self.tr("Suggested articles") if not n else self.tr("Suggested articles (%1)").replace("%1", str(n))
        self.toggle.setText(title)
        self.toggle.setToolTip(self.tr("Show or hide the suggestions"))
        tip = self.tr("Click to put this answer into your reply; you can edit it before sending")
        for row in self.rows:
            row.setToolTip(tip + "\n\n" + str(getattr(row.hit, "snippet", "")))
            if row.link_button is not None:
                row.link_button.setText(self.tr("Insert link"))
                row.link_button.setToolTip(
                    self.tr("Put the article's title and the link to its public page into your reply")
                    + "\n" + public_url(row.hit)
                )
        self.status.setText({
            "empty": self.tr("Articles that answer the customer's latest message appear here."),
            "looking": self.tr("Looking for articles…"),
            "none": self.tr("No article matches the customer's latest message. Try Search…"),
            "ready": "",
            "failed": self.failure,
        }.get(self.state, ""))
        self.status.setVisible(self.state != "ready")

    failure = ""

    # ------------------------------------------------------------------ states

    def toggle_expanded(self) -> None:
        self.set_expanded(not self.expanded)

    def set_expanded(self, expanded: bool) -> None:
        self.expanded = expanded
        self.body.setVisible(expanded)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)

    def _clear_rows(self) -> None:
        for row in self.rows:
            row.setParent(None)  # type: ignore[call-overload]
            row.deleteLater()
        self.rows = []

    def show_empty(self) -> None:
        self.state, self.hits = "empty", []
        self._clear_rows()
        self._update_texts()

    def show_looking(self) -> None:
        """A newer message is being looked up: the previous suggestions stay (dimmed by
        the status line) until the answer comes, so nothing jumps under the mouse."""
        if self.state != "ready":
            self.state = "looking"
            self._update_texts()

    def show_hits(self, hits: list[Any]) -> None:
        self._clear_rows()
        self.hits = list(hits)[:SHOWN]
        self.state = "ready" if self.hits else "none"
        for hit in self.hits:
            row = HitButton(hit, "", self.body)
            row.clicked.connect(self.insert_requested.emit)
            row.link_clicked.connect(self.link_requested.emit)
            self.body_layout.addWidget(row)
            self.rows.append(row)
        self._update_texts()

    def show_failed(self, text: str) -> None:
        self._clear_rows()
        self.state, self.hits, self.failure = "failed", [], text
        self._update_texts()
