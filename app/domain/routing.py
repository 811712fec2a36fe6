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


# --------------------------------------------------------------------------- routing v1: queues

STRATEGIES = ("round_robin", "least_loaded", "manual")
QUEUE_KINDS = ("first", "second")


@dataclass(frozen=True)
class QueuedItem:
    """A conversation waiting in a queue, as priority ordering sees it."""

    id: int
    vip: bool
    waiting_since: datetime | None
    created_at: datetime


def priority_order(items: Sequence[QueuedItem]) -> list[QueuedItem]:
    """Who is served first: VIP customers, then the one waiting longest, then the oldest id."""
    return sorted(items, key=lambda i: (not i.vip, i.waiting_since or i.created_at, i.id))


def eligible(operators: Sequence[OperatorLoad], exclude: frozenset[int] = frozenset()) -> list[OperatorLoad]:
    """Operators who may get an offer now: online, free capacity, not excluded."""
    return [op for op in operators if op.status == "online" and op.has_free_capacity and op.id not in exclude]


def pick_operator(
    strategy: str,
    members: Sequence[OperatorLoad],
    *,
    last_offered_id: int | None = None,
    exclude: frozenset[int] = frozenset(),
) -> int | None:
    """The member who is offered the next conversation of a queue, or None.

    ``members`` are in the queue's member order (round-robin goes around it, starting
    after ``last_offered_id``); ``exclude`` holds operators who declined or ignored this
    conversation. ``manual`` queues never offer: operators take from the queue.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if strategy == "manual":
        return None
    candidates = eligible(members, exclude)
    if not candidates:
        return None
    if strategy == "least_loaded":
        return min(candidates, key=lambda op: (op.active_chats, op.last_assigned_at or _NEVER, op.id)).id
    order = [op.id for op in members]
    start = order.index(last_offered_id) + 1 if last_offered_id in order else 0
    ok = {op.id for op in candidates}
    for k in range(len(order)):
        op_id = order[(start + k) % len(order)]
        if op_id in ok:
            return op_id
    return None  # pragma: no cover - candidates is not empty
