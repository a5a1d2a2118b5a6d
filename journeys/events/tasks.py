"""Background work on usage events. Tasks take ids and are idempotent."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from journeys import queue
from journeys.events.partitions import event_partitions_ensure
from journeys.events.services.ingest import events_prune
from portal.celery import RETRY_POLICY


@shared_task(name=queue.PRUNE_EVENTS, **RETRY_POLICY)
def journeys_prune_events() -> int:
    """Remove raw usage events past USAGE_EVENT_RETENTION_DAYS (daily counts stay). Returns how many went."""
    return events_prune(older_than_days=settings.USAGE_EVENT_RETENTION_DAYS)


@shared_task(name=queue.EVENT_PARTITIONS, **RETRY_POLICY)
def journeys_event_partitions() -> list[str]:
    """Create the monthly partitions of raw usage events for this month and the next ones ahead of need
    (PostgreSQL; nothing on SQLite). Returns the partitions created."""
    return event_partitions_ensure(now=timezone.now())
