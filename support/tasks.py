"""The desk's Celery tasks (declared by name: services enqueue them through the outbox)."""

from __future__ import annotations

from celery import shared_task

from portal.celery import RETRY_POLICY
from support import escalations, notifications


@shared_task(name=notifications.MESSAGE_NOTIFY, acks_late=True, **RETRY_POLICY)
def message_notify(message_id: int) -> int:
    return notifications.message_notify(message_id=message_id)


@shared_task(name=escalations.ESCALATIONS_SCAN, **RETRY_POLICY)
def escalations_scan() -> int:
    """The deadlines near (warnings), then those missed (breaches)."""
    return escalations.warnings_scan() + escalations.escalations_scan()


@shared_task(name=escalations.ESCALATION_SEND, acks_late=True, **RETRY_POLICY)
def escalation_send(escalation_id: int) -> bool:
    return escalations.escalation_send(escalation_id=escalation_id)
