"""Reads of the reports beside the TTV estimates: the milestone funnel, the distribution of times
and the bottleneck steps. Each aggregates with a fixed number of queries."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db.models import Count, F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.events.rules import day_bounds
from journeys.onboarding.models import Achievement, Journey, Playbook, StepState
from journeys.reports import measurement
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
    rows = list(
        states.order_by("journey_id", "step__position", "step_id").values_list(
            "journey_id", "step_key", "completed_at", "due_at", "journey__started_at", "journey__account__churned_at"
        )
    )
    version = (
        Playbook.objects.filter(key=playbook_key).exclude(status=Playbook.Status.DRAFT).order_by("-version").first()
    )
    steps = (
        list(version.steps.order_by("position", "id").values_list("key", localized("title"), "position"))
        if version
        else []
    )
    durations: dict[str, list[float]] = {}
    closed: dict[str, list[bool]] = {}
    stalled: dict[str, int] = {}
    journeys = 0
    for _journey, journey_rows in groupby(rows, key=itemgetter(0)):
        journeys += 1
        held = False  # an open step holds the journey: the steps after it are not reached yet
        reached_at: datetime | None = None  # when the journey reached the step (the start for the first)
        for _id, key, completed, due_at, started_at, churned_at in journey_rows:
            if held:
                continue
            completed_at = completed if completed is not None and completed <= now else None  # as of now
            if completed_at is None and due_at < now:  # the step that holds the journey, past due
                stalled[key] = stalled.get(key, 0) + 1
            reached_at = reached_at or started_at
            end = completed_at if completed_at is not None else min(now, churned_at or now)
            durations.setdefault(key, []).append(max((end - reached_at).total_seconds() / 86400, 0.0))
            closed.setdefault(key, []).append(completed_at is not None)
            if completed_at is None:
                held = True
            else:
                reached_at = max(reached_at, completed_at)
    total_spent = sum(sum(values) for values in durations.values()) or 1.0
    result = []
    for key, title, position in steps:
        spent, left = durations.get(key, []), closed.get(key, [])
        median = beyond = None
        if len(spent) >= MIN_STEP_JOURNEYS:
            median = kaplan_meier(spent, left).median_days
            beyond = max(spent) if median is None else None
        result.append(
            StepBottleneck(
                key=key,
                title=title,
                position=position,
                reached=len(spent),
                done=sum(left),
                median_days=median,
                median_beyond_days=beyond,
                stalled=stalled.get(key, 0),
                stalled_share=stalled.get(key, 0) / journeys if journeys else 0.0,
                ttv_share=sum(spent) / total_spent,
            )
        )
    result.sort(key=_bottleneck_order)
    worst = {b.key for b in result[:3] if b.measured and (b.days_on_it or b.stalled)}
    return journeys, [replace(b, worst=b.key in worst) for b in result]


def _bottleneck_order(b: StepBottleneck) -> tuple[Any, ...]:
    if not b.measured:
        return (1, b.position)
    return (0, -(b.days_on_it or 0.0), -b.stalled_share, b.position)


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
