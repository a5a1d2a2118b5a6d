"""Reads of the reports beside the TTV estimates: the milestone funnel, the distribution of times
and the bottleneck steps. Each aggregates with a fixed number of queries."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import date
from statistics import median
from typing import Any

from django.db.models import Count, F, QuerySet
from django.utils import timezone

from journeys.events.rules import day_bounds
from journeys.onboarding.models import Achievement, Journey, Playbook, StepState
from portal.models import Account


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
            name=m.name,
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


@dataclass(frozen=True)
class StepBottleneck:
    key: str
    title: str
    position: int
    done: int
    median_days: float | None  # time spent before it was done, among the journeys that did it
    stalled: int  # open past its due date now
    stalled_share: float
    ttv_share: float  # its part of all the time spent on the playbook's steps
    worst: bool = False


def step_bottlenecks(
    *,
    playbook_key: str,
    start_from: date | None = None,
    start_to: date | None = None,
    accounts: QuerySet[Account] | None = None,
) -> tuple[int, list[StepBottleneck]]:
    """Where journeys on a playbook lose time: per step, the time spent before it was done (from the
    previous completion in that journey, or its start), the share of journeys stalled on it now
    (open past due), and its part of the total time; worst first. Two queries."""
    states = StepState.objects.filter(journey__playbook_key=playbook_key, step__playbook_id=F("journey__playbook_id"))
    if accounts is not None:
        states = states.filter(journey__account__in=accounts)
    if start_from:
        states = states.filter(journey__started_at__gte=day_bounds(start_from)[0])
    if start_to:
        states = states.filter(journey__started_at__lt=day_bounds(start_to)[1])
    rows = list(states.values_list("journey_id", "step_key", "status", "completed_at", "due_at", "journey__started_at"))
    version = (
        Playbook.objects.filter(key=playbook_key).exclude(status=Playbook.Status.DRAFT).order_by("-version").first()
    )
    steps = list(version.steps.order_by("position", "id").values_list("key", "title", "position")) if version else []
    now = timezone.now()
    by_journey: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_journey.setdefault(row[0], []).append(row)
    spent: dict[str, list[float]] = {}
    stalled: dict[str, int] = {}
    for journey_rows in by_journey.values():
        started = journey_rows[0][5]
        previous = started
        for _journey, key, status, completed_at, _due, _start in sorted(
            (r for r in journey_rows if r[3] is not None), key=lambda r: r[3]
        ):
            if status == StepState.Status.DONE:
                spent.setdefault(key, []).append(max((completed_at - previous).total_seconds() / 86400, 0.0))
            previous = max(previous, completed_at)
        for _journey, key, _status, completed_at, due_at, _start in journey_rows:
            if completed_at is None and due_at < now:
                stalled[key] = stalled.get(key, 0) + 1
    journeys = len(by_journey)
    total_spent = sum(sum(values) for values in spent.values()) or 1.0
    result = [
        StepBottleneck(
            key=key,
            title=title,
            position=position,
            done=len(spent.get(key, [])),
            median_days=median(spent[key]) if spent.get(key) else None,
            stalled=stalled.get(key, 0),
            stalled_share=stalled.get(key, 0) / journeys if journeys else 0.0,
            ttv_share=sum(spent.get(key, [])) / total_spent,
        )
        for key, title, position in steps
    ]
    result.sort(key=lambda b: (-b.stalled_share, -(b.median_days or 0)))
    worst = {b.key for b in result[:3] if b.stalled or b.median_days}
    return journeys, [replace(b, worst=b.key in worst) for b in result]
