"""Engine creation with the SQLite settings we rely on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from app.domain.contacts import fold

BUSY_TIMEOUT_MS = 5000
# SQL name of app.domain.contacts.fold on SQLite connections (SQLite's lower() folds
# ASCII only; customer search must match "Тарас" with "тарас")
FOLD_FUNCTION = "fl_fold"


def _fold(value: Any) -> Any:
    return fold(value) if isinstance(value, str) else value


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.create_function(FOLD_FUNCTION, 1, _fold, deterministic=True)
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    finally:
        cur.close()


def make_engine(db_url: str, **kwargs: Any) -> Engine:
    """An engine for ``db_url``. SQLite gets WAL, synchronous=NORMAL, foreign keys, a
    busy timeout and the ``fl_fold`` search function on every connection."""
    url = make_url(db_url)
    is_sqlite = url.get_backend_name() == "sqlite"
    if is_sqlite:
        kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
        if url.database not in (None, "", ":memory:") and "poolclass" not in kwargs:
            # the most recently returned connection first: the hub's database thread
            # keeps getting the same one, which its hot state relies on (app/storage/hot.py)
            kwargs.setdefault("pool_use_lifo", True)
    engine = create_engine(url, **kwargs)
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def checkpoint_in_background(engine: Engine) -> bool:
    """SQLite files: connections of ``engine`` opened from now on no longer checkpoint
    the WAL inside the commit that crosses 1000 pages (``wal_autocheckpoint=0``): that
    commit would stall its thread for the copy and an fsync, tens to hundreds of
    milliseconds on a busy disk. The caller must then call :func:`checkpoint` regularly
    from another thread (the hub does, every ``CHECKPOINT_INTERVAL_S``). Durability is
    unchanged (the same ``synchronous=NORMAL`` WAL semantics); only who copies the WAL
    into the database file changes. False (nothing changed) for anything else."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return False

    def no_autocheckpoint(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA wal_autocheckpoint=0")
        finally:
            cur.close()

    event.listen(engine, "connect", no_autocheckpoint)
    return True


CHECKPOINT_INTERVAL_S = 0.5
WAL_RESTART_PAGES = 4000  # about 16 MB of WAL


def checkpoint(engine: Engine) -> None:
    """A PASSIVE WAL checkpoint: copies what it can without holding writers back. Under
    a steady stream of writes a passive checkpoint may never find the WAL fully copied
    when a writer starts, and the WAL would never start over: past
    ``WAL_RESTART_PAGES`` a RESTART checkpoint (which holds writers back briefly, with
    little left to copy) rewinds it."""
    with engine.connect() as conn:
        row = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").first()
        if row is not None and row[1] is not None and int(row[1]) > WAL_RESTART_PAGES:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(RESTART)")


def sqlite_url(path: str) -> str:
    return f"sqlite:///{path}"
