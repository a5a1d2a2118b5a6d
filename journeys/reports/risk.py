"""Account risk: where each account stands against its targets. The one rule the CS manager's
portfolio, the nightly risk evaluation (and its e-mails) and the at-risk report read.

Per milestone the journey has not reached yet:
- **stuck** when nothing has moved in the journey (no step changed, from its start) for
  ``stuck_after_days`` days;
- **behind** when one of its steps is open past its due date plus ``behind_grace_days``, or its
  target date (start + target days) has passed;
- **on track** otherwise.
An account is as bad as its worst milestone still to reach. A churned account is neither: its
milestones still to reach are "closed". ``rows_for`` gives each account's row (progress, current
step, the chip of each milestone and why, expected time to first value, last activity) with the
same number of queries for 5 accounts as for 500.

The at-risk report lists, for one milestone kind across all accounts, the open journeys that are
behind because their target date has passed (**overdue**) and those that are not yet, but whose
expected time on their segment's Kaplan-Meier curve, given how long they have waited, falls after
it (**likely late**).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.db import models
from django.db.models import Count, Min, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext_lazy

from journeys.events.models import DailyEventCount
from journeys.onboarding.models import Achievement, Journey, Milestone, StepEvent, StepState
from journeys.onboarding.selectors import milestone_step_ids, with_step_ids
from journeys.reports.measurement import Row, expected_reach_days_many, segment_curves, ttv_rows
from journeys.reports.models import TtvPrediction
from journeys.reports.ttv_sql import measured_milestones
from portal.models import Account, MilestoneKind, User
from portal.translated import localized
from support.models import Inquiry

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class Risk(models.TextChoices):
    ON_TRACK = "on_track", gettext_lazy("On track")
    BEHIND = "behind", gettext_lazy("Behind")
    STUCK = "stuck", gettext_lazy("Stuck")
    REACHED = "reached", gettext_lazy("All reached")
    CHURNED = "churned", gettext_lazy("Churned")
    NO_JOURNEY = "no_journey", gettext_lazy("No journey")


# Worst first: an account is as bad as the worst of its milestones still to reach.
RISK_ORDER = {"stuck": 0, "behind": 1, "on_track": 2, "reached": 3, "churned": 4, "no_journey": 5}


def past_target(waited_days: float, target_days: int) -> bool:
    """The milestone's target date has passed: **behind** in the portfolio, **overdue** in the at-risk report."""
    return waited_days > target_days


def expected_late(expected_days: float | None, target_days: int) -> bool:
    """On its segment's curve the milestone is expected after its target (``None``: not within the
    data at all): **likely late** in the at-risk report."""
    return expected_days is None or expected_days > target_days


@dataclass(frozen=True)
class RiskRules:
    stuck_after_days: int = 14
    behind_grace_days: int = 0


@dataclass(frozen=True)
class Chip:
    key: str
    name: str
    kind: str
    status: str  # reached, on_track, behind, stuck, closed (churned)
    # The rule in words (an untranslated message, or a lazy plural), formatted with ``params`` when read.
    message: str | StrPromise = ""
    params: tuple[tuple[str, object], ...] = ()

    @property
    def why(self) -> str:
        """The reason, in the active language: formatted only when shown (a nightly evaluation of every
        account computes hundreds of thousands of chips and reads one reason each)."""
        if not self.message:
            return ""
        values = {name: _short_date(v) if isinstance(v, dt.datetime) else v for name, v in self.params}
        if not isinstance(self.message, str):  # a lazy plural (ngettext_lazy), chosen by its count
            return str(self.message % values)
        return _(self.message) % values if values else _(self.message)


@dataclass
class PortfolioRow:
    account: Account
    journey: Journey | None = None
    total: int = 0
    closed: int = 0
    current_step: str = ""
    open_overdue: int = 0
    chips: list[Chip] = field(default_factory=list)
    risk: str = "no_journey"
    first_value_days: float | None = None  # reached: actual; else expected on the segment's curve
    first_value_reached: bool = False
    first_value_at: dt.datetime | None = None
    first_value_target: int | None = None
    last_activity: dt.datetime | None = None

    @property
    def percent(self) -> int:
        return round(100 * self.closed / self.total) if self.total else 0

    @property
    def days_since_start(self) -> int | None:
        return None if self.journey is None else (timezone.now() - self.journey.started_at).days

    @property
    def first_value_late(self) -> bool:
        return (
            self.first_value_days is not None
            and self.first_value_target is not None
            and self.first_value_days > self.first_value_target
        )


def rows_for(
    accounts: list[Account],
    *,
    rules: RiskRules,
    now: dt.datetime,
    curves: Mapping[str, Sequence[tuple[float, float]]] | None = None,
) -> list[PortfolioRow]:
    """One row per account (segment and CS manager loaded), in the accounts' order: five queries, four when the
    accounts came ``with_activity``.
    ``curves``: per segment slug, the Kaplan-Meier curve of time to first value, for the expected time."""
    curves = curves or {}
    rows = {a.pk: PortfolioRow(account=a) for a in accounts}
    journeys: dict[int, Journey] = {}
    account_of: dict[int, int] = {}  # every journey of the accounts, the latest or not
    # When each journey last moved, by anyone and by the customer's people: in the journeys' query.
    moves = StepEvent.objects.filter(journey_id=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")
    customer_moves: dict[int, dt.datetime] = {}
    for started in (
        Journey.objects.filter(account_id__in=rows)
        .select_related("playbook")
        .annotate(
            last_move=Subquery(moves[:1]),
            last_customer_move=Subquery(moves.filter(actor__role=User.Role.CUSTOMER)[:1]),
        )
        .order_by("account_id", "-started_at")
    ):
        journeys.setdefault(started.account_id, started)  # the latest started
        account_of[started.pk] = started.account_id
        if started.last_customer_move is not None:
            before = customer_moves.get(started.account_id, started.last_customer_move)
            customer_moves[started.account_id] = max(started.last_customer_move, before)
    by_journey = {j.pk: j for j in journeys.values()}

    # The step states of each journey's own playbook version. Compared here, not joined to the
    # journeys in SQL: the join made PostgreSQL read every journey (a scan that grows with the table)
    # for the few hundred of a portfolio.
    states: dict[int, list[Mapping[str, Any]]] = {}
    for s in (
        StepState.objects.filter(
            journey_id__in=by_journey, step__playbook_id__in={j.playbook_id for j in by_journey.values()}
        )
        .order_by("step__position", "step__id")
        .values(
            "journey_id",
            "step_id",
            "status",
            "due_at",
            "step__required",
            "step__playbook_id",
            step__title=localized("step__title"),
        )
    ):
        if s["step__playbook_id"] == by_journey[s["journey_id"]].playbook_id:
            states.setdefault(s["journey_id"], []).append(s)
    milestones: dict[int, list[Milestone]] = {}
    for m in with_step_ids(
        Milestone.objects.filter(playbook_id__in={j.playbook_id for j in by_journey.values()})
    ).order_by("position", "id"):
        milestones.setdefault(m.playbook_id, []).append(m)
    reached = {
        (a["journey_id"], a["milestone_key"]): a["achieved_at"]
        for a in Achievement.objects.filter(journey_id__in=by_journey).values(
            "journey_id", "milestone_key", "achieved_at"
        )
    }
    activity = _account_activity(accounts, now=now)

    waiting: dict[str, list[PortfolioRow]] = {}
    for account_id, row in rows.items():
        last = [
            t for t in (customer_moves.get(account_id), _end_of(activity[account_id].last_event_day)) if t is not None
        ]
        row.last_activity = max(last) if last else None
        journey = journeys.get(account_id)
        if journey is None:
            continue
        row.journey = journey
        steps = states.get(journey.pk, [])
        open_steps = [s for s in steps if s["status"] not in StepState.CLOSED]
        row.total, row.closed = len(steps), len(steps) - len(open_steps)
        row.current_step = open_steps[0]["step__title"] if open_steps else ""
        row.open_overdue = sum(1 for s in open_steps if s["due_at"] < now)
        moved: dt.datetime | None = getattr(journey, "last_move", None)  # from the journeys' query
        last_move = max(journey.started_at, moved or journey.started_at)
        # Stuck: steps are left and none has moved for long. A checklist that is all done waits for
        # value (ROI, usage), not for a move: it is behind only past its targets.
        stuck = bool(open_steps) and now - last_move > dt.timedelta(days=rules.stuck_after_days)
        churned = row.account.status == Account.Status.CHURNED
        for milestone in milestones.get(journey.playbook_id, []):
            achieved_at = reached.get((journey.pk, milestone.key))
            target = milestone.target_for(row.account.segment)
            chip = _chip(
                milestone, achieved_at=achieved_at, journey=journey, steps=steps, target=target, stuck=stuck,
                last_move=last_move, rules=rules, now=now, churned=churned,
            )  # fmt: skip
            row.chips.append(chip)
            if milestone.kind == MilestoneKind.FIRST_VALUE and row.first_value_target is None:
                row.first_value_target = target
                if achieved_at is not None:
                    row.first_value_reached = True
                    row.first_value_days = (achieved_at - journey.started_at).total_seconds() / 86400
                    row.first_value_at = achieved_at
                elif not churned:
                    waiting.setdefault(row.account.segment.slug, []).append(row)
        pending = [c.status for c in row.chips if c.status != "reached"]
        if churned:
            row.risk = "churned"
        else:
            row.risk = min(pending, key=RISK_ORDER.__getitem__) if pending else ("reached" if row.chips else "on_track")

    # A support question past its reply target puts the account behind, whatever its journey says.
    for account_id, row in rows.items():
        late = activity[account_id]
        if not late.late_count or row.account.status == Account.Status.CHURNED:
            continue
        row.chips.append(
            Chip(
                key="support", name=str(_("Support")), kind="support", status="behind",
                message=LATE_QUESTIONS, params=(("count", late.late_count), ("date", late.late_since)),
            )
        )  # fmt: skip
        row.risk = min([row.risk, "behind"], key=lambda status: RISK_ORDER.get(status, 9))

    for slug, members in waiting.items():
        curve = curves.get(slug)
        if not curve:
            continue
        # Only rows with a journey wait for their first value.
        waited = [(now - cast(Journey, r.journey).started_at).total_seconds() / 86400 for r in members]
        for r, days in zip(members, expected_reach_days_many(curve, waited), strict=True):
            r.first_value_days = days
    return list(rows.values())


@dataclass(frozen=True)
class _Activity:
    last_event_day: dt.date | None
    late_count: int  # support questions past their reply target
    late_since: dt.datetime | None


ACTIVITY_FIELDS = ("last_event_day", "late_count", "late_since")


def with_activity(accounts: QuerySet[Account], *, now: dt.datetime) -> QuerySet[Account]:
    """``accounts`` with, in the same query, the last day their product sent events and their support
    questions past the reply target (how many, since when): what ``rows_for`` reads per account."""
    days = DailyEventCount.objects.filter(account_id=OuterRef("pk"), filter_key="").order_by("-day").values("day")
    late = (
        Inquiry.objects.filter(account_id=OuterRef("pk"), clock_running_since__isnull=False, due_at__lt=now)
        .exclude(clock="")
        .order_by()
        .values("account_id")
    )
    return accounts.annotate(
        last_event_day=Subquery(days[:1]),
        late_count=Subquery(late.annotate(n=Count("pk")).values("n")),
        late_since=Subquery(late.annotate(since=Min("due_at")).values("since")),
    )


def _account_activity(accounts: list[Account], *, now: dt.datetime) -> dict[int, _Activity]:
    """Per account, what ``with_activity`` reads: from the accounts when they came with it, else in
    one query."""
    if all(hasattr(a, ACTIVITY_FIELDS[0]) for a in accounts):
        found = {a.pk: tuple(getattr(a, name) for name in ACTIVITY_FIELDS) for a in accounts}
    else:
        asked = with_activity(Account.objects.filter(pk__in=[a.pk for a in accounts]), now=now)
        found = {pk: tuple(rest) for pk, *rest in asked.values_list("pk", *ACTIVITY_FIELDS)}
    return {pk: _Activity(day, count or 0, since) for pk, (day, count, since) in found.items()}


def chosen_steps(milestone: Milestone) -> frozenset[int]:
    """The ids of the steps a milestone's rule names (brought with it as ids, else asked), worked out
    once per milestone."""
    cached = getattr(milestone, "_chosen_step_ids", None)
    if cached is None:
        cached = frozenset(milestone_step_ids(milestone))
        milestone._chosen_step_ids = cached  # type: ignore[attr-defined]
    return cached


def _short_date(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


def _end_of(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


STUCK_SINCE = ngettext_lazy(
    "Nothing has moved since %(date)s: more than %(count)s day.",
    "Nothing has moved since %(date)s: more than %(count)s days.",
    "count",
)
LATE_QUESTIONS = ngettext_lazy(
    "%(count)s support question past its reply target since %(date)s.",
    "%(count)s support questions past their reply target since %(date)s.",
    "count",
)


def _chip(
    milestone: Milestone,
    *,
    achieved_at: dt.datetime | None,
    journey: Journey,
    steps: list[Mapping[str, Any]],
    target: int | None,
    stuck: bool,
    last_move: dt.datetime,
    rules: RiskRules,
    now: dt.datetime,
    churned: bool = False,
) -> Chip:
    def chip(status: str, message: str | StrPromise, **params: object) -> Chip:
        return Chip(
            key=milestone.key, name=milestone.display_name, kind=milestone.kind, status=status, message=message,
            params=tuple(params.items()),
        )  # fmt: skip

    if achieved_at is not None:
        days = (achieved_at - journey.started_at).total_seconds() / 86400
        return chip("reached", gettext_noop("Reached on day %(days)s."), days=f"{days:.0f}")
    if churned:
        return chip("closed", gettext_noop("Not reached before the account churned."))
    if stuck:
        return chip(
            "stuck",
            STUCK_SINCE,
            date=last_move,
            count=rules.stuck_after_days,
        )
    relevant = []
    if milestone.rule == Milestone.Rule.STEPS:
        chosen = chosen_steps(milestone)
        relevant = [s for s in steps if (s["step_id"] in chosen if chosen else s["step__required"])]
    grace = dt.timedelta(days=rules.behind_grace_days)
    late = [s for s in relevant if s["status"] not in StepState.CLOSED and s["due_at"] + grace < now]
    if late:
        first = min(late, key=lambda s: s["due_at"])
        return chip(
            "behind", gettext_noop("“%(step)s” was due on %(date)s."), step=first["step__title"], date=first["due_at"]
        )
    if target is not None and past_target((now - journey.started_at).total_seconds() / 86400, target):
        return chip("behind", gettext_noop("Past its %(days)s-day target."), days=target)
    if target is not None:
        due = journey.started_at + dt.timedelta(days=target)
        return chip("on_track", gettext_noop("On track for its target, %(date)s."), date=due)
    return chip("on_track", gettext_noop("On track: no step is late."))


# --- The at-risk report -----------------------------------------------------------------


@dataclass(frozen=True)
class AtRisk:
    row: Row
    waited_days: float
    target_days: int
    expected_days: float | None
    status: str  # "overdue": past the target; "likely_late": expected after it
    # Where ``expected_days`` comes from: "forecast" (the shipping prediction of time to value) or
    # "curve" (the segment's Kaplan-Meier curve).
    expected_from: str = "curve"

    @property
    def days_late(self) -> float:
        return self.waited_days - self.target_days


def accounts_at_risk(*, kind: str, accounts: QuerySet[Account] | None = None) -> list[AtRisk]:
    """Open journeys (of accounts still customers) past their target for ``kind``, or expected to
    arrive after it given how long they have waited: by the forecast of time to value where it
    ships and has predicted the journey, else on their segment's Kaplan-Meier curve.
    The same few queries whatever the number of accounts: the milestones, the curves from lean rows,
    the open journeys, their predictions."""
    now = timezone.now()
    milestones = measured_milestones(kind=kind, milestone_key=None)
    curves = segment_curves(kind=kind, accounts=accounts, now=now, milestones=milestones)
    rows = [  # each row with its target
        (row, row.target_days)
        for row in ttv_rows(kind=kind, accounts=accounts, now=now, open_only=True, milestones=milestones)
        if row.target_days is not None
    ]
    risky = [
        AtRisk(row=row, waited_days=row.duration_days, target_days=target, expected_days=None,
               status="overdue")
        for row, target in rows
        if past_target(row.duration_days, target)
    ]  # fmt: skip
    waiting: dict[str, list[tuple[Row, int]]] = {}
    for row, target in rows:
        if not past_target(row.duration_days, target):
            waiting.setdefault(row.segment_slug, []).append((row, target))
    # The forecast, where it ships, says who is likely late (only a shipping fit keeps predictions).
    predicted = TtvPrediction.objects.filter(forecast__kind=kind)
    if accounts is not None:
        predicted = predicted.filter(account__in=accounts.values("pk"))
    forecast = dict(predicted.values_list("journey_id", "median_at"))
    for slug, members in waiting.items():
        expected = expected_reach_days_many(curves.get(slug, [(0.0, 0.0)]), [row.duration_days for row, _t in members])
        for (row, target), days in zip(members, expected, strict=True):
            source = "curve"
            if row.journey_id in forecast:
                median_at = forecast[row.journey_id]
                days = (median_at - row.started_at).total_seconds() / 86400 if median_at is not None else None
                source = "forecast"
            if expected_late(days, target):
                risky.append(AtRisk(row=row, waited_days=row.duration_days, target_days=target, expected_days=days,
                                    status="likely_late", expected_from=source))  # fmt: skip
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
