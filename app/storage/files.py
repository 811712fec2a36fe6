"""Hub-side file storage: the bytes as content-addressed files under one directory, what
the hub knows of them in the ``files`` table, and which message carries which file in
``message_attachments``. docs/architecture.md, "Files", says why the bytes are not in
the database.

The API a channel adapter needs is small (see :class:`FileStore`):

- ``keep_bytes(data, name, mime, customer_id=…, source=…)`` → :class:`AttachmentInfo`
  (blocking: call it through the hub's database runner, like ``ChannelStore.receive``),
  or :class:`~app.domain.files.FileRejected` (too big, type not allowed, broken) with a
  sentence that can go into the conversation;
- ``InboundMessage.attachments`` (file ids) then attaches them to the stored message;
- ``OutboundMessage.attachments`` hands a sender the files of an operator reply
  (:class:`OutboundFile`: metadata and the path of the bytes).

Uploads over the websocket (app/hub/uploads.py) spool into ``<files dir>/.uploads`` and
finish with :meth:`FileStore.keep_spooled`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from app.domain.errors import Forbidden, InvalidValue, NotFound
from app.domain.files import Checked, FilePolicy, check_file, safe_name
from app.protocol.messages import AttachmentInfo
from app.storage.models import AnswerTemplate, HubMeta, Message, MessageAttachment, StoredFile, TemplateFile

MAX_ATTACHMENTS = 10  # per message
SECRET_KEY = "files_secret"  # noqa: S105 - the hub_meta key of the URL signing secret


@dataclass(frozen=True)
class Kept:
    """Bytes checked and in place under the files directory (no row yet)."""

    sha256: str
    size: int
    name: str
    checked: Checked


@dataclass(frozen=True)
class FileRecord:
    info: AttachmentInfo
    sha256: str
    path: Path
    operator_id: int | None
    customer_id: int | None


@dataclass(frozen=True)
class OutboundFile:
    """A file of an operator reply on its way out through a channel."""

    id: int
    name: str
    mime: str
    size: int
    path: str

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")


def info_of(row: StoredFile) -> AttachmentInfo:
    return AttachmentInfo(
        id=row.id, name=row.name, mime=row.mime, size=row.size, width=row.width, height=row.height
    )


def attachments_of(s: OrmSession, message_ids: Iterable[int]) -> dict[int, list[AttachmentInfo]]:
    """The attachments of these messages (one query), by message id, in order."""
    ids = list(set(message_ids))
    if not ids:
        return {}
    rows = s.execute(
        select(MessageAttachment.message_id, StoredFile)
        .join(StoredFile, StoredFile.id == MessageAttachment.file_id)
        .where(MessageAttachment.message_id.in_(ids))
        .order_by(MessageAttachment.message_id, MessageAttachment.position)
    ).all()
    out: dict[int, list[AttachmentInfo]] = {}
    for message_id, row in rows:
        out.setdefault(message_id, []).append(info_of(row))
    return out


def attach(
    s: OrmSession,
    message_id: int,
    file_ids: Sequence[int],
    *,
    operator_id: int | None = None,
    customer_id: int | None = None,
) -> list[AttachmentInfo]:
    """Attach files to a message being stored (same transaction). Only files the sender
    uploaded (operator or customer) may be attached, and an operator also the files of
    the answer templates they may use; a hub-fetched channel file (``customer_id`` set
    by the channel) counts as the customer's."""
    if len(file_ids) > MAX_ATTACHMENTS:
        raise InvalidValue(f"at most {MAX_ATTACHMENTS} files per message")
    if len(set(file_ids)) != len(file_ids):
        raise InvalidValue("the same file is attached twice")
    rows = {r.id: r for r in s.scalars(select(StoredFile).where(StoredFile.id.in_(list(file_ids))))}
    of_templates: set[int] = set()
    if operator_id is not None and any(r.operator_id != operator_id for r in rows.values()):
        of_templates = template_files_for(s, operator_id, list(file_ids))
    out = []
    for position, fid in enumerate(file_ids):
        row = rows.get(fid)
        if row is None:
            raise NotFound(f"no file {fid}")
        mine = (operator_id is not None and (row.operator_id == operator_id or fid in of_templates)) or (
            customer_id is not None and row.customer_id == customer_id
        )
        if not mine:
            raise Forbidden(f"file {fid} was not uploaded by the sender")
        s.add(MessageAttachment(message_id=message_id, position=position, file_id=fid))
        out.append(info_of(row))
    return out


def template_files_for(s: OrmSession, operator_id: int, file_ids: Sequence[int]) -> set[int]:
    """Which of these files belong to a template this operator may use (the team's or
    their own personal ones)."""
    return set(
        s.scalars(
            select(TemplateFile.file_id)
            .join(AnswerTemplate, AnswerTemplate.id == TemplateFile.template_id)
            .where(
                TemplateFile.file_id.in_(list(file_ids)),
                (AnswerTemplate.scope == "team") | (AnswerTemplate.owner_id == operator_id),
            )
        )
    )


def default_files_dir(db_url: str) -> Path:
    """``files`` next to a SQLite database file; ``./frontline-files`` otherwise (set
    ``--files-dir`` for PostgreSQL: a directory every hub node shares)."""
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "files"
    return Path.cwd() / "frontline-files"


class FileStore:
    """Files kept by the hub. Blocking methods: the filesystem ones (``keep_spooled``)
    may run on any thread; the ones that read or write rows run on the hub's database
    thread (``Hub._db``)."""

    def __init__(self, sessions: sessionmaker[OrmSession], files_dir: Path, policy: FilePolicy | None = None) -> None:
        self._sessions = sessions
        self.dir = files_dir
        self.uploads_dir = files_dir / ".uploads"
        self.policy = policy or FilePolicy()

    def prepare(self) -> None:
        """Make the directories (at hub start) and drop spool files a stopped hub left."""
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        for part in self.uploads_dir.glob("*.part"):
            part.unlink(missing_ok=True)

    def blob_path(self, sha256: str) -> Path:
        return self.dir / sha256[:2] / sha256

    def new_spool(self) -> Path:
        return self.uploads_dir / f"{secrets.token_hex(16)}.part"

    # ------------------------------------------------------------------ bytes (any thread)

    def keep_spooled(self, spool: Path, name: str, declared_mime: str) -> Kept:
        """Check a complete file in the spool and move it into place (content-addressed:
        the same bytes are kept once). The spool file is gone afterwards, whatever the
        outcome; :class:`FileRejected` when the file is refused."""
        try:
            size = spool.stat().st_size
            with spool.open("rb") as f:
                checked = check_file(f, size, name, declared_mime, self.policy)
                f.seek(0)
                digest = hashlib.sha256()
                for block in iter(lambda: f.read(1024 * 1024), b""):
                    digest.update(block)
            sha = digest.hexdigest()
            target = self.blob_path(sha)
            if target.exists():
                spool.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(spool, target)  # atomic: a reader never sees half a file
            return Kept(sha, size, safe_name(name, checked.mime), checked)
        finally:
            spool.unlink(missing_ok=True)

    def keep_bytes_blob(self, data: bytes, name: str, declared_mime: str) -> Kept:
        self.policy.check_size(len(data))
        spool = self.new_spool()
        spool.parent.mkdir(parents=True, exist_ok=True)
        spool.write_bytes(data)
        return self.keep_spooled(spool, name, declared_mime)

    # ------------------------------------------------------------------ rows (database thread)

    def add(
        self, kept: Kept, *, operator_id: int | None = None, customer_id: int | None = None, source: str = "upload"
    ) -> AttachmentInfo:
        from app.storage.repo import utcnow

        with self._sessions.begin() as s:
            row = StoredFile(
                sha256=kept.sha256,
                size=kept.size,
                mime=kept.checked.mime,
                name=kept.name,
                width=kept.checked.width,
                height=kept.checked.height,
                operator_id=operator_id,
                customer_id=customer_id,
                source=source[:16],
                created_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return info_of(row)

    def keep_bytes(
        self,
        data: bytes,
        name: str,
        declared_mime: str = "",
        *,
        customer_id: int | None = None,
        operator_id: int | None = None,
        source: str = "upload",
    ) -> AttachmentInfo:
        """Check and keep ``data`` (a channel's fetched file): its row, or FileRejected."""
        kept = self.keep_bytes_blob(data, name, declared_mime)
        return self.add(kept, operator_id=operator_id, customer_id=customer_id, source=source)

    def get(self, file_id: int) -> FileRecord | None:
        with self._sessions() as s:
            row = s.get(StoredFile, file_id)
            if row is None:
                return None
            return FileRecord(info_of(row), row.sha256, self.blob_path(row.sha256), row.operator_id, row.customer_id)

    def readable_by_operator(self, operator_id: int, file_ids: Sequence[int]) -> set[int]:
        """Operators may read every conversation's history, so every attached file; the
        files they uploaded themselves (not yet sent); and the files of the templates
        they may use."""
        ids = list(set(file_ids))
        with self._sessions() as s:
            templates = template_files_for(s, operator_id, ids)
            attached = set(
                s.scalars(select(MessageAttachment.file_id).where(MessageAttachment.file_id.in_(ids)))
            )
            own = set(
                s.scalars(select(StoredFile.id).where(StoredFile.id.in_(ids), StoredFile.operator_id == operator_id))
            )
        return attached | own | templates

    def readable_by_customer(self, customer_id: int, file_ids: Sequence[int]) -> set[int]:
        """A visitor reads the files of their own conversations' messages (not internal
        notes) and the files they uploaded."""
        from app.storage.models import Conversation

        ids = list(set(file_ids))
        with self._sessions() as s:
            attached = set(
                s.scalars(
                    select(MessageAttachment.file_id)
                    .join(Message, Message.id == MessageAttachment.message_id)
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .where(
                        MessageAttachment.file_id.in_(ids),
                        Conversation.customer_id == customer_id,
                        Message.internal.is_(False),
                    )
                )
            )
            own = set(
                s.scalars(select(StoredFile.id).where(StoredFile.id.in_(ids), StoredFile.customer_id == customer_id))
            )
        return attached | own

    def outbound_files(self, message_ids: Sequence[int]) -> dict[int, tuple[OutboundFile, ...]]:
        """The files of operator replies leaving through a channel, by message id."""
        with self._sessions() as s:
            rows = s.execute(
                select(MessageAttachment.message_id, StoredFile)
                .join(StoredFile, StoredFile.id == MessageAttachment.file_id)
                .where(MessageAttachment.message_id.in_(list(message_ids)))
                .order_by(MessageAttachment.message_id, MessageAttachment.position)
            ).all()
        out: dict[int, list[OutboundFile]] = {}
        for mid, row in rows:
            out.setdefault(mid, []).append(
                OutboundFile(row.id, row.name, row.mime, row.size, str(self.blob_path(row.sha256)))
            )
        return {k: tuple(v) for k, v in out.items()}

    def sweep_orphans(self, older_than: datetime) -> int:
        """Forget files created before ``older_than`` that no message carries and no
        answer template holds (uploaded, never sent; fetched from a channel for a message
        stored twice; taken off a template) and delete bytes no row refers to any more.
        How many rows went."""
        with self._sessions.begin() as s:
            attached = select(MessageAttachment.file_id)
            in_templates = select(TemplateFile.file_id)
            rows = list(
                s.scalars(
                    select(StoredFile).where(
                        StoredFile.created_at < older_than,
                        StoredFile.id.not_in(attached),
                        StoredFile.id.not_in(in_templates),
                    )
                )
            )
            shas = {r.sha256 for r in rows}
            for r in rows:
                s.delete(r)
            s.flush()
            still: set[str] = set()
            if shas:
                still = set(s.scalars(select(StoredFile.sha256).where(StoredFile.sha256.in_(list(shas)))))
        for sha in shas - still:
            self.blob_path(sha).unlink(missing_ok=True)
        return len(rows)

    def secret(self) -> bytes:
        """The key download URLs are signed with: random, made once per database (so
        every hub node of one database signs alike), kept in ``hub_meta``."""
        with self._sessions.begin() as s:
            row = s.get(HubMeta, SECRET_KEY)
            if row is None:
                row = HubMeta(key=SECRET_KEY, value=secrets.token_hex(32))
                s.add(row)
            return bytes.fromhex(row.value)
