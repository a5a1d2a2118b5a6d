"""Raw usage events partitioned by month on PostgreSQL: partitions created ahead by beat, a default
partition for any other month, retention by dropping whole months, idempotency across months.

PostgreSQL only: skipped on SQLite (failed with KACHI_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from journeys.events import partitions
from journeys.events.models import UsageEvent, UsageEventKey
from journeys.events.services.api_keys import api_key_create
from journeys.events.services.ingest import events_prune
from journeys.events.tasks import journeys_event_partitions
from tests.conftest import World, need_service
from tests.factories import UsageEventFactory
from tests.queries import capture_queries, statements

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def partitioned_table(db: None) -> None:
    if connection.vendor != "postgresql":
        need_service("partitioned usage events need PostgreSQL (DATABASE_URL=postgres://…)")
    assert partitions.is_partitioned()


@pytest.fixture
def key_a(world: World) -> str:
    return api_key_create(name="Alpha product", account=world.account_a, by=None)[1]


def post(client: Client, raw_key: str, ids: list[str]) -> dict:
    body = [{"id": external_id, "name": "login", "occurred_at": "2025-04-01T09:30:00Z"} for external_id in ids]
    response = client.post(
        "/api/v1/events/",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
    )
    return response.json()


def age(ids: list[str], days: int) -> None:
    moment = timezone.now() - timedelta(days=days)
    UsageEvent.objects.filter(external_id__in=ids).update(received_at=moment)
    UsageEventKey.objects.filter(external_id__in=ids).update(received_at=moment)
    with connection.cursor() as cursor:
        # As if committed long ago: a table with deferred foreign-key checks still pending cannot be dropped.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def drop(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{partitions.TABLE}" DETACH PARTITION "{name}"')
        cursor.execute(f'DROP TABLE "{name}"')


def test_the_primary_key_holds_the_partition_key() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
            [partitions.TABLE],
        )
        assert cursor.fetchone() == ("PRIMARY KEY (id, received_at)",)


def test_the_beat_task_creates_this_month_and_the_next_two() -> None:
    this_month = partitions.month_start(timezone.now())
    ahead = [partitions.partition_name(partitions.add_months(this_month, n)) for n in range(3)]
    drop(ahead[2])

    assert journeys_event_partitions.delay().get() == [ahead[2]]

    assert set(ahead) <= set(partitions.monthly_partitions())
    assert journeys_event_partitions.delay().get() == []


def test_an_event_of_a_month_without_partition_lands_in_the_default_one_and_moves_with_its_month(
    world: World,
) -> None:
    later = timezone.now() + timedelta(days=800)
    event = UsageEventFactory(account=world.account_a, received_at=later)

    assert partitions.partition_of(event.pk) == partitions.DEFAULT_PARTITION

    assert partitions.event_partitions_ensure(now=later, ahead=0) == [partitions.partition_name(later)]
    assert partitions.partition_of(event.pk) == partitions.partition_name(later)
    assert UsageEvent.objects.get(pk=event.pk).received_at == later


def test_retention_drops_whole_old_months_and_keeps_recent_events(client: Client, key_a: str) -> None:
    old_month = partitions.event_partitions_ensure(now=timezone.now() - timedelta(days=100), ahead=0)
    assert len(old_month) == 1
    post(client, key_a, ["old-1", "old-2", "recent"])
    age(["old-1", "old-2"], days=100)
    assert partitions.partition_of(UsageEvent.objects.get(external_id="old-1").pk) == old_month[0]

    with capture_queries() as queries:
        assert events_prune(older_than_days=30) == 2

    sql = statements(queries)
    assert f'ALTER TABLE "{partitions.TABLE}" DETACH PARTITION "{old_month[0]}"' in sql
    assert f'DROP TABLE "{old_month[0]}"' in sql
    assert not [s for s in sql if s.startswith(f'DELETE FROM "{partitions.TABLE}"')]  # noqa: S608 (no row deletes)
    assert old_month[0] not in partitions.monthly_partitions()
    assert list(UsageEvent.objects.values_list("external_id", flat=True)) == ["recent"]
    assert list(UsageEventKey.objects.values_list("external_id", flat=True)) == ["recent"]


def test_a_replay_is_a_duplicate_whatever_month_the_first_copy_is_in(client: Client, key_a: str) -> None:
    partitions.event_partitions_ensure(now=timezone.now() - timedelta(days=40), ahead=0)
    assert post(client, key_a, ["evt-1"])["accepted"] == 1
    age(["evt-1"], days=40)

    assert post(client, key_a, ["evt-1", "evt-2"]) == {"accepted": 1, "duplicates": 1, "errors": []}

    assert UsageEvent.objects.filter(external_id="evt-1").count() == 1
