"""The desk's Celery tasks (declared by name: services enqueue them through the outbox)."""

from __future__ import annotations

from celery import shared_task

from portal.celery import RETRY_POLICY
from support import notifications


@shared_task(name=notifications.MESSAGE_NOTIFY, acks_late=True, **RETRY_POLICY)
def message_notify(message_id: int) -> int:
    return notifications.message_notify(message_id=message_id)
