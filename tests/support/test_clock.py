"""Business time against a minute-by-minute walk of the wall clock: calendars with lunch breaks and
several intervals a day, closed days, daylight-saving time zones, and clocks paused and resumed."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from support.clock import MINUTES_A_DAY, Calendar, always_open, deadline, japan_business_hours
from tests.tally import tally

# Examples per run (the reply-time targets rest on this; CI runs the suite twice, so twice this);
# KACHI_CLOCK_CASES for a longer search.
CASES = int(os.environ.get("KACHI_CLOCK_CASES", "5000"))
MINUTE = timedelta(minutes=1)
ZONES = ["Asia/Tokyo", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Pacific/Chatham", "UTC"]
# Days around the daylight-saving changes of those zones, and ordinary ones.
ANCHORS = [
    datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 4, 5, tzinfo=UTC),
    datetime(2026, 9, 27, tzinfo=UTC), datetime(2026, 10, 4, tzinfo=UTC), datetime(2026, 10, 25, tzinfo=UTC),
    datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 29, tzinfo=UTC), datetime(2027, 5, 3, tzinfo=UTC),
]  # fmt: skip


@st.composite
def day_intervals(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    """0-3 intervals in a day (a lunch break is two), on 15-minute marks or any minute."""
    grain = draw(st.sampled_from([1, 15, 60]))
    marks = draw(st.lists(st.integers(0, MINUTES_A_DAY // grain), min_size=0, max_size=6, unique=True))
    marks = sorted(mark * grain for mark in marks)
    if len(marks) % 2:
        marks = marks[:-1]
    return tuple(zip(marks[::2], marks[1::2], strict=True))


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    if draw(st.integers(0, 9)) == 0:
        return always_open(zone)
    hours = {weekday: draw(day_intervals()) for weekday in range(7)}
    if not any(hours.values()):
        hours[0] = ((9 * 60, 18 * 60),)
    anchor = draw(st.sampled_from(ANCHORS)).date()
    closed = draw(st.frozensets(st.integers(-3, 20).map(lambda n: anchor + timedelta(days=n)), max_size=4))
    return Calendar(time_zone=zone, hours=hours, closed=closed)


@st.composite
def starts(draw: st.DrawFn) -> datetime:
    return draw(st.sampled_from(ANCHORS)) + timedelta(minutes=draw(st.integers(-3 * MINUTES_A_DAY, 3 * MINUTES_A_DAY)))


def walk_open(calendar: Calendar, moment: datetime) -> bool:
    """Open at this minute, by the wall clock: the brute force the spans must agree with."""
    local = moment.astimezone(calendar.time_zone)
    minute = local.hour * 60 + local.minute
    intervals = calendar.hours.get(local.weekday(), ())
    return local.date() not in calendar.closed and any(lo <= minute < hi for lo, hi in intervals)


def walk_deadline(calendar: Calendar, target: int, start: datetime, pauses: list[tuple[int, int]]) -> datetime | None:
    """Minute by minute from ``start``: count the open minutes while not paused until ``target``."""
    paused = {start + timedelta(minutes=at + n) for at, length in pauses for n in range(length)}
    last_pause = max((start + timedelta(minutes=at + length) for at, length in pauses), default=start)
    if target == 0:
        return start
    counted, moment = 0, start
    limit = max(last_pause, start) + timedelta(days=40)
    while moment < limit:
        if moment not in paused and walk_open(calendar, moment):
            counted += 1
            if counted == target:
                return moment + MINUTE
        moment += MINUTE
    return None


def running_periods(start: datetime, pauses: list[tuple[int, int]]) -> list[tuple[datetime, datetime | None]]:
    """The periods the clock ran in, given pauses (minutes after the start, length), as the desk stores them."""
    periods: list[tuple[datetime, datetime | None]] = []
    resumed = start
    for at, length in sorted(pauses):
        pause_start = start + timedelta(minutes=at)
        if pause_start < resumed:
            continue
        periods.append((resumed, pause_start))
        resumed = pause_start + timedelta(minutes=length)
    periods.append((resumed, None))
    return periods


def apart(pauses: list[tuple[int, int]]) -> list[tuple[int, int]]:
    kept, end = [], 0
    for at, length in sorted(pauses):
        if at >= end:
            kept.append((at, length))
            end = at + length
    return kept


@settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    calendar=calendars(),
    start=starts(),
    target=st.integers(0, 16 * 60),
    pauses=st.lists(st.tuples(st.integers(0, 3 * MINUTES_A_DAY), st.integers(1, MINUTES_A_DAY)), max_size=3),
)
def test_a_deadline_is_where_the_minute_by_minute_walk_ends(
    calendar: Calendar, start: datetime, target: int, pauses: list[tuple[int, int]]
) -> None:
    pauses = apart(pauses)
    event(f"{len(pauses)} pauses")
    expected = walk_deadline(calendar, target, start, pauses)

    found = deadline(calendar, timedelta(minutes=target), running_periods(start, pauses))
    tally("Business clock against the minute walk")["paused" if pauses else "running"] += 1
    if expected is None:
        assert found is None or found - start > timedelta(days=40)
    else:
        assert found == expected
        # The open time up to the deadline, outside the pauses, is the target.
        used = calendar.between(start, found) - sum(
            (calendar.between(start + timedelta(minutes=at), min(found, start + timedelta(minutes=at + n)))
             for at, n in pauses if start + timedelta(minutes=at) < found),
            timedelta(0),
        )  # fmt: skip
        assert used == timedelta(minutes=target)


def test_a_friday_evening_question_waits_for_monday_morning() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    calendar = japan_business_hours()
    friday_evening = datetime(2026, 12, 4, 17, 30, tzinfo=tokyo)
    assert calendar.add(friday_evening, timedelta(hours=1)) == datetime(2026, 12, 7, 9, 30, tzinfo=tokyo)
    assert always_open(tokyo).add(friday_evening, timedelta(hours=24)) == datetime(2026, 12, 5, 17, 30, tzinfo=tokyo)


def test_a_holiday_and_a_lunch_break_are_not_open() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    lunch = {weekday: ((9 * 60, 12 * 60), (13 * 60, 18 * 60)) for weekday in range(5)}
    calendar = Calendar(time_zone=tokyo, hours=lunch, closed=frozenset({date(2027, 1, 11)}))  # Coming of Age Day
    friday = datetime(2027, 1, 8, 11, 30, tzinfo=tokyo)
    # 30 minutes before lunch, 5 hours after; Monday closed; the last 30 minutes on Tuesday.
    assert calendar.add(friday, timedelta(hours=6)) == datetime(2027, 1, 12, 9, 30, tzinfo=tokyo)
    assert calendar.between(friday, datetime(2027, 1, 12, 9, 30, tzinfo=tokyo)) == timedelta(hours=6)


def test_the_hour_the_clocks_repeat_is_open_twice_and_the_hour_they_skip_not_at_all() -> None:
    new_york = ZoneInfo("America/New_York")
    night = Calendar(time_zone=new_york, hours={6: ((60, 4 * 60),)})  # Sundays, 01:00-04:00
    autumn = datetime(2026, 11, 1, 0, 0, tzinfo=new_york)
    spring = datetime(2026, 3, 8, 0, 0, tzinfo=new_york)
    assert night.between(autumn, autumn + timedelta(days=1)) == timedelta(hours=4)
    assert night.between(spring, spring + timedelta(days=1)) == timedelta(hours=2)


def test_a_calendar_refuses_intervals_that_overlap_or_leave_the_day() -> None:
    for hours in ({0: ((600, 500),)}, {0: ((0, 600), (500, 700))}, {0: ((0, 1441),)}, {7: ((0, 60),)}):
        with pytest.raises(ValueError):
            Calendar(time_zone=UTC, hours=hours)


def test_a_calendar_that_is_never_open_long_enough_has_no_deadline() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert Calendar(time_zone=UTC, hours={}).add(start, timedelta(minutes=1)) is None
    one_minute_a_week = Calendar(time_zone=UTC, hours={6: ((0, 1),)})
    assert one_minute_a_week.add(start, timedelta(minutes=3)) == datetime(2026, 1, 18, 0, 1, tzinfo=UTC)
    assert one_minute_a_week.add(start, timedelta(hours=3)) is None  # 180 weeks: beyond the horizon
    assert deadline(one_minute_a_week, timedelta(hours=3), [(start, None)]) is None
