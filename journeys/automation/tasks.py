"""Background work of the automation: nudges, milestone notices, digests, the nightly risk evaluation,
and the list of tasks that failed for good. Tasks take ids and are idempotent."""

from __future__ import annotations

import json
import logging
from typing import Any

from celery import Task, shared_task
from celery.signals import task_failure

from journeys import queue
from journeys.automation.models import FailedTask
from journeys.automation.services.notifications import achievement_notify as notify
from journeys.automation.services.notifications import (
    digests_claim,
    notification_deliver,
    notifications_requeue,
)
from journeys.automation.services.nudges import nudge_deliver
from journeys.automation.services.nudges import nudges_scan as scan
from journeys.automation.services.risk import risk_evaluate
from portal.celery import RETRY_POLICY

logger = logging.getLogger(__name__)


@shared_task(name=queue.NUDGES_SCAN, **RETRY_POLICY)
def nudges_scan() -> int:
    """Claim the overdue-step nudges due now and enqueue one ``nudge_send`` each; queue again the
    e-mails whose task was lost. Returns how many were queued."""
    return len(scan()) + len(notifications_requeue())


@shared_task(name=queue.NUDGE_SEND, acks_late=True, **RETRY_POLICY)
def nudge_send(nudge_id: int) -> bool:
    """Send one claimed nudge, at most once. Returns whether a message went out."""
    return nudge_deliver(nudge_id=nudge_id)


@shared_task(name=queue.ACHIEVEMENT_NOTIFY, **RETRY_POLICY)
def achievement_notify(achievement_id: int) -> int:
    """A milestone was reached: queue the CS manager's notice and the customer's congratulations."""
    return len(notify(achievement_id=achievement_id))


@shared_task(name=queue.DIGESTS_SCAN, **RETRY_POLICY)
def digests_scan() -> int:
    """Queue the weekly digests due today. Returns how many."""
    return len(digests_claim())


@shared_task(name=queue.NOTIFICATION_SEND, acks_late=True, **RETRY_POLICY)
def notification_send(notification_id: int) -> bool:
    """Send one queued notification (milestone, congratulation, digest), at most once."""
    return notification_deliver(notification_id=notification_id)


@task_failure.connect
def failed_task_record(
    sender: Task[Any, Any] | None = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    args: tuple[object, ...] | None = None,
    kwargs: dict[str, object] | None = None,
    einfo: object = None,
    **extra: object,
) -> None:
    """A task that failed for good (retries exhausted) is listed for admins (Settings → Failed tasks)."""
    try:
        FailedTask.objects.create(
            task_name=getattr(sender, "name", "") or "",
            task_id=task_id or "",
            args=_json_safe(list(args or [])),
            kwargs=_json_safe(dict(kwargs or {})),
            exception=f"{type(exception).__name__}: {exception}"[:5000] if exception else "",
            traceback=str(getattr(einfo, "traceback", "") or "")[:20000],
        )
    except Exception:
        logger.exception("could not record the failure of task %s", task_id)


def _json_safe(value: object) -> object:
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return repr(value)


@shared_task(name=queue.EVALUATE_RISK, **RETRY_POLICY)
def journeys_evaluate_risk() -> dict[str, int]:
    """Nightly: every account's risk, kept; returns the counts per risk."""
    summary = risk_evaluate()
    return {**summary.counts, "changed": summary.changed, "turned": len(summary.turned)}
