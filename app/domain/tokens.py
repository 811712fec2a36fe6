"""Secret tokens: made with ``secrets``, stored only as SHA-256. Pure, no I/O."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32  # 256 random bits (the protocol asks for at least 128)


def new_token() -> str:
    """A fresh URL-safe secret (session token or visitor token)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database stores instead of the token: hex SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_epoch() -> str:
    """A random hex name for a new database."""
    return secrets.token_hex(16)
