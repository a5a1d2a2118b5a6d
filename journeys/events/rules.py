"""Rule evaluation: when is a step or milestone satisfied, and by what, at what time.

Event criteria are evaluated on per-account daily counts (``DailyEventCount``),
so raw events can be pruned without changing any achievement. The exact time
of the event that tipped a criterion is read from the raw events of that one
day while they are still kept; after pruning, the day's first or last event
time stands in.
"""

from __future__ import annotations

import json
import zoneinfo
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from journeys.events.models import DailyEventCount, EventCriterion, UsageEvent


def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def event_day(moment: datetime) -> date:
    """The calendar day (in TIME_ZONE) an event is counted on."""
    return timezone.localtime(moment, local_zone()).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=local_zone())
    return start, start + timedelta(days=1)


def filter_key(properties_filter: dict[str, Any] | None) -> str:
    """Canonical text of a property filter ("" for none): the key daily counts are kept under."""
    if not properties_filter:
        return ""
    return json.dumps(properties_filter, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def properties_match(properties: dict[str, Any] | None, wanted: dict[str, Any] | None) -> bool:
    if not wanted:
        return True
    properties = properties or {}
    return all(key in properties and properties[key] == value for key, value in wanted.items())


FILTERS_KEY = "events:counted-filters"


def counted_filters(names: Iterable[str]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """For each event name, the property filters some rule counts it under, with their keys
    (``("", {})`` = all events of the name).

    Ingestion keeps a daily count for each of them. The filters of every rule are read once, then
    from the shared cache until a step or milestone is saved or deleted (``forget_counted_filters``).
    """
    known = _rule_filters()
    return {name: [("", {}), *known.get(name, {}).items()] for name in set(names)}


def _rule_filters() -> dict[str, dict[str, dict[str, Any]]]:
    found = cache.get(FILTERS_KEY)
    if isinstance(found, dict):
        return found
    filters: dict[str, dict[str, dict[str, Any]]] = {}
    for model in criterion_models():
        rows = model._default_manager.exclude(event_properties={}).values_list("event_name", "event_properties")
        for name, wanted in rows:
            if isinstance(wanted, dict) and wanted:
                filters.setdefault(name, {})[filter_key(wanted)] = wanted
    # The timeout only bounds a change made past the signals (a raw UPDATE).
    cache.set(FILTERS_KEY, filters, timeout=300)
    return filters


def forget_counted_filters(**_signal: Any) -> None:
    cache.delete(FILTERS_KEY)


def criterion_models() -> list[type[EventCriterion]]:
    """The concrete models that carry an event criterion (steps and milestones): they extend
    ``EventCriterion``, so this layer counts for the rules above it without importing them."""
    found: list[type[EventCriterion]] = []
    pending: list[type[EventCriterion]] = list(EventCriterion.__subclasses__())
    while pending:
        model = pending.pop(0)
        pending.extend(model.__subclasses__())
        if not model._meta.abstract and not model._meta.proxy:
            found.append(model)
    return sorted(found, key=lambda model: model._meta.label)


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class Tipping:
    """The day a criterion became true, and which event of that day (1-based) made it so."""

    day: DayCount
    nth: int


def criterion_tipping(
    days: Sequence[DayCount], *, min_count: int, min_days: int | None, window_days: int | None
) -> Tipping | None:
    """The first moment ``days`` satisfy "≥ min_count events on ≥ min_days distinct days within window_days"."""
    window: deque[DayCount] = deque()
    total = 0
    needed_days = min_days or 1
    for current in sorted(days, key=lambda d: d.day):
        if current.count <= 0:
            continue
        window.append(current)
        total += current.count
        if window_days:
            oldest_allowed = current.day - timedelta(days=window_days - 1)
            while window[0].day < oldest_allowed:
                total -= window.popleft().count
        if total >= min_count and len(window) >= needed_days:
            before = total - current.count
            return Tipping(day=current, nth=max(1, min_count - before))
    return None


def tipping_time(*, account_id: int, criterion: EventCriterion, tipping: Tipping) -> datetime:
    """The occurred_at of the event that tipped the criterion (from raw events while they are kept)."""
    start, end = day_bounds(tipping.day.day)
    moments = UsageEvent.objects.filter(
        account_id=account_id, name=criterion.event_name, occurred_at__gte=start, occurred_at__lt=end
    ).order_by("occurred_at", "id")
    wanted = criterion.event_properties or {}
    if wanted:
        matching = [
            m for m, props in moments.values_list("occurred_at", "properties") if properties_match(props, wanted)
        ]
    else:
        matching = list(moments.values_list("occurred_at", flat=True)[: tipping.nth])
    if len(matching) >= tipping.nth:
        return matching[tipping.nth - 1]
    # Raw events of that day were pruned: the day's first event if it was the first that counted, else its last.
    return tipping.day.first_at if tipping.nth == 1 else tipping.day.last_at


def daily_counts(*, account_id: int, names: Iterable[str], since: date) -> dict[tuple[str, str], list[DayCount]]:
    """Daily counts per (event name, filter key) for an account, from ``since`` on: one query."""
    grouped: dict[tuple[str, str], list[DayCount]] = defaultdict(list)
    rows = DailyEventCount.objects.filter(account_id=account_id, name__in=set(names), day__gte=since).order_by("day")
    for name, key, day, count, first_at, last_at in rows.values_list(
        "name", "filter_key", "day", "count", "first_at", "last_at"
    ):
        grouped[(name, key)].append(DayCount(day=day, count=count, first_at=first_at, last_at=last_at))
    return grouped


def criterion_satisfied_at(
    *, account_id: int, criterion: EventCriterion, counts: dict[tuple[str, str], list[DayCount]]
) -> datetime | None:
    days = counts.get((criterion.event_name, filter_key(criterion.event_properties)), [])
    tipping = criterion_tipping(
        days,
        min_count=criterion.event_min_count,
        min_days=criterion.event_min_days,
        window_days=criterion.event_window_days,
    )
    if tipping is None:
        return None
    return tipping_time(account_id=account_id, criterion=criterion, tipping=tipping)
