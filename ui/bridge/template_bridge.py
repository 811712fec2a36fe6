"""Answer templates between the widgets and the operator session (app.client).

The session keeps the templates this operator may use (the team's and their own) and
keeps them current from ``template_updated`` events; this bridge reads them again after
every sync, says when they changed, and turns saves and deletes into async slots whose
answers come back as signals (a refusal as a translated sentence, with the hub's own
text for the tooltip). Who may edit what is decided by the hub; :meth:`may_edit` only
mirrors it so that the window can say so before anyone tries.
"""

from __future__ import annotations

import logging

import msgspec
from PySide6.QtCore import QObject, Signal
from qasync import asyncSlot

from app.client.connection import CommandFailed, ConnectionLost, new_txn_id
from app.client.session import LinkChange, OperatorSession
from app.protocol.messages import TemplateDraft, TemplateInfo

log = logging.getLogger(__name__)

EDITOR_ROLES = ("supervisor", "admin")


class TemplateBridge(QObject):
    templates_changed = Signal()  # the list changed (loaded, anyone's save or delete, live)
    template_saved = Signal(object)  # TemplateInfo: this window's save went through
    template_deleted = Signal(int)  # template id: this window's delete went through
    template_failed = Signal(str, str)  # human text, the hub's text

    def __init__(self, session: OperatorSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._save_txn: dict[bytes, str] = {}  # a draft sent again after a lost answer keeps its txn_id
        self._delete_txn: dict[int, str] = {}
        session.templates_changed.connect(lambda _v: self.templates_changed.emit())
        session.synced.connect(lambda _v: self.load())
        session.link_changed.connect(self._on_link_changed)

    # ------------------------------------------------------------------ queries (no I/O)

    def templates(self) -> list[TemplateInfo]:
        """All of them, by category, then shortcode, personal before team."""
        return sorted(
            self.session.templates.values(),
            key=lambda t: (t.category.casefold(), t.shortcode, t.scope != "personal", t.id),
        )

    def by_shortcode(self) -> dict[str, TemplateInfo]:
        """What ``/code`` means in the composer: a personal template shadows a team one
        with the same shortcode (the operator made it on purpose)."""
        found: dict[str, TemplateInfo] = {}
        for t in self.templates():
            if t.shortcode not in found or t.scope == "personal":
                found[t.shortcode] = t
        return found

    @property
    def can_edit_team(self) -> bool:
        me = self.session.me
        return me is not None and me.role in EDITOR_ROLES

    def may_edit(self, template: TemplateInfo) -> bool:
        me = self.session.me
        if me is None:
            return False
        if template.scope == "team":
            return me.role in EDITOR_ROLES
        return template.owner_id == me.id

    def operator_name(self, operator_id: int | None) -> str:
        op = self.session.operators.get(operator_id) if operator_id is not None else None
        return op.display_name if op is not None else ""

    @property
    def online(self) -> bool:
        return self.session.link.state == "online"

    # ------------------------------------------------------------------ intents

    @asyncSlot()
    async def load(self) -> None:
        try:
            await self.session.load_templates()
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            log.info("templates not loaded: %s", exc)

    @asyncSlot(object)
    async def save(self, draft: TemplateDraft) -> None:
        key = msgspec.json.encode(draft)
        txn_id = self._save_txn.setdefault(key, new_txn_id())
        try:
            saved = await self.session.save_template(draft, txn_id=txn_id)
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            if not isinstance(exc, ConnectionLost | TimeoutError):
                self._save_txn.pop(key, None)  # refused: a new try is a new command
            self.template_failed.emit(self._failure_text(exc), getattr(exc, "text", ""))
            return
        self._save_txn.pop(key, None)
        self.template_saved.emit(saved)

    @asyncSlot(int)
    async def delete(self, template_id: int) -> None:
        txn_id = self._delete_txn.setdefault(template_id, new_txn_id())
        try:
            await self.session.delete_template(template_id, txn_id=txn_id)
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            if not isinstance(exc, ConnectionLost | TimeoutError):
                self._delete_txn.pop(template_id, None)
            self.template_failed.emit(self._failure_text(exc), getattr(exc, "text", ""))
            return
        self._delete_txn.pop(template_id, None)
        self.template_deleted.emit(template_id)

    # ------------------------------------------------------------------ helpers

    def _failure_text(self, exc: Exception) -> str:
        if isinstance(exc, ConnectionLost):
            return self.tr("Not saved: the connection to the hub is down. Try again when it is back.")
        if isinstance(exc, TimeoutError):
            return self.tr("Not saved: the hub did not answer in time. Try again.")
        assert isinstance(exc, CommandFailed)
        if exc.code == "forbidden":
            return self.tr("Only supervisors and admins can change team templates.")
        if exc.code == "conflict":
            return self.tr("Not saved: this shortcode is already used. Choose another one.")
        if exc.code == "not_found":
            return self.tr("This template no longer exists.")
        if exc.code == "invalid_value":
            return self.tr("Not saved: %1").replace("%1", exc.text)
        return self.tr("Not saved: %1").replace("%1", exc.text)

    def _on_link_changed(self, link: LinkChange) -> None:
        if link.state == "ended":
            self._save_txn.clear()
            self._delete_txn.clear()
