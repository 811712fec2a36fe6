"""The knowledge base on the hub: articles, synonym groups and the log of edits.

Same rules as :mod:`app.storage.repo`: every public method is one transaction, returns
plain values or protocol structs, writes a change and its event together, and blocks
(the hub calls it on its database thread). The search index itself is not here: it is
built in memory from these tables (app/search, docs/architecture.md "Knowledge base
search"), so that SQLite and PostgreSQL give the same results. ``Store.kb`` is the
instance the hub uses.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import msgspec
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from app.domain.errors import Conflict, InvalidValue
from app.protocol.messages import (
    KbArticleDeleted,
    KbArticleDraft,
    KbArticleInfo,
    KbArticleUpdated,
    OperatorEvent,
)
from app.search import Article, ArticleError, check_article
from app.storage.models import HubMeta, KbArticle, KbChange, KbSynonymGroup, Operator
from app.storage.repo import Outcome, Store, _emit_frame, utcnow

# hub_meta key: a number every KB change bumps, so hub nodes see changes made elsewhere
# (another node, `frontline-hub kb import`) with one small read.
VERSION_KEY = "kb_version"
SYNONYM_GROUPS_MAX = 1000
SYNONYM_WORDS_MAX = 20
SYNONYM_CHARS_MAX = 100

ImportAction = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class ImportResult:
    id: str
    action: ImportAction


def content_hash(a: Article) -> str:
    """What an article says (not when or by whom): equal hashes, nothing to update."""
    raw = json.dumps([a.title, a.body, a.lang, list(a.tags), a.visibility], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def to_article(row: KbArticle) -> Article:
    return Article(
        id=row.id,
        title=row.title,
        body=row.body,
        lang=row.lang,
        tags=tuple(json.loads(row.tags or "[]")),
        visibility=row.visibility,
        updated_at=row.updated_at,
        author=row.author or None,
    )


def to_info(a: Article) -> KbArticleInfo:
    return KbArticleInfo(
        id=a.id,
        title=a.title,
        body=a.body,
        lang=a.lang,  # type: ignore[arg-type]
        tags=list(a.tags),
        visibility=a.visibility,  # type: ignore[arg-type]
        updated_at=a.updated_at,
        author=a.author or "",
    )


def clean_synonyms(groups: Iterable[Iterable[str]]) -> list[list[str]]:
    """Groups as stored: entries trimmed (one space between words), lower-cased, without
    repeats; groups of fewer than two entries dropped. InvalidValue past the limits."""
    out: list[list[str]] = []
    for g in groups:
        entries = list(dict.fromkeys(" ".join(str(e).split()).lower() for e in g if str(e).strip()))
        if len(entries) < 2:
            continue
        if len(entries) > SYNONYM_WORDS_MAX:
            raise InvalidValue(f"a synonym group has more than {SYNONYM_WORDS_MAX} entries")
        if any(len(e) > SYNONYM_CHARS_MAX for e in entries):
            raise InvalidValue(f"a synonym is longer than {SYNONYM_CHARS_MAX} characters")
        out.append(entries)
    if len(out) > SYNONYM_GROUPS_MAX:
        raise InvalidValue(f"more than {SYNONYM_GROUPS_MAX} synonym groups")
    return out


class KbStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def _sessions(self) -> sessionmaker[OrmSession]:
        return self._store._sessions

    # ------------------------------------------------------------------ reads

    def version(self) -> int:
        with self._sessions() as s:
            row = s.get(HubMeta, VERSION_KEY)
            return int(row.value) if row is not None else 0

    def articles(self, ids: Sequence[str] | None = None) -> list[Article]:
        """Every article (or those with these ids), by id."""
        with self._sessions() as s:
            q = select(KbArticle).order_by(KbArticle.id)
            if ids is not None:
                q = q.where(KbArticle.id.in_(list(ids)))
            return [to_article(r) for r in s.scalars(q)]

    def hashes(self) -> dict[str, str]:
        """Article id -> content hash (what changed since an index was built)."""
        with self._sessions() as s:
            return {str(i): str(h) for i, h in s.execute(select(KbArticle.id, KbArticle.content_hash))}

    def get(self, article_id: str) -> Article | None:
        with self._sessions() as s:
            row = s.get(KbArticle, article_id)
            return to_article(row) if row is not None else None

    def count(self) -> int:
        with self._sessions() as s:
            return int(s.scalar(select(func.count()).select_from(KbArticle)) or 0)

    def synonyms(self) -> list[list[str]]:
        with self._sessions() as s:
            return [json.loads(w) for w in s.scalars(select(KbSynonymGroup.words).order_by(KbSynonymGroup.id))]

    # ------------------------------------------------------------------ writes

    def snapshot(self) -> tuple[int, dict[str, str]]:
        """The KB version and every article's content hash, read together."""
        with self._sessions.begin() as s:
            row = s.get(HubMeta, VERSION_KEY)
            hashes = {str(i): str(h) for i, h in s.execute(select(KbArticle.id, KbArticle.content_hash))}
            return (int(row.value) if row is not None else 0), hashes

    def _bump(self, s: OrmSession) -> int:
        """The next KB version (the row is locked until commit on PostgreSQL)."""
        row = s.get(HubMeta, VERSION_KEY, with_for_update=True)
        if row is None:
            s.add(HubMeta(key=VERSION_KEY, value="1"))
            return 1
        row.value = str(int(row.value) + 1)
        return int(row.value)

    def _write(self, s: OrmSession, a: Article, author: str) -> tuple[Article, ImportAction]:
        digest = content_hash(a)
        row = s.get(KbArticle, a.id)
        now = a.updated_at or utcnow()
        if row is None:
            row = KbArticle(id=a.id, content_hash="")
            s.add(row)
            action: ImportAction = "created"
        elif row.content_hash == digest:
            return to_article(row), "unchanged"
        else:
            action = "updated"
        row.title, row.body, row.lang = a.title, a.body, a.lang
        row.tags = json.dumps(list(a.tags), ensure_ascii=False)
        row.visibility = a.visibility
        row.updated_at = now
        row.author = (author or a.author or "")[:128]
        row.content_hash = digest
        s.flush()
        return to_article(row), action

    def import_articles(self, articles: Iterable[Article], author: str = "") -> Outcome[list[ImportResult]]:
        """Store articles by id in one transaction: new ones are created, changed ones
        updated (a ``kb_article_updated`` event each), equal ones left as they are. So a
        second import of the same folder changes nothing. InvalidValue for an article
        that breaks the rules (nothing is written then)."""
        checked: list[Article] = []
        for a in articles:
            try:
                checked.append(check_article(a))
            except ArticleError as exc:
                raise InvalidValue(f"{a.id}: {exc}") from None
        events: list[OperatorEvent] = []
        results: list[ImportResult] = []
        with self._sessions.begin() as s:
            for a in checked:
                stored, action = self._write(s, a, author)
                results.append(ImportResult(a.id, action))
                if action != "unchanged":
                    _emit_frame(s, events, KbArticleUpdated(seq=0, article=to_info(stored)))
            if events:
                self._bump(s)
        return Outcome(results, events)

    def save(self, operator_id: int, draft: KbArticleDraft, txn_id: str) -> Outcome[tuple[Article, bool, int]]:
        """Create (``draft.id`` empty or new) or replace an article; (article, created,
        the KB version it made, 0 when nothing changed). Idempotent per (operator,
        txn_id): a retry answers the first result."""
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            done = s.scalars(
                select(KbChange).where(KbChange.operator_id == operator_id, KbChange.txn_id == txn_id)
            ).first()
            if done is not None:
                if done.action not in ("created", "updated", "unchanged"):
                    raise Conflict("this txn_id was already used for another change")
                info = msgspec.json.decode(done.result, type=KbArticleInfo)
                return Outcome((_from_info(info), done.action == "created", 0))
            aid = draft.id.strip() or f"kb-{secrets.token_hex(4)}"
            try:
                article = check_article(
                    Article(
                        id=aid,
                        title=draft.title,
                        body=draft.body,
                        lang=draft.lang,
                        tags=tuple(draft.tags),
                        visibility=draft.visibility,
                    )
                )
            except ArticleError as exc:
                raise InvalidValue(str(exc)) from None
            author = s.scalar(select(Operator.display_name).where(Operator.id == operator_id)) or ""
            stored, action = self._write(s, article, author)
            version = 0
            if action != "unchanged":
                _emit_frame(s, events, KbArticleUpdated(seq=0, article=to_info(stored)))
                version = self._bump(s)
            s.add(
                KbChange(
                    article_id=stored.id,
                    operator_id=operator_id,
                    txn_id=txn_id,
                    action=action,
                    result=msgspec.json.encode(to_info(stored)).decode(),
                    created_at=utcnow(),
                )
            )
        return Outcome((stored, action == "created", version), events)

    def delete(self, operator_id: int | None, article_id: str, txn_id: str = "") -> Outcome[tuple[bool, int]]:
        """Delete an article: (whether there was one, the KB version it made). Idempotent
        per (operator, txn_id) when an operator asks (the CLI passes no operator)."""
        events: list[OperatorEvent] = []
        with self._sessions.begin() as s:
            if operator_id is not None and txn_id:
                done = s.scalars(
                    select(KbChange).where(KbChange.operator_id == operator_id, KbChange.txn_id == txn_id)
                ).first()
                if done is not None:
                    if done.action not in ("deleted", "missing") or done.article_id != article_id:
                        raise Conflict("this txn_id was already used for another change")
                    return Outcome((done.action == "deleted", 0))
            row = s.get(KbArticle, article_id)
            version = 0
            if row is not None:
                s.delete(row)
                _emit_frame(s, events, KbArticleDeleted(seq=0, article_id=article_id))
                version = self._bump(s)
            if operator_id is not None and txn_id:
                s.add(
                    KbChange(
                        article_id=article_id[:64],
                        operator_id=operator_id,
                        txn_id=txn_id,
                        action="deleted" if row is not None else "missing",
                        result="{}",
                        created_at=utcnow(),
                    )
                )
        return Outcome((row is not None, version), events)

    def set_synonyms(self, groups: Iterable[Iterable[str]]) -> list[list[str]]:
        """Replace every synonym group; the groups as stored."""
        clean = clean_synonyms(groups)
        with self._sessions.begin() as s:
            s.execute(delete(KbSynonymGroup))
            for g in clean:
                s.add(KbSynonymGroup(words=json.dumps(g, ensure_ascii=False)))
            self._bump(s)
        return clean

    def add_synonyms(self, group: Iterable[str]) -> list[list[str]]:
        """Add one group (merged into the groups that share an entry with it); all groups."""
        new = clean_synonyms([group])
        if not new:
            raise InvalidValue("a synonym group needs at least two different words")
        groups = self.synonyms()
        merged = set(new[0])
        keep: list[list[str]] = []
        for g in groups:
            if merged & set(g):
                merged |= set(g)
            else:
                keep.append(g)
        first = [e for e in new[0]] + sorted(merged - set(new[0]))
        return self.set_synonyms([*keep, first])


def _from_info(info: KbArticleInfo) -> Article:
    return Article(
        id=info.id,
        title=info.title,
        body=info.body,
        lang=info.lang,
        tags=tuple(info.tags),
        visibility=info.visibility,
        updated_at=info.updated_at,
        author=info.author or None,
    )
