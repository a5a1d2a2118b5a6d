"""Reads for journey pages. Each selector loads what its page shows in a fixed number of queries."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import median
from typing import Any

from django.db.models import Count, F, Prefetch, QuerySet
from django.utils import timezone

from journeys.measurement import Row, expected_reach_days_many, segment_curves, ttv_rows
from journeys.models import Achievement, Journey, Milestone, MilestoneFeedback, Playbook, Step, StepState, ValueRecord
from journeys.rules import day_bounds
from portal.models import Account, Membership, User


def account_journey(*, account: Account) -> Journey | None:
    """The account's current journey (the latest started, if it has several)."""
    return (
        Journey.objects.filter(account=account)
        .select_related("playbook", "account__segment")
        .order_by("-started_at", "-id")
        .first()
    )


@dataclass
class MilestoneView:
    milestone: Milestone
    target_at: datetime | None
    achievement: Achievement | None
    rule_text: str
    feedback_given: bool = False

    @property
    def status(self) -> str:
        if self.achievement is not None:
            return "reached"
        if self.target_at is not None and self.target_at < timezone.now():
            return "overdue"
        return "due"

    @property
    def days_to_reach(self) -> float | None:
        if self.achievement is None:
            return None
        return (self.achievement.achieved_at - self.achievement.journey.started_at).total_seconds() / 86400


@dataclass
class ChecklistItem:
    kind: str  # "step" or "milestone"
    state: StepState | None = None
    milestone: MilestoneView | None = None


@dataclass
class Checklist:
    journey: Journey
    states: list[StepState]
    milestones: list[MilestoneView]
    items: list[ChecklistItem]
    members: list[Membership] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.states)

    @property
    def closed(self) -> int:
        return sum(1 for s in self.states if s.is_closed)

    @property
    def percent(self) -> int:
        return round(100 * self.closed / self.total) if self.total else 0

    @property
    def current_step(self) -> StepState | None:
        return next((s for s in self.states if not s.is_closed), None)

    @property
    def overdue(self) -> list[StepState]:
        now = timezone.now()
        return [s for s in self.states if not s.is_closed and s.due_at < now]


def describe_rule(milestone: Milestone, steps_by_pk: dict[int, Step]) -> str:
    """The rule in words, for hover texts (English source, translated where shown)."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    if milestone.rule == Milestone.Rule.ROI:
        return _("Recorded value reaches the investment.")
    if milestone.rule == Milestone.Rule.EVENT:
        values = {
            "count": milestone.event_min_count,
            "name": milestone.event_name,
            "days": milestone.event_min_days,
            "window": milestone.event_window_days,
        }
        if milestone.event_min_days and milestone.event_window_days:
            text = _("At least %(count)s “%(name)s” events, on %(days)s different days within %(window)s days.")
        elif milestone.event_min_days:
            text = _("At least %(count)s “%(name)s” events, on %(days)s different days.")
        else:
            text = ngettext(
                "At least %(count)s “%(name)s” event.",
                "At least %(count)s “%(name)s” events.",
                milestone.event_min_count,
            )
        text %= values
        if milestone.event_properties:
            conditions = ", ".join(f"{k}={v}" for k, v in milestone.event_properties.items())
            text += " " + _("Only events with %(conditions)s.") % {"conditions": conditions}
        return text
    chosen = [steps_by_pk[s.pk].title for s in milestone.steps.all() if s.pk in steps_by_pk]
    if chosen:
        return _("Done: %(steps)s.") % {"steps": ", ".join(chosen)}
    return _("Every required step done.")


def journey_checklist(*, journey: Journey, viewer: User | None = None) -> Checklist:
    """Steps in order with milestones placed where their target falls: six queries, whatever the size."""
    states = list(
        StepState.objects.filter(journey=journey, step__playbook_id=journey.playbook_id)
        .select_related("step", "assignee")
        .order_by("step__position", "step__id")
    )
    milestones = list(
        Milestone.objects.filter(playbook_id=journey.playbook_id)
        .prefetch_related(Prefetch("steps", queryset=Step.objects.only("id", "playbook_id")))
        .order_by("position", "id")
    )
    achievements = {a.milestone_key: a for a in Achievement.objects.filter(journey=journey).select_related("journey")}
    given: set[int] = set()
    if viewer is not None and viewer.is_authenticated:
        given = set(
            MilestoneFeedback.objects.filter(achievement__journey=journey, user=viewer).values_list(
                "achievement_id", flat=True
            )
        )
    segment = journey.account.segment
    steps_by_pk = {s.step.pk: s.step for s in states}
    views = []
    for milestone in milestones:
        target = milestone.target_for(segment)
        achievement = achievements.get(milestone.key)
        views.append(
            MilestoneView(
                milestone=milestone,
                target_at=journey.started_at + timedelta(days=target) if target is not None else None,
                achievement=achievement,
                rule_text=describe_rule(milestone, steps_by_pk),
                feedback_given=achievement is not None and achievement.pk in given,
            )
        )
    return Checklist(journey=journey, states=states, milestones=views, items=_interleave(states, views))


def _interleave(states: list[StepState], milestones: list[MilestoneView]) -> list[ChecklistItem]:
    """A steps-rule milestone goes right after the last step it needs; others after the last step due
    before their target (those without a target go last)."""
    items = [ChecklistItem(kind="step", state=s) for s in states]
    index_of = {s.step_id: i for i, s in enumerate(states)}
    placed: list[tuple[int, int, ChecklistItem]] = []
    for order, view in enumerate(milestones):
        milestone = view.milestone
        if milestone.rule == Milestone.Rule.STEPS:
            needed = [index_of[s.pk] for s in milestone.steps.all() if s.pk in index_of] or [
                i for i, s in enumerate(states) if s.step.required
            ]
            index = max(needed) + 1 if needed else len(states)
        elif view.target_at is not None:
            index = len([s for s in states if s.due_at <= view.target_at])
        else:
            index = len(states)
        placed.append((index, order, ChecklistItem(kind="milestone", milestone=view)))
    for index, _order, item in sorted(placed, key=lambda p: (p[0], p[1]), reverse=True):
        items.insert(index, item)
    return items


def account_members_for_assignment(*, account: Account) -> list[Membership]:
    return list(Membership.objects.filter(account=account).select_related("user").order_by("user__name", "user__email"))


@dataclass(frozen=True)
class ValueSummary:
    records: list[ValueRecord]
    total: Decimal
    investment: Decimal

    @property
    def percent(self) -> int:
        if not self.investment:
            return 0
        return min(100, round(100 * self.total / self.investment))


def account_value(*, account: Account) -> ValueSummary:
    records = list(
        ValueRecord.objects.filter(account=account).select_related("recorded_by").order_by("-occurred_on", "-id")
    )
    total = sum((r.amount for r in records), Decimal(0))
    return ValueSummary(records=records, total=total, investment=account.investment_amount or Decimal(0))


def startable_playbooks(*, account: Account) -> QuerySet[Playbook]:
    """Published playbooks this account does not run yet (its segment's first)."""
    running = Journey.objects.filter(account=account).values("playbook_key")
    return Playbook.objects.filter(status=Playbook.Status.PUBLISHED).exclude(key__in=running).order_by("name")


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
class AtRisk:
    row: Row
    waited_days: float
    target_days: int
    expected_days: float | None
    status: str  # "overdue": past the target; "likely_late": expected after it

    @property
    def days_late(self) -> float:
        return self.waited_days - self.target_days


def accounts_at_risk(*, kind: str, accounts: QuerySet[Account] | None = None) -> list[AtRisk]:
    """Open journeys (of accounts still customers) past their target for ``kind``, or expected to
    arrive after it given how long they have waited, on their segment's Kaplan-Meier curve.
    The same few queries whatever the number of accounts: the curves from lean rows, then the open
    journeys."""
    now = timezone.now()
    curves = segment_curves(kind=kind, accounts=accounts, now=now)
    rows = [
        row for row in ttv_rows(kind=kind, accounts=accounts, now=now, open_only=True) if row.target_days is not None
    ]
    risky = [
        AtRisk(row=row, waited_days=row.duration_days, target_days=row.target_days, expected_days=None,
               status="overdue")
        for row in rows
        if row.duration_days > row.target_days
    ]  # fmt: skip
    waiting: dict[str, list[Row]] = {}
    for row in rows:
        if row.duration_days <= row.target_days:
            waiting.setdefault(row.segment_slug, []).append(row)
    for slug, members in waiting.items():
        expected = expected_reach_days_many(curves.get(slug, [(0.0, 0.0)]), [row.duration_days for row in members])
        risky.extend(
            AtRisk(row=row, waited_days=row.duration_days, target_days=row.target_days, expected_days=days,
                   status="likely_late")
            for row, days in zip(members, expected, strict=True)
            if days is None or days > row.target_days
        )  # fmt: skip
    return risky


AT_RISK_SORTS: dict[str, Callable[[AtRisk], Any]] = {
    "late": lambda r: -r.days_late,
    "waited": lambda r: -r.waited_days,
    "account": lambda r: r.row.account_name,
    "segment": lambda r: (r.row.segment_name, -r.days_late),
}


def at_risk_view(items: list[AtRisk], *, segment: str = "", status: str = "", sort: str = "late") -> list[AtRisk]:
    """At-risk journeys of one segment (slug) and status when given, sorted (most late first by default)."""
    if segment:
        items = [i for i in items if i.row.segment_slug == segment]
    if status in {"overdue", "likely_late"}:
        items = [i for i in items if i.status == status]
    return sorted(items, key=AT_RISK_SORTS.get(sort, AT_RISK_SORTS["late"]))


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
    by_journey: dict[int, list] = {}
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
