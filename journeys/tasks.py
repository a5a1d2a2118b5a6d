"""Background work for journeys. Tasks take ids and are idempotent."""

from __future__ import annotations

import json

from celery import shared_task
from django.conf import settings

from journeys.models import Journey, Milestone, Playbook, Step
from journeys.rollup import overview_refresh
from journeys.services.events import daily_counts_backfill, events_prune
from journeys.services.journeys import accounts_evaluate
from portal.celery import RETRY_POLICY


@shared_task(**RETRY_POLICY)
def journeys_evaluate_accounts(account_ids: list[int]) -> int:
    """Evaluate the journeys of accounts whose usage events changed. Returns achievements recorded."""
    return accounts_evaluate(account_ids=sorted(set(account_ids)))


@shared_task(**RETRY_POLICY)
def journeys_prune_events() -> int:
    """Delete raw usage events past USAGE_EVENT_RETENTION_DAYS (daily counts stay). Returns how many went."""
    return events_prune(older_than_days=settings.USAGE_EVENT_RETENTION_DAYS)


@shared_task(**RETRY_POLICY)
def journeys_backfill_counts(playbook_id: int) -> int:
    """After a version is published: count the kept raw events under property filters its rules
    introduce, then re-evaluate the accounts running the playbook. Returns events read."""
    criteria = set()
    for model in (Step, Milestone):
        for name, wanted in (
            model.objects.filter(playbook_id=playbook_id)
            .exclude(event_properties={})
            .values_list("event_name", "event_properties")
        ):
            if name and isinstance(wanted, dict) and wanted:
                criteria.add((name, json.dumps(wanted, sort_keys=True)))
    read = sum(daily_counts_backfill(name=name, properties_filter=json.loads(wanted)) for name, wanted in criteria)
    if criteria:
        key = Playbook.objects.filter(pk=playbook_id).values_list("key", flat=True).first()
        account_ids = list(Journey.objects.filter(playbook_key=key).values_list("account_id", flat=True))
        accounts_evaluate(account_ids=account_ids)
    return read


@shared_task(**RETRY_POLICY)
def journeys_refresh_reports() -> float:
    """Recompute the kept overview report. Returns the seconds it took."""
    return overview_refresh().seconds
