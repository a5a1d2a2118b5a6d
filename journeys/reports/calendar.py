"""The business calendar of the reports: one row per day (``CalendarDay``) in the site's time zone, so
that business-day durations are computed by the database, by joining it.

A business day is any day but Saturday, Sunday and the Japanese public holidays (``holidays``' Japan
calendar, substitute and citizens' holidays included; it covers 1949-2099, outside that only weekends
are excluded). Business days elapsed at a moment are the business days before its local date, since
1900-01-01 (a Monday), plus, on a business day, the part of the day gone by (from the day's local
midnight, over its length: a day of a change to or from summer time is longer or shorter). A
business duration is the difference of two readings: a business day fully elapsed is 1, a start at
noon on a Friday and an end at noon on the next Monday is 1.0.

The table is filled for a range around the data (from a year before the first journey's start) and
kept two years ahead by a daily beat task (``calendar_keep``), which also rewrites the days whose
holidays changed with a new version of ``holidays``; a report that meets a day it lacks fills it.
"""

from __future__ import annotations

import zoneinfo
from bisect import bisect_left
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from journeys.onboarding.models import Journey
from journeys.reports.models import CalendarDay

EPOCH = date(1900, 1, 1)  # a Monday; business days are counted from it
AHEAD = timedelta(days=2 * 366)
TABLE = CalendarDay._meta.db_table


def day_rows(time_zone: str, first: date, last: date) -> list[dict[str, Any]]:
    """The calendar's days from ``first`` to ``last`` (inclusive) in ``time_zone``, as column values."""
    tz = zoneinfo.ZoneInfo(time_zone)
    holidays = _weekday_holidays(EPOCH.year, last.year)
    weeks, rest = divmod(first.toordinal() - EPOCH.toordinal(), 7)
    before = weeks * 5 + min(rest, 5) - bisect_left(holidays, first.toordinal())
    off = set(holidays)
    rows = []
    day = first
    while day <= last:
        midnight = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
        next_midnight = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
        business = day.weekday() < 5 and day.toordinal() not in off
        rows.append(
            {
                "time_zone": time_zone,
                "day": day,
                "business": business,
                "business_before": before,
                "starts_at": midnight,
                "microseconds": (next_midnight - midnight) // timedelta(microseconds=1),
            }
        )
        before += business
        day += timedelta(days=1)
    return rows


@lru_cache(maxsize=4)
def _weekday_holidays(first_year: int, last_year: int) -> tuple[int, ...]:
    """Japanese public holidays falling on Monday-Friday, as sorted date ordinals."""
    import holidays

    calendar = holidays.country_holidays("JP", years=range(first_year, last_year + 1))
    return tuple(sorted(day.toordinal() for day in calendar if day.weekday() < 5))


@transaction.atomic
def calendar_fill(*, first: date, last: date, time_zone: str | None = None) -> int:
    """Make the calendar of ``time_zone`` (default: the site's) cover ``first`` to ``last`` and every day
    it already has, each day as ``day_rows`` computes it now. Returns the number of days written."""
    time_zone = time_zone or timezone.get_default_timezone_name()
    days = CalendarDay.objects.filter(time_zone=time_zone)
    bounds = days.aggregate(first=Min("day"), last=Max("day"))
    first = min(first, bounds["first"] or first)
    last = max(last, bounds["last"] or last)
    fields = ("business", "business_before", "starts_at", "microseconds")
    kept = {row[0]: (row[1], row[2:]) for row in days.values_list("day", "pk", *fields)}
    new, changed = [], []
    for row in day_rows(time_zone, first, last):
        values = tuple(row[field] for field in fields)
        if row["day"] not in kept:
            new.append(CalendarDay(**row))
        elif kept[row["day"]][1] != values:
            changed.append(CalendarDay(pk=kept[row["day"]][0], **row))
    # Two reports filling the same missing days at once: the second one's rows are already there.
    CalendarDay.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    CalendarDay.objects.bulk_update(changed, fields, batch_size=1000)
    return len(new) + len(changed)


def calendar_keep(*, until: datetime | None = None) -> int:
    """Keep the site's calendar from January of the year before the first journey's start (or before
    this year) to two years after ``until`` (default: now). Returns the number of days written."""
    tz = timezone.get_default_timezone()
    today = timezone.localdate()
    last = max(today, timezone.localtime(until, tz).date() if until else today) + AHEAD
    first_start = Journey.objects.aggregate(first=Min("started_at"))["first"]
    first_year = min(today.year, timezone.localtime(first_start, tz).year if first_start else today.year) - 1
    return calendar_fill(first=date(first_year, 1, 1), last=last)


def joins_sql(moments: Sequence[tuple[str, str]]) -> tuple[str, list[Any]]:
    """LEFT JOINs of the calendar day (in the site's time zone) of each moment: (SQL of the moment,
    alias). Where the calendar lacks the day, its columns are NULL and so is ``elapsed_sql``."""
    tz_name = timezone.get_default_timezone_name()
    sql, params = [], []
    for moment, alias in moments:
        local, local_params = _local_date_sql(moment, tz_name)
        sql.append(f"LEFT JOIN {TABLE} {alias} ON {alias}.time_zone = %s AND {alias}.day = {local}")
        params.extend([tz_name, *local_params])
    return "\n".join(sql), params


def _local_date_sql(moment: str, tz_name: str) -> tuple[str, list[Any]]:
    """The date of ``moment`` in the zone, as SQL. PostgreSQL looks a zone up by its name for every
    value it converts (twice the time of the whole statement): within the years where the zone keeps
    one UTC offset, the offset is added instead, with the same result."""
    sql, params = connection.ops.datetime_cast_date_sql(moment, (), tz_name)
    fixed = _fixed_offset(tz_name, timezone.now().year) if connection.vendor == "postgresql" else None
    if fixed is None:
        return sql, list(params)
    since, until, seconds = fixed
    ops = connection.ops
    return (
        f"CASE WHEN {moment} >= %s AND {moment} < %s THEN CAST({moment} AT TIME ZONE INTERVAL '{seconds:d} seconds'"
        f" AS DATE) ELSE {sql} END",
        [ops.adapt_datetimefield_value(since), ops.adapt_datetimefield_value(until), *params],
    )


@lru_cache(maxsize=16)
def _fixed_offset(time_zone: str, year: int) -> tuple[datetime, datetime, int] | None:
    """(since, until, offset in seconds) when the zone keeps one UTC offset from 1970 to 30 years
    after ``year``, else None."""
    tz = zoneinfo.ZoneInfo(time_zone)
    since, until = datetime(1970, 1, 1, tzinfo=UTC), datetime(year + 30, 1, 1, tzinfo=UTC)
    offset = since.astimezone(tz).utcoffset()
    moment = since
    while moment < until:  # every six hours: offsets last far longer
        if moment.astimezone(tz).utcoffset() != offset:
            return None
        moment += timedelta(hours=6)
    assert offset is not None  # (a zone's offset is never None)
    return since, until, int(offset.total_seconds())


def elapsed_sql(start: str, start_day: str, end: str, end_day: str) -> str:
    """Business days from ``start`` to ``end`` (SQL moments) from their calendar days (aliases of
    ``joins_sql``): the whole business days between the days, plus the part of the end's day gone
    by, less the start's (each a business day's exact microseconds over the day's, as Python divides
    them). The whole days are subtracted first, so the fractions keep all their precision."""
    return (
        f"(CAST({end_day}.business_before - {start_day}.business_before AS DOUBLE PRECISION)"
        f" + ({_fraction_sql(end, end_day)} - {_fraction_sql(start, start_day)}))"
    )


def _fraction_sql(moment: str, day: str) -> str:
    if connection.vendor == "postgresql":
        # Seconds as a double, rounded back to whole microseconds: exact, and faster than numeric.
        elapsed = f"CAST(DATE_PART('epoch', ({moment}) - {day}.starts_at) * 1000000 AS BIGINT)"
    else:  # SQLite: Django's function gives whole microseconds, exactly
        elapsed = f"django_timestamp_diff({moment}, {day}.starts_at)"
    return f"CASE WHEN {day}.business THEN CAST({elapsed} AS DOUBLE PRECISION) / {day}.microseconds ELSE 0.0 END"
