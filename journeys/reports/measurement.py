"""Time to Value measurement: Kaplan-Meier estimates over account journeys.

Why Kaplan-Meier: an account that has not reached a milestone yet is not
dropped, it is *censored* (at now, or at its churn date). A median over only
the accounts that arrived is biased low, so it appears only as a labelled
comparison (``naive_median_days``).

Three layers, each usable alone:

- ``kaplan_meier`` (``portal.survival``, shared with the support desk's reports): pure statistics on
  (duration, reached) pairs, vectorised with numpy; its figures equal ``lifelines.KaplanMeierFitter``
  with default settings (tests cross-check them).
- ``ttv_rows``: one row per journey, with everything the per-account exports show, from two queries
  (the milestone of each playbook version, then the journeys), whatever their number.
- ``ttv_report``: groups of rows with an estimate each, plus the total, and ``Report.as_dict()``
  for the API. It reads lean rows (``ttv_sql``: group, duration, reached, computed and sorted by
  the database; in business days from the calendar table of ``journeys.reports.calendar``).
- ``ttv_periods``: the totals of every kind over two adjacent periods, and per segment, as
  ``ttv_report`` gives them, from the lean rows of every kind and both periods in one statement
  (the overview).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

import numpy as np
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.reports import ttv_sql
from portal.models import Account, MilestoneKind, Segment, User
from portal.survival import Estimate, kaplan_meier, within_own_targets

GROUP_BYS = ("segment", "plan", "csm", "playbook_version", "cohort_month", "cohort_quarter")

# Report curves keep the first and last point of each 0.5-percentage-point band of the share reached:
# at most about 400 points to draw, whatever the number of journeys.
CURVE_RESOLUTION = 0.005

# --- Rows from the database ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One journey measured against one milestone.

    ``duration_days`` is in business days when asked for (``calendar_days`` always in calendar days);
    ``cohort`` is the start's quarter ("2026-Q1") when grouping by quarter, else its month ("2026-03").
    ``target_days`` is the journey's target: the milestone's own, else its segment's for the kind
    (``ttv_sql.target_sql``, as ``Milestone.target_for``).
    """

    journey_id: int
    account_id: int
    account_name: str
    account_slug: str
    segment_name: str
    segment_slug: str
    group_key: str
    group_label: str
    cohort: str
    milestone_key: str
    kind: str
    started_at: datetime
    achieved_at: datetime | None
    censored: bool
    duration_days: float
    calendar_days: float
    target_days: int | None


def ttv_rows(
    *,
    kind: str | None = None,
    milestone_key: str | None = None,
    group_by: str | None = None,
    start_from: date | None = None,
    start_to: date | None = None,
    business_days: bool = False,
    now: datetime | None = None,
    accounts: QuerySet[Account] | None = None,
    open_only: bool = False,
    keyset: ttv_sql.Keyset | None = None,
    milestones: Sequence[ttv_sql.MeasuredMilestone] | None = None,
) -> list[Row]:
    """Every journey whose playbook version has the milestone, with its time to it: two queries.

    The milestone of a journey is the first (by position) milestone of ``kind`` in its playbook
    version, or the one keyed ``milestone_key`` (both given: that key, of that kind). It is reached
    when the journey has an achievement with that milestone's key (keys survive version moves).

    Times are "as of ``now``" (default: the current time): journeys that start after it are left
    out, achievements after it do not count yet. A journey that has not reached the milestone is
    censored at ``now`` or at its account's churn date, whichever comes first; an achievement
    after churn still counts as reached. Durations never go below 0.

    ``start_from`` and ``start_to`` are inclusive dates in settings.TIME_ZONE, as are cohorts.
    ``open_only`` keeps the journeys that have not reached the milestone, of accounts still customers.
    ``accounts`` restricts the rows to those accounts (pass ``visible_accounts(user=...)``).
    An account with two journeys that both have the milestone gives two rows. The rows come by
    start, then journey id; ``keyset`` asks the database for one page of them in that order.

    Business days (``business_days=True``): Saturdays, Sundays and Japanese public holidays
    (``holidays``' Japan calendar, substitute and citizens' holidays included; it covers 1949-2099,
    outside that only weekends are excluded) do not count. Every other day counts in proportion to
    the part of it, in settings.TIME_ZONE, between the start and the end: a business day fully
    elapsed is 1, a start at noon on a Friday and an end at noon on the next Monday is 1.0. The
    database computes them from the calendar table (``journeys.reports.calendar``).

    ``milestones``: what ``ttv_sql.measured_milestones`` gives for this kind and key, when the caller
    has read them already (one query fewer).
    """
    rows, _extra = _fetch_rows(
        kind=kind,
        milestone_key=milestone_key,
        group_by=group_by,
        start_from=start_from,
        start_to=start_to,
        business_days=business_days,
        now=now,
        accounts=accounts,
        open_only=open_only,
        keyset=keyset,
        milestones=milestones,
    )
    return rows


def _validate(
    *,
    kind: str | None,
    milestone_key: str | None,
    group_by: str | None,
    start_from: date | None,
    start_to: date | None,
    now: datetime | None,
) -> None:
    if kind is None and not milestone_key:
        raise ValueError("Give a milestone kind or a milestone key to measure.")
    if kind is not None and kind not in MilestoneKind.values:
        raise ValueError(f"Unknown milestone kind {kind!r}; expected one of {', '.join(MilestoneKind.values)}.")
    if group_by is not None and group_by not in GROUP_BYS:
        raise ValueError(f"Unknown group_by {group_by!r}; expected None or one of {', '.join(GROUP_BYS)}.")
    if start_from is not None and start_to is not None and start_from > start_to:
        raise ValueError("start_from is after start_to.")
    if now is not None and timezone.is_naive(now):
        raise ValueError("now must be timezone-aware.")


def _fetch_rows(
    *,
    kind: str | None,
    milestone_key: str | None,
    group_by: str | None,
    start_from: date | None,
    start_to: date | None,
    business_days: bool,
    now: datetime | None,
    accounts: QuerySet[Account] | None,
    open_only: bool = False,
    keyset: ttv_sql.Keyset | None = None,
    milestones: Sequence[ttv_sql.MeasuredMilestone] | None = None,
) -> tuple[list[Row], dict[str, tuple[Any, ...]]]:
    """Rows, and per group key the order to sort groups by."""
    _validate(
        kind=kind, milestone_key=milestone_key, group_by=group_by, start_from=start_from, start_to=start_to, now=now
    )
    now = now or timezone.now()
    tz = timezone.get_default_timezone()

    if milestones is None:
        milestones = ttv_sql.measured_milestones(kind=kind, milestone_key=milestone_key)
    raw = ttv_sql.full_rows(
        milestones=milestones,
        start_from=start_from,
        start_to=start_to,
        now=now,
        accounts=accounts,
        open_only=open_only,
        keyset=keyset,
        business_days=business_days,
    )

    rows: list[Row] = []
    order: dict[str, tuple[Any, ...]] = {}
    labels: dict[str, str] = {}
    for r in raw:
        achieved = r.achieved_at if r.achieved_at is not None and r.achieved_at <= now else None
        if achieved is not None:
            end = achieved
        else:
            churned = r.account__churned_at
            end = min(now, churned) if churned is not None else now
        started = r.started_at
        calendar = max(0.0, (end - started).total_seconds() / 86400)
        duration = calendar if r.business_days is None else r.business_days
        local_start = started.astimezone(tz)
        month = f"{local_start.year:04d}-{local_start.month:02d}"
        quarter = f"{local_start.year:04d}-Q{(local_start.month - 1) // 3 + 1}"
        key = _group_key(group_by, r, month, quarter)
        if key not in labels:  # a label and its translation once per group, not per row
            _key, labels[key], order[key] = _group_of(group_by, r, month, quarter)
        label = labels[key]
        rows.append(
            Row(
                journey_id=r.pk,
                account_id=r.account_id,
                account_name=r.account__name,
                account_slug=r.account__slug,
                segment_name=r.account__segment__name,
                segment_slug=r.account__segment__slug,
                group_key=key,
                group_label=label,
                cohort=quarter if group_by == "cohort_quarter" else month,
                milestone_key=r.ms_key,
                kind=r.ms_kind,
                started_at=started,
                achieved_at=achieved,
                censored=achieved is None,
                duration_days=duration,
                calendar_days=calendar,
                target_days=r.target,
            )
        )
    return rows, order


def _group_key(group_by: str | None, r: ttv_sql.FullRow, month: str, quarter: str) -> str:
    """The key of a raw row's group, as ``_group_of`` gives it."""
    if group_by is None:
        return "all"
    if group_by == "segment":
        return r.account__segment__slug
    if group_by == "plan":
        return r.account__plan
    if group_by == "csm":
        return "none" if r.account__csm_id is None else str(r.account__csm_id)
    if group_by == "playbook_version":
        return f"{r.playbook__key}:v{r.playbook__version}"
    return month if group_by == "cohort_month" else quarter


def _group_of(group_by: str | None, r: Any, month: str, quarter: str) -> tuple[str, str, tuple[Any, ...]]:
    """(key, label, sort order) of a raw row's group."""
    if group_by is None:
        return "all", _("All"), ()
    if group_by == "segment":
        return (
            r.account__segment__slug,
            r.account__segment__name,
            (r.account__segment__position, r.account__segment__name),
        )
    if group_by == "plan":
        return _plan_group(r.account__plan)
    if group_by == "csm":
        return _csm_group(r.account__csm_id, r.account__csm__name, r.account__csm__email)
    if group_by == "playbook_version":
        version = r.playbook__version
        return f"{r.playbook__key}:v{version}", f"{r.playbook__name} v{version}", (r.playbook__key, version)
    if group_by == "cohort_month":
        return month, month, (month,)
    return quarter, quarter, (quarter,)


def _plan_group(plan: str) -> tuple[str, str, tuple[Any, ...]]:
    """(key, label, sort order) of a plan: plans in their declared order, unknown ones last."""
    plans = Account.Plan.values
    label = str(Account.Plan(plan).label) if plan in plans else plan
    return plan, label, (plans.index(plan) if plan in plans else len(plans), plan)


def _csm_group(pk: int | None, name: str | None, email: str | None) -> tuple[str, str, tuple[Any, ...]]:
    """(key, label, sort order) of a CS manager: by name, "No CS manager" last."""
    if pk is None:
        return "none", _("No CS manager"), (1, "")
    label = name or email or ""
    return str(pk), label, (0, label.casefold(), pk)


# --- Report -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Group:
    key: str
    label: str
    estimate: Estimate

    def as_dict(self) -> dict[str, Any]:
        e = self.estimate
        return {
            "key": self.key,
            "label": self.label,
            "n": e.n,
            "reached": e.reached,
            "censored": e.censored,
            "median_days": _days(e.median_days),
            "median_ci": [_days(e.median_ci[0]), _days(e.median_ci[1])],
            "p75_days": _days(e.p75_days),
            "p90_days": _days(e.p90_days),
            "target_days": _target(e.target_days),
            "targets_differ": e.targets_differ,
            "target_days_min": _target(e.target_min_days),
            "target_days_max": _target(e.target_max_days),
            "within_target_share": None if e.within_target_share is None else round(e.within_target_share, 3),
            "naive_median_days": _days(e.naive_median_days),
        }


@dataclass(frozen=True, kw_only=True)
class Report:
    """TTV estimates per group (sorted: segments by position, plans in plan order, CS managers by name,
    playbook versions by key and version, cohorts chronologically), and over all rows (``total``)."""

    generated_at: datetime
    kind: str | None
    milestone_key: str | None
    group_by: str | None
    business_days: bool
    start_from: date | None
    start_to: date | None
    groups: list[Group]
    total: Group

    def as_dict(self) -> dict[str, Any]:
        """The API shape: days rounded to 0.1, shares to 0.001, None (null) where the curve never gets there."""
        return {
            "kind": self.kind,
            "milestone_key": self.milestone_key,
            "group_by": self.group_by,
            "business_days": self.business_days,
            "start_from": self.start_from.isoformat() if self.start_from else None,
            "start_to": self.start_to.isoformat() if self.start_to else None,
            "generated_at": self.generated_at.isoformat(),
            "groups": [g.as_dict() for g in self.groups],
            "total": self.total.as_dict(),
        }


def _days(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _target(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 1)


def ttv_report(
    *,
    kind: str | None = None,
    milestone_key: str | None = None,
    group_by: str | None = None,
    start_from: date | None = None,
    start_to: date | None = None,
    business_days: bool = False,
    now: datetime | None = None,
    accounts: QuerySet[Account] | None = None,
) -> Report:
    """Kaplan-Meier TTV per group, for the journeys ``ttv_rows`` selects (same arguments); the same
    number of queries whatever the number of accounts (two, plus one for segment or CS manager
    labels), in calendar days as in business days.

    Each journey has one target (``Row.target_days``: the milestone's own, else its segment's), and
    a group's target is the one its journeys share, whatever the grouping; the total the same. When
    they differ, the group's ``target_days`` is None, ``targets_differ`` says so with the lowest and
    highest target, and the share within target measures each journey against its own
    (``within_own_targets``).

    Targets are calendar days from the start (the deadline a CSM sees), so with ``business_days``
    the share within target is still measured on calendar durations; the percentiles and the curve
    are in business days.
    """
    now = now or timezone.now()
    _validate(
        kind=kind, milestone_key=milestone_key, group_by=group_by, start_from=start_from, start_to=start_to, now=now
    )
    groups, total = _report_in_db(
        kind=kind,
        milestone_key=milestone_key,
        group_by=group_by,
        start_from=start_from,
        start_to=start_to,
        now=now,
        accounts=accounts,
        business_days=business_days,
    )
    return Report(
        generated_at=now,
        kind=kind,
        milestone_key=milestone_key,
        group_by=group_by,
        business_days=business_days,
        start_from=start_from,
        start_to=start_to,
        groups=groups,
        total=total,
    )


@dataclass(frozen=True, kw_only=True)
class Periods:
    """``ttv_periods``: per kind, the total of each period, and the segment groups of the later one."""

    current: dict[str, Group]
    previous: dict[str, Group]
    by_segment: dict[str, list[Group]]


def ttv_periods(
    *,
    kinds: Sequence[str],
    start_from: date,
    start_to: date,
    previous_from: date,
    segment_kinds: Sequence[str] = (),
    business_days: bool = False,
    now: datetime | None = None,
) -> Periods:
    """For each of ``kinds``, what ``ttv_report(kind=...)`` gives as its total for the period
    ``start_from``-``start_to`` (``current``) and for the one from ``previous_from`` to the day before
    ``start_from`` (``previous``), and for ``segment_kinds`` the groups of
    ``ttv_report(kind=..., group_by="segment")`` in the first: the same figures, from three queries
    (the milestones, the rows of every kind and both periods, and with ``segment_kinds`` the segments'
    labels) whatever the number of kinds and of accounts."""
    now = now or timezone.now()
    for kind in kinds:
        _validate(kind=kind, milestone_key=None, group_by=None, start_from=start_from, start_to=start_to, now=now)
    if previous_from > start_from:
        raise ValueError("previous_from is after start_from.")
    if not set(segment_kinds) <= set(kinds):
        raise ValueError("segment_kinds must be among kinds.")
    by_kind = ttv_sql.measured_milestones_by_kind(kinds)
    rows = ttv_sql.period_lean_rows(
        kinds=kinds,
        milestones=[m for milestones in by_kind.values() for m in milestones],
        start_from=previous_from,
        split=start_from,
        start_to=start_to,
        now=now,
        business_days=business_days,
    )
    # Each (kind, period) run, as lean rows (segment id, duration, reached, target[, calendar days]).
    runs: dict[tuple[str, int], list[tuple[Any, ...]]] = {
        (kinds[index], int(later)): [row[2:] for row in members]
        for (index, later), members in groupby(rows, key=itemgetter(0, 1))
    }
    segments: dict[str, dict[Any, list[tuple[Any, ...]]]] = {}
    for kind in segment_kinds:
        by_segment: dict[Any, list[tuple[Any, ...]]] = {}
        for row in runs.get((kind, 1), []):  # each segment's rows stay in duration order
            by_segment.setdefault(row[0], []).append(row)
        segments[kind] = dict(sorted(by_segment.items()))  # by id, as the database sorts them
    # Every segment's label, in one query whether or not a period has journeys: a handful of rows.
    labels = _segment_labels() if segment_kinds else {}
    return Periods(
        current={kind: _lean_group("all", _("All"), runs.get((kind, 1), [])) for kind in kinds},
        previous={kind: _lean_group("all", _("All"), runs.get((kind, 0), [])) for kind in kinds},
        by_segment={
            kind: [
                _lean_group(labels[pk][0], labels[pk][1], members)
                for pk, members in sorted(groups.items(), key=lambda item: labels[item[0]][2])
            ]
            for kind, groups in segments.items()
        },
    )


def _report_from_rows(
    *,
    kind: str | None,
    milestone_key: str | None,
    group_by: str | None,
    start_from: date | None,
    start_to: date | None,
    business_days: bool,
    now: datetime,
    accounts: QuerySet[Account] | None,
) -> tuple[list[Group], Group]:
    """The report from one row per journey, with ``kaplan_meier``: exact in every case (what the lean
    report is checked against)."""
    rows, order = _fetch_rows(
        kind=kind,
        milestone_key=milestone_key,
        group_by=group_by,
        start_from=start_from,
        start_to=start_to,
        business_days=business_days,
        now=now,
        accounts=accounts,
    )
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row.group_key, []).append(row)
    groups = [
        rows_group(key, members[0].group_label, members, business_days=business_days)
        for key, members in sorted(grouped.items(), key=lambda item: order[item[0]])
    ]
    total = groups[0] if group_by is None and groups else rows_group("all", _("All"), rows, business_days=business_days)
    return groups, total


def _report_in_db(
    *,
    kind: str | None,
    milestone_key: str | None,
    group_by: str | None,
    start_from: date | None,
    start_to: date | None,
    now: datetime,
    accounts: QuerySet[Account] | None,
    business_days: bool = False,
) -> tuple[list[Group], Group]:
    """The report from lean groups (``ttv_sql.lean_groups``): the database computes the durations (in
    business days from the calendar table when asked) and hands each group's over as arrays;
    ``kaplan_meier`` makes one pass per group and one over all of them for the total."""
    milestones = ttv_sql.measured_milestones(kind=kind, milestone_key=milestone_key)
    lean = ttv_sql.lean_groups(
        milestones=milestones, group_by=group_by, start_from=start_from, start_to=start_to, now=now,
        accounts=accounts, business_days=business_days,
    )  # fmt: skip
    labels = _db_labels(group_by, [group.value for group in lean], milestones)
    lean.sort(key=lambda group: labels[group.value][2])
    groups = [_array_group(labels[group.value][0], labels[group.value][1], group) for group in lean]
    if group_by is None and groups:
        return groups, groups[0]
    return groups, _array_group("all", _("All"), ttv_sql.LeanGroup.merged("all", lean, business_days=business_days))


def _lean_group(key: str, label: str, rows: Sequence[ttv_sql.LeanRow | ttv_sql.BusinessLeanRow]) -> Group:
    """Like ``_group``, on ``ttv_sql.lean_rows`` tuples (group, duration, reached, target), or on
    ``ttv_sql.business_lean_rows`` ones (the share within target measured on their calendar days)."""
    business = bool(rows) and len(rows[0]) == 5
    estimate = _estimate(
        [row[1] for row in rows],
        [row[2] for row in rows],
        [row[3] for row in rows],
        share_durations=[row[4] for row in rows] if business else None,  # type: ignore[misc]
    )
    return Group(key=key, label=label, estimate=estimate)


def _array_group(key: str, label: str, group: ttv_sql.LeanGroup) -> Group:
    estimate = _estimate(group.durations, group.reached, group.targets, share_durations=group.calendar)
    return Group(key=key, label=label, estimate=estimate)


def _estimate(
    durations: Sequence[float] | np.ndarray,
    reached: Sequence[bool] | np.ndarray,
    targets: Sequence[int | None] | np.ndarray,
    *,
    share_durations: Sequence[float] | np.ndarray | None,
) -> Estimate:
    """A group's estimate with its target: the one its journeys share, else none and ``targets_differ``
    with each journey measured against its own. ``share_durations``: the durations the share within
    target is measured on, when not ``durations`` (targets are calendar days). ``targets`` as a list
    (None: no target) or as an array of days (NaN: no target)."""
    days = _target_days(targets)
    known = np.unique(days[~np.isnan(days)])
    differ = len(known) + int(np.isnan(days).any()) > 1  # None counts as a target of its own
    common = _whole(float(known[0])) if len(known) == 1 and not differ else None
    estimate = kaplan_meier(durations, reached, target_days=common, curve_resolution=CURVE_RESOLUTION)
    if differ:
        return replace(
            estimate,
            targets_differ=True,
            target_min_days=_whole(float(known[0])) if len(known) else None,
            target_max_days=_whole(float(known[-1])) if len(known) else None,
            within_target_share=within_own_targets(
                share_durations if share_durations is not None else durations, reached, days
            ),
        )
    if share_durations is not None and common is not None:
        calendar = kaplan_meier(share_durations, reached, target_days=common)
        return replace(estimate, within_target_share=calendar.within_target_share)
    return estimate


def _target_days(targets: Sequence[int | None] | np.ndarray) -> np.ndarray:
    if isinstance(targets, np.ndarray):
        return targets.astype(np.float64, copy=False)
    return np.array([np.nan if target is None else target for target in targets], dtype=np.float64)


def _whole(days: float) -> float | int:
    """Targets are whole days: given as the integers they are stored as."""
    return int(days) if days.is_integer() else days


def _db_labels(
    group_by: str | None, values: list[Any], milestones: Sequence[ttv_sql.MeasuredMilestone]
) -> dict[Any, tuple[str, str, tuple[Any, ...]]]:
    """Per group value from the database: (key, label, sort order), as ``_group_of`` gives them."""
    if group_by is None:
        return {value: ("all", _("All"), ()) for value in values}
    if group_by == "segment":
        return _segment_labels(values)
    if group_by == "plan":
        return {plan: _plan_group(plan) for plan in values}
    if group_by == "csm":
        labels: dict[Any, tuple[str, str, tuple[Any, ...]]] = {}
        if None in values:
            labels[None] = _csm_group(None, "", "")
        for pk, name, email in User.objects.filter(pk__in=[v for v in values if v is not None]).values_list(
            "pk", "name", "email"
        ):
            labels[pk] = _csm_group(pk, name, email)
        return labels
    if group_by == "playbook_version":
        by_playbook = {m.playbook_id: m for m in milestones}
        return {
            pk: (
                f"{by_playbook[pk].playbook_key}:v{by_playbook[pk].playbook_version}",
                f"{by_playbook[pk].playbook_name} v{by_playbook[pk].playbook_version}",
                (by_playbook[pk].playbook_key, by_playbook[pk].playbook_version),
            )
            for pk in values
        }
    quarter = group_by == "cohort_quarter"
    labels = {}
    for value in values:
        cohort = ttv_sql.cohort_of(value, quarter=quarter)
        labels[value] = (cohort, cohort, (cohort,))
    return labels


def _segment_labels(pks: list[Any] | None = None) -> dict[Any, tuple[str, str, tuple[Any, ...]]]:
    """Per segment id (of ``pks``, default every segment), (key, label, sort order): one query."""
    segments = Segment.objects.all() if pks is None else Segment.objects.filter(pk__in=pks)
    rows = segments.values_list("pk", "slug", "name", "position")
    return {pk: (slug, name, (position, name)) for pk, slug, name, position in rows}


def rows_group(key: str, label: str, rows: list[Row], *, business_days: bool) -> Group:
    """The Kaplan-Meier estimate of these rows (each against its own target), as a report group."""
    estimate = _estimate(
        [row.duration_days for row in rows],
        [not row.censored for row in rows],
        [row.target_days for row in rows],
        share_durations=[row.calendar_days for row in rows] if business_days else None,
    )
    return Group(key=key, label=label, estimate=estimate)


def expected_reach_days(curve: Sequence[tuple[float, float]], waited: float) -> float | None:
    """When a journey that has waited ``waited`` days is expected to arrive: the median of the
    remaining time on its group's Kaplan-Meier curve, i.e. the first t >= waited where the share not
    yet arrived falls to half of what it was at ``waited``. None when the curve never gets there."""
    return expected_reach_days_many(curve, [waited])[0]


def expected_reach_days_many(curve: Sequence[tuple[float, float]], waited: Sequence[float]) -> list[float | None]:
    """``expected_reach_days`` for many waits on one curve at once (two binary searches each)."""
    times = np.array([t for t, _share in curve], dtype=np.float64)
    shares = np.array([share for _t, share in curve], dtype=np.float64)
    waits = np.asarray(waited, dtype=np.float64)
    not_arrived = 1.0 - shares[np.searchsorted(times, waits, side="right") - 1]
    # The share not arrived is non-increasing: the first point at or below half of it comes after ``waited``.
    first = np.searchsorted(shares, 1.0 - (not_arrived / 2 + 1e-12), side="left")
    return [
        float(times[index]) if gone > 0 and index < len(times) else None
        for gone, index in zip(not_arrived.tolist(), first.tolist(), strict=True)
    ]


def reached_durations(
    *,
    kind: str,
    start_from: date | None = None,
    start_to: date | None = None,
    business_days: bool = False,
    accounts: QuerySet[Account] | None = None,
    now: datetime | None = None,
) -> tuple[list[float], int]:
    """The times to ``kind`` of the journeys that reached it, and how many have not (yet)."""
    now = now or timezone.now()
    milestones = ttv_sql.measured_milestones(kind=kind, milestone_key=None)
    rows = ttv_sql.business_lean_rows if business_days else ttv_sql.lean_rows
    lean: Sequence[ttv_sql.LeanRow | ttv_sql.BusinessLeanRow] = rows(
        milestones=milestones, group_by=None, start_from=start_from, start_to=start_to, now=now, accounts=accounts
    )
    reached = [row[1] for row in lean if row[2]]
    return reached, len(lean) - len(reached)


def segment_curves(
    *,
    kind: str,
    accounts: QuerySet[Account] | None = None,
    now: datetime | None = None,
    milestones: Sequence[ttv_sql.MeasuredMilestone] | None = None,
) -> dict[str, list[tuple[float, float]]]:
    """Per segment slug, the full Kaplan-Meier curve of time to ``kind`` (calendar days), from lean rows.
    ``milestones``: as ``ttv_rows`` takes them."""
    now = now or timezone.now()
    if milestones is None:
        milestones = ttv_sql.measured_milestones(kind=kind, milestone_key=None)
    rows = ttv_sql.lean_rows(
        milestones=milestones, group_by="segment", start_from=None, start_to=None, now=now, accounts=accounts
    )
    runs = [(value, list(members)) for value, members in groupby(rows, key=itemgetter(0))]
    labels = _db_labels("segment", [value for value, _members in runs], milestones)
    return {
        labels[value][0]: kaplan_meier([row[1] for row in members], [row[2] for row in members]).curve
        for value, members in runs
    }
