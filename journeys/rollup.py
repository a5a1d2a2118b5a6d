"""The overview report, precomputed: Celery refreshes it (and an admin can), the page reads one row.

Any other period or option is computed on the fly, from one query per figure.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from journeys import measurement
from journeys.models import ReportSnapshot
from portal.models import MilestoneKind

OVERVIEW_KEY = "overview"
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
    current: dict[str, measurement.Estimate]  # kind → all accounts
    previous: dict[str, measurement.Estimate]  # kind → the period before
    by_segment: dict[str, list[tuple[str, str, measurement.Estimate]]]  # kind → (key, label, estimate)
    cached: bool = False
    seconds: float = 0.0


def overview_compute(
    *, start_from: date, start_to: date, business_days: bool = False, segment_kinds: list[str] | None = None
) -> Overview:
    """Every kind for the period and the one before; per segment for ``segment_kinds`` (default all)."""
    started = time.perf_counter()
    before_from, before_to = previous_period(start_from, start_to)
    period = {"start_from": start_from, "start_to": start_to, "business_days": business_days}
    previous = {"start_from": before_from, "start_to": before_to, "business_days": business_days}
    kinds = MilestoneKind.values
    current = {kind: measurement.ttv_report(kind=kind, **period).total.estimate for kind in kinds}
    before = {kind: measurement.ttv_report(kind=kind, **previous).total.estimate for kind in kinds}
    by_segment = {}
    for kind in segment_kinds if segment_kinds is not None else kinds:
        report = measurement.ttv_report(kind=kind, group_by="segment", **period)
        by_segment[kind] = [(g.key, g.label, g.estimate) for g in report.groups]
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


def _estimate(data: dict) -> measurement.Estimate:
    return measurement.Estimate(
        **{**data, "median_ci": tuple(data["median_ci"]), "curve": [tuple(point) for point in data["curve"]]}
    )


def _to_json(overview: Overview) -> dict:
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
    """Compute the default overview (the last twelve months, calendar days) and keep it."""
    start_from, start_to = default_period()
    overview = overview_compute(start_from=start_from, start_to=start_to)
    snapshot, _created = ReportSnapshot.objects.update_or_create(
        key=OVERVIEW_KEY,
        defaults={"payload": _to_json(overview), "computed_at": overview.computed_at, "seconds": overview.seconds},
    )
    return snapshot


def overview_for(*, start_from: date, start_to: date, business_days: bool, kind: str) -> Overview:
    """The kept overview when it covers exactly this period; otherwise computed now (only ``kind`` per segment)."""
    if not business_days and (start_from, start_to) == default_period():
        snapshot = ReportSnapshot.objects.filter(key=OVERVIEW_KEY).first()
        if snapshot is not None:
            kept = _from_json(snapshot)
            if (kept.start_from, kept.start_to) == (start_from, start_to):
                return kept
    return overview_compute(start_from=start_from, start_to=start_to, business_days=business_days, segment_kinds=[kind])
