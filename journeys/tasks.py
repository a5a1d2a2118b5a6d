"""Background work for journeys. Tasks take ids and are idempotent."""

from __future__ import annotations

from celery import shared_task

from journeys.services.journeys import accounts_evaluate
from portal.celery import RETRY_POLICY


@shared_task(**RETRY_POLICY)
def journeys_evaluate_accounts(account_ids: list[int]) -> int:
    """Evaluate the journeys of accounts whose usage events changed. Returns achievements recorded."""
    return accounts_evaluate(account_ids=sorted(set(account_ids)))
