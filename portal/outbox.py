"""Work that follows a committed change: recorded in the change's own transaction, published after it.

A service that needs a task once its change commits calls ``enqueue`` (or ``enqueue_many``) inside
its transaction: an ``OutboxMessage`` row commits with the change, or goes with its rollback. After
the commit the relay publishes the rows of that call at once, best effort: a broker that does not
answer is logged and the rows are left, and the request that made the change still succeeds.
``outbox_sweep`` (every minute) publishes whatever was left, each row by one sweeper only (SKIP
LOCKED where the database has row locks), failed ones again with backoff, and forgets published
rows after ``PUBLISHED_RETENTION``.

A broker that took a message may still lose it (Redis restarted without persistence): each message
carries its row's id (``OUTBOX_HEADER``), the worker marks the row done when the task has run
(``task_done``, on Celery's ``task_postrun``), and the sweep publishes again a row that was published
``REDELIVER_AFTER`` ago and never marked done, up to ``MAX_DELIVERIES`` times. A row done keeps its
task and times, not its arguments: those may hold a secret (an invitation's token).

So a message may be delivered twice (a process that dies between publishing it and recording that
it did, a task slower than ``REDELIVER_AFTER``): every task tolerates being delivered twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery import Task
from celery.signals import task_postrun
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from portal.celery import app
from portal.models import OutboxMessage

logger = logging.getLogger(__name__)

# A new row is its relay's for this long; only then may the sweep publish it.
RELAY_GRACE = timedelta(minutes=1)
# Published rows are kept this long (to see what went out), then deleted.
PUBLISHED_RETENTION = timedelta(days=2)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=30)
SWEEP_BATCH = 500
# One sweep stops taking new batches after this long, well within the minute until the next.
SWEEP_BUDGET = timedelta(seconds=40)
PRUNE_CHUNK = 5000
ERROR_MAX_LENGTH = 2000
# A message published this long ago and not done is published again (the broker may have lost it).
REDELIVER_AFTER = timedelta(minutes=30)
MAX_DELIVERIES = 5
OUTBOX_HEADER = "kachi_outbox"


@dataclass
class SweepResult:
    published: int = 0
    failed: int = 0
    pruned: int = 0
    redelivered: int = 0


def enqueue(task: str, args: Sequence[object] = (), kwargs: dict[str, Any] | None = None) -> None:
    """Run the Celery task named ``task`` once the current transaction commits (at once outside one).
    Arguments must be JSON: ids, text, numbers, lists and objects of them."""
    enqueue_many(task, [list(args)], kwargs=kwargs)


def enqueue_many(task: str, args_list: Sequence[Sequence[object]], kwargs: dict[str, Any] | None = None) -> None:
    """``enqueue`` once per item of ``args_list``, in one statement."""
    if not args_list:
        return
    now = timezone.now()
    rows = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                task=task, args=list(args), kwargs=kwargs or {}, created_at=now, available_at=now + RELAY_GRACE
            )
            for args in args_list
        ],
        batch_size=500,
    )
    transaction.on_commit(partial(_relay, rows))


def _publish(message: OutboxMessage) -> None:
    task = app.tasks.get(message.task)
    headers = {OUTBOX_HEADER: str(message.pk)}
    # One try: a broker that is down is the sweep's to wait for, not the request's.
    if task is None:  # not imported by this process: a worker knows it by its name
        app.send_task(message.task, args=message.args, kwargs=message.kwargs, retry=False, headers=headers)
    else:
        task.apply_async(args=message.args, kwargs=message.kwargs, retry=False, headers=headers)


def _published(ids: list[int], now: datetime) -> None:
    """Record that these rows went to the broker. Tasks run in this process (eager, as in tests) ran
    already: they are done too."""
    if not ids:
        return
    # By hand: it follows every request that changed something, and the ORM took longer to build
    # this UPDATE than the database to run it.
    qn = connection.ops.quote_name
    moment = connection.ops.adapt_datetimefield_value(now)
    published, deliveries = qn("published_at"), qn("deliveries")
    assignments = f"{published} = %s, {deliveries} = {deliveries} + 1"
    params: list[Any] = [moment]
    if app.conf.task_always_eager:
        assignments += f", {qn('done_at')} = %s, {qn('args')} = %s, {qn('kwargs')} = %s"
        params += [moment, "[]", "{}"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(OutboxMessage._meta.db_table)} SET {assignments} "  # noqa: S608 (identifiers only)
            f"WHERE {qn('id')} IN ({', '.join(['%s'] * len(ids))})",
            [*params, *ids],
        )


@task_postrun.connect
def _task_finished(*, task: Task[Any, Any] | None = None, state: str | None = None, **_kwargs: object) -> None:
    """In the worker, after each run of a task: one published from a row marks it done, unless it
    is to be retried (its retry is the task's own)."""
    if task is None or state == "RETRY":
        return
    request = task.request
    message_id = request.get(OUTBOX_HEADER) or (getattr(request, "headers", None) or {}).get(OUTBOX_HEADER)
    if message_id is not None:
        task_done(message_id)


def task_done(message_id: object) -> None:
    """A worker finished the task of this row (or gave up on it): it is not published again, and its
    arguments are forgotten."""
    try:
        pk = int(str(message_id))
    except ValueError:
        return
    OutboxMessage.objects.filter(pk=pk, done_at=None).update(done_at=timezone.now(), args=[], kwargs={})


def _publish_all(messages: list[OutboxMessage]) -> tuple[list[int], OutboxMessage | None, Exception | None]:
    """Publish in order until one fails: the ids published, and the one that failed with its error."""
    done: list[int] = []
    for message in messages:
        try:
            _publish(message)
        except Exception as error:
            return done, message, error
        done.append(message.pk)
    return done, None, None


def _relay(messages: list[OutboxMessage]) -> None:
    """After the commit: publish these rows now, leaving any the broker did not take to the sweep."""
    try:
        done, failed, error = _publish_all(messages)
        now = timezone.now()
        _published(done, now)
        if failed is not None:
            logger.warning(
                "outbox: %s (message %s) was not published, the sweep will: %r", failed.task, failed.pk, error
            )
            left = [m.pk for m in messages[len(done) :]]
            OutboxMessage.objects.filter(pk__in=left, published_at=None).update(
                attempts=F("attempts") + 1, available_at=now, last_error=_error_text(error)
            )
    except Exception:
        # The change is committed: whatever happens here, its request answers as it would have.
        logger.exception("outbox: relay failed; the sweep will publish what is left")


def backoff(attempts: int) -> timedelta:
    """How long a row waits after its ``attempts``-th failure."""
    wait: timedelta = BACKOFF_BASE * (1 << min(attempts, 16))
    return min(wait, BACKOFF_MAX)


def outbox_sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> SweepResult:
    """Publish the rows their relay left (or that failed before and are due again), oldest first, in
    batches until none is left, the broker refuses one, or the time is up; then prune old published rows."""
    result = SweepResult()
    started = timezone.now()
    while timezone.now() - started < SWEEP_BUDGET:
        published, failed = _sweep_batch(now=now or timezone.now(), batch=batch)
        result.published += published
        result.failed += failed
        if failed or published < batch:
            break
    if not result.failed:
        result.redelivered = _redeliver(now=now or timezone.now(), batch=batch)
    result.pruned = outbox_prune(before=(now or timezone.now()) - PUBLISHED_RETENTION)
    return result


def _sweep_batch(*, now: datetime, batch: int) -> tuple[int, int]:
    with transaction.atomic():
        # A row another sweeper holds is skipped: it publishes it, this one does not.
        messages = list(
            OutboxMessage.objects.filter(published_at=None, available_at__lte=now)
            .order_by("available_at", "pk")
            .select_for_update(skip_locked=True)[:batch]
        )
        done, failed, error = _publish_all(messages)
        _published(done, timezone.now())
        if failed is None:
            return len(done), 0
        logger.warning("outbox: %s (message %s) could not be published: %r", failed.task, failed.pk, error)
        # The rest of the batch is left as it was: the broker, not those rows, failed.
        attempts = failed.attempts + 1
        OutboxMessage.objects.filter(pk=failed.pk).update(
            attempts=attempts, available_at=now + backoff(attempts), last_error=_error_text(error)
        )
        return len(done), 1


def _redeliver(*, now: datetime, batch: int) -> int:
    """Publish again the rows published ``REDELIVER_AFTER`` ago that no worker marked done, in
    batches until none is left, the broker refuses one, or the sweep's time is up."""
    total = 0
    started = timezone.now()
    while timezone.now() - started < SWEEP_BUDGET:
        with transaction.atomic():
            messages = list(
                OutboxMessage.objects.filter(
                    published_at__lte=now - REDELIVER_AFTER, done_at=None, deliveries__lt=MAX_DELIVERIES
                )
                .order_by("published_at", "pk")
                .select_for_update(skip_locked=True)[:batch]
            )
            done, failed, error = _publish_all(messages)
            _published(done, timezone.now())
        total += len(done)
        if failed is not None:
            logger.warning("outbox: %s (message %s) could not be published again: %r", failed.task, failed.pk, error)
            break
        if len(messages) < batch:
            break
    if total:
        logger.warning("outbox: %s messages published again: no worker reported them done", total)
    return total


def outbox_prune(*, before: datetime) -> int:
    """Delete rows done (or given up on) before ``before``, a chunk per statement. Returns how many went."""
    deleted = 0
    gone = Q(done_at__lt=before) | Q(done_at=None, published_at__lt=before, deliveries__gte=MAX_DELIVERIES)
    while True:
        chunk = OutboxMessage.objects.filter(gone).order_by().values("pk")[:PRUNE_CHUNK]
        count, _by_model = OutboxMessage.objects.filter(pk__in=chunk).delete()
        deleted += count
        if count < PRUNE_CHUNK:
            return deleted


def _error_text(error: Exception | None) -> str:
    return f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH] if error is not None else ""
