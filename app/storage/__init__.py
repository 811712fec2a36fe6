"""Storage: SQLAlchemy models, Alembic migrations and the repositories (:class:`Store`)."""

from app.storage.engine import make_engine
from app.storage.migrate import upgrade
from app.storage.repo import DuplicateUser, Outcome, Store

__all__ = ["DuplicateUser", "Outcome", "Store", "make_engine", "upgrade"]
