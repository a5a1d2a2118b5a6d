"""How far the evaluation of each account has caught up with what it received (``UsageMark``).

Every batch of new events counts one change for its accounts, in the batch's own transaction; an
evaluation records the changes it covered. An account left behind for ``CATCH_UP_AFTER`` (its task
lost with a broker, failed for good, or still waiting behind a long queue) is found by one query on a
partial index that holds only such accounts, whatever the number of accounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import F
from django.utils import timezone

from journeys.events.models import UsageMark

# The evaluation task normally runs within seconds; an account behind for longer is evaluated again...
CATCH_UP_AFTER = timedelta(minutes=2)
# ...and again this long after, while it stays behind (a task that keeps failing is not queued every minute).
CATCH_UP_REPEAT = timedelta(minutes=10)
CATCH_UP_BATCH = 1000


def usage_received(*, account_ids: Iterable[int], at: datetime | None = None) -> dict[int, int]:
    """Count one change of usage for each of these accounts, inside the transaction that made it.
    Returns each account's count, which the evaluation of this change records when it is done."""
    ids = sorted(set(account_ids))  # rows locked in the same order by concurrent batches: no deadlock
    if not ids:
        return {}
    qn = connection.ops.quote_name
    moment = connection.ops.adapt_datetimefield_value(at or timezone.now())
    table = qn(UsageMark._meta.db_table)
    received, evaluated, due_since = qn("received"), qn("evaluated"), qn("due_since")
    params: list[int | str | datetime | None] = []
    for pk in ids:
        params += (pk, moment, moment)
    sql = (
        f"INSERT INTO {table} "  # noqa: S608 (identifiers from the model, values as parameters)
        f"({qn('account_id')}, {received}, {evaluated}, {due_since}, {qn('received_at')}) "
        f"VALUES {', '.join(['(%s, 1, 0, %s, %s)'] * len(ids))} "
        f"ON CONFLICT ({qn('account_id')}) DO UPDATE SET "
        # Waiting since the oldest change not evaluated yet: a busy account is not caught up never.
        f"{due_since} = CASE WHEN {table}.{received} = {table}.{evaluated} "
        f"THEN excluded.{due_since} ELSE {table}.{due_since} END, "
        f"{received} = {table}.{received} + 1, "
        f"{qn('received_at')} = excluded.{qn('received_at')} "
        f"RETURNING {qn('account_id')}, {received}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(pk): int(count) for pk, count in cursor.fetchall()}


def usage_marks(*, account_ids: Iterable[int]) -> dict[int, int]:
    """The changes received so far per account: read before an evaluation of everything, which then
    covers them."""
    return dict(UsageMark.objects.filter(account_id__in=list(account_ids)).values_list("account_id", "received"))


def usage_evaluated(*, marks: Mapping[int, int], everything: bool) -> None:
    """Record an evaluation: of ``everything`` received up to ``marks`` (read with ``usage_marks``
    before it began), or of the one change each mark counted (returned by ``usage_received``). One
    change is recorded only right after the one before it: an earlier one whose task was lost keeps
    the account behind, for the catch-up to evaluate in full."""
    for pk, mark in sorted(marks.items()):
        if everything:
            UsageMark.objects.filter(account_id=pk, evaluated__lt=mark).update(evaluated=mark)
        else:
            UsageMark.objects.filter(account_id=pk, evaluated=mark - 1).update(evaluated=mark)


def usage_behind(*, now: datetime | None = None, limit: int = CATCH_UP_BATCH) -> list[int]:
    """Claim the accounts whose evaluation is behind by more than ``CATCH_UP_AFTER`` (and not queued
    again within ``CATCH_UP_REPEAT``), the longest waiting first. Call inside a transaction."""
    now = now or timezone.now()
    rows = (
        UsageMark.objects.filter(received__gt=F("evaluated"), due_since__lte=now - CATCH_UP_AFTER)
        .exclude(queued_at__gt=now - CATCH_UP_REPEAT)
        .order_by("due_since")
    )
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)  # two sweepers take different accounts
    ids = list(rows.values_list("account_id", flat=True)[:limit])
    if ids:
        UsageMark.objects.filter(account_id__in=ids).update(queued_at=now)
    return ids
