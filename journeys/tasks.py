"""Background work for journeys. Tasks take ids and are idempotent."""

from __future__ import annotations

import json
import logging

from celery import Task, shared_task
from celery.signals import task_failure
from django.conf import settings

from journeys.models import Journey, Milestone, Playbook, Step
from journeys.rollup import overview_refresh
from journeys.services.events import daily_counts_backfill, events_prune
from journeys.services.journeys import accounts_evaluate
from portal.celery import RETRY_POLICY

logger = logging.getLogger(__name__)


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


# --- Automation: nudges, milestone notices, digests ---------------------------------


@shared_task(**RETRY_POLICY)
def nudges_scan() -> int:
    """Claim the overdue-step nudges due now and enqueue one ``nudge_send`` each; queue again the
    e-mails whose task was lost. Returns how many were queued."""
    from journeys.services.notifications import notifications_requeue
    from journeys.services.nudges import nudges_scan as scan

    return len(scan()) + len(notifications_requeue())


@shared_task(acks_late=True, **RETRY_POLICY)
def nudge_send(nudge_id: int) -> bool:
    """Send one claimed nudge, at most once. Returns whether a message went out."""
    from journeys.services.nudges import nudge_deliver

    return nudge_deliver(nudge_id=nudge_id)


@shared_task(**RETRY_POLICY)
def achievement_notify(achievement_id: int) -> int:
    """A milestone was reached: queue the CS manager's notice and the customer's congratulations."""
    from journeys.services.notifications import achievement_notify as notify

    return len(notify(achievement_id=achievement_id))


@shared_task(**RETRY_POLICY)
def digests_scan() -> int:
    """Queue the weekly digests due today. Returns how many."""
    from journeys.services.notifications import digests_claim

    return len(digests_claim())


@shared_task(acks_late=True, **RETRY_POLICY)
def notification_send(notification_id: int) -> bool:
    """Send one queued notification (milestone, congratulation, digest), at most once."""
    from journeys.services.notifications import notification_deliver

    return notification_deliver(notification_id=notification_id)


@task_failure.connect
def failed_task_record(
    sender: Task | None = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    args: tuple | None = None,
    kwargs: dict | None = None,
    einfo: object = None,
    **extra: object,
) -> None:
    """A task that failed for good (retries exhausted) is listed for admins (Settings → Failed tasks)."""
    from journeys.models import FailedTask

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


@shared_task(**RETRY_POLICY)
def journeys_evaluate_risk() -> dict[str, int]:
    """Nightly: every account's risk, kept; returns the counts per risk."""
    from journeys.services.risk import risk_evaluate

    summary = risk_evaluate()
    return {**summary.counts, "changed": summary.changed, "turned": len(summary.turned)}
