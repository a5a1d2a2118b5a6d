"""The rows of a TTV report, lean: one statement, three numbers per journey, sorted by the database.

A report needs, per journey, only its group, its time to the milestone (or to censoring) and
whether it arrived; the statement computes those in the database (durations in calendar days,
exact to the microsecond, censoring at now or churn) and returns them sorted by group and
duration, so that ``measurement.kaplan_meier`` makes one pass per group. The milestone of each
playbook version is chosen first by a small query, so the statement joins instead of running a
subquery per journey.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

import numpy as np
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from journeys.onboarding.models import Milestone
from journeys.reports import calendar
from portal.models import Account, MilestoneKind
from portal.translated import ENGLISH, active_language, localized


@dataclass(frozen=True, kw_only=True)
class MeasuredMilestone:
    """The milestone measured in one playbook version: the first of the kind by position, or the key."""

    id: int
    key: str
    playbook_id: int
    playbook_key: str
    playbook_version: int
    playbook_name: str


def measured_milestones(*, kind: str | None, milestone_key: str | None) -> list[MeasuredMilestone]:
    """Per playbook version, the milestone a report measures (one small query)."""
    milestones = Milestone.objects.all()
    if kind is not None:
        milestones = milestones.filter(kind=kind)
    if milestone_key:
        milestones = milestones.filter(key=milestone_key)
    chosen: dict[int, MeasuredMilestone] = {}
    for row in _milestone_rows(milestones):
        chosen.setdefault(row["playbook_id"], _measured(row))
    return list(chosen.values())


def measured_milestones_by_kind(kinds: Sequence[str]) -> dict[str, list[MeasuredMilestone]]:
    """Per kind, what ``measured_milestones(kind=...)`` gives, from one small query for every kind
    (a kind no playbook version has is left out)."""
    chosen: dict[tuple[str, int], MeasuredMilestone] = {}
    for row in _milestone_rows(Milestone.objects.filter(kind__in=kinds), "kind"):
        chosen.setdefault((row["kind"], row["playbook_id"]), _measured(row))
    by_kind: dict[str, list[MeasuredMilestone]] = {}
    for (kind, _playbook), milestone in chosen.items():
        by_kind.setdefault(kind, []).append(milestone)
    return by_kind


def _milestone_rows(milestones: QuerySet[Milestone], *extra: str) -> QuerySet[Milestone, dict[str, Any]]:
    """The milestones by playbook version, then position: the first of each version is the measured one."""
    rows: QuerySet[Milestone, dict[str, Any]] = milestones.order_by("playbook_id", "position", "id").values(
        "id",
        "key",
        "playbook_id",
        "playbook__key",
        "playbook__version",
        *extra,
        playbook_name=localized("playbook__name"),
    )
    return rows


def _measured(row: dict[str, Any]) -> MeasuredMilestone:
    return MeasuredMilestone(
        id=row["id"],
        key=row["key"],
        playbook_id=row["playbook_id"],
        playbook_key=row["playbook__key"],
        playbook_version=row["playbook__version"],
        playbook_name=row["playbook_name"],
    )


# (group, duration in days, reached, target), and in business days (group, duration in business days,
# reached, target, duration in calendar days)
LeanRow = tuple[Any, float, bool, int | None]
BusinessLeanRow = tuple[Any, float, bool, int | None, float]

# The end of observation: the achievement as of now, else churn if earlier than now, else now.
END_SQL = "CASE WHEN a.id IS NOT NULL THEN a.achieved_at WHEN acc.churned_at < %s THEN acc.churned_at ELSE %s END"


def lean_rows(
    *,
    milestones: Sequence[MeasuredMilestone],
    group_by: str | None,
    start_from: date | None,
    start_to: date | None,
    now: datetime,
    accounts: QuerySet[Account] | None,
) -> list[LeanRow]:
    """One row per journey measured (as ``measurement.ttv_rows`` selects them), sorted by group then
    duration, from one statement: (group, duration in days, reached, target).

    The group is the segment id, plan, CS manager id (None: none), playbook id, cohort start (as
    the database truncates it) or "all"; the target is the journey's (``target_sql``)."""
    rows: list[LeanRow] = _grouped_rows(
        milestones=milestones, group_by=group_by, start_from=start_from, start_to=start_to, now=now,
        accounts=accounts, business_days=False,
    )  # fmt: skip
    return rows


def business_lean_rows(
    *,
    milestones: Sequence[MeasuredMilestone],
    group_by: str | None,
    start_from: date | None,
    start_to: date | None,
    now: datetime,
    accounts: QuerySet[Account] | None,
) -> list[BusinessLeanRow]:
    """``lean_rows`` in business days, sorted by group then business duration: (group, duration in
    business days, reached, target, duration in calendar days), both durations never below 0; the
    business days from the calendar table (``journeys.reports.calendar``), joined at the start and
    the end of each journey. One statement, or three more the first time a day is missing from the
    calendar (it is filled, and the statement run again)."""
    rows: list[BusinessLeanRow] = _grouped_rows(
        milestones=milestones, group_by=group_by, start_from=start_from, start_to=start_to, now=now,
        accounts=accounts, business_days=True,
    )  # fmt: skip
    return rows


def _grouped_rows(
    *,
    milestones: Sequence[MeasuredMilestone],
    group_by: str | None,
    start_from: date | None,
    start_to: date | None,
    now: datetime,
    accounts: QuerySet[Account] | None,
    business_days: bool,
) -> list[Any]:
    """The lean rows with the group first, in calendar or business days."""
    if not milestones or (accounts is not None and accounts.query.is_empty()):
        return []
    group_sql, group_params = _group_expression(group_by)
    return _lean_statement(
        [("g", group_sql)], group_params, milestones=milestones, start_from=start_from, start_to=start_to,
        now=now, accounts=accounts, business_days=business_days,
    )  # fmt: skip


# (kind's index, 1 if started in the later period else 0, segment id, duration, reached, target), in
# business days with the duration in calendar days last (as ``business_lean_rows``)
PeriodRow = tuple[Any, ...]


def period_lean_rows(
    *,
    kinds: Sequence[str],
    milestones: Sequence[MeasuredMilestone],
    start_from: date,
    split: date,
    start_to: date,
    now: datetime,
    business_days: bool,
) -> list[PeriodRow]:
    """The lean rows of ``milestones`` (``measured_milestones_by_kind`` of ``kinds``, flattened) for
    two adjacent periods at once, from one statement: the journeys started from ``start_from`` to
    ``start_to``, each marked 1 when it started on or after ``split`` (the later period), else 0.
    (the index of its milestone's kind in ``kinds``, later period, segment id, then the columns of
    ``lean_rows`` or ``business_lean_rows`` after the group), sorted by kind, period, then duration:
    each kind's journeys of one period are the rows ``lean_rows`` gives for that kind and period
    without a group, sorted as those are. The kind goes as its index, so that the database sorts
    integers (not text by its collation)."""
    if not milestones:
        return []
    ops = connection.ops
    boundary = ops.adapt_datetimefield_value(datetime.combine(split, time(), tzinfo=timezone.get_default_timezone()))
    kind_index = "CASE m.kind " + " ".join(f"WHEN %s THEN {index}" for index in range(len(kinds))) + " END"
    rows: list[PeriodRow] = _lean_statement(
        [("k", kind_index), ("p", "CASE WHEN j.started_at >= %s THEN 1 ELSE 0 END"), ("seg", "acc.segment_id")],
        (*kinds, boundary),
        milestones=milestones,
        start_from=start_from,
        start_to=start_to,
        now=now,
        accounts=None,
        business_days=business_days,
        order=("k", "p"),
    )
    return rows


def _lean_statement(
    columns: Sequence[tuple[str, str]],
    column_params: Sequence[Any],
    *,
    milestones: Sequence[MeasuredMilestone],
    start_from: date | None,
    start_to: date | None,
    now: datetime,
    accounts: QuerySet[Account] | None,
    business_days: bool,
    order: Sequence[str] | None = None,
) -> list[Any]:
    """The lean rows' statement, run: the ``columns`` (alias, SQL with ``column_params``) first, then
    duration, reached, target (and the calendar duration in business days); sorted by the aliases in
    ``order`` (default: every column's), then duration."""
    sql, params = _lean_sql(
        columns, column_params, milestones=milestones, start_from=start_from, start_to=start_to, now=now,
        accounts=accounts, business_days=business_days,
    )  # fmt: skip
    sort = ", ".join([*(order if order is not None else [alias for alias, _sql in columns]), "duration"])
    sql = f"{sql} ORDER BY {sort}"
    if not business_days:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows: list[Any] = cursor.fetchall()
        return rows
    return _with_calendar(sql, params, now=now, business_column=len(columns))


def _lean_sql(
    columns: Sequence[tuple[str, str]],
    column_params: Sequence[Any],
    *,
    milestones: Sequence[MeasuredMilestone],
    start_from: date | None,
    start_to: date | None,
    now: datetime,
    accounts: QuerySet[Account] | None,
    business_days: bool,
) -> tuple[str, list[Any]]:
    """The lean rows' statement, unsorted, with its parameters: the ``columns`` (alias, SQL with
    ``column_params``), then ``duration``, ``reached``, ``row_target`` (and ``calendar``, the duration
    in calendar days, in business days; ``duration`` is NULL where the calendar lacks a day)."""
    moment = connection.ops.adapt_datetimefield_value(now)
    from_where, params = _from_where(
        milestones=milestones, start_from=start_from, start_to=start_to, now=now, accounts=accounts
    )
    lead = ", ".join(alias for alias, _sql in columns)
    chosen = ", ".join(f"{sql} AS {alias}" for alias, sql in columns)
    if not business_days:
        if connection.vendor == "postgresql":
            elapsed = f"DATE_PART('epoch', ({END_SQL}) - j.started_at) / 86400"
        else:  # SQLite: Django's function gives whole microseconds, exactly
            elapsed = f"CAST(django_timestamp_diff({END_SQL}, j.started_at) AS DOUBLE PRECISION) / 1000000 / 86400"
        sql = f"""
            SELECT {lead}, CASE WHEN elapsed < 0 THEN 0.0 ELSE elapsed END AS duration, hit = 1 AS reached,
                   row_target
            FROM (
                SELECT {chosen}, {elapsed} AS elapsed,
                       CASE WHEN a.id IS NULL THEN 0 ELSE 1 END AS hit,
                       {target_sql()} AS row_target
                {from_where}
            ) r
        """  # noqa: S608
        return sql, [*column_params, moment, moment, *params]
    joins, join_params = calendar.joins_sql([("r.s", "cs"), ("r.e", "ce")])
    if connection.vendor == "postgresql":  # whole microseconds, so that the days are Python's to the last bit
        elapsed = "CAST(CAST(DATE_PART('epoch', r.e - r.s) * 1000000 AS BIGINT) AS DOUBLE PRECISION) / 1000000 / 86400"
    else:  # SQLite: Django's function gives whole microseconds, exactly
        elapsed = "CAST(django_timestamp_diff(r.e, r.s) AS DOUBLE PRECISION) / 1000000 / 86400"
    outer = ", ".join(f"r.{alias}" for alias, _sql in columns)
    sql = f"""
        SELECT {lead}, CASE WHEN business < 0 THEN 0.0 ELSE business END AS duration, hit = 1 AS reached,
               row_target, CASE WHEN elapsed < 0 THEN 0.0 ELSE elapsed END AS calendar
        FROM (
            SELECT {outer}, r.hit, r.row_target, {elapsed} AS elapsed,
                   {calendar.elapsed_sql("r.s", "cs", "r.e", "ce")} AS business
            FROM (
                SELECT {chosen}, j.started_at AS s, {END_SQL} AS e,
                       CASE WHEN a.id IS NULL THEN 0 ELSE 1 END AS hit,
                       {target_sql()} AS row_target
                {from_where}
            ) r
            {joins}
        ) b
    """  # noqa: S608
    return sql, [*column_params, moment, moment, *params, *join_params]


@dataclass(frozen=True)
class LeanGroup:
    """One group's journeys as arrays, sorted by duration: what ``kaplan_meier`` takes."""

    value: Any  # the group, as ``lean_rows`` gives it
    durations: np.ndarray  # days (business days with ``calendar``)
    reached: np.ndarray  # bool
    targets: np.ndarray  # days; NaN where the journey has none
    calendar: np.ndarray | None  # in business days, the durations in calendar days

    @classmethod
    def merged(cls, value: Any, groups: Sequence[LeanGroup], *, business_days: bool) -> LeanGroup:
        def joined(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(arrays) if arrays else np.empty(0, dtype=dtype)

        return cls(
            value=value,
            durations=joined([g.durations for g in groups], np.float64),
            reached=joined([g.reached for g in groups], np.bool_),
            targets=joined([g.targets for g in groups], np.float64),
            calendar=joined([g.calendar for g in groups if g.calendar is not None], np.float64)
            if business_days
            else None,
        )


# One journey packed by PostgreSQL (big-endian, as its binary send functions write them): its duration,
# target (-1: none) and outcome, in business days its calendar duration, and by cohort its start month.
_FIELDS = [("duration", ">f8"), ("target", ">i4"), ("reached", "?")]
_COHORTS = {"cohort_month": 1, "cohort_quarter": 3}


def lean_groups(
    *,
    milestones: Sequence[MeasuredMilestone],
    group_by: str | None,
    start_from: date | None,
    start_to: date | None,
    now: datetime,
    accounts: QuerySet[Account] | None,
    business_days: bool,
) -> list[LeanGroup]:
    """The journeys ``lean_rows`` (or ``business_lean_rows``) gives, as one ``LeanGroup`` per group,
    from one statement (three more the first time the calendar lacks a day).

    On PostgreSQL each group comes back as one value: its journeys packed as binary numbers, which
    numpy reads as they are. A million journeys then cross in a fraction of the time a million rows
    take to become Python tuples, and numpy sorts them, faster than the database. The numbers are the
    same bits as in rows. By cohort, the journeys come back as one value with their start month
    (year * 12 + month - 1, in the time zone) and are split here: grouped by a truncated time, the
    database expects a million groups, sorts every journey on disk and compiles the statement with
    JIT for longer than it runs."""
    if not milestones or (accounts is not None and accounts.query.is_empty()):
        return []
    group_sql, group_params = _group_expression(group_by)
    columns = [("g", group_sql)]
    if connection.vendor != "postgresql":
        rows = _lean_statement(
            columns, group_params, milestones=milestones, start_from=start_from, start_to=start_to, now=now,
            accounts=accounts, business_days=business_days,
        )  # fmt: skip
        return _groups_from_rows(rows, business_days=business_days)
    cohort = _COHORTS.get(group_by or "")
    fields = list(_FIELDS)
    packed = "float8send(duration) || int4send(CAST(COALESCE(row_target, -1) AS INTEGER)) || boolsend(reached)"
    if business_days:
        packed += " || float8send(calendar)"
        fields.append(("calendar", ">f8"))
    if cohort:
        local = "j.started_at AT TIME ZONE %s"
        # DATE_PART, not EXTRACT: a double, not a numeric (PostgreSQL 14 and later), a third the work.
        month = f"CAST(DATE_PART('year', {local}) * 12 + DATE_PART('month', {local}) - 1 AS INTEGER)"
        zone = timezone.get_default_timezone_name()
        columns, group_params = [("g", "'all'"), ("month", month)], (zone, zone)
        packed += " || int4send(month)"
        fields.append(("month", ">i4"))
    sql, params = _lean_sql(
        columns, group_params, milestones=milestones, start_from=start_from, start_to=start_to, now=now,
        accounts=accounts, business_days=business_days,
    )  # fmt: skip
    # count(duration) < count(*): a day missing from the calendar (its business duration is NULL).
    statement = f"SELECT g, count(*), count(duration), string_agg({packed}, ''::bytea) FROM ({sql}) lean GROUP BY g"  # noqa: S608
    for attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            rows = cursor.fetchall()
        if attempt or not business_days or all(count == complete for _g, count, complete, _data in rows):
            break
        calendar.calendar_keep(until=now)  # a day the calendar lacks: filled, once
    dtype = np.dtype(fields)
    groups = []
    for value, count, _complete, data in rows:
        journeys = np.frombuffer(bytes(data or b""), dtype=dtype)
        if len(journeys) != count:  # only a day the calendar still lacks after filling it
            raise RuntimeError(f"{count - len(journeys)} journeys of group {value!r} have no duration")
        if not cohort:
            groups.append(_lean_group(value, journeys, business_days=business_days))
            continue
        # The cohort's first month, as the database's truncation gives it: a datetime without zone.
        months = journeys["month"].astype(np.int64)
        months -= months % cohort
        for start in np.unique(months).tolist():
            group = _lean_group(datetime(start // 12, start % 12 + 1, 1), journeys[months == start],  # noqa: DTZ001
                                business_days=business_days)  # fmt: skip
            groups.append(group)
    return groups


def _lean_group(value: Any, journeys: np.ndarray, *, business_days: bool) -> LeanGroup:
    """A group from its packed journeys: sorted by duration here, once, so that Kaplan-Meier's own sort
    finds one run per group, and the total's sort one run per group to merge."""
    journeys = journeys[np.argsort(journeys["duration"], kind="stable")]
    targets = journeys["target"].astype(np.float64)
    targets[journeys["target"] < 0] = np.nan
    return LeanGroup(
        value=value,
        durations=journeys["duration"].astype(np.float64),
        reached=journeys["reached"].copy(),
        targets=targets,
        calendar=journeys["calendar"].astype(np.float64) if business_days else None,
    )


def _groups_from_rows(rows: Sequence[Sequence[Any]], *, business_days: bool) -> list[LeanGroup]:
    """``LeanGroup``s from lean rows, sorted by group then duration (SQLite): the same arrays
    PostgreSQL packs."""
    by_group: dict[Any, list[Sequence[Any]]] = {}
    for row in rows:
        by_group.setdefault(row[0], []).append(row)
    return [
        LeanGroup(
            value=value,
            durations=np.array([row[1] for row in members], dtype=np.float64),
            reached=np.array([bool(row[2]) for row in members], dtype=np.bool_),
            targets=np.array([np.nan if row[3] is None else row[3] for row in members], dtype=np.float64),
            calendar=np.array([row[4] for row in members], dtype=np.float64) if business_days else None,
        )
        for value, members in by_group.items()
    ]


def _with_calendar(sql: str, params: Sequence[Any], *, now: datetime, business_column: int) -> list[Any]:
    """The rows of ``sql``, whose ``business_column`` is the business days the calendar table gives:
    where it is NULL for a row, a day was missing, so the calendar is filled and ``sql`` run once more."""
    for attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows: list[Any] = cursor.fetchall()
        if attempt or all(row[business_column] is not None for row in rows):
            break
        calendar.calendar_keep(until=now)  # a day the calendar lacks: filled, once
    return rows


def _from_where(
    *,
    milestones: Sequence[MeasuredMilestone],
    start_from: date | None,
    start_to: date | None,
    now: datetime,
    accounts: QuerySet[Account] | None,
    open_only: bool = False,
    joins: str = "",
) -> tuple[str, list[Any]]:
    """FROM ... WHERE ... of both statements, with its parameters: journeys of the playbook versions
    that have a measured milestone, its achievement as of ``now`` (a = NULL when not reached)."""
    ops = connection.ops
    tz = timezone.get_default_timezone()
    moment = ops.adapt_datetimefield_value(now)
    where = ["j.started_at <= %s"]
    params: list[Any] = [*[m.id for m in milestones], *sorted({m.key for m in milestones}), moment, moment]
    if start_from is not None:
        where.append("j.started_at >= %s")
        params.append(ops.adapt_datetimefield_value(datetime.combine(start_from, time(), tzinfo=tz)))
    if start_to is not None:
        where.append("j.started_at < %s")
        params.append(ops.adapt_datetimefield_value(datetime.combine(start_to + timedelta(days=1), time(), tzinfo=tz)))
    if accounts is not None and (accounts.query.has_filters() or accounts.query.is_sliced):
        # All accounts (an admin's) need no filter.
        subquery, subquery_params = accounts.values("pk").query.sql_with_params()
        where.append(f"j.account_id IN ({subquery})")
        params.extend(subquery_params)
    if open_only:
        where.append("a.id IS NULL AND acc.status <> %s")
        params.append(Account.Status.CHURNED)
    ids = ", ".join(["%s"] * len(milestones))
    keys = ", ".join(["%s"] * len({m.key for m in milestones}))
    # Only our own SQL is formatted in (column names, placeholders, Django's compiled subquery); every
    # value goes as a parameter. The achievement is looked up by key first, so that the index on
    # milestone_key serves it.
    sql = f"""
        FROM journeys_journey j
        JOIN journeys_milestone m ON m.playbook_id = j.playbook_id AND m.id IN ({ids})
        JOIN portal_account acc ON acc.id = j.account_id
        JOIN portal_segment seg ON seg.id = acc.segment_id
        LEFT JOIN journeys_achievement a
          ON a.milestone_key IN ({keys}) AND a.journey_id = j.id AND a.milestone_key = m.key AND a.achieved_at <= %s
          AND a.revoked_at IS NULL
        {joins}
        WHERE {" AND ".join(where)}
    """
    return sql, params


def target_sql() -> str:
    """A journey's target for the measured milestone ``m`` (days from its start), as SQL: the
    milestone's own target, else its account's segment ``seg``'s target for the milestone's kind.
    The same precedence as ``Milestone.target_for``, which the checklist and the portfolio read;
    every report (rows, groups, totals, at-risk) takes its target from here."""
    whens = " ".join(f"WHEN '{kind}' THEN seg.target_{kind}_days" for kind in MilestoneKind.values)
    return f"COALESCE(m.target_days, CASE m.kind {whens} END)"


FULL_COLUMNS = (
    "pk", "account_id", "account__name", "account__slug", "account__segment__name", "account__segment__slug",
    "account__segment__position", "account__plan", "account__csm_id", "account__csm__name", "account__csm__email",
    "account__churned_at", "playbook__key", "playbook__version", "playbook__name", "started_at", "ms_key",
    "ms_kind", "target", "achieved_at",
)  # fmt: skip


class FullRow(NamedTuple):
    pk: int
    account_id: int
    account__name: str
    account__slug: str
    account__segment__name: str
    account__segment__slug: str
    account__segment__position: int
    account__plan: str
    account__csm_id: int | None
    account__csm__name: str | None
    account__csm__email: str | None
    account__churned_at: datetime | None
    playbook__key: str
    playbook__version: int
    playbook__name: str
    started_at: datetime
    ms_key: str
    ms_kind: str
    target: int | None
    achieved_at: datetime | None
    business_days: float | None = None  # asked for: business days from the start to the end of observation


@dataclass(frozen=True, kw_only=True)
class Keyset:
    """One page of the rows in their order (start, then journey id): the ``limit`` rows after the
    journey at ``position`` (its start and id; None: from the first), or with ``backwards`` the
    ``limit`` rows before it. The database seeks to the position by the index on (start, id)."""

    position: tuple[datetime, int] | None
    limit: int
    backwards: bool = False


def full_rows(
    *,
    milestones: Sequence[MeasuredMilestone],
    start_from: date | None,
    start_to: date | None,
    now: datetime,
    accounts: QuerySet[Account] | None,
    open_only: bool = False,
    keyset: Keyset | None = None,
    business_days: bool = False,
) -> list[FullRow]:
    """One row per journey measured with everything an export shows, ordered by start: one statement.
    ``open_only``: only journeys that have not reached the milestone, of accounts still customers;
    ``keyset``: only that page of them (still in start order).
    ``business_days``: with the business days from the start to the end of observation (the
    achievement as of now, else churn if earlier, else now; not below 0), from the calendar table as
    ``business_lean_rows`` reads it."""
    if not milestones or (accounts is not None and accounts.query.is_empty()):
        return []
    from_where, params = _from_where(
        milestones=milestones, start_from=start_from, start_to=start_to, now=now, accounts=accounts,
        open_only=open_only,
        joins="JOIN journeys_playbook p ON p.id = j.playbook_id LEFT JOIN portal_user u ON u.id = acc.csm_id",
    )  # fmt: skip
    order, page, page_params = "ORDER BY j.started_at, j.id", "", []
    if keyset is not None:
        if keyset.position is not None:
            started, pk = keyset.position
            # A row value, so that both backends seek in the index on (started_at, id).
            from_where += f" AND (j.started_at, j.id) {'<' if keyset.backwards else '>'} (%s, %s)"
            params += [connection.ops.adapt_datetimefield_value(started), pk]
        if keyset.backwards:
            order = "ORDER BY j.started_at DESC, j.id DESC"
        page = "LIMIT %s"
        page_params = [keyset.limit]
    # The playbook's name in the reader's language, as ``localized`` reads it.
    playbook_name = "COALESCE(NULLIF(p.name_en, ''), p.name)" if active_language() == ENGLISH else "p.name"
    if business_days:
        select = f"""
            SELECT j.id, j.account_id, acc.name, acc.slug, seg.name, seg.slug, seg.position, acc.plan, acc.csm_id,
                   u.name, u.email, acc.churned_at, p.key, p.version, {playbook_name}, j.started_at, m.key, m.kind,
                   {target_sql()}, a.achieved_at, {END_SQL} AS obs_end
            {from_where}
        """
        rows = _with_business_days(
            select, params, now, order=order.replace("j.", "r."), page=page, page_params=page_params
        )
        return rows[::-1] if keyset is not None and keyset.backwards else rows
    sql = f"""
        SELECT j.id, j.account_id, acc.name, acc.slug, seg.name, seg.slug, seg.position, acc.plan, acc.csm_id,
               u.name, u.email, acc.churned_at, p.key, p.version, {playbook_name}, j.started_at, m.key, m.kind,
               {target_sql()}, a.achieved_at
        {from_where}
        {order} {page}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *page_params])
        rows = cursor.fetchall()
    if keyset is not None and keyset.backwards:
        rows.reverse()
    if connection.vendor != "sqlite":
        return [FullRow(*row) for row in rows]
    # SQLite hands datetimes back naive (or as text) when not read through the ORM.
    return [
        FullRow._make((*row[:11], _aware(row[11]), *row[12:15], _aware(row[15]), *row[16:19], _aware(row[19]), None))
        for row in rows
    ]


def _with_business_days(
    select: str,
    params: list[Any],
    now: datetime,
    *,
    order: str = "ORDER BY r.started_at, r.id",
    page: str = "",
    page_params: Sequence[Any] = (),
) -> list[FullRow]:
    """``full_rows``' rows from ``select`` (its columns, then the end of observation ``obs_end``) with
    the business days of each, from the calendar joined at the start and at the end of observation;
    the calendar filled first when it lacks a day. ``order`` and ``page`` (its ``page_params``): the
    rows' order and the keyset page's limit, as ``full_rows`` sets them."""
    moment = connection.ops.adapt_datetimefield_value(now)
    joins, join_params = calendar.joins_sql([("r.started_at", "cs"), ("r.obs_end", "ce")])
    business = calendar.elapsed_sql("r.started_at", "cs", "r.obs_end", "ce")
    wrapped = f"""
        SELECT r.*, CASE WHEN {business} < 0 THEN 0.0 ELSE {business} END
        FROM ({select}) r
        {joins}
        {order} {page}
    """  # noqa: S608
    rows = _with_calendar(wrapped, [moment, moment, *params, *join_params, *page_params], now=now, business_column=21)
    if connection.vendor != "sqlite":
        return [FullRow._make((*row[:20], row[21])) for row in rows]
    return [
        FullRow._make((*row[:11], _aware(row[11]), *row[12:15], _aware(row[15]), *row[16:19], _aware(row[19]), row[21]))
        for row in rows
    ]


def _aware(value: Any) -> datetime | None:
    """A UTC datetime from what SQLite gives back: text, or a naive datetime (declared columns)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)


def _group_expression(group_by: str | None) -> tuple[str, tuple[Any, ...]]:
    if group_by is None:
        return "'all'", ()
    if group_by == "segment":
        return "acc.segment_id", ()
    if group_by == "plan":
        return "acc.plan", ()
    if group_by == "csm":
        return "acc.csm_id", ()
    if group_by == "playbook_version":
        return "j.playbook_id", ()
    lookup = "month" if group_by == "cohort_month" else "quarter"
    # The stubs say a string; Django returns (sql, params) since 4.2.
    truncated: tuple[str, Sequence[Any]] = connection.ops.datetime_trunc_sql(  # type: ignore[assignment]
        lookup, "j.started_at", (), timezone.get_default_timezone_name()
    )
    sql, params = truncated
    return sql, tuple(params)


def cohort_of(value: Any, *, quarter: bool) -> str:
    """The cohort label ("2026-03" or "2026-Q1") of a truncated start as the database returns it."""
    if isinstance(value, str):  # SQLite: "2026-03-01 00:00:00"
        year, month = int(value[:4]), int(value[5:7])
    else:
        year, month = value.year, value.month
    return f"{year:04d}-Q{(month - 1) // 3 + 1}" if quarter else f"{year:04d}-{month:02d}"
