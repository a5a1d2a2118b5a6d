"""Business time: when a calendar is open, how much open time lies between two moments, and the
moment a given amount of open time after another has passed (a reply deadline).

A calendar is open at a moment when the moment's wall-clock time in the calendar's time zone falls
in one of the intervals of its weekday, and its date is not a closed day (a public holiday or an
extra closed day). Everything is computed on spans of open time in UTC, one stretch of constant UTC
offset at a time, so days of a daylight-saving change count what the clock on the wall says: an
hour the clocks skip is not open, an hour they repeat is open twice.

Written here rather than taken from a library: the maintained ones count business days (``holidays``,
``workalendar``, ``bizdays``), and the one that adds business hours (``businesstimedelta``, last released
in 2019) takes one interval a day and pytz time zones.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

MINUTES_A_DAY = 24 * 60
# No deadline lies further than this: a calendar open for a few hours a year still ends somewhere.
HORIZON = timedelta(days=3 * 366)
# Offsets change on whole minutes, at most a few times a year: probed daily, then found by halving.
_PROBE = timedelta(days=1)

Interval = tuple[int, int]  # minutes from local midnight: [start, end), end up to 1440


@dataclass(frozen=True)
class Calendar:
    """When support is open: ``hours[weekday]`` (Monday = 0) are the day's intervals in minutes from
    midnight, sorted and apart; ``closed`` are local dates on which it is not open at all."""

    time_zone: tzinfo
    hours: Mapping[int, Sequence[Interval]]
    closed: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for weekday, intervals in self.hours.items():
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday {weekday} is not 0-6")
            last = 0
            for start, end in intervals:
                if not last <= start < end <= MINUTES_A_DAY:
                    raise ValueError(f"intervals of weekday {weekday} must be sorted, apart and within a day")
                last = end

    @property
    def is_ever_open(self) -> bool:
        return any(self.hours.get(weekday) for weekday in range(7))

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.time_zone)
        if local.date() in self.closed:
            return False
        minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        return any(start <= minute < end for start, end in self.hours.get(local.weekday(), ()))

    def spans(self, start: datetime, end: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
        """The open spans from ``start`` (until ``end``, or the horizon), in order, as UTC moments."""
        start = start.astimezone(UTC)
        stop = (start + HORIZON) if end is None else min(end.astimezone(UTC), start + HORIZON)
        for piece_start, piece_end, offset in _constant_offsets(self.time_zone, start, stop):
            day = (piece_start + offset).date()
            last_day = (piece_end + offset).date()
            while day <= last_day:
                if day not in self.closed:
                    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) - offset
                    for open_minute, close_minute in self.hours.get(day.weekday(), ()):
                        lo = max(midnight + timedelta(minutes=open_minute), piece_start)
                        hi = min(midnight + timedelta(minutes=close_minute), piece_end)
                        if lo < hi:
                            yield lo, hi
                day += timedelta(days=1)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Open time in [start, end)."""
        if end <= start:
            return timedelta(0)
        return sum((hi - lo for lo, hi in self.spans(start, end)), timedelta(0))

    def add(self, start: datetime, duration: timedelta) -> datetime | None:
        """The earliest moment by which ``duration`` of open time has passed since ``start``; None when
        the calendar is not open that long within ``HORIZON`` (a calendar open a few minutes a week)."""
        if duration <= timedelta(0):
            return start
        left = duration
        for lo, hi in self.spans(start):
            if hi - lo >= left:
                return (lo + left).astimezone(start.tzinfo)
            left -= hi - lo
        return None


def always_open(time_zone: tzinfo | None = None) -> Calendar:
    """The calendar of the calendar: every hour of every day."""
    return Calendar(time_zone=time_zone or UTC, hours={weekday: ((0, MINUTES_A_DAY),) for weekday in range(7)})


def japan_business_hours(*, closed: frozenset[date] = frozenset()) -> Calendar:
    """09:00-18:00 Tokyo time, Monday to Friday: the default business calendar."""
    return Calendar(
        time_zone=ZoneInfo("Asia/Tokyo"), hours={weekday: ((9 * 60, 18 * 60),) for weekday in range(5)}, closed=closed
    )


def _constant_offsets(zone: tzinfo, start: datetime, stop: datetime) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """[start, stop) cut where ``zone``'s UTC offset changes: (from, to, offset) pieces in order."""
    piece_start, offset, probe = start, _offset(zone, start), start
    while probe < stop:
        step = min(probe + _PROBE, stop)
        if _offset(zone, step) == offset:
            probe = step
            continue
        change = _change_within(zone, probe, step, offset)
        yield piece_start, change, offset
        piece_start, offset, probe = change, _offset(zone, change), change
    if piece_start < stop:
        yield piece_start, stop, offset


def _change_within(zone: tzinfo, lo: datetime, hi: datetime, offset: timedelta) -> datetime:
    """The first moment in (lo, hi] whose offset differs from ``offset`` (lo has it, hi does not), to the second."""
    while hi - lo > timedelta(seconds=1):
        middle = lo + (hi - lo) / 2
        middle = middle.replace(microsecond=0)
        if middle <= lo:
            middle = lo + timedelta(seconds=1)
        if _offset(zone, middle) == offset:
            lo = middle
        else:
            hi = middle
    return hi


def _offset(zone: tzinfo, moment: datetime) -> timedelta:
    value = moment.astimezone(zone).utcoffset()
    assert value is not None  # an aware zone
    return value


def deadline(
    calendar: Calendar, target: timedelta, running: Sequence[tuple[datetime, datetime | None]]
) -> datetime | None:
    """When a clock that must not run longer than ``target`` of open time runs out: it ran in the
    ``running`` periods, in order, the last of which may still be running (``None`` as its end).
    Paused now and not run out yet, or not running out within ``HORIZON``: ``None``; it may have run
    out in a period that ended."""
    left = target
    for start, end in running:
        if end is None:
            return calendar.add(start, left)
        used = calendar.between(start, end)
        if used >= left:
            return calendar.add(start, left)
        left -= used
    return None
