"""Usage events: batch ingestion (idempotent per key and event id) and pruning of raw events.

Ingestion is the hot path of the public API, so it is deliberately lean: items
are checked by hand (no serializer per item), every account slug of a batch is
resolved in one query, new events go in with one ``INSERT … ON CONFLICT DO
NOTHING RETURNING`` and their daily counts with one upsert, all in one
transaction. The database's unique constraint on (api_key, external_id) of
the event keys, not a read before the write, is what makes a replay harmless,
also between concurrent requests: an event is written only if its key was
(``journeys/events/partitions.py`` says why the key has a table of its own).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import CharField
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys import queue
from journeys.events import partitions, rules
from journeys.events.models import DailyEventCount, UsageEvent, UsageEventKey
from journeys.events.services.marks import usage_received
from portal.models import ApiToken
from portal.tenancy import visible_accounts


def _max_length(field_name: str) -> int:
    field = UsageEvent._meta.get_field(field_name)
    assert isinstance(field, CharField) and field.max_length is not None
    return field.max_length


ID_MAX_LENGTH = _max_length("external_id")
USER_MAX_LENGTH = _max_length("user_ref")
NAME_MAX_LENGTH = _max_length("name")
PROPERTIES_MAX_BYTES = 8 * 1024
FUTURE_TOLERANCE = timedelta(hours=24)
PRUNE_CHUNK = 5000

_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")
# A JSON \u0000 escape that is not itself an escaped backslash: PostgreSQL's jsonb refuses it.
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")

# A value the database driver takes as a query parameter.
_Param = int | str | datetime | None
# (account id, event name, filter key, day): one row of the daily counts.
_DayKey = tuple[int, str, str, date]


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    account_ids: list[int] = field(default_factory=list)  # accounts that got new events


@dataclass(slots=True)
class _Event:
    external_id: str
    account_id: int
    user_ref: str
    name: str
    occurred_at: datetime  # in UTC
    properties: dict[str, Any]
    properties_json: str


@dataclass(slots=True)
class _DayTotal:
    count: int
    first_at: datetime
    last_at: datetime


def events_ingest(*, api_key: ApiToken, items: object) -> IngestResult:
    """Store a batch of usage events posted with ``api_key``.

    ``items`` is the parsed request body: a list of event objects or ``{"events": [...]}``.
    Raises ValidationError (``{"events": [...]}``) when the batch itself is unusable; a bad
    item only adds ``{"index": i, "errors": {field: [messages]}}`` to the result, and every
    valid item is kept. Items whose id this key already posted (earlier or in this batch)
    count as duplicates. Evaluation of the accounts that got new events is recorded with them and
    published on commit, with the earliest new event per account and name: events older than what
    they already satisfied (a retry, a backfill, an offline queue) re-time it. Each account's usage
    mark counts the batch, so its evaluation is caught up whatever happens to that task.
    """
    if not api_key.is_active:
        raise PermissionDenied(_("This API token has expired or been revoked."))
    restricted_to = api_key.account_id
    if restricted_to is not None and not visible_accounts(user=api_key.owner).filter(pk=restricted_to).exists():
        raise PermissionDenied(_("This token's owner can no longer see its account."))
    batch = _batch(items)
    result = IngestResult()
    events = _validate(api_key=api_key, batch=batch, errors=result.errors)
    valid = len(events)
    # A repeated id within the batch is a duplicate like any replay: the first occurrence is kept.
    unique: dict[str, _Event] = {}
    for event in events:
        unique.setdefault(event.external_id, event)
    if unique:
        with transaction.atomic():
            inserted = _insert_events(api_key=api_key, events=unique)
            new_events = [unique[external_id] for external_id in inserted]
            if new_events:
                _add_daily_counts(new_events)
                earliest = _earliest_per_account(new_events)
                result.account_ids = sorted(earliest)
                marks = usage_received(account_ids=result.account_ids)
                queue.evaluate_accounts(result.account_ids, events_since=earliest, marks=marks)
        result.accepted = len(inserted)
    result.duplicates = valid - result.accepted
    return result


def _earliest_per_account(events: list[_Event]) -> dict[int, dict[str, datetime]]:
    """The earliest new event per account and name: evaluation looks only at what they can change."""
    earliest: dict[int, dict[str, datetime]] = {}
    for event in events:
        by_name = earliest.setdefault(event.account_id, {})
        known = by_name.get(event.name)
        if known is None or event.occurred_at < known:
            by_name[event.name] = event.occurred_at
    return earliest


def _batch(items: object) -> list[object]:
    if isinstance(items, dict) and "events" in items:
        items = items["events"]
    if not isinstance(items, list):
        raise ValidationError({"events": [_("Expected a list of events, or an object with an “events” list.")]})
    limit = settings.USAGE_EVENT_BATCH_MAX
    if len(items) > limit:
        raise ValidationError({"events": [_("At most %(limit)d events per batch.") % {"limit": limit}]})
    return items


def _text_error(value: str, max_length: int) -> str | None:
    if len(value) > max_length:
        return _("Ensure this value has at most %(max)d characters.") % {"max": max_length}
    if "\x00" in value:
        return _("Must not contain the NUL character.")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            return _("Must be valid Unicode text.")
    return None


def _validate(*, api_key: ApiToken, batch: list[object], errors: list[dict[str, Any]]) -> list[_Event]:
    """The valid items as events; the errors of the others appended to ``errors``."""
    own_account = api_key.account if api_key.account_id else None
    if own_account is None:
        slugs = {slug for item in batch if isinstance(item, dict) and isinstance(slug := item.get("account"), str)}
        wanted = [slug for slug in slugs if _SLUG.fullmatch(slug)]
        # Only the accounts the token's owner may see (an admin: every one); any other is unknown.
        visible = visible_accounts(user=api_key.owner)
        account_ids = dict(visible.filter(slug__in=wanted).values_list("slug", "pk")) if wanted else {}
    future_limit = timezone.now() + FUTURE_TOLERANCE
    events: list[_Event] = []
    for index, item in enumerate(batch):
        if not isinstance(item, dict):
            errors.append({"index": index, "errors": {"non_field_errors": [_("Expected an object.")]}})
            continue
        problems: dict[str, list[str]] = {}

        external_id = item.get("id")
        if isinstance(external_id, int) and not isinstance(external_id, bool):
            external_id = str(external_id)
        if external_id is None or external_id == "":
            problems["id"] = [_("This field is required.")]
        elif not isinstance(external_id, str):
            problems["id"] = [_("Must be a string.")]
        elif error := _text_error(external_id, ID_MAX_LENGTH):
            problems["id"] = [error]

        slug = item.get("account")
        account_id = 0
        if own_account is not None:
            if slug not in (None, "") and slug != own_account.slug:
                # Says nothing about whether that other account exists.
                problems["account"] = [_("This key cannot post events for another account.")]
            account_id = own_account.pk
        elif slug is None or slug == "":
            problems["account"] = [_("This field is required with a global key.")]
        elif not isinstance(slug, str) or slug not in account_ids:
            problems["account"] = [_("Unknown account.")]
        else:
            account_id = account_ids[slug]

        user_ref = item.get("user")
        if user_ref is None:
            user_ref = ""
        elif isinstance(user_ref, int) and not isinstance(user_ref, bool):
            user_ref = str(user_ref)
        if not isinstance(user_ref, str):
            problems["user"] = [_("Must be a string.")]
        elif error := _text_error(user_ref, USER_MAX_LENGTH):
            problems["user"] = [error]

        name = item.get("name")
        if name is None or name == "" or (isinstance(name, str) and not name.strip()):
            problems["name"] = [_("This field is required.")]
        elif not isinstance(name, str):
            problems["name"] = [_("Must be a string.")]
        elif error := _text_error(name, NAME_MAX_LENGTH):
            problems["name"] = [error]

        occurred_at = item.get("occurred_at")
        if occurred_at is None or occurred_at == "":
            problems["occurred_at"] = [_("This field is required.")]
        else:
            occurred_at, error = _parse_moment(occurred_at, future_limit)
            if error:
                problems["occurred_at"] = [error]

        properties = item.get("properties")
        properties_json = "{}"
        if properties is None:
            properties = {}
        elif not isinstance(properties, dict):
            problems["properties"] = [_("Must be a JSON object.")]
        elif properties:
            properties_json, error = _properties_json(properties)
            if error:
                problems["properties"] = [error]

        if problems:
            errors.append({"index": index, "errors": problems})
            continue
        # No problems: every field passed its check above.
        assert isinstance(external_id, str) and isinstance(user_ref, str) and isinstance(name, str)
        assert isinstance(occurred_at, datetime)
        events.append(
            _Event(
                external_id=external_id,
                account_id=account_id,
                user_ref=user_ref,
                name=name,
                occurred_at=occurred_at,
                properties=properties,
                properties_json=properties_json,
            )
        )
    return events


def _invalid_moment() -> str:
    return _("Enter a date and time in ISO 8601 format with a time zone, e.g. 2025-04-01T09:30:00+09:00.")


def _parse_moment(value: object, future_limit: datetime) -> tuple[datetime | None, str | None]:
    if not isinstance(value, str):
        return None, _invalid_moment()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None, _invalid_moment()
    if moment.utcoffset() is None:
        return None, _("A time zone is required, e.g. 2025-04-01T09:30:00Z or 2025-04-01T18:30:00+09:00.")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        return None, _invalid_moment()
    if moment > future_limit:
        return None, _("Cannot be more than 24 hours in the future.")
    return moment, None


def _properties_json(properties: dict[str, Any]) -> tuple[str, str | None]:
    try:
        # allow_nan=False: a number too large for a float arrives as inf, which is not JSON.
        text = json.dumps(properties, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        size = len(text.encode())
    except (ValueError, UnicodeEncodeError):
        return "", _("Must contain only valid JSON text and finite numbers.")
    if size > PROPERTIES_MAX_BYTES:
        return "", _("Must be at most %(size)d bytes as JSON.") % {"size": PROPERTIES_MAX_BYTES}
    if "\\u0000" in text and _JSON_NUL.search(text):
        return "", _("Must not contain the NUL character.")
    return text, None


def _insert_events(*, api_key: ApiToken, events: dict[str, _Event]) -> list[str]:
    """Insert the keys of what is new, and the events whose key went in; the ids actually inserted."""
    qn = connection.ops.quote_name
    received_at = timezone.now()
    # Sorted by id: concurrent batches of one key then wait on each other's rows in the same order.
    ordered = [events[external_id] for external_id in sorted(events)]
    columns = ", ".join(
        qn(column)
        for column in (
            "api_key_id",
            "external_id",
            "account_id",
            "user_ref",
            "name",
            "occurred_at",
            "properties",
            "received_at",
        )
    )
    keys_table, events_table = qn(UsageEventKey._meta.db_table), qn(UsageEvent._meta.db_table)
    key_columns = f"({qn('api_key_id')}, {qn('external_id')}, {qn('received_at')})"
    on_conflict = f"ON CONFLICT ({qn('api_key_id')}, {qn('external_id')}) DO NOTHING RETURNING {qn('external_id')}"
    if connection.vendor == "postgresql":
        # The rows travel as one JSON document that PostgreSQL unpacks (json_to_recordset), not as
        # 8 parameters per row: quoting 8,000 parameters, or 8 arrays, spent most of the request in
        # the driver. Validation already refused what PostgreSQL cannot store (NUL, lone surrogates).
        # One statement: the keys that went in (not a replay) pick the events to write.
        rows = json.dumps(
            [
                {
                    "i": event.external_id,
                    "a": event.account_id,
                    "u": event.user_ref,
                    "n": event.name,
                    "t": event.occurred_at.isoformat(),
                    "p": event.properties,
                }
                for event in ordered
            ],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        sql = (
            "WITH r AS MATERIALIZED (SELECT * FROM json_to_recordset(%s::json) "  # noqa: S608 (identifiers only)
            "AS r(i text, a bigint, u text, n text, t timestamptz, p jsonb)), "
            f"k AS (INSERT INTO {keys_table} {key_columns} SELECT %s, r.i, %s FROM r {on_conflict}) "
            f"INSERT INTO {events_table} ({columns}) "
            "SELECT %s, r.i, r.a, r.u, r.n, r.t, r.p, %s FROM r JOIN k ON k.external_id = r.i "
            f"RETURNING {qn('external_id')}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [rows, api_key.pk, received_at, api_key.pk, received_at])
            return [external_id for (external_id,) in cursor.fetchall()]
    # Django keeps JSONField as text on SQLite. The batch limit (1,000) keeps this far below
    # SQLite's 32,766 parameters.
    adapt_moment = connection.ops.adapt_datetimefield_value
    received = adapt_moment(received_at)
    key_params: list[_Param] = []
    for event in ordered:
        key_params += (api_key.pk, event.external_id, received)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {keys_table} {key_columns} "  # noqa: S608 (identifiers from the model)
            f"VALUES {', '.join(['(%s, %s, %s)'] * len(ordered))} {on_conflict}",
            key_params,
        )
        inserted = {external_id for (external_id,) in cursor.fetchall()}
        new = [event for event in ordered if event.external_id in inserted]
        if not new:
            return []
        params: list[_Param] = []
        for event in new:
            params += (
                api_key.pk,
                event.external_id,
                event.account_id,
                event.user_ref,
                event.name,
                adapt_moment(event.occurred_at),
                event.properties_json,
                received,
            )
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(new))
        cursor.execute(f"INSERT INTO {events_table} ({columns}) VALUES {values}", params)  # noqa: S608
    return [event.external_id for event in new]


def _add_daily_counts(events: list[_Event]) -> None:
    """Add new events to their daily counts, under "" and every property filter some rule uses."""
    _upsert_daily_counts(_daily_totals(events, rules.counted_filters({event.name for event in events})))


def _daily_totals(
    events: list[_Event], filters: dict[str, list[tuple[str, dict[str, Any]]]]
) -> dict[_DayKey, _DayTotal]:
    """(account, name, filter key, day) → (count, first_at, last_at) for the events under the filters."""
    totals: dict[_DayKey, _DayTotal] = {}
    for event in events:
        day = rules.event_day(event.occurred_at)
        for key, wanted in filters[event.name]:
            if key and not rules.properties_match(event.properties, wanted):
                continue
            total = totals.get((event.account_id, event.name, key, day))
            if total is None:
                totals[(event.account_id, event.name, key, day)] = _DayTotal(1, event.occurred_at, event.occurred_at)
            else:
                total.count += 1
                total.first_at = min(total.first_at, event.occurred_at)
                total.last_at = max(total.last_at, event.occurred_at)
    return totals


def _upsert_daily_counts(totals: dict[_DayKey, _DayTotal], *, replace: bool = False) -> None:
    """Add ``totals`` to the daily counts in one statement (``replace``: keep the larger count instead)."""
    if not totals:
        return
    qn = connection.ops.quote_name
    adapt_moment = connection.ops.adapt_datetimefield_value
    adapt_day = connection.ops.adapt_datefield_value
    params: list[_Param] = []
    # Sorted by the unique key, so concurrent batches lock count rows in the same order: no deadlock.
    for (account_id, name, key, day), total in sorted(totals.items(), key=lambda item: item[0]):
        params += (
            account_id,
            name,
            key,
            adapt_day(day),
            total.count,
            adapt_moment(total.first_at),
            adapt_moment(total.last_at),
        )
    table = qn(DailyEventCount._meta.db_table)
    count, first_at, last_at = qn("count"), qn("first_at"), qn("last_at")
    if replace:
        new_count = f"CASE WHEN excluded.{count} > {table}.{count} THEN excluded.{count} ELSE {table}.{count} END"
    else:
        new_count = f"{table}.{count} + excluded.{count}"
    # CASE rather than LEAST/GREATEST: SQLite has neither.
    sql = (
        f"INSERT INTO {table} "  # noqa: S608 (identifiers from the model, values as parameters)
        f"({qn('account_id')}, {qn('name')}, {qn('filter_key')}, {qn('day')}, {count}, {first_at}, {last_at}) "
        f"VALUES {', '.join(['(%s, %s, %s, %s, %s, %s, %s)'] * len(totals))} "
        f"ON CONFLICT ({qn('account_id')}, {qn('name')}, {qn('filter_key')}, {qn('day')}) DO UPDATE SET "
        f"{count} = {new_count}, "
        f"{first_at} = CASE WHEN excluded.{first_at} < {table}.{first_at} "
        f"THEN excluded.{first_at} ELSE {table}.{first_at} END, "
        f"{last_at} = CASE WHEN excluded.{last_at} > {table}.{last_at} "
        f"THEN excluded.{last_at} ELSE {table}.{last_at} END"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def daily_counts_backfill(*, name: str, properties_filter: dict[str, Any]) -> int:
    """Count the raw events still kept under a property filter that no rule used when they arrived.

    Safe to run again: each day keeps the larger of its count and what the raw events say.
    Returns how many raw events were read.
    """
    key = rules.filter_key(properties_filter)
    if not key:
        return 0
    filters = {name: [(key, properties_filter)]}
    totals: dict[_DayKey, _DayTotal] = {}
    read, last_pk = 0, 0
    while True:
        chunk = list(
            UsageEvent.objects.filter(name=name, pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "account_id", "occurred_at", "properties")[:PRUNE_CHUNK]
        )
        if not chunk:
            break
        last_pk = chunk[-1][0]
        read += len(chunk)
        events = [
            _Event("", account_id, "", name, occurred_at, properties or {}, "")
            for _pk, account_id, occurred_at, properties in chunk
        ]
        for day_key, new in _daily_totals(events, filters).items():
            total = totals.setdefault(day_key, _DayTotal(0, new.first_at, new.last_at))
            total.count += new.count
            total.first_at, total.last_at = min(total.first_at, new.first_at), max(total.last_at, new.last_at)
    with transaction.atomic():
        _upsert_daily_counts(totals, replace=True)
    return read


def events_retention_boundary(*, older_than_days: int, now: datetime | None = None) -> datetime:
    """The moment before which raw events received go when ``older_than_days`` are kept: exactly that
    many days ago on a plain table, the start of that month on a table partitioned by month."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    return partitions.month_start(cutoff) if partitions.is_partitioned() else cutoff


def events_prune(*, older_than_days: int) -> int:
    """Remove the raw events received before ``events_retention_boundary()``, and their keys; how many
    events went.

    On PostgreSQL whole monthly partitions are detached and dropped; only what the default partition
    holds is deleted row by row. On SQLite rows are deleted. Deletes go in chunks: one short statement
    (and transaction) per chunk, never a long lock on a whole table. Daily counts stay: rules evaluate
    on them, so no achievement changes.
    """
    boundary = events_retention_boundary(older_than_days=older_than_days)
    deleted = 0
    if partitions.is_partitioned():
        _dropped, deleted = partitions.event_partitions_drop(before=boundary)
        qn = connection.ops.quote_name
        default, received = qn(partitions.DEFAULT_PARTITION), qn("received_at")
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {default} WHERE {qn('id')} IN "  # noqa: S608 (identifiers only)
                    f"(SELECT {qn('id')} FROM {default} WHERE {received} < %s LIMIT %s)",
                    [boundary, PRUNE_CHUNK],
                )
                count = cursor.rowcount
            deleted += count
            if count < PRUNE_CHUNK:
                break
    else:
        deleted = _delete_in_chunks(UsageEvent, boundary)
    _delete_in_chunks(UsageEventKey, boundary)
    return deleted


def _delete_in_chunks(model: type[UsageEvent] | type[UsageEventKey], before: datetime) -> int:
    deleted = 0
    while True:
        chunk = model.objects.filter(received_at__lt=before).order_by().values("pk")[:PRUNE_CHUNK]
        count, _by_model = model.objects.filter(pk__in=chunk).delete()
        deleted += count
        if count < PRUNE_CHUNK:
            return deleted
