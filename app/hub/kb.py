"""The hub's knowledge base service: the in-memory search index (app/search) kept in
step with the kb tables, on a thread of its own.

- The index is built in the background right after the hub starts listening (``start``;
  the first search waits for it if it is not done), from the tables, on the
  ``frontline-kb`` thread: neither the event loop nor the database thread ever runs
  analysis or ranking. The articles are read in pages (``READ_PAGE`` per database call),
  so chat work queued on the database thread runs between the pages. An empty knowledge
  base costs a read: the morphology dictionaries load with the first article.
- Every index access (build, search, change) runs on that one thread, in the order the
  loop asked for it, so the index needs no locks and a search asked after a save sees it.
- The hub's own changes (kb_save, kb_delete, kb_synonyms_set) are applied right after
  their commit. Changes made elsewhere (``frontline-hub kb import`` on the hub machine,
  another hub node on the same PostgreSQL) are seen through the KB version in
  ``hub_meta``: at most every ``refresh_s`` seconds, before a search, the version is read
  and, when it moved, the articles whose content hash differs are re-read.
  Each article remembers the version it was indexed at, so a late re-read never puts
  back an older text over a newer one.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from app.search import Article, Hit, SearchIndex
from app.storage import Store
from app.storage.kb import content_hash

log = logging.getLogger("frontline.hub.kb")

P = ParamSpec("P")
R = TypeVar("R")
DbCall = Callable[..., Awaitable[Any]]
# Articles read per database call while building (the database thread serves chats too).
READ_PAGE = 500


class KbService:
    def __init__(self, store: Store, db: DbCall, *, refresh_s: float = 5.0) -> None:
        self._store = store
        self._db = db
        self.refresh_s = refresh_s
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frontline-kb")
        self._load_task: asyncio.Future[None] | None = None
        self._pending: list[Callable[[], None]] | None = None  # changes that came during the build
        self._checked_at = 0.0
        self._version = 0  # the KB version the index reflects (loop side)
        # on the kb thread only:
        self._index: SearchIndex | None = None
        self._indexed: dict[str, tuple[int, str]] = {}  # id -> (version, content hash)

    # ------------------------------------------------------------------ threads

    async def _on_kb(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def _submit(self, fn: Callable[[], None]) -> None:
        """Run an index change on the kb thread, after everything asked before it."""
        if self._load_task is None:
            return  # not built yet: the build reads the tables, change included
        if self._pending is not None:
            self._pending.append(fn)
            return

        def guarded() -> None:
            try:
                fn()
            except Exception:
                log.exception("knowledge base index update failed")

        self._executor.submit(guarded)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._load_task is not None and not self._load_task.done():
            self._load_task.cancel()

    # ------------------------------------------------------------------ build and refresh

    def start(self) -> None:
        """Build the index in the background now (the hub calls it once it listens), so
        the first search does not wait for the build; a failed build is logged and tried
        again by the next search."""
        if self._load_task is None:
            task = self._load_task = asyncio.ensure_future(self._load())
            task.add_done_callback(self._built)

    def _built(self, task: asyncio.Future[None]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("knowledge base index build failed: %s", error, exc_info=error)
            if self._load_task is task:
                self._load_task = None

    async def ready(self) -> SearchIndex:
        """The index (built at start, or now if that failed) refreshed from the tables
        when they changed elsewhere (use it on the kb thread only)."""
        if self._load_task is None:
            self._load_task = asyncio.ensure_future(self._load())
        try:
            await asyncio.shield(self._load_task)
        except Exception:
            self._load_task = None  # the next call tries again
            raise
        await self._refresh()
        assert self._index is not None
        return self._index

    async def _load(self) -> None:
        self._pending = []
        try:
            version, hashes = await self._db(self._store.kb.snapshot)
            ids = sorted(hashes)
            articles: list[Article] = []
            for i in range(0, len(ids), READ_PAGE):  # other database work runs in between
                articles += await self._db(self._store.kb.articles, ids[i : i + READ_PAGE])
            synonyms = await self._db(self._store.kb.synonyms)
            started = time.monotonic()

            def build() -> None:
                index = SearchIndex(synonyms)
                index.add_many(articles)
                index.prepare()
                self._index = index
                self._indexed = {a.id: (version, content_hash(a)) for a in articles}

            await self._on_kb(build)
            log.info("knowledge base index: %d articles in %.1f s", len(articles), time.monotonic() - started)
        except BaseException:
            self._pending = None
            raise
        pending, self._pending = self._pending, None
        self._version = version
        self._checked_at = time.monotonic()
        for fn in pending:
            self._submit(fn)

    async def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < self.refresh_s:
            return
        self._checked_at = now
        version, hashes = await self._db(self._store.kb.snapshot)
        if version == self._version:
            return

        def stale() -> tuple[list[str], list[str]]:
            changed = [
                aid
                for aid, digest in hashes.items()
                if self._indexed.get(aid, (0, ""))[1] != digest and self._indexed.get(aid, (0, ""))[0] < version
            ]
            gone = [aid for aid, (v, h) in self._indexed.items() if h and aid not in hashes and v < version]
            return changed, gone

        changed, gone = await self._on_kb(stale)
        articles = await self._db(self._store.kb.articles, changed) if changed else []
        synonyms = await self._db(self._store.kb.synonyms)

        def apply() -> None:
            assert self._index is not None
            for a in articles:
                self._upsert(a, version)
            for aid in gone:
                self._remove(aid, version)
            self._index.set_synonyms(synonyms)

        await self._on_kb(apply)
        self._version = max(self._version, version)
        if changed or gone:
            log.info("knowledge base index: %d articles re-read, %d removed", len(changed), len(gone))

    def _upsert(self, a: Article, version: int) -> None:
        if self._indexed.get(a.id, (0, ""))[0] > version or self._index is None:
            return
        self._index.add(a)
        self._indexed[a.id] = (version, content_hash(a))

    def _remove(self, article_id: str, version: int) -> None:
        if self._indexed.get(article_id, (0, ""))[0] > version or self._index is None:
            return
        self._index.remove(article_id)
        self._indexed[article_id] = (version, "")  # a tombstone: an older re-read cannot bring it back

    # ------------------------------------------------------------------ the hub's own changes

    def saved(self, article: Article, version: int) -> None:
        if version:
            self._submit(functools.partial(self._upsert, article, version))

    def deleted(self, article_id: str, version: int) -> None:
        if version:
            self._submit(functools.partial(self._remove, article_id, version))

    def synonyms_set(self, groups: list[list[str]]) -> None:
        def apply() -> None:
            if self._index is not None:
                self._index.set_synonyms(groups)

        self._submit(apply)

    # ------------------------------------------------------------------ search

    async def search(
        self,
        query: str,
        *,
        lang: str | None = None,
        tags: Sequence[str] = (),
        visibility: str | None = None,
        limit: int = 10,
        fallback: bool = True,
    ) -> list[Hit]:
        """Search off the loop (the ``frontline-kb`` thread). ``visibility='public'`` for
        anything a customer may see."""
        index = await self.ready()
        return await self._on_kb(
            index.search, query, lang=lang, tags=tags, visibility=visibility, limit=limit, fallback=fallback
        )
