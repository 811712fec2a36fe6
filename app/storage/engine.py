"""Engine creation with the SQLite settings we rely on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

BUSY_TIMEOUT_MS = 5000


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    finally:
        cur.close()


def make_engine(db_url: str, **kwargs: Any) -> Engine:
    """An engine for ``db_url``. SQLite gets WAL, synchronous=NORMAL, foreign keys and a
    busy timeout on every connection."""
    url = make_url(db_url)
    is_sqlite = url.get_backend_name() == "sqlite"
    if is_sqlite:
        kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
    engine = create_engine(url, **kwargs)
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def sqlite_url(path: str) -> str:
    return f"sqlite:///{path}"
