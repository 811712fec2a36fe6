"""Routing v1 (queue strategies, priority) and SLA math (business hours across weekends,
time zones and daylight-saving changes)."""

from datetime import UTC, datetime, time, timedelta

import pytest

from app.domain.routing import OperatorLoad, QueuedItem, pick_operator, priority_order
from app.domain.sla import (
    ScheduleError,
    add_business_time,
    business_seconds,
    clock_for,
    is_open,
    level,
    next_open,
    parse_schedule,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WEEKDAYS = {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def op(id: int, *, status: str = "online", active: int = 0, cap: int = 3, last: datetime | None = None) -> OperatorLoad:
    return OperatorLoad(id=id, status=status, active_chats=active, capacity=cap, last_assigned_at=last)


# --------------------------------------------------------------------------- strategies


def test_round_robin_goes_around_the_members_in_order() -> None:
    members = [op(5), op(2), op(9)]
    got = []
    last = None
    for _ in range(4):
        last = pick_operator("round_robin", members, last_offered_id=last)
        got.append(last)
    assert got == [5, 2, 9, 5]


def test_round_robin_skips_busy_full_and_excluded() -> None:
    members = [op(1), op(2, status="away"), op(3, active=3, cap=3), op(4, status="busy"), op(5)]
    assert pick_operator("round_robin", members, last_offered_id=1) == 5
    assert pick_operator("round_robin", members, last_offered_id=5) == 1
    assert pick_operator("round_robin", members, last_offered_id=5, exclude=frozenset({1})) == 5
    assert pick_operator("round_robin", members, exclude=frozenset({1, 5})) is None


def test_least_loaded_takes_fewest_chats_then_longest_idle() -> None:
    members = [op(1, active=2), op(2, active=1, last=T0 + timedelta(minutes=5)), op(3, active=1, last=T0)]
    assert pick_operator("least_loaded", members) == 3
    assert pick_operator("least_loaded", members, exclude=frozenset({3})) == 2


def test_manual_pick_never_offers_and_unknown_strategy_is_refused() -> None:
    assert pick_operator("manual", [op(1)]) is None
    with pytest.raises(ValueError, match="unknown strategy"):
        pick_operator("random", [op(1)])


def test_priority_vip_first_then_longest_waiting() -> None:
    items = [
        QueuedItem(1, vip=False, waiting_since=T0, created_at=T0),
        QueuedItem(2, vip=True, waiting_since=T0 + timedelta(minutes=9), created_at=T0),
        QueuedItem(3, vip=False, waiting_since=T0 - timedelta(minutes=1), created_at=T0),
        QueuedItem(4, vip=True, waiting_since=T0 + timedelta(minutes=1), created_at=T0),
    ]
    assert [i.id for i in priority_order(items)] == [4, 2, 3, 1]


# --------------------------------------------------------------------------- SLA math

KYIV = parse_schedule("Europe/Kyiv", WEEKDAYS)


def test_friday_evening_message_is_due_on_monday_morning() -> None:
    fri_1759 = datetime(2026, 11, 20, 15, 59, tzinfo=UTC)  # 17:59 in Kyiv (UTC+2)
    assert is_open(KYIV, fri_1759)
    due = add_business_time(KYIV, fri_1759, 90)
    assert due == datetime(2026, 11, 23, 7, 0, 30, tzinfo=UTC)  # Monday 09:00:30 Kyiv
    assert business_seconds(KYIV, fri_1759, due) == 90


def test_weekend_is_closed_and_next_open_says_when_the_team_is_back() -> None:
    sat = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert not is_open(KYIV, sat)
    assert next_open(KYIV, sat) == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    during = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert next_open(KYIV, during) == during
    assert next_open(None, sat) == sat


def test_time_zones_shift_the_hours() -> None:
    ny = parse_schedule("America/New_York", WEEKDAYS)
    mon_noon_utc = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 07:00 in New York, 14:00 in Kyiv
    assert is_open(KYIV, mon_noon_utc)
    assert not is_open(ny, mon_noon_utc)
    assert next_open(ny, mon_noon_utc) == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_daylight_saving_change_in_the_closed_hours() -> None:
    # Kyiv goes UTC+2 -> UTC+3 on Sunday 2026-03-29: Friday 09:00 is 07:00 UTC, Monday 09:00 is 06:00 UTC
    fri_1759 = datetime(2026, 3, 27, 15, 59, tzinfo=UTC)
    assert add_business_time(KYIV, fri_1759, 120) == datetime(2026, 3, 30, 6, 1, tzinfo=UTC)


def test_split_day_and_midnight_spans() -> None:
    s = parse_schedule("UTC", {"mon": ["09:00-12:00", "13:00-24:00"], "tue": ["00:00-01:00"]})
    assert s is not None
    assert add_business_time(s, datetime(2026, 11, 23, 11, 59, tzinfo=UTC), 120) == datetime(
        2026, 11, 23, 13, 1, tzinfo=UTC
    )
    # 23:59 Monday + 2 min runs over midnight into Tuesday's span
    assert add_business_time(s, datetime(2026, 11, 23, 23, 59, tzinfo=UTC), 120) == datetime(
        2026, 11, 24, 0, 1, tzinfo=UTC
    )
    assert s.hours[0][1][1] == time.max
    assert parse_schedule("UTC", s.to_json()) == s


def test_bad_schedules_are_refused_clearly() -> None:
    with pytest.raises(ScheduleError, match="time zone"):
        parse_schedule("Mars/Olympus", WEEKDAYS)
    with pytest.raises(ScheduleError, match="weekday"):
        parse_schedule("UTC", {"someday": ["09:00-18:00"]})
    with pytest.raises(ScheduleError, match="end must be after"):
        parse_schedule("UTC", {"mon": ["18:00-09:00"]})
    with pytest.raises(ScheduleError, match="overlapping"):
        parse_schedule("UTC", {"mon": ["09:00-12:00", "11:00-13:00"]})
    assert parse_schedule("UTC", None) is None


def test_clock_first_then_next_response_and_levels() -> None:
    first = clock_for(None, T0, answered_before=False, first_response_s=90, next_response_s=300)
    assert (first.kind, first.due_at) == ("first", T0 + timedelta(seconds=90))
    nxt = clock_for(None, T0, answered_before=True, first_response_s=90, next_response_s=300)
    assert (nxt.kind, nxt.due_at) == ("next", T0 + timedelta(seconds=300))
    assert first.left_s(None, T0 + timedelta(seconds=30)) == 60
    assert first.level(None, T0 + timedelta(seconds=30)) == "ok"
    assert first.level(None, T0 + timedelta(seconds=60)) == "amber"  # 30 s = 1/3 left
    assert first.level(None, T0 + timedelta(seconds=90)) == "red"
    assert first.left_s(None, T0 + timedelta(seconds=100)) == -10
    assert level(31, 90) == "ok" and level(30, 90) == "amber" and level(0, 90) == "red"


def test_clock_pauses_outside_business_hours() -> None:
    fri_1759 = datetime(2026, 11, 20, 15, 59, tzinfo=UTC)
    clock = clock_for(KYIV, fri_1759, answered_before=False, first_response_s=90)
    saturday = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert clock.left_s(KYIV, saturday) == 30  # the clock stands still over the weekend
