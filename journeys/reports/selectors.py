"""Reads of the reports beside the TTV estimates: the milestone funnel, the distribution of times
and the bottleneck steps. Each aggregates with a fixed number of queries."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import numpy as np
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.events.rules import day_bounds
from journeys.onboarding.models import Achievement, Journey, Playbook, StepState
from journeys.reports import measurement
from journeys.reports.models import TtvForecast, TtvPrediction
from portal.models import Account
from portal.survival import kaplan_meier
from portal.translated import localized
from support.models import Inquiry


@dataclass(frozen=True)
class FunnelStage:
    key: str
    name: str
    kind: str
    kind_label: str
    reached: int
    share: float


def milestone_funnel(
    *,
    playbook_key: str,
    start_from: date | None = None,
    start_to: date | None = None,
    accounts: QuerySet[Account] | None = None,
) -> tuple[int, list[FunnelStage]]:
    """How many journeys on a playbook reached each of its milestones, in the playbook's order.

    Milestones and their order come from the newest version; journeys of every version count
    (achievements are matched by milestone key). Three queries, whatever the number of journeys.
    """
    journeys = Journey.objects.filter(playbook_key=playbook_key)
    if accounts is not None:
        journeys = journeys.filter(account__in=accounts)
    if start_from:
        journeys = journeys.filter(started_at__gte=day_bounds(start_from)[0])
    if start_to:
        journeys = journeys.filter(started_at__lt=day_bounds(start_to)[1])
    total = journeys.count()
    version = (
        Playbook.objects.filter(key=playbook_key).exclude(status=Playbook.Status.DRAFT).order_by("-version").first()
    )
    if version is None:
        return total, []
    reached = dict(
        Achievement.objects.filter(journey__in=journeys)
        .values("milestone_key")
        .annotate(n=Count("journey", distinct=True))
        .values_list("milestone_key", "n")
    )
    stages = [
        FunnelStage(
            key=m.key,
            name=m.display_name,
            kind=m.kind,
            kind_label=m.get_kind_display(),
            reached=reached.get(m.key, 0),
            share=reached.get(m.key, 0) / total if total else 0.0,
        )
        for m in version.milestones.order_by("position", "id")
    ]
    return total, stages


HISTOGRAM_EDGES = [0, 1, 3, 7, 14, 30, 60, 90, 180, 365]


@dataclass(frozen=True)
class Bin:
    low: float
    high: float | None
    count: int

    @property
    def label(self) -> str:
        return f"{self.low:g}–{self.high:g}" if self.high is not None else f"{self.low:g}+"  # noqa: RUF001


def duration_histogram(durations: list[float]) -> list[Bin]:
    """Counts of durations (days) in widening bins: 0-1, 1-3, 3-7, 7-14 ... 365 and more."""
    counts = [0] * len(HISTOGRAM_EDGES)
    for value in durations:
        counts[bisect_right(HISTOGRAM_EDGES, value) - 1] += 1
    return [
        Bin(low=edge, high=HISTOGRAM_EDGES[i + 1] if i + 1 < len(HISTOGRAM_EDGES) else None, count=counts[i])
        for i, edge in enumerate(HISTOGRAM_EDGES)
    ]


# A step fewer journeys than this have reached gets no median: two or three journeys would pass for
# a typical time. The page says so where a bar is missing.
MIN_STEP_JOURNEYS = 5


@dataclass(frozen=True)
class StepBottleneck:
    """One step of a playbook and the time journeys spend on it.

    A journey *reaches* a step when every step before it (by position, in its playbook version) is
    closed, done or skipped, and stays on it until the step is closed too: the step is then its
    current step, as the portfolio shows it. The time on the step runs from the moment it was reached
    (the last of the earlier steps closed, or the start) to its own closing; a step closed before it
    was reached spent 0 days. Journeys still on it are censored at now, or at their account's churn
    date, so the median is Kaplan-Meier's, like the TTV reports', and not biased towards the journeys
    that got through.
    """

    key: str
    title: str
    position: int
    reached: int  # journeys that reached it
    done: int  # of those, the journeys that have closed it (done or skipped)
    median_days: float | None  # Kaplan-Meier median time on it; None: fewer than MIN_STEP_JOURNEYS, or not yet
    median_beyond_days: float | None  # fewer than half have closed it: the median is beyond this longest wait
    stalled: int  # journeys it holds (every step before it closed) past its due date now
    stalled_share: float
    ttv_share: float  # its part of all the time spent on the playbook's steps (time still running included)
    worst: bool = False

    @property
    def measured(self) -> bool:
        """Enough journeys reached it for a median."""
        return self.reached >= MIN_STEP_JOURNEYS

    @property
    def days_on_it(self) -> float | None:
        """What the report sorts by: the median, else the longest wait when fewer than half have closed it."""
        return self.median_days if self.median_days is not None else self.median_beyond_days


def step_bottlenecks(
    *,
    playbook_key: str,
    start_from: date | None = None,
    start_to: date | None = None,
    accounts: QuerySet[Account] | None = None,
    now: datetime | None = None,
) -> tuple[int, list[StepBottleneck]]:
    """Where journeys on a playbook lose time: per step (of the newest version; journeys of every
    version count, steps matched by key), the journeys that reached it, the Kaplan-Meier median time
    on it (see ``StepBottleneck``), the share of journeys stalled on it now (held by it, past its due date) and its
    part of all the time spent on steps. Sorted the longest first: by the median, or, where fewer than
    half have closed the step, by the longest wait so far; steps too few journeys reached come last,
    in the playbook's order. Three queries."""
    now = now or timezone.now()
    states = StepState.objects.filter(journey__playbook_key=playbook_key, step__playbook_id=F("journey__playbook_id"))
    if accounts is not None:
        states = states.filter(journey__account__in=accounts)
    if start_from:
        states = states.filter(journey__started_at__gte=day_bounds(start_from)[0])
    if start_to:
        states = states.filter(journey__started_at__lt=day_bounds(start_to)[1])
    journeys, times = _time_on_steps(states, now=now)
    version = (
        Playbook.objects.filter(key=playbook_key).exclude(status=Playbook.Status.DRAFT).order_by("-version").first()
    )
    steps = (
        list(version.steps.order_by("position", "id").values_list("key", localized("title"), "position"))
        if version
        else []
    )
    total_spent = sum(t.spent_us for t in times.values()) or 1
    result = []
    for key, title, position in steps:
        t = times.get(key, _NOT_REACHED)
        median = beyond = None
        if t.reached >= MIN_STEP_JOURNEYS:
            median = kaplan_meier(*t.durations()).median_days
            beyond = _days(t.longest_us) if median is None else None
        result.append(
            StepBottleneck(
                key=key,
                title=title,
                position=position,
                reached=t.reached,
                done=t.done,
                median_days=median,
                median_beyond_days=beyond,
                stalled=t.stalled,
                stalled_share=t.stalled / journeys if journeys else 0.0,
                ttv_share=t.spent_us / total_spent,
            )
        )
    result.sort(key=_bottleneck_order)
    worst = {b.key for b in result[:3] if b.measured and (b.days_on_it or b.stalled)}
    return journeys, [replace(b, worst=b.key in worst) for b in result]


def _bottleneck_order(b: StepBottleneck) -> tuple[Any, ...]:
    if not b.measured:
        return (1, b.position)
    return (0, -(b.days_on_it or 0.0), -b.stalled_share, b.position)


@dataclass(frozen=True)
class _StepTimes:
    """What the journeys that reached one step spent on it, as the database added it up."""

    reached: int = 0
    done: int = 0
    stalled: int = 0
    spent_us: int = 0  # microseconds, all journeys together (time still running included)
    longest_us: int = 0
    packed: str = ""  # per journey, its microseconds on the step if it closed it, else -1 - them

    def durations(self) -> tuple[list[float], list[bool]]:
        """(days on the step, closed it) per journey, for ``kaplan_meier``."""
        values = np.array(self.packed.split(","), dtype=np.int64) if self.packed else np.zeros(0, np.int64)
        still_on_it = values < 0
        micros = np.where(still_on_it, -1 - values, values)
        # As timedelta.total_seconds() / 86400 gives them: both divisions are correctly rounded.
        return (micros / 1_000_000 / 86400).tolist(), (~still_on_it).tolist()


_NOT_REACHED = _StepTimes()


def _days(micros: int) -> float:
    return micros / 1_000_000 / 86400


def _time_on_steps(states: QuerySet[StepState], *, now: datetime) -> tuple[int, dict[str, _StepTimes]]:
    """The journeys of ``states`` and, per step key, the time they spent on it (see ``StepBottleneck``),
    in one statement: a window over each journey's steps in order finds the ones it reached and when,
    and the database adds up per step; only the durations the Kaplan-Meier median needs come back,
    as whole microseconds (exact) in one text per step."""
    base = states.order_by().values(
        bn_journey=F("journey_id"), bn_key=F("step_key"), bn_position=F("step__position"), bn_step=F("step_id"),
        bn_completed=F("completed_at"), bn_due=F("due_at"), bn_started=F("journey__started_at"),
        bn_churned=F("journey__account__churned_at"),
    )  # fmt: skip
    try:
        inner, inner_params = base.query.sql_with_params()
    except EmptyResultSet:  # no accounts to count
        return 0, {}
    moment = connection.ops.adapt_datetimefield_value(now)
    if connection.vendor == "postgresql":
        greatest, pack = "GREATEST", "STRING_AGG"
        # Whole microseconds, exact for any wait under 270 years; EXTRACT's numeric would cost a third more.
        elapsed = "CAST(ROUND(DATE_PART('epoch', ({end}) - ({start})) * 1000000) AS BIGINT)"
    else:  # SQLite: Django's function gives whole microseconds; MAX of two values is the greater
        greatest, pack = "MAX", "GROUP_CONCAT"
        elapsed = "django_timestamp_diff({end}, {start})"
    # A step closes at its completion as of now; a step still open ends at now, or at churn if earlier.
    # It was reached when every step before it had closed, at the start or the last of those closings.
    spent = elapsed.format(
        end="COALESCE(done_at, CASE WHEN bn_churned < %s THEN bn_churned ELSE %s END)",
        start=f"{greatest}(bn_started, COALESCE(last_done, bn_started))",
    )
    # Only our own SQL is formatted in (Django's compiled query of the states); values go as parameters.
    # A step not reached has no time (us NULL), which every aggregate leaves out: no WHERE, so that the
    # planner, which cannot guess how many steps were reached, still adds up in a hash by step.
    sql = f"""
        SELECT bn_key, COUNT(us), COUNT(CASE WHEN us IS NOT NULL THEN done_at END),
               SUM(CASE WHEN us IS NOT NULL AND done_at IS NULL AND bn_due < %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN earlier = 0 THEN 1 ELSE 0 END), SUM(us), MAX(us),
               {pack}(CAST(CASE WHEN done_at IS NULL THEN -1 - us ELSE us END AS TEXT), ',')
        FROM (
            SELECT bn_key, bn_due, done_at, earlier,
                   CASE WHEN open_before > 0 THEN NULL WHEN elapsed < 0 THEN 0 ELSE elapsed END AS us
            FROM (
                SELECT bn_key, bn_due, done_at, earlier, open_before, {spent} AS elapsed
                FROM (
                    SELECT bn_key, bn_due, bn_started, bn_churned, done_at,
                           COUNT(*) OVER earlier_steps AS earlier,
                           COUNT(*) OVER earlier_steps - COUNT(done_at) OVER earlier_steps AS open_before,
                           MAX(done_at) OVER earlier_steps AS last_done
                    FROM (
                        SELECT s.*, CASE WHEN bn_completed <= %s THEN bn_completed END AS done_at
                        FROM ({inner}) s
                    ) s
                    WINDOW earlier_steps AS (
                        PARTITION BY bn_journey ORDER BY bn_position, bn_step
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                    )
                ) w
            ) e
        ) d
        GROUP BY bn_key
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [moment, moment, moment, moment, *inner_params])
        rows = cursor.fetchall()
    journeys = 0
    times = {}
    for key, reached, done, stalled, firsts, spent_us, longest_us, packed in rows:
        journeys += firsts
        # A step no journey reached adds up to nothing (NULL).
        times[key] = _StepTimes(
            reached=reached, done=done, stalled=stalled, spent_us=int(spent_us or 0), longest_us=int(longest_us or 0),
            packed=packed or "",
        )  # fmt: skip
    return journeys, times


def ttv_by_asking(
    *,
    kind: str,
    start_from: date | None = None,
    start_to: date | None = None,
    business_days: bool = False,
    accounts: QuerySet[Account] | None = None,
    now: datetime | None = None,
) -> list[measurement.Group]:
    """Time to Value of the journeys whose account asked support on the way (from the journey's start
    until it reached the milestone, or until now if it has not), against those that did not: one
    Kaplan-Meier group each, the same estimate as the TTV reports'. Three queries."""
    now = now or timezone.now()
    rows = measurement.ttv_rows(
        kind=kind, start_from=start_from, start_to=start_to, business_days=business_days, accounts=accounts, now=now
    )
    asked_at: dict[int, list[datetime]] = {}
    inquiries = Inquiry.objects.filter(account_id__in={row.account_id for row in rows}, created_at__lte=now)
    for account_id, created_at in inquiries.order_by("account_id", "created_at").values_list(
        "account_id", "created_at"
    ):
        asked_at.setdefault(account_id, []).append(created_at)
    asked: list[measurement.Row] = []
    not_asked: list[measurement.Row] = []
    for row in rows:
        times = asked_at.get(row.account_id, [])
        end = row.achieved_at if row.achieved_at is not None and not row.censored else now
        first = bisect_left(times, row.started_at)
        (asked if first < len(times) and times[first] <= end else not_asked).append(row)
    return [
        measurement.rows_group("asked", _("Asked support on the way"), asked, business_days=business_days),
        measurement.rows_group("not_asked", _("Did not ask"), not_asked, business_days=business_days),
    ]


@dataclass(frozen=True)
class ForecastDriver:
    label: str  # the covariate, in the reader's language
    level: str
    longer: bool  # it makes the time to value longer (else shorter)
    times: float  # by how many times (>= 1)


@dataclass(frozen=True)
class AccountForecast:
    """What the account page shows of the forecast: the newest fit of the kind (None: never fitted),
    and when it ships, this account's prediction (None: no open journey) with its drivers in words."""

    forecast: TtvForecast | None
    prediction: TtvPrediction | None
    drivers: list[ForecastDriver]
    by_day: list[tuple[int, float]]


def account_forecast(*, account: Account, kind: str = "first_value") -> AccountForecast:
    """The forecast of time to value for ``account``'s open journey: two queries."""
    forecast = TtvForecast.objects.filter(kind=kind).order_by("-fitted_at", "-pk").first()
    prediction = None
    if forecast is not None and forecast.ships:
        prediction = TtvPrediction.objects.filter(forecast=forecast, account=account).order_by("pk").first()
    if prediction is None:
        return AccountForecast(forecast=forecast, prediction=None, drivers=[], by_day=[])
    labels = {"segment": _("Segment"), "plan": _("Plan"), "playbook": _("Playbook version"),
              "investment": _("Investment")}  # fmt: skip
    drivers = [
        ForecastDriver(
            label=labels.get(driver["covariate"], driver["covariate"]),
            level=driver["level"],
            longer=driver["factor"] > 1,
            times=driver["factor"] if driver["factor"] > 1 else 1 / driver["factor"],
        )
        for driver in prediction.drivers
    ]
    by_day = sorted((int(day), chance) for day, chance in prediction.by_day.items())
    return AccountForecast(forecast=forecast, prediction=prediction, drivers=drivers, by_day=by_day)
