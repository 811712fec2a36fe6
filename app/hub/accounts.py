"""Operator accounts: password hashing (argon2) and creation."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine

from app.domain.passwords import check_password_policy, normalize_username
from app.protocol.messages import OperatorInfo
from app.storage import DuplicateUser, Store, make_engine, upgrade
from app.storage.repo import ROLES

__all__ = ["ROLES", "DuplicateUser", "create_operator", "hash_password", "verify_password"]


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Verified against when the user does not exist, so both cases take as long."""
    return hash_password("not-a-real-password")


def verify_password(password_hash: str, password: str) -> bool:
    """True if ``password`` matches. Blocks for tens of ms: call it off the event loop."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


def create_operator(
    db_url_or_engine: str | Engine,
    username: str,
    password: str,
    role: str = "operator",
    display_name: str = "",
    capacity: int = 3,
) -> OperatorInfo:
    """Create an operator account (the database is migrated first if needed).

    Raises ValueError for a bad user name, role or password, and
    :class:`DuplicateUser` if the user name is taken.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    name = normalize_username(username)
    check_password_policy(password)
    engine = make_engine(db_url_or_engine) if isinstance(db_url_or_engine, str) else db_url_or_engine
    try:
        upgrade(engine)
        return Store(engine).create_operator(
            name, hash_password(password), role, display_name.strip() or name
        )
    finally:
        if isinstance(db_url_or_engine, str):
            engine.dispose()
