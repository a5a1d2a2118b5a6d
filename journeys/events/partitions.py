"""Raw usage events by month: native PostgreSQL partitions of the events table on ``received_at``.

On PostgreSQL the table is ``PARTITION BY RANGE (received_at)`` with one partition per calendar
month (UTC), named ``<table>_yYYYYmMM``, and a default partition (``<table>_default``) so that an
insert never fails, whatever month it falls in. A daily beat task creates this month's partition and
the next ones ahead of need; the retention job detaches and drops the partitions whose whole month
is past the retention period: one short metadata change instead of deleting millions of rows (no
dead rows to vacuum, no index bloat). Retention is then kept to the month: a raw event stays at
least the retention period and at most one month more.

Idempotency cannot rest on this table: PostgreSQL allows a unique constraint on a partitioned table
only if it includes the partition key, and (token, event id, received_at) would let a replay in. So
the unique (token, event id) lives in the small unpartitioned ``UsageEventKey`` table, written in the
same statement as the events and pruned with them (``services/ingest.py``).

SQLite (development, the default test run) keeps the plain table: every function here is a no-op
there, and pruning deletes rows.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from django.db import connection, transaction

from journeys.events.models import UsageEvent

TABLE = UsageEvent._meta.db_table
DEFAULT_PARTITION = f"{TABLE}_default"
MONTHS_AHEAD = 2
_MONTHLY = re.compile(rf"^{re.escape(TABLE)}_y(\d{{4}})m(\d{{2}})$")


def is_partitioned() -> bool:
    """Whether the events table is a partitioned table (PostgreSQL, once migrated)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def month_start(moment: datetime) -> datetime:
    """The first instant (UTC) of the month ``moment`` falls in."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def add_months(month: datetime, months: int) -> datetime:
    index = month.year * 12 + month.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(month: date | datetime) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def _literal(moment: datetime) -> str:
    # Bounds of a partition are literals in the DDL; they come from month_start(), never from input.
    return "'" + moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00") + "'"


def monthly_partitions() -> dict[str, datetime]:
    """The monthly partitions that exist: name → first instant of the month."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [TABLE],
        )
        names = [name for (name,) in cursor.fetchall()]
    found = {}
    for name in names:
        if match := _MONTHLY.match(name):
            found[name] = datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC)
    return found


def event_partitions_ensure(*, now: datetime, ahead: int = MONTHS_AHEAD) -> list[str]:
    """Create the partitions of ``now``'s month and the ``ahead`` months after it that are missing;
    the names created. Events of such a month already in the default partition move into the new one."""
    if not is_partitioned():
        return []
    existing = monthly_partitions()
    first = month_start(now)
    created = []
    for offset in range(ahead + 1):
        start = add_months(first, offset)
        name = partition_name(start)
        if name not in existing:
            _create_partition(name, start, add_months(start, 1))
            created.append(name)
    return created


def _create_partition(name: str, start: datetime, end: datetime) -> None:
    qn = connection.ops.quote_name
    table, part, default = qn(TABLE), qn(name), qn(DEFAULT_PARTITION)
    received = qn("received_at")
    low, high = _literal(start), _literal(end)
    with transaction.atomic(), connection.cursor() as cursor:
        # Built beside the table and attached: ATTACH locks the table far less than CREATE … PARTITION
        # OF, and rows of that month that went to the default partition meanwhile move with it.
        cursor.execute(f"CREATE TABLE {part} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {default} WHERE {received} >= {low} AND {received} < {high} "  # noqa: S608
            f"RETURNING *) INSERT INTO {part} SELECT * FROM moved"
        )
        cursor.execute(f"ALTER TABLE {table} ATTACH PARTITION {part} FOR VALUES FROM ({low}) TO ({high})")


def event_partitions_drop(*, before: datetime) -> tuple[list[str], int]:
    """Detach and drop the monthly partitions whose whole month is before ``before``; their names and
    how many events they held."""
    qn = connection.ops.quote_name
    dropped, events = [], 0
    for name, start in sorted(monthly_partitions().items(), key=lambda item: item[1]):
        if add_months(start, 1) > before:
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {qn(name)}")  # noqa: S608 (a name from the catalogue)
            (count,) = cursor.fetchone() or (0,)
            cursor.execute(f"ALTER TABLE {qn(TABLE)} DETACH PARTITION {qn(name)}")
            cursor.execute(f"DROP TABLE {qn(name)}")
        dropped.append(name)
        events += count
    return dropped, events


def partition_of(event_id: int) -> str | None:
    """The partition an event is stored in (PostgreSQL), for checks and tests."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text FROM {connection.ops.quote_name(TABLE)} WHERE id = %s",  # noqa: S608
            [event_id],
        )
        row = cursor.fetchone()
    return None if row is None else row[0].strip('"')
