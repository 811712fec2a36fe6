"""SLA clocks: business hours and response targets. Pure functions, no I/O.

A :class:`Schedule` is a weekly timetable in one IANA time zone: for each weekday
(0 = Monday) a list of ``(start, end)`` local times. ``None`` as a schedule means
"always open" (24/7). Due times count only business time: a customer who writes at
17:59 on Friday to a team open 09:00-18:00 Monday-Friday with a 90 s target is due at
09:01:30 on Monday. Daylight-saving changes are handled by converting each local
opening interval to UTC separately.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_FIRST_RESPONSE_S = 90
DEFAULT_NEXT_RESPONSE_S = 300
AMBER_FRACTION = 1 / 3
_SEARCH_DAYS = 370  # a schedule with any open hour opens within a year

Level = Literal["ok", "amber", "red"]
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScheduleError(ValueError):
    """A business-hours definition that cannot be used (bad zone, bad times)."""


@dataclass(frozen=True)
class Schedule:
    timezone: str
    # weekday (0 = Monday) -> sorted, non-overlapping (start, end) local times; end may be 24:00 as time.max
    hours: Mapping[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def to_json(self) -> str:
        return json.dumps(
            {
                _DAYS[d]: [f"{a:%H:%M}-{'24:00' if b == time.max else f'{b:%H:%M}'}" for a, b in spans]
                for d, spans in sorted(self.hours.items())
                if spans
            }
        )


def _parse_time(text: str) -> time:
    if text == "24:00":
        return time.max
    try:
        hh, mm = text.split(":")
        return time(int(hh), int(mm))
    except ValueError as exc:
        raise ScheduleError(f"{text!r} is not a time like 09:00") from exc


def parse_schedule(timezone: str, hours: str | Mapping[str, list[str]] | None) -> Schedule | None:
    """A schedule from a time zone and ``{"mon": ["09:00-18:00"], ...}`` (or its JSON);
    None/empty hours mean 24/7. Raises ScheduleError with a readable text."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"unknown time zone {timezone!r}") from exc
    if hours is None or hours == "" or hours == {}:
        return None
    raw = json.loads(hours) if isinstance(hours, str) else hours
    if not isinstance(raw, dict):
        raise ScheduleError("business hours must map weekdays (mon..sun) to lists like ['09:00-18:00']")
    table: dict[int, tuple[tuple[time, time], ...]] = {}
    for key, spans in raw.items():
        day = str(key).lower()[:3]
        if day not in _DAYS:
            raise ScheduleError(f"{key!r} is not a weekday (mon..sun)")
        parsed = []
        for span in spans:
            try:
                a_text, b_text = str(span).split("-")
            except ValueError as exc:
                raise ScheduleError(f"{span!r} is not a span like 09:00-18:00") from exc
            a, b = _parse_time(a_text.strip()), _parse_time(b_text.strip())
            if not a < b:
                raise ScheduleError(f"{span!r}: the end must be after the start")
            parsed.append((a, b))
        parsed.sort()
        for (_, end), (start, _) in itertools.pairwise(parsed):
            if start < end:
                raise ScheduleError(f"overlapping spans on {day}")
        table[_DAYS.index(day)] = tuple(parsed)
    return Schedule(timezone, table)


def _local(d: date, t: time, zone: ZoneInfo) -> datetime:
    if t == time.max:
        return datetime.combine(d + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return datetime.combine(d, t, tzinfo=zone).astimezone(UTC)


def open_intervals(schedule: Schedule, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Opening intervals in UTC that end after ``start``, in order (clipped to ``start``)."""
    zone = schedule.zone
    day = start.astimezone(zone).date() - timedelta(days=1)
    for _ in range(_SEARCH_DAYS):
        for a, b in schedule.hours.get(day.weekday(), ()):
            lo, hi = _local(day, a, zone), _local(day, b, zone)
            if hi > start:
                yield max(lo, start), hi
        day += timedelta(days=1)


def is_open(schedule: Schedule | None, at: datetime) -> bool:
    if schedule is None:
        return True
    return any(lo <= at for lo, _ in _first(open_intervals(schedule, at)))


def _first(it: Iterator[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    return [x for x, _ in zip(it, range(1), strict=False)]


def next_open(schedule: Schedule | None, at: datetime) -> datetime | None:
    """``at`` when open, else when the team is back; None if the schedule never opens."""
    if schedule is None:
        return at
    for lo, _ in open_intervals(schedule, at):
        return lo
    return None


def add_business_time(schedule: Schedule | None, start: datetime, seconds: float) -> datetime:
    """The moment ``seconds`` of business time have passed since ``start``."""
    if schedule is None:
        return start + timedelta(seconds=seconds)
    left = timedelta(seconds=seconds)
    for lo, hi in open_intervals(schedule, start):
        if lo + left <= hi:
            return lo + left
        left -= hi - lo
    raise ScheduleError("the schedule has no business hours")


def business_seconds(schedule: Schedule | None, a: datetime, b: datetime) -> float:
    """Business seconds between ``a`` and ``b`` (0 if b <= a)."""
    if b <= a:
        return 0.0
    if schedule is None:
        return (b - a).total_seconds()
    total = 0.0
    for lo, hi in open_intervals(schedule, a):
        if lo >= b:
            break
        total += (min(hi, b) - lo).total_seconds()
    return total


@dataclass(frozen=True)
class Clock:
    """The SLA clock of one waiting conversation."""

    kind: Literal["first", "next"]
    target_s: float
    due_at: datetime

    def left_s(self, schedule: Schedule | None, now: datetime) -> float:
        """Business seconds left until the due time (negative after a breach)."""
        if now <= self.due_at:
            return business_seconds(schedule, now, self.due_at)
        return -(now - self.due_at).total_seconds()

    def level(self, schedule: Schedule | None, now: datetime) -> Level:
        return level(self.left_s(schedule, now), self.target_s)


def clock_for(
    schedule: Schedule | None,
    waiting_since: datetime,
    *,
    answered_before: bool,
    first_response_s: float = DEFAULT_FIRST_RESPONSE_S,
    next_response_s: float = DEFAULT_NEXT_RESPONSE_S,
) -> Clock:
    """The running clock of a customer waiting since ``waiting_since``: the first-response
    target until an operator has answered once, the next-response target after that."""
    kind: Literal["first", "next"] = "next" if answered_before else "first"
    target = next_response_s if answered_before else first_response_s
    return Clock(kind, target, add_business_time(schedule, waiting_since, target))


def level(left_s: float, target_s: float) -> Level:
    """``red`` at breach (nothing left), ``amber`` with a third of the target or less left."""
    if left_s <= 0:
        return "red"
    if left_s <= target_s * AMBER_FRACTION:
        return "amber"
    return "ok"
