"""Background work on usage events. Tasks take ids and are idempotent."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from journeys import queue
from journeys.events.services.ingest import events_prune
from portal.celery import RETRY_POLICY


@shared_task(name=queue.PRUNE_EVENTS, **RETRY_POLICY)
def journeys_prune_events() -> int:
    """Delete raw usage events past USAGE_EVENT_RETENTION_DAYS (daily counts stay). Returns how many went."""
    return events_prune(older_than_days=settings.USAGE_EVENT_RETENTION_DAYS)
