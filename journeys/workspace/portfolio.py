"""A CS manager's portfolio: every account of theirs with where it stands (the rule is in
``journeys.reports.risk``), filtered, searched and sorted, and the counts at the top."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from journeys.automation.selectors import risk_rules
from journeys.reports.risk import RISK_ORDER, PortfolioRow, RiskRules, rows_for, with_activity
from portal.models import Account


@dataclass(frozen=True)
class Portfolio:
    rows: list[PortfolioRow]
    onboarding: int
    behind: int
    stuck: int
    first_value_this_month: int
    rules: RiskRules


SORTS = {
    # Most at risk first: the worst status, then the most steps overdue, then the longest wait.
    "risk": lambda r: (RISK_ORDER[r.risk], -r.open_overdue, -(r.days_since_start or 0), r.account.name),
    "name": lambda r: r.account.name.casefold(),
    "progress": lambda r: (r.percent, r.account.name),
    "started": lambda r: (-(r.days_since_start or -1), r.account.name),
    "activity": lambda r: (r.last_activity or dt.datetime.min.replace(tzinfo=dt.UTC), r.account.name),
    "first_value": lambda r: (r.first_value_days is None, -(r.first_value_days or 0), r.account.name),
}


def portfolio(
    *,
    accounts: QuerySet[Account],
    segment: str = "",
    status: str = "",
    risk: str = "",
    milestone: str = "",
    search: str = "",
    sort: str = "risk",
    curves: Mapping[str, Sequence[tuple[float, float]]] | None = None,
    now: dt.datetime | None = None,
) -> Portfolio:
    """The rows of ``accounts`` (already scoped to the viewer) filtered and sorted, and the counts at
    the top (over the unfiltered accounts). ``risk`` keeps accounts whose worst milestone is that;
    with ``milestone`` (a kind), the risk of that kind's milestone decides instead. ``curves``:
    per segment slug, the Kaplan-Meier curve of time to first value, for the expected time."""
    now = now or timezone.now()
    rules = risk_rules()
    accounts = with_activity(accounts.select_related("segment", "csm"), now=now).order_by("name")
    rows = rows_for(list(accounts), rules=rules, curves=curves, now=now)
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    counts = {
        "onboarding": sum(1 for r in rows if r.account.status == Account.Status.ONBOARDING),
        "behind": sum(1 for r in rows if r.risk == "behind"),
        "stuck": sum(1 for r in rows if r.risk == "stuck"),
        "first_value_this_month": sum(1 for r in rows if r.first_value_at and r.first_value_at >= month_start),
    }
    if search:
        needle = search.casefold()
        rows = [r for r in rows if needle in r.account.name.casefold() or needle in r.account.slug]
    if segment:
        rows = [r for r in rows if r.account.segment.slug == segment]
    if status:
        rows = [r for r in rows if r.account.status == status]
    if risk:
        if milestone:
            rows = [r for r in rows if any(c.kind == milestone and c.status == risk for c in r.chips)]
        else:
            rows = [r for r in rows if r.risk == risk]
    elif milestone:
        rows = [r for r in rows if any(c.kind == milestone for c in r.chips)]
    rows.sort(key=SORTS.get(sort, SORTS["risk"]))
    return Portfolio(rows=rows, rules=rules, **counts)
