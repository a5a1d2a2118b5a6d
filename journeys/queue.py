"""Work handed to the Celery worker: one function per task, each recording it in the current
transaction and publishing it once that commits (``portal/outbox.py``): a committed change always
gets its follow-up work, even when the broker was down at the time.

Services call these; the tasks (``journeys/<concept>/tasks.py``) are declared with the names below
and call services. This module imports neither, so no import circle runs through the tasks, and
one grep for a name finds the task, its enqueuer and every caller. The names are those the tasks
had when they lived in ``journeys.tasks``: beat schedules and queued messages refer to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from portal import outbox

EVALUATE_ACCOUNTS = "journeys.tasks.journeys_evaluate_accounts"
BACKFILL_COUNTS = "journeys.tasks.journeys_backfill_counts"
PRUNE_EVENTS = "journeys.tasks.journeys_prune_events"
EVENT_PARTITIONS = "journeys.tasks.journeys_event_partitions"
REFRESH_REPORTS = "journeys.tasks.journeys_refresh_reports"
KEEP_CALENDAR = "journeys.tasks.journeys_keep_calendar"
FORECAST_TTV = "journeys.tasks.journeys_forecast_ttv"
EVALUATE_RISK = "journeys.tasks.journeys_evaluate_risk"
NUDGES_SCAN = "journeys.tasks.nudges_scan"
NUDGE_SEND = "journeys.tasks.nudge_send"
ACHIEVEMENT_NOTIFY = "journeys.tasks.achievement_notify"
DIGESTS_SCAN = "journeys.tasks.digests_scan"
NOTIFICATION_SEND = "journeys.tasks.notification_send"
EVALUATE_DUE = "journeys.tasks.journeys_evaluate_due"


def _on_commit(name: str, *args: object) -> None:
    outbox.enqueue(name, args)


def evaluate_accounts(
    account_ids: list[int],
    *,
    events_since: Mapping[int, Mapping[str, datetime]] | None = None,
    marks: Mapping[int, int] | None = None,
) -> None:
    """Evaluate the journeys of these accounts (their usage, value or journeys changed); after usage
    events, ``events_since`` is the earliest new event per account and name (only what they can change
    is evaluated) and ``marks`` the batch's count per account in their usage marks."""
    if events_since is None:
        _on_commit(EVALUATE_ACCOUNTS, list(account_ids))
        return
    # JSON all the way: an account id as text, a moment in ISO 8601.
    since = {
        str(pk): {name: moment.isoformat() for name, moment in names.items()} for pk, names in events_since.items()
    }
    if marks is None:
        _on_commit(EVALUATE_ACCOUNTS, list(account_ids), since)
        return
    _on_commit(EVALUATE_ACCOUNTS, list(account_ids), since, {str(pk): mark for pk, mark in marks.items()})


def evaluate_due() -> None:
    """Queue again the evaluation of the accounts whose evaluation is behind what they received."""
    _on_commit(EVALUATE_DUE)


def backfill_counts(playbook_id: int) -> None:
    """Count kept raw events under the property filters a newly published version introduces."""
    _on_commit(BACKFILL_COUNTS, playbook_id)


def achievement_notify(achievement_id: int) -> None:
    """Tell the CS manager and the customer that a milestone was reached."""
    _on_commit(ACHIEVEMENT_NOTIFY, achievement_id)


def refresh_reports() -> None:
    """Recompute the kept reports."""
    _on_commit(REFRESH_REPORTS)


def send_nudges(nudge_ids: list[int]) -> None:
    """Send these claimed nudges, one task each."""
    outbox.enqueue_many(NUDGE_SEND, [[pk] for pk in nudge_ids])


def send_notifications(notification_ids: list[int]) -> None:
    """Send these claimed notifications, one task each."""
    outbox.enqueue_many(NOTIFICATION_SEND, [[pk] for pk in notification_ids])
