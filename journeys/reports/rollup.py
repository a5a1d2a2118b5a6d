"""The reports people open first, precomputed: Celery refreshes them (and an admin can), a page reads
one row. Kept: the overview and the cohort reports (every kind, by month and by quarter) of the default
period, in calendar days. Any other period or option is computed on the fly.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.reports import measurement
from journeys.reports.models import ReportSnapshot
from portal.models import MilestoneKind
from portal.survival import Estimate

OVERVIEW_KEY = "overview"
COHORTS_KEY = "cohorts"
COHORT_GROUPINGS = ("cohort_month", "cohort_quarter")
DEFAULT_DAYS = 365


def default_period(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today - timedelta(days=DEFAULT_DAYS), today


def previous_period(start_from: date, start_to: date) -> tuple[date, date]:
    """The period of the same length just before."""
    length = start_to - start_from
    return start_from - length - timedelta(days=1), start_from - timedelta(days=1)


@dataclass(frozen=True)
class Overview:
    computed_at: datetime
    start_from: date
    start_to: date
    business_days: bool
    current: dict[str, Estimate]  # kind → all accounts
    previous: dict[str, Estimate]  # kind → the period before
    by_segment: dict[str, list[tuple[str, str, Estimate]]]  # kind → (key, label, estimate)
    cached: bool = False
    seconds: float = 0.0


def overview_compute(
    *, start_from: date, start_to: date, business_days: bool = False, segment_kinds: list[str] | None = None
) -> Overview:
    """Every kind for the period and the one before; per segment for ``segment_kinds`` (default all):
    the figures of ``measurement.ttv_report`` for each, from a few queries (``measurement.ttv_periods``)."""
    started = time.perf_counter()
    before_from, _before_to = previous_period(start_from, start_to)
    kinds = MilestoneKind.values
    periods = measurement.ttv_periods(
        kinds=kinds,
        start_from=start_from,
        start_to=start_to,
        previous_from=before_from,
        segment_kinds=segment_kinds if segment_kinds is not None else kinds,
        business_days=business_days,
    )
    current = {kind: group.estimate for kind, group in periods.current.items()}
    before = {kind: group.estimate for kind, group in periods.previous.items()}
    by_segment = {kind: [(g.key, g.label, g.estimate) for g in groups] for kind, groups in periods.by_segment.items()}
    return Overview(
        computed_at=timezone.now(),
        start_from=start_from,
        start_to=start_to,
        business_days=business_days,
        current=current,
        previous=before,
        by_segment=by_segment,
        seconds=time.perf_counter() - started,
    )


def _estimate(data: dict[str, Any]) -> Estimate:
    return Estimate(
        **{**data, "median_ci": tuple(data["median_ci"]), "curve": [tuple(point) for point in data["curve"]]}
    )


def _to_json(overview: Overview) -> dict[str, Any]:
    # Only the per-segment curves are drawn: the totals are kept without theirs.
    return {
        "start_from": overview.start_from.isoformat(),
        "start_to": overview.start_to.isoformat(),
        "business_days": overview.business_days,
        "current": {kind: {**asdict(e), "curve": []} for kind, e in overview.current.items()},
        "previous": {kind: {**asdict(e), "curve": []} for kind, e in overview.previous.items()},
        "by_segment": {
            kind: [[key, label, asdict(e)] for key, label, e in groups] for kind, groups in overview.by_segment.items()
        },
    }


def _from_json(snapshot: ReportSnapshot) -> Overview:
    data = snapshot.payload
    return Overview(
        computed_at=snapshot.computed_at,
        start_from=date.fromisoformat(data["start_from"]),
        start_to=date.fromisoformat(data["start_to"]),
        business_days=data["business_days"],
        current={kind: _estimate(e) for kind, e in data["current"].items()},
        previous={kind: _estimate(e) for kind, e in data["previous"].items()},
        by_segment={
            kind: [(key, label, _estimate(e)) for key, label, e in groups]
            for kind, groups in data["by_segment"].items()
        },
        cached=True,
        seconds=snapshot.seconds,
    )


@transaction.atomic
def overview_refresh() -> ReportSnapshot:
    """Compute the default overview and cohort reports (the last twelve months, calendar days) and keep
    them. Returns the overview's snapshot."""
    start_from, start_to = default_period()
    overview = overview_compute(start_from=start_from, start_to=start_to)
    snapshot, _created = ReportSnapshot.objects.update_or_create(
        key=OVERVIEW_KEY,
        defaults={"payload": _to_json(overview), "computed_at": overview.computed_at, "seconds": overview.seconds},
    )
    started = time.perf_counter()
    reports = {
        f"{kind}:{group_by}": _report_to_json(
            measurement.ttv_report(kind=kind, group_by=group_by, start_from=start_from, start_to=start_to)
        )
        for kind in MilestoneKind.values
        for group_by in COHORT_GROUPINGS
    }
    ReportSnapshot.objects.update_or_create(
        key=COHORTS_KEY,
        defaults={
            "payload": {"start_from": start_from.isoformat(), "start_to": start_to.isoformat(), "reports": reports},
            "computed_at": timezone.now(),
            "seconds": time.perf_counter() - started,
        },
    )
    return snapshot


def _report_to_json(report: measurement.Report) -> dict[str, Any]:
    # Cohort pages draw medians, not curves: the curves are left out.
    def group(g: measurement.Group) -> list[Any]:
        return [g.key, g.label, {**asdict(g.estimate), "curve": []}]

    return {
        "generated_at": report.generated_at.isoformat(),
        "groups": [group(g) for g in report.groups],
        "total": group(report.total),
    }


@dataclass(frozen=True)
class KeptReport:
    report: measurement.Report
    cached: bool
    computed_at: datetime


def cohorts_for(*, kind: str, group_by: str, start_from: date, start_to: date, business_days: bool) -> KeptReport:
    """The kept cohort report when it covers exactly this period, else computed now."""
    kept = None
    if not business_days and group_by in COHORT_GROUPINGS and (start_from, start_to) == default_period():
        kept = ReportSnapshot.objects.filter(key=COHORTS_KEY).first()
    period = {"start_from": start_from.isoformat(), "start_to": start_to.isoformat()}
    data: dict[str, Any] | None = None
    if kept is not None and all(kept.payload.get(name) == value for name, value in period.items()):
        data = kept.payload["reports"].get(f"{kind}:{group_by}")
    if kept is None or data is None:  # (no data without a kept snapshot)
        report = measurement.ttv_report(
            kind=kind, group_by=group_by, start_from=start_from, start_to=start_to, business_days=business_days
        )
        return KeptReport(report=report, cached=False, computed_at=report.generated_at)
    groups = [measurement.Group(key=key, label=label, estimate=_estimate(e)) for key, label, e in data["groups"]]
    report = measurement.Report(
        generated_at=datetime.fromisoformat(data["generated_at"]),
        kind=kind,
        milestone_key=None,
        group_by=group_by,
        business_days=False,
        start_from=start_from,
        start_to=start_to,
        groups=groups,
        total=measurement.Group(key="all", label=_("All"), estimate=_estimate(data["total"][2])),
    )
    return KeptReport(report=report, cached=True, computed_at=kept.computed_at)


def overview_for(*, start_from: date, start_to: date, business_days: bool, kind: str) -> Overview:
    """The kept overview when it covers exactly this period; otherwise computed now (only ``kind`` per segment)."""
    if not business_days and (start_from, start_to) == default_period():
        snapshot = ReportSnapshot.objects.filter(key=OVERVIEW_KEY).first()
        if snapshot is not None:
            kept = _from_json(snapshot)
            if (kept.start_from, kept.start_to) == (start_from, start_to):
                return kept
    return overview_compute(start_from=start_from, start_to=start_to, business_days=business_days, segment_kinds=[kind])


def first_value_curves() -> dict[str, list[tuple[float, float]]]:
    """Per segment slug, the Kaplan-Meier curve of time to first value: from the kept overview when
    there is one (the last twelve months), else computed now."""
    snapshot = ReportSnapshot.objects.filter(key=OVERVIEW_KEY).first()
    if snapshot is not None:
        groups = snapshot.payload.get("by_segment", {}).get(MilestoneKind.FIRST_VALUE, [])
        return {key: [tuple(point) for point in data["curve"]] for key, _label, data in groups}
    start_from, start_to = default_period()
    report = measurement.ttv_report(
        kind=MilestoneKind.FIRST_VALUE, group_by="segment", start_from=start_from, start_to=start_to
    )
    return {group.key: group.estimate.curve for group in report.groups}
