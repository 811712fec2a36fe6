"""Answer templates on the hub: list, save (create or change), delete, with the
permissions enforced here, next to the data (docs/protocol.md, "Answer templates").

- *personal* templates belong to one operator: only they see, change and delete them;
- *team* templates are seen by everyone and changed by supervisors and admins only.

Same rules as :mod:`app.storage.repo`: every public method is one transaction, a change
and its ``template_updated`` event are written together, and a retried command (same
operator and ``txn_id``) gets the first answer back and writes nothing again.

Files: a template may send hub files along (``template_files``, migration
0015_template_files; ``TemplateDraft.files`` ids in, ``TemplateInfo.files`` out). A save
takes files the saver uploaded (file_upload_end), that the template already has (an
editor keeps a colleague's picture) or that a template the saver may use has (a personal
copy of a team template), at most ``MAX_ATTACHMENTS``, each once. Whoever may
use the template may read and send its files (app/storage/files.py), and files a
template holds are never swept as orphans.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from app.domain.errors import Conflict, Forbidden, InvalidValue, NotFound
from app.domain.templates import clean_body, clean_category, clean_language, clean_title, normalize_shortcode
from app.protocol.messages import AttachmentInfo, OperatorEvent, TemplateDraft, TemplateInfo, TemplateUpdated
from app.storage.files import MAX_ATTACHMENTS, info_of, template_files_for
from app.storage.models import AnswerTemplate, Operator, StoredFile, TemplateCommand, TemplateFile
from app.storage.repo import Outcome, Store, _emit_frame, utcnow

EDITOR_ROLES = ("supervisor", "admin")


def files_of(s: OrmSession, template_ids: list[int]) -> dict[int, list[AttachmentInfo]]:
    """The files of these templates (one query), by template id, in order."""
    if not template_ids:
        return {}
    rows = s.execute(
        select(TemplateFile.template_id, StoredFile)
        .join(StoredFile, StoredFile.id == TemplateFile.file_id)
        .where(TemplateFile.template_id.in_(template_ids))
        .order_by(TemplateFile.template_id, TemplateFile.position)
    ).all()
    out: dict[int, list[AttachmentInfo]] = {}
    for tid, row in rows:
        out.setdefault(tid, []).append(info_of(row))
    return out


def _set_files(s: OrmSession, t: AnswerTemplate, operator_id: int, file_ids: list[int]) -> None:
    """Replace the template's files (checked first: InvalidValue / NotFound / Forbidden)."""
    if len(file_ids) > MAX_ATTACHMENTS:
        raise InvalidValue(f"at most {MAX_ATTACHMENTS} files per template")
    if len(set(file_ids)) != len(file_ids):
        raise InvalidValue("the same file is added twice")
    had = set(s.scalars(select(TemplateFile.file_id).where(TemplateFile.template_id == t.id))) if t.id else set()
    # files of templates the saver may use already (a personal copy of a team template)
    had |= template_files_for(s, operator_id, file_ids) if file_ids else set()
    rows = {r.id: r for r in s.scalars(select(StoredFile).where(StoredFile.id.in_(file_ids)))} if file_ids else {}
    for fid in file_ids:
        row = rows.get(fid)
        if row is None:
            raise NotFound(f"no file {fid}")
        if fid not in had and row.operator_id != operator_id:
            raise Forbidden(f"file {fid} was not uploaded by you")
    if t.id:
        s.execute(delete(TemplateFile).where(TemplateFile.template_id == t.id))
    for position, fid in enumerate(file_ids):
        s.add(TemplateFile(template_id=t.id, position=position, file_id=fid))


def _info(t: AnswerTemplate, files: list[AttachmentInfo] | None = None) -> TemplateInfo:
    return TemplateInfo(
        id=t.id,
        shortcode=t.shortcode,
        title=t.title,
        body=t.body,
        scope=t.scope,  # type: ignore[arg-type]
        updated_at=t.updated_at,
        category=t.category,
        language=t.language,
        owner_id=t.owner_id,
        updated_by=t.updated_by,
        attachments=msgspec.json.decode(t.attachments, type=list[str]) if t.attachments else [],
        files=list(files or []),
    )


def _scope_key(scope: str, owner_id: int | None) -> str:
    return "team" if scope == "team" else f"op:{owner_id}"


class TemplateStore:
    """The templates' storage. Uses its Store's sessions (and so its transactions)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def _sessions(self) -> sessionmaker[OrmSession]:
        return self.store._sessions

    # ------------------------------------------------------------------ reading

    def visible(self, operator_id: int) -> list[TemplateInfo]:
        """The team's templates and this operator's own, by category, then shortcode."""
        with self._sessions() as s:
            rows = s.scalars(
                select(AnswerTemplate)
                .where((AnswerTemplate.scope == "team") | (AnswerTemplate.owner_id == operator_id))
                .order_by(AnswerTemplate.category, AnswerTemplate.shortcode, AnswerTemplate.scope)
            ).all()
            files = files_of(s, [t.id for t in rows])
            return [_info(t, files.get(t.id)) for t in rows]

    # ------------------------------------------------------------------ writing

    @staticmethod
    def _check_may_edit(s: OrmSession, operator_id: int, scope: str, owner_id: int | None) -> None:
        role = s.scalar(select(Operator.role).where(Operator.id == operator_id))
        if role is None:
            raise NotFound(f"no operator {operator_id}")
        if scope == "team":
            if role not in EDITOR_ROLES:
                raise Forbidden("team templates are changed by supervisors and admins only")
        elif owner_id != operator_id:
            raise Forbidden("a personal template is changed by its owner only")

    @staticmethod
    def _done(s: OrmSession, operator_id: int, txn_id: str, kind: str) -> TemplateInfo | None:
        row = s.scalars(
            select(TemplateCommand).where(TemplateCommand.operator_id == operator_id, TemplateCommand.txn_id == txn_id)
        ).first()
        if row is None:
            return None
        if row.kind != kind:
            raise Conflict("this txn_id was already used for another command")
        return msgspec.json.decode(row.result, type=TemplateInfo)

    def save(self, operator_id: int, draft: TemplateDraft, txn_id: str) -> Outcome[TemplateInfo]:
        """Create (``draft.id`` null) or change a template; every value is checked first
        (InvalidValue: nothing written). Forbidden for a team template unless a
        supervisor or admin, and for someone else's personal one; Conflict for a
        shortcode its scope already has, or a change of scope."""
        shortcode = normalize_shortcode(draft.shortcode)
        title = clean_title(draft.title)
        body = clean_body(draft.body)
        category = clean_category(draft.category)
        language = clean_language(draft.language)
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            done = self._done(s, operator_id, txn_id, "save")
            if done is not None:
                return Outcome(done)
            now = utcnow()
            t: AnswerTemplate | None = None
            owner = operator_id if draft.scope == "personal" else None
            if draft.id is None:
                self._check_may_edit(s, operator_id, draft.scope, owner)
                scope_key = _scope_key(draft.scope, owner)
            else:
                t = s.get(AnswerTemplate, draft.id)
                if t is None or (t.scope == "personal" and t.owner_id != operator_id):
                    raise NotFound(f"no template {draft.id}")  # another's personal one is not said to exist
                self._check_may_edit(s, operator_id, t.scope, t.owner_id)
                if draft.scope != t.scope:
                    raise Conflict("a template's scope cannot change: make a new one in the other scope")
                scope_key = t.scope_key
            taken = s.scalar(
                select(AnswerTemplate.id).where(
                    AnswerTemplate.scope_key == scope_key,
                    AnswerTemplate.shortcode == shortcode,
                    AnswerTemplate.id != (draft.id or 0),
                )
            )
            if taken is not None:
                where = "the team's templates" if draft.scope == "team" else "your personal templates"
                raise Conflict(f"/{shortcode} is already used in {where}")
            if t is None:
                t = AnswerTemplate(scope=draft.scope, owner_id=owner, scope_key=scope_key)
                s.add(t)
            t.shortcode, t.title, t.body, t.category, t.language = shortcode, title, body, category, language
            t.updated_at, t.updated_by = now, operator_id
            try:
                s.flush()
            except IntegrityError as exc:  # the same shortcode saved at the same moment
                raise Conflict(f"/{shortcode} is already used") from exc
            _set_files(s, t, operator_id, list(draft.files))
            s.flush()
            info = _info(t, files_of(s, [t.id]).get(t.id))
            self._record(s, operator_id, txn_id, "save", info)
            _emit_frame(s, events, TemplateUpdated(seq=0, template=info))
        return Outcome(info, events)

    def delete(self, operator_id: int, template_id: int, txn_id: str) -> Outcome[TemplateInfo]:
        """Delete a template (same permissions as changing it); the template as it was."""
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            done = self._done(s, operator_id, txn_id, "delete")
            if done is not None:
                return Outcome(done)
            t = s.get(AnswerTemplate, template_id)
            if t is None or (t.scope == "personal" and t.owner_id != operator_id):
                raise NotFound(f"no template {template_id}")
            self._check_may_edit(s, operator_id, t.scope, t.owner_id)
            info = _info(t, files_of(s, [t.id]).get(t.id))
            s.execute(delete(TemplateFile).where(TemplateFile.template_id == t.id))
            s.delete(t)
            self._record(s, operator_id, txn_id, "delete", info)
            _emit_frame(s, events, TemplateUpdated(seq=0, template=info, deleted=True))
        return Outcome(info, events)

    @staticmethod
    def _record(
        s: OrmSession, operator_id: int, txn_id: str, kind: Literal["save", "delete"], info: TemplateInfo
    ) -> None:
        s.add(
            TemplateCommand(
                operator_id=operator_id,
                txn_id=txn_id,
                kind=kind,
                result=msgspec.json.encode(info).decode(),
                created_at=utcnow(),
            )
        )
