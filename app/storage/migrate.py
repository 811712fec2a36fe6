"""Run the Alembic migrations from code (no alembic.ini needed in the current folder)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from app.storage.engine import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(db_url_or_engine: str | Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest)."""
    if isinstance(db_url_or_engine, str):
        engine = make_engine(db_url_or_engine)
        try:
            command.upgrade(alembic_config(engine), revision)
        finally:
            engine.dispose()
    else:
        command.upgrade(alembic_config(db_url_or_engine), revision)
