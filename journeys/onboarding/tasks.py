"""Background work on journeys: evaluation after usage changed, and counting events under a new
version's property filters. Tasks take ids and are idempotent."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from journeys import queue
from journeys.events.services.ingest import daily_counts_backfill
from journeys.onboarding.models import Journey, Playbook
from journeys.onboarding.selectors import playbook_event_filters
from journeys.onboarding.services.evaluation import accounts_catch_up, accounts_evaluate, accounts_evaluate_received
from portal.celery import RETRY_POLICY


@shared_task(name=queue.EVALUATE_ACCOUNTS, **RETRY_POLICY)
def journeys_evaluate_accounts(
    account_ids: list[int],
    events_since: dict[str, dict[str, str]] | None = None,
    marks: dict[str, int] | None = None,
) -> int:
    """Evaluate the journeys of accounts whose usage, value or journeys changed; ``events_since``:
    the earliest new event per account id and name (ISO 8601); ``marks``: the batch's count in each
    account's usage mark. Returns achievements recorded."""
    since = None
    if events_since is not None:
        since = {
            int(pk): {name: datetime.fromisoformat(moment) for name, moment in names.items()}
            for pk, names in events_since.items()
        }
    counted = {int(pk): mark for pk, mark in marks.items()} if marks is not None else None
    return accounts_evaluate_received(account_ids=sorted(set(account_ids)), events_since=since, marks=counted)


@shared_task(name=queue.EVALUATE_DUE, **RETRY_POLICY)
def journeys_evaluate_due() -> int:
    """Every minute: evaluate again the accounts whose evaluation fell behind what they received
    (their task lost or failed). Returns how many were queued."""
    return len(accounts_catch_up())


@shared_task(name=queue.BACKFILL_COUNTS, **RETRY_POLICY)
def journeys_backfill_counts(playbook_id: int) -> int:
    """After a version is published: count the kept raw events under property filters its rules
    introduce, then re-evaluate the accounts running the playbook. Returns events read."""
    criteria = playbook_event_filters(playbook_id=playbook_id)
    read = sum(daily_counts_backfill(name=name, properties_filter=wanted) for name, wanted in criteria)
    if criteria:
        key = Playbook.objects.filter(pk=playbook_id).values_list("key", flat=True).first()
        account_ids = list(Journey.objects.filter(playbook_key=key).values_list("account_id", flat=True))
        accounts_evaluate(account_ids=account_ids)
    return read
