"""The nightly evaluation of every account's risk (on track, behind, stuck ...), kept in AccountRisk.

It applies the rule of ``journeys.reports.risk`` to accounts in chunks, so memory and the
number of queries per account stay flat: the time grows linearly with the number of accounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from journeys.automation.models import AccountRisk
from journeys.automation.selectors import risk_rules
from journeys.automation.services.notifications import risk_alerts_claim
from journeys.reports.risk import RISK_ORDER, PortfolioRow, rows_for
from portal import webhooks
from portal.models import Account, WebhookEvent

CHUNK = 2000
WORRYING = {AccountRisk.Risk.BEHIND, AccountRisk.Risk.STUCK}


@dataclass
class RiskSummary:
    evaluated: int = 0
    changed: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    turned: list[int] = field(default_factory=list)  # accounts that turned behind or stuck


def risk_evaluate(
    *, account_ids: list[int] | None = None, chunk: int = CHUNK, now: dt.datetime | None = None, alert: bool = True
) -> RiskSummary:
    """Evaluate ``account_ids`` (every account when None) and keep the result: a changed risk gets a
    new ``since``; an account that turned behind or stuck is listed in ``turned`` and, with
    ``alert``, its CS manager gets the day's e-mail about it (queued on commit)."""
    now = now or timezone.now()
    rules = risk_rules()
    summary = RiskSummary()
    for ids in _chunks(account_ids, chunk):
        accounts = list(Account.objects.filter(pk__in=ids).select_related("segment", "csm"))
        rows = rows_for(accounts, rules=rules, now=now)
        with transaction.atomic():
            kept = {r.account_id: r for r in AccountRisk.objects.select_for_update().filter(account_id__in=ids)}
            created, changed = [], []
            moved: list[tuple[Account, str | None, str]] = []  # the account, its risk before and now
            for row in rows:
                risk, reason = row.risk, _reason(row)
                summary.counts[risk] = summary.counts.get(risk, 0) + 1
                current = kept.get(row.account.pk)
                if current is None:
                    created.append(
                        AccountRisk(account=row.account, risk=risk, reason=reason, since=now, evaluated_at=now)
                    )
                    moved.append((row.account, None, risk))
                    if risk in WORRYING:
                        summary.turned.append(row.account.pk)
                elif current.risk != risk or current.reason != reason:
                    if current.risk != risk:
                        moved.append((row.account, current.risk, risk))
                        current.since = now
                        if risk in WORRYING and RISK_ORDER[risk] < RISK_ORDER.get(current.risk, 99):
                            summary.turned.append(row.account.pk)
                    current.risk, current.reason = risk, reason
                    changed.append(current)
            AccountRisk.objects.bulk_create(created, batch_size=1000)
            AccountRisk.objects.bulk_update(changed, ["risk", "reason", "since"], batch_size=500)
            AccountRisk.objects.filter(account_id__in=ids).update(evaluated_at=now)
            webhooks.events_emit([_risk_event(account, before, after, now) for account, before, after in moved])
        summary.evaluated += len(rows)
        summary.changed += len(created) + len(changed)
    if alert and summary.turned:
        risk_alerts_claim(account_ids=summary.turned, today=timezone.localdate(now))
    return summary


def _risk_event(account: Account, before: str | None, after: str, now: dt.datetime) -> webhooks.Event:
    return webhooks.Event(
        WebhookEvent.ACCOUNT_RISK_CHANGED,
        {
            "account": {"id": account.pk, "slug": account.slug, "name": account.name},
            "risk": after,
            "previous_risk": before,
            "since": now.astimezone(dt.UTC).isoformat(),
        },
    )


def _chunks(account_ids: list[int] | None, size: int) -> Iterator[list[int]]:
    if account_ids is not None:
        ids = sorted(set(account_ids))
        for start in range(0, len(ids), size):
            yield ids[start : start + size]
        return
    last = 0
    while True:  # keyset pagination: no OFFSET that grows with the table
        ids = list(Account.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _reason(row: PortfolioRow) -> str:
    worst = [chip for chip in row.chips if chip.status == row.risk]
    return f"{worst[0].name}: {worst[0].why}"[:500] if worst else ""
