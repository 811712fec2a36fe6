"""Password policy (v0: deliberately small). Pure, no I/O; hashing lives in the hub."""

from __future__ import annotations

MIN_PASSWORD_CHARS = 4  # the demo accounts use "demo"; real deployments set a longer one
MAX_PASSWORD_CHARS = 1024


class PasswordRejected(ValueError):
    pass


def check_password_policy(password: str) -> None:
    """Raise :class:`PasswordRejected` when ``password`` may not be set."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordRejected(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise PasswordRejected(f"the password must have at most {MAX_PASSWORD_CHARS} characters")
    if password != password.strip():
        raise PasswordRejected("the password must not start or end with whitespace")


USERNAME_MAX_CHARS = 64


def normalize_username(username: str) -> str:
    """User names are case-insensitive: stored and looked up in lower case."""
    name = username.strip().lower()
    if not name or len(name) > USERNAME_MAX_CHARS or any(ch.isspace() for ch in name):
        raise ValueError("a user name is 1 to 64 characters without spaces")
    return name
