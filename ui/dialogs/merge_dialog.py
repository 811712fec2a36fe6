"""Merge two customer cards of one person: both side by side, which card is kept, which
value the kept card takes where the two differ, and what is always united.

The dialog asks the CustomerBridge to merge and closes once the hub has merged; a refused
merge stays open with the hub's reason, nothing chosen is lost. The choices follow the
hub's defaults (docs/protocol.md, ``customer_merge``): the kept card's values, both notes,
VIP if either is.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.contacts import format_phone
from app.protocol.messages import CustomerProfile, CustomFieldDef, MergeChoices, MergeInfo
from ui.bridge.customer_bridge import CustomerBridge
from ui.widgets.inline_edit import repolish

HEAD_WIDTH = 270  # each card's heading: the name is cut with "…" beyond this (whole in the tooltip)
VALUE_WIDTH = 230  # a value longer than this (in pixels) is cut with "…"; the whole one is in the tooltip
A, B, BOTH = 0, 1, 2


def reason_text(reasons: list[str]) -> str:
    """``["phone:+380671234567"]`` -> "same phone +380 67 123 4567", translated."""
    parts = []
    for reason in reasons:
        kind, _, value = reason.partition(":")
        if kind == "phone":
            parts.append(QCoreApplication.translate("MergeDialog", "same phone %1").replace("%1", format_phone(value)))
        elif kind == "email":
            parts.append(QCoreApplication.translate("MergeDialog", "same e-mail %1").replace("%1", value))
        else:
            parts.append(reason)
    return ", ".join(parts)


class MergeDialog(QDialog):
    """``a`` is the card the operator looks at, ``b`` the candidate. ``merged(info, kept)``
    once the hub has merged them."""

    merged = Signal(object, object)  # MergeInfo, CustomerProfile (kept)

    def __init__(
        self,
        customers: CustomerBridge | None,
        a: CustomerProfile,
        b: CustomerProfile,
        reasons: list[str],
        fields: list[CustomFieldDef],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.customers = customers
        self.cards = (a, b)
        self.counts: dict[int, tuple[int, bool]] = {}
        self.kept_by_hand = False
        self.touched: set[str] = set()
        self.busy = False
        self.setWindowTitle(self.tr("Merge customer cards"))
        self.setMinimumWidth(680)

        lay = QVBoxLayout(self)
        lay.setSpacing(8)
        title = QLabel(self.tr("Is this one person? Merge the two cards into one."), self)
        title.setObjectName("dialogTitle")
        title.setWordWrap(True)
        lay.addWidget(title)
        why = QLabel(self.tr("The hub noticed: %1.").replace("%1", reason_text(reasons)), self)
        why.setObjectName("muted")
        why.setWordWrap(True)
        lay.addWidget(why)

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        self.grid = grid
        row = 0
        # ---- the two cards, and which one is kept
        self.kept_group = QButtonGroup(self)
        self.headers: list[QLabel] = []
        self.keep_buttons: list[QRadioButton] = []
        for side, card in ((A, a), (B, b)):
            head = QLabel(self)
            head.setObjectName("mergeCardHead")
            head.setTextFormat(Qt.TextFormat.PlainText)
            head.setMinimumWidth(HEAD_WIDTH)
            grid.addWidget(head, row, 1 + side)
            self.headers.append(head)
            keep = QRadioButton(self.tr("Keep this card"), self)
            keep.setToolTip(self.tr("The other card is merged into this one and hidden; it can be restored with Undo."))
            self.kept_group.addButton(keep, side)
            grid.addWidget(keep, row + 1, 1 + side)
            self.keep_buttons.append(keep)
            del card
        row += 2
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        grid.addWidget(line, row, 0, 1, 3)
        row += 1

        # ---- where they differ: which value the kept card takes
        self.rows: dict[str, QButtonGroup] = {}
        self.values: dict[str, tuple[object, object]] = {}
        differ_title = QLabel(self.tr("Where they differ, the kept card takes"), self)
        differ_title.setObjectName("cardSection")
        grid.addWidget(differ_title, row, 0, 1, 3)
        row += 1
        labels = {d.key: d.label for d in fields}
        plain = [
            ("name", self.tr("Name"), a.name, b.name),
            ("first_name", self.tr("First name"), a.first_name, b.first_name),
            ("last_name", self.tr("Last name"), a.last_name, b.last_name),
        ]
        for key, label, va, vb in plain:
            if va and vb and va != vb:
                row = self._choice_row(row, key, label, va, vb)
        for key in sorted(set(a.fields) & set(b.fields), key=lambda k: (labels.get(k, k), k)):
            if a.fields[key] != b.fields[key]:
                row = self._choice_row(row, f"field:{key}", labels.get(key, key), a.fields[key], b.fields[key])
        if a.notes and b.notes and a.notes != b.notes:
            row = self._choice_row(row, "notes", self.tr("Notes"), a.notes, b.notes)
            both = QRadioButton(self.tr("Both: the kept card's notes, then the other's"), self)
            self.rows["notes"].addButton(both, BOTH)
            grid.addWidget(both, row, 1, 1, 2)
            both.setChecked(True)
            row += 1
        if a.vip != b.vip:
            row = self._choice_row(row, "vip", self.tr("VIP"), a.vip, b.vip)
            self.rows["vip"].button(A if a.vip else B).setChecked(True)
        if not self.rows:
            same = QLabel(self.tr("Nothing differs: the kept card keeps its values and gains the other's."), self)
            same.setObjectName("muted")
            same.setWordWrap(True)
            grid.addWidget(same, row, 0, 1, 3)
            row += 1
        lay.addLayout(grid)

        # ---- always united
        united_title = QLabel(self.tr("Always united on the kept card"), self)
        united_title.setObjectName("cardSection")
        lay.addWidget(united_title)
        self.united = QLabel(self)
        self.united.setWordWrap(True)
        self.united.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.united)
        undo = QLabel(self.tr("The other card is hidden, not deleted: the merge can be undone from the card."), self)
        undo.setObjectName("muted")
        undo.setWordWrap(True)
        lay.addWidget(undo)
        self.error = QLabel(self)
        self.error.setObjectName("fieldMessage")
        self.error.setProperty("kind", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        lay.addWidget(self.error)
        lay.addStretch(1)
        self.buttons = QDialogButtonBox(self)
        accept = QDialogButtonBox.ButtonRole.AcceptRole
        self.merge_button: QPushButton = self.buttons.addButton(self.tr("Merge"), accept)
        self.merge_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(self.tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.merge_button.clicked.connect(self._merge_clicked)
        self.cancel_button.clicked.connect(self.reject)
        lay.addWidget(self.buttons)

        self.kept_group.idClicked.connect(self._kept_clicked)
        self._set_kept(self._default_kept(), by_hand=False)
        if customers is not None:
            customers.conversations_counted.connect(self._on_counted)
            customers.customers_merged.connect(self._on_merged)
            customers.merge_failed.connect(self._on_merge_failed)
            for card in self.cards:
                customers.count_conversations(card.id)

    # ------------------------------------------------------------------ building

    def _value_text(self, key: str, value: object) -> str:
        if key == "vip":
            return self.tr("★ VIP") if value else self.tr("Not VIP")
        return " ".join(str(value).split())

    def _choice_row(self, row: int, key: str, label: str, va: object, vb: object) -> int:
        name = QLabel(label, self)
        name.setObjectName("fieldLabel")
        self.grid.addWidget(name, row, 0, Qt.AlignmentFlag.AlignTop)
        group = QButtonGroup(self)
        for side, value in ((A, va), (B, vb)):
            text = self._value_text(key, value)
            button = QRadioButton(self)
            shown = button.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, VALUE_WIDTH)
            button.setText(shown.replace("&", "&&"))
            button.setToolTip(str(value) if key != "vip" else text)
            group.addButton(button, side)
            self.grid.addWidget(button, row, 1 + side)
        group.idClicked.connect(lambda _id, k=key: self.touched.add(k))
        self.rows[key] = group
        self.values[key] = (va, vb)
        return row + 1

    # ------------------------------------------------------------------ which card is kept

    @property
    def kept_side(self) -> int:
        return A if self.keep_buttons[A].isChecked() else B

    @property
    def kept(self) -> CustomerProfile:
        return self.cards[self.kept_side]

    @property
    def other(self) -> CustomerProfile:
        return self.cards[1 - self.kept_side]

    def _default_kept(self) -> int:
        """The card with more conversations; if even (or not counted yet), the older one."""
        a, b = self.cards
        ca, cb = self.counts.get(a.id, (0, False))[0], self.counts.get(b.id, (0, False))[0]
        if ca != cb:
            return A if ca > cb else B
        return A if (a.first_seen, a.id) <= (b.first_seen, b.id) else B

    def _kept_clicked(self, side: int) -> None:
        self._set_kept(side, by_hand=True)

    def _set_kept(self, side: int, *, by_hand: bool) -> None:
        self.kept_by_hand = self.kept_by_hand or by_hand
        self.keep_buttons[side].setChecked(True)
        for key, group in self.rows.items():
            if key in self.touched or key in ("notes", "vip"):
                continue  # the operator's pick, or a default that does not follow the kept card
            group.button(side).setChecked(True)
        self._render()

    def _on_counted(self, customer_id: int, count: int, more: bool) -> None:
        if customer_id not in (c.id for c in self.cards):
            return
        self.counts[customer_id] = (count, more)
        if not self.kept_by_hand:
            self._set_kept(self._default_kept(), by_hand=False)
        else:
            self._render()

    # ------------------------------------------------------------------ texts

    def _count_text(self, customer_id: int) -> str:
        if customer_id not in self.counts:
            return ""
        n, more = self.counts[customer_id]
        if more:
            return self.tr("%1+ conversations").replace("%1", str(n))
        return self.tr("1 conversation") if n == 1 else self.tr("%n conversations", "", n)

    def _render(self) -> None:
        for side, card in enumerate(self.cards):
            parts = [self.tr("First seen %1").replace("%1", card.first_seen.astimezone().strftime("%d.%m.%Y"))]
            count = self._count_text(card.id)
            if count:
                parts.append(count)
            vip = "★ " if card.vip else ""
            head = self.headers[side]
            name = head.fontMetrics().elidedText(f"{vip}{card.name}", Qt.TextElideMode.ElideRight, HEAD_WIDTH - 24)
            head.setText(name + "\n" + " · ".join(parts))
            head.setToolTip(card.name)
            self.headers[side].setProperty("kept", "true" if side == self.kept_side else "false")
            repolish(self.headers[side])
        kept, other = self.kept, self.other
        lines = []

        def union(label: str, values: list[str]) -> None:
            if values:
                lines.append(label.replace("%1", ", ".join(values)))

        union(self.tr("Phones: %1"), [format_phone(p) for p in dict.fromkeys(kept.phones + other.phones)])
        union(self.tr("E-mails: %1"), list(dict.fromkeys(kept.emails + other.emails)))
        union(self.tr("Tags: %1"), list(dict.fromkeys(kept.tags + other.tags)))
        channels = {
            "web": self.tr("Web chat"),
            "email": self.tr("E-mail"),
            "telegram": "Telegram",
            "whatsapp": "WhatsApp",
        }
        idents = [
            channels.get(i.channel, i.channel) + (f" · {i.label}" if i.label else "")
            for i in kept.identities + other.identities
        ]
        union(self.tr("Channels: %1"), idents)
        only_other = [k for k in other.fields if k not in kept.fields]
        if only_other:
            lines.append(self.tr("Details only the other card has are added."))
        if all(c.id in self.counts for c in self.cards):
            total = sum(self.counts[c.id][0] for c in self.cards)
            if any(self.counts[c.id][1] for c in self.cards):
                lines.append(self.tr("More than %1 conversations will be on one card.").replace("%1", str(total)))
            else:
                lines.append(
                    self.tr("1 conversation will be on one card.")
                    if total == 1
                    else self.tr("%n conversations will be on one card.", "", total)
                )
        else:
            lines.append(self.tr("The conversations of both will be on one card."))
        self.united.setText("\n".join(lines))
        self.merge_button.setText(self.tr("Merge into %1").replace("%1", self._short(kept.name)))
        self.merge_button.setEnabled(not self.busy and self.customers is not None)
        self.cancel_button.setEnabled(not self.busy)

    def _short(self, name: str) -> str:
        return self.merge_button.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, 180)

    # ------------------------------------------------------------------ merging

    def choices(self) -> MergeChoices:
        keep = self.kept_side
        picked: dict[str, str] = {}
        for key, group in self.rows.items():
            side = group.checkedId()
            if key == "notes":
                picked[key] = "both" if side == BOTH else ("keep" if side == keep else "merged")
            elif key == "vip":
                values = self.values[key]
                picked[key] = "either" if values[side] else ("keep" if side == keep else "merged")
            else:
                picked[key] = "keep" if side == keep else "merged"
        fields = {k.removeprefix("field:"): v for k, v in picked.items() if k.startswith("field:")}
        return MergeChoices(
            name=picked.get("name", "keep"),  # type: ignore[arg-type]
            first_name=picked.get("first_name", "keep"),  # type: ignore[arg-type]
            last_name=picked.get("last_name", "keep"),  # type: ignore[arg-type]
            notes=picked.get("notes", "both"),  # type: ignore[arg-type]
            vip=picked.get("vip", "either"),  # type: ignore[arg-type]
            fields=fields,  # type: ignore[arg-type]
        )

    def pick(self, key: str, customer_id: int) -> None:
        """Choose the value of card ``customer_id`` for ``key`` (as a click on it does)."""
        side = A if self.cards[A].id == customer_id else B
        button = self.rows[key].button(side)
        button.click()

    def _merge_clicked(self) -> None:
        if self.customers is None or self.busy:
            return
        self.busy = True
        self.error.hide()
        self._render()
        self.merge_button.setText(self.tr("Merging…"))
        self.customers.merge(self.kept.id, self.other.id, self.choices())

    def _on_merged(self, info: MergeInfo, kept: CustomerProfile) -> None:
        if {info.kept_id, info.merged_id} != {c.id for c in self.cards} or not self.busy:
            return
        self.busy = False
        self.merged.emit(info, kept)
        self.accept()

    def _on_merge_failed(self, keep_id: int, merge_id: int, text: str, detail: str) -> None:
        if {keep_id, merge_id} != {c.id for c in self.cards}:
            return
        self.busy = False
        self.error.setText(text)
        self.error.setToolTip(detail)
        self.error.show()
        self._render()
