"""The knowledge base between the widgets and the operator session (app.client).

- *Suggestions*: every customer message of the open conversation asks the hub's search
  (``kb_search``) for the articles that answer it, debounced (:data:`SUGGEST_DELAY_MS`,
  so a burst of messages makes one request), and a newer message cancels the request
  still running for an older one; the answer is tagged with the message it was for,
  so a late answer never replaces a newer one. It runs as a task on the one loop: the
  window never waits for it.
- *Search* (the Ctrl+K dialog): results as you type, the newest query wins the same way.
- *Articles*: read one whole (to insert its text, or to edit it), save one
  (``kb_save``, supervisors and admins; the hub decides and says no to others), and
  ``kb_article_updated`` events say that an article changed.

Widgets never call the session: they call these methods and listen to the signals.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.client.connection import CommandFailed, ConnectionLost, new_txn_id
from app.client.session import LinkChange, OperatorSession
from app.protocol.messages import KbArticleDraft, KbArticleInfo, KbHit

log = logging.getLogger(__name__)

SUGGEST_DELAY_MS = 250
SUGGEST_LIMIT = 5
SEARCH_DELAY_MS = 150
SEARCH_LIMIT = 20
QUERY_MAX_CHARS = 500  # a long customer message: its beginning says what it is about
EDITOR_ROLES = ("supervisor", "admin")


class KbBridge(QObject):
    suggesting = Signal(int)  # conversation id: a search for its latest message started
    suggestions_ready = Signal(int, int, object)  # conversation id, message id, [hit], best first
    suggestions_failed = Signal(int, str)  # conversation id, human text
    results_found = Signal(int, str, object)  # request number, query, [hit]
    search_failed = Signal(int, str)  # request number, human text
    article_loaded = Signal(object, str)  # the whole article, purpose ("insert", "link", "edit")
    article_load_failed = Signal(str, str)  # human text, the hub's text
    article_saved = Signal(object)  # the article as stored
    article_save_failed = Signal(str, str)  # human text, the hub's text
    articles_changed = Signal(object)  # an article changed on the hub (kb_article_updated)

    def __init__(self, session: OperatorSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._suggest_for: tuple[int, int, str] | None = None  # conversation, message, text
        self._suggest_task: asyncio.Task[None] | None = None
        self._suggest_timer = QTimer(self)
        self._suggest_timer.setSingleShot(True)
        self._suggest_timer.setInterval(SUGGEST_DELAY_MS)
        self._suggest_timer.timeout.connect(self._start_suggest)
        self._search_no = 0
        self._search_args: tuple[int, str, str] | None = None
        self._search_task: asyncio.Task[None] | None = None
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._start_search)
        self._save_txn: dict[str, str] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.suggestions: dict[int, tuple[int, list[Any]]] = {}  # conversation -> (message id, hits)
        self._connect_events(session)
        session.link_changed.connect(self._on_link_changed)

    # ------------------------------------------------------------------ queries (no I/O)

    @property
    def can_edit(self) -> bool:
        me = self.session.me
        return me is not None and me.role in EDITOR_ROLES

    @property
    def online(self) -> bool:
        return self.session.link.state == "online"

    # ------------------------------------------------------------------ suggestions

    def suggest(self, conversation_id: int, message_id: int, text: str) -> None:
        """The customer wrote ``text`` in this conversation: find articles for it, soon.
        A newer call (another message) replaces this one, also while it runs."""
        text = text.strip()
        if not text:
            return
        self._suggest_for = (conversation_id, message_id, text[:QUERY_MAX_CHARS])
        self._cancel(self._suggest_task)
        self._suggest_task = None
        self.suggesting.emit(conversation_id)
        self._suggest_timer.start()

    def _start_suggest(self) -> None:
        wanted = self._suggest_for
        if wanted is None:
            return
        self._suggest_task = self._spawn(self._suggest(*wanted))

    async def _suggest(self, conversation_id: int, message_id: int, text: str) -> None:
        try:
            hits = await self._search(text, "", SUGGEST_LIMIT)
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            if self._suggest_for == (conversation_id, message_id, text):
                self.suggestions_failed.emit(conversation_id, self._failure_text(exc))
            return
        if self._suggest_for != (conversation_id, message_id, text):
            return  # a newer message came meanwhile
        self.suggestions[conversation_id] = (message_id, hits)
        self.suggestions_ready.emit(conversation_id, message_id, hits)

    # ------------------------------------------------------------------ search (Ctrl+K)

    def search(self, query: str, language: str = "") -> int:
        """Search as the operator types; the request number comes back with the results
        (only the newest request answers)."""
        self._search_no += 1
        self._cancel(self._search_task)
        self._search_task = None
        self._search_args = (self._search_no, query.strip()[:QUERY_MAX_CHARS], language)
        self._search_timer.start()
        return self._search_no

    def _start_search(self) -> None:
        if self._search_args is not None:
            self._search_task = self._spawn(self._run_search(*self._search_args))

    async def _run_search(self, number: int, query: str, language: str) -> None:
        if not query:
            self.results_found.emit(number, query, [])
            return
        try:
            hits = await self._search(query, language, SEARCH_LIMIT)
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            if number == self._search_no:
                self.search_failed.emit(number, self._failure_text(exc))
            return
        if number == self._search_no:
            self.results_found.emit(number, query, hits)

    # ------------------------------------------------------------------ articles

    def load_article(self, article_id: str, purpose: str = "insert") -> None:
        self._spawn(self._load(article_id, purpose))

    async def _load(self, article_id: str, purpose: str) -> None:
        try:
            article = await self._get(article_id)
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            self.article_load_failed.emit(self._failure_text(exc), getattr(exc, "text", ""))
            return
        self.article_loaded.emit(article, purpose)

    def save_article(self, draft: Any) -> None:
        """Create (no id) or change an article. A save sent again after a lost answer
        keeps its txn_id (keyed by the article, or "new" for a new one)."""
        self._spawn(self._save(draft))

    async def _save(self, draft: dict[str, Any] | KbArticleDraft) -> None:
        key = str((draft.get("id") if isinstance(draft, dict) else draft.id) or "new")
        txn_id = self._save_txn.setdefault(key, new_txn_id())
        try:
            article = await self._store(draft, txn_id)
        except (CommandFailed, ConnectionLost, TimeoutError) as exc:
            if isinstance(exc, CommandFailed):
                self._save_txn.pop(key, None)
            self.article_save_failed.emit(self._failure_text(exc, saving=True), getattr(exc, "text", ""))
            return
        self._save_txn.pop(key, None)
        self.article_saved.emit(article)

    # ------------------------------------------------------------------ the session's KB calls

    async def _search(self, query: str, language: str, limit: int) -> list[KbHit]:
        return await self.session.kb_search(query, lang=language, limit=limit)

    async def _get(self, article_id: str) -> KbArticleInfo:
        return await self.session.kb_get(article_id)

    async def _store(self, fields: dict[str, Any] | KbArticleDraft, txn_id: str) -> KbArticleInfo:
        draft = fields if isinstance(fields, KbArticleDraft) else KbArticleDraft(
            id=str(fields.get("id") or ""),
            title=str(fields["title"]),
            body=str(fields["body"]),
            lang=fields["lang"],
            tags=list(fields.get("tags", [])),
            visibility=fields.get("visibility", "internal"),
        )
        article, _created = await self.session.kb_save(draft, txn_id=txn_id)
        return article

    def _connect_events(self, session: OperatorSession) -> None:
        session.kb_article_changed.connect(self.articles_changed.emit)
        session.kb_article_deleted.connect(self.articles_changed.emit)

    # ------------------------------------------------------------------ helpers

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
        try:
            task: asyncio.Task[None] = asyncio.ensure_future(coro)
        except RuntimeError:  # no loop any more (the app is closing): nothing to ask
            coro.close()
            return None
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("knowledge base request failed", exc_info=task.exception())

    @staticmethod
    def _cancel(task: asyncio.Task[Any] | None) -> None:
        if task is not None and not task.done():
            task.cancel()

    def cancel_all(self) -> None:
        self._suggest_timer.stop()
        self._search_timer.stop()
        for task in list(self._tasks):
            task.cancel()

    def _failure_text(self, exc: Exception, *, saving: bool = False) -> str:
        if isinstance(exc, ConnectionLost):
            return self.tr("The knowledge base is not reachable: the connection to the hub is down.")
        if isinstance(exc, TimeoutError):
            return self.tr("The knowledge base did not answer in time.")
        assert isinstance(exc, CommandFailed)
        if exc.code == "forbidden":
            return self.tr("Only supervisors and admins can change knowledge base articles.")
        if exc.code == "not_found":
            return self.tr("This article no longer exists.")
        if saving:
            return self.tr("Not saved: %1").replace("%1", exc.text)
        return self.tr("The knowledge base could not answer: %1").replace("%1", exc.text)

    def _on_link_changed(self, link: LinkChange) -> None:
        if link.state == "ended":
            self.cancel_all()
            self.suggestions.clear()
            self._save_txn.clear()
