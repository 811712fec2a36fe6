"""Routing v0: which online operator gets a new conversation. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class OperatorLoad:
    """What routing needs to know about one operator."""

    id: int
    status: str
    active_chats: int
    capacity: int
    last_assigned_at: datetime | None = None

    @property
    def has_free_capacity(self) -> bool:
        return self.active_chats < self.capacity


@dataclass(frozen=True)
class RoutableConversation:
    """What routing needs to know about the conversation (v0 uses none of it yet)."""

    id: int
    channel: str = "web"
    locale: str = ""


def choose_operator(conversation: RoutableConversation, operators: Sequence[OperatorLoad]) -> int | None:
    """The id of the operator who should get ``conversation``, or None (it stays queued).

    Candidates are ``online`` operators with free capacity. Fewest active chats first,
    then the one idle longest (earliest last assignment; never assigned counts as
    earliest), then the lowest id, so the choice is stable.
    """
    del conversation  # v0 routes every conversation the same way
    candidates = [op for op in operators if op.status == "online" and op.has_free_capacity]
    if not candidates:
        return None
    best = min(candidates, key=lambda op: (op.active_chats, op.last_assigned_at or _NEVER, op.id))
    return best.id
