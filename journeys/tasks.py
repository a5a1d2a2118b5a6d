"""Background work for journeys. Tasks take ids and are idempotent."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from journeys.services.events import events_prune
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
