"""The business calendar of the reports: the durations the database computes from it equal those of
the Python clock the reports used before (kept here as the reference), on
generated journeys across weekends, Japanese holidays and time zones; the table is filled, kept
and mended by the beat task; a report that meets a day it lacks fills it."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeys.onboarding.models import Milestone
from journeys.onboarding.services.journeys import journey_start
from journeys.reports import calendar, measurement, ttv_sql
from journeys.reports.models import CalendarDay
from journeys.reports.tasks import journeys_keep_calendar
from portal.models import MilestoneKind
from tests.factories import (
    AccountFactory,
    AchievementFactory,
    MilestoneFactory,
    PublishedPlaybookFactory,
    SegmentFactory,
)
from tests.queries import assert_same_queries, capture_queries

# The site's zone, and zones with summer time (days of 23 and 25 hours; Lord Howe's half hour; a
# midnight that does not exist in Santiago), one a day ahead of UTC and one behind.
ZONES = ["Asia/Tokyo", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Pacific/Kiritimati", "UTC"]


def reference_clock(tz: tzinfo, years: tuple[int, int]) -> Callable[[datetime], float]:
    """The Python clock the reports computed business days with, row by row, before the calendar
    table: business days elapsed since a fixed Monday (1900-01-01), fractional."""
    calendar_ = holidays.country_holidays("JP", years=range(years[0], years[1] + 1))
    off = tuple(sorted(day.toordinal() for day in calendar_ if day.weekday() < 5))
    epoch = date(1900, 1, 1).toordinal()

    def reading(moment: datetime) -> float:
        local = moment.astimezone(tz)
        day = local.date()
        ordinal = day.toordinal()
        weeks, rest = divmod(ordinal - epoch, 7)
        full = weeks * 5 + min(rest, 5) - bisect_left(off, ordinal)
        index = bisect_left(off, ordinal)
        if day.weekday() >= 5 or (index < len(off) and off[index] == ordinal):
            return float(full)
        midnight = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
        next_midnight = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
        return full + (moment.astimezone(UTC) - midnight) / (next_midnight - midnight)

    return reading


START = datetime(2025, 12, 20, tzinfo=UTC)  # around the new year, Golden Week and a few summer-time changes
journeys = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=500 * 86_400_000_000),  # start, microseconds after START
        st.one_of(  # then reached or churned after: whole hours and days (ties, midnights), or anything
            st.integers(min_value=0, max_value=60 * 24).map(lambda hours: hours * 3_600_000_000),
            st.integers(min_value=0, max_value=90 * 86_400_000_000),
        ),
        st.sampled_from(["reached", "waiting", "churned"]),
    ),
    min_size=1,
    max_size=8,
)


@pytest.mark.parametrize("zone", ZONES)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(generated=journeys, now_after=st.integers(min_value=0, max_value=400 * 86_400_000_000))
def test_sql_business_days_equal_the_python_clock(
    db: None, zone: str, generated: list[tuple[int, int, str]], now_after: int
) -> None:
    with override_settings(TIME_ZONE=zone), transaction.atomic():
        now = START + timedelta(microseconds=now_after + 200 * 86_400_000_000)
        segment = SegmentFactory(target_first_value_days=5)
        playbook = PublishedPlaybookFactory(step_count=0)
        milestone = MilestoneFactory(playbook=playbook, key="first-value", position=0, kind=MilestoneKind.FIRST_VALUE)
        for offset, after, outcome in generated:
            started = START + timedelta(microseconds=offset)
            end = started + timedelta(microseconds=after)
            account = AccountFactory(segment=segment)
            if outcome == "churned":
                account.status, account.churned_at = account.Status.CHURNED, end
                account.save(update_fields=["status", "churned_at"])
            journey = journey_start(account=account, playbook=playbook, started_at=started)
            if outcome == "reached":
                AchievementFactory(journey=journey, milestone=Milestone.objects.get(pk=milestone.pk), achieved_at=end)

        rows = measurement.ttv_rows(kind=MilestoneKind.FIRST_VALUE, business_days=True, now=now)
        tz = ZoneInfo(zone)
        clock = reference_clock(tz, (START.year - 1, now.year + 1))
        for row in rows:
            end = row.achieved_at if row.achieved_at is not None else min(now, _churned(row) or now)
            # The clock's readings are some 30,000 days, so their difference is off by up to 1e-11 days.
            assert row.duration_days == pytest.approx(max(0.0, clock(end) - clock(row.started_at)), abs=1e-9)
        assert len(rows) == sum(START + timedelta(microseconds=offset) <= now for offset, _a, _o in generated)

        # The report's lean rows: the same durations (sorted), with their calendar days.
        milestones = ttv_sql.measured_milestones(kind=MilestoneKind.FIRST_VALUE, milestone_key=None)
        lean = ttv_sql.business_lean_rows(
            milestones=milestones, group_by=None, start_from=None, start_to=None, now=now, accounts=None
        )
        assert [row[1] for row in lean] == sorted(row.duration_days for row in rows)
        assert sorted(row[4] for row in lean) == sorted(row.calendar_days for row in rows)
        arguments = {"kind": MilestoneKind.FIRST_VALUE, "milestone_key": None, "group_by": "segment",
                     "start_from": None, "start_to": None, "now": now, "accounts": None}  # fmt: skip
        lean_groups, lean_total = measurement._report_in_db(**arguments, business_days=True)
        row_groups, row_total = measurement._report_from_rows(**arguments, business_days=True)
        assert [g.as_dict() for g in [*lean_groups, lean_total]] == [g.as_dict() for g in [*row_groups, row_total]]
        assert [g.estimate for g in lean_groups] == [g.estimate for g in row_groups]
        transaction.set_rollback(True)


def _churned(row: measurement.Row) -> datetime | None:
    from portal.models import Account

    return Account.objects.get(pk=row.account_id).churned_at


def test_the_calendar_counts_business_days_and_knows_holidays(db: None) -> None:
    days = {row["day"]: row for row in calendar.day_rows("Asia/Tokyo", date(2026, 4, 28), date(2026, 5, 8))}
    off = [day.isoformat() for day, row in days.items() if not row["business"]]
    # Showa Day, the weekend, Constitution Day on Sunday, Greenery and Children's Days, the substitute.
    assert off == ["2026-04-29", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05", "2026-05-06"]
    assert days[date(2026, 5, 7)]["business_before"] - days[date(2026, 4, 28)]["business_before"] == 3
    assert days[date(2026, 5, 1)]["starts_at"] == datetime(2026, 4, 30, 15, tzinfo=UTC)
    assert {row["microseconds"] for row in days.values()} == {86_400_000_000}
    new_york = {row["day"]: row["microseconds"] for row in calendar.day_rows("America/New_York", date(2026, 3, 7),
                                                                              date(2026, 3, 9))}  # fmt: skip
    assert new_york[date(2026, 3, 8)] == 23 * 3_600_000_000  # summer time begins


def test_the_migration_filled_the_calendar_and_beat_keeps_it_ahead(db: None) -> None:
    from django_celery_beat.models import PeriodicTask

    tz = timezone.get_default_timezone_name()
    kept = CalendarDay.objects.filter(time_zone=tz)
    today = timezone.localdate()
    assert kept.filter(day=today).exists() and kept.filter(day=today + timedelta(days=700)).exists()
    task = PeriodicTask.objects.get(task="journeys.tasks.journeys_keep_calendar")
    assert (task.enabled, task.interval.every, task.interval.period) == (True, 1, "days")

    # A day lost, a holiday the package did not know then: the task writes both back, and nothing more.
    kept.filter(day=today + timedelta(days=10)).delete()
    wrong = kept.get(day=date(today.year + 1, 1, 1))  # New Year's Day
    wrong.business = True
    wrong.save(update_fields=["business"])
    assert journeys_keep_calendar.delay().get() == 2
    assert kept.get(day=date(today.year + 1, 1, 1)).business is False
    assert journeys_keep_calendar.delay().get() == 0


def test_a_report_fills_the_days_the_calendar_lacks_then_reads_it_in_the_same_queries(db: None) -> None:
    segment = SegmentFactory()
    playbook = PublishedPlaybookFactory(step_count=0)
    milestone = MilestoneFactory(playbook=playbook, key="first-value", position=0, kind=MilestoneKind.FIRST_VALUE)
    tokyo = ZoneInfo("Asia/Tokyo")
    # Friday noon in 2019, before the calendar: reached on Tuesday 2019-05-07 noon, after ten days of
    # Golden Week (the new emperor's enthronement): a single business day.
    journey = journey_start(account=AccountFactory(segment=segment), playbook=playbook,
                            started_at=datetime(2019, 4, 26, 12, tzinfo=tokyo))  # fmt: skip
    AchievementFactory(journey=journey, milestone=milestone, achieved_at=datetime(2019, 5, 7, 12, tzinfo=tokyo))
    CalendarDay.objects.all().delete()
    now = datetime(2026, 6, 1, tzinfo=tokyo)
    with capture_queries() as first:
        report = measurement.ttv_report(kind=MilestoneKind.FIRST_VALUE, business_days=True, now=now)
    assert report.total.estimate.naive_median_days == pytest.approx(1.0)
    assert CalendarDay.objects.filter(day=date(2018, 1, 1)).exists()
    with capture_queries() as again:
        measurement.ttv_report(kind=MilestoneKind.FIRST_VALUE, business_days=True, now=now)
    assert len(first.captured_queries) > len(again.captured_queries)
    with capture_queries() as rows:
        [row] = measurement.ttv_rows(kind=MilestoneKind.FIRST_VALUE, business_days=True, now=now)
    assert row.duration_days == pytest.approx(1.0) and row.calendar_days == pytest.approx(11.0)
    assert_same_queries(again, rows, expected=2)  # milestones, rows
