"""POST /api/v1/events/: the public usage-event API, its daily counts, and the pruning of raw events."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from journeys import queue
from journeys.events import partitions
from journeys.events.models import DailyEventCount, UsageEvent, UsageEventKey, UsageMark
from journeys.events.rules import filter_key
from journeys.events.services.api_keys import api_key_create
from journeys.events.services.ingest import events_ingest, events_prune, events_retention_boundary
from journeys.events.tasks import journeys_prune_events
from journeys.onboarding.models import Achievement, Milestone
from journeys.onboarding.services.journeys import journey_start
from portal.models import MilestoneKind, OutboxMessage
from portal.tokens import token_revoke
from tests.conftest import World
from tests.factories import MilestoneFactory, PublishedPlaybookFactory
from tests.queries import assert_same_queries, capture_queries, statements

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"
WHEN = "2025-04-01T09:30:00+09:00"


@pytest.fixture(autouse=True)
def english(client: Client, settings) -> None:
    """Messages in English (the default language is Japanese; an integration has no profile to choose one)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def item(n: int | str, **fields: object) -> dict:
    return {"id": f"evt-{n}", "name": "login", "occurred_at": WHEN, **fields}


def post(client: Client, raw_key: str | None, body: object) -> object:
    data = body if isinstance(body, str) else json.dumps(body)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"} if raw_key else {}
    return client.post(URL, data=data, content_type="application/json", **headers)


@pytest.fixture
def key_a(world: World) -> str:
    """The raw value of a key of account A."""
    return api_key_create(name="Alpha product", account=world.account_a, by=None)[1]


@pytest.fixture
def global_key(world: World) -> str:
    return api_key_create(name="Global", account=None, by=None)[1]


def test_url_name() -> None:
    assert reverse("api_events") == URL


def test_a_batch_is_stored_and_answered_with_exactly_three_keys(client: Client, world: World, key_a: str) -> None:
    response = post(
        client,
        key_a,
        [
            item(1, user="u-1", properties={"channel": "email", "n": 2}),
            item(2, name="campaign_sent", occurred_at="2025-04-01T00:31:00Z", account="alpha"),
            item(3, id=42, user=7),
        ],
    )

    assert response.status_code == 200
    assert response.json() == {"accepted": 3, "duplicates": 0, "errors": []}
    first = UsageEvent.objects.get(external_id="evt-1")
    assert first.account == world.account_a
    assert first.user_ref == "u-1"
    assert first.name == "login"
    assert first.occurred_at == datetime(2025, 4, 1, 0, 30, tzinfo=UTC)
    assert first.properties == {"channel": "email", "n": 2}
    assert first.api_key.name == "Alpha product"
    second = UsageEvent.objects.get(external_id="evt-2")
    assert (second.name, second.occurred_at, second.properties) == (
        "campaign_sent",
        datetime(2025, 4, 1, 0, 31, tzinfo=UTC),
        {},
    )
    assert UsageEvent.objects.get(external_id="42").user_ref == "7"


def test_an_object_with_an_events_list_is_a_batch_too(client: Client, key_a: str) -> None:
    response = post(client, key_a, {"events": [item(1), item(2)]})
    assert response.json() == {"accepted": 2, "duplicates": 0, "errors": []}


def test_bad_items_are_reported_by_index_and_the_others_kept(client: Client, key_a: str) -> None:
    response = post(
        client,
        key_a,
        [
            item(0),
            item(1, occurred_at="yesterday"),
            item(2, occurred_at="2025-04-01T09:30:00"),
            {"id": "evt-3", "occurred_at": WHEN},
            item(4, properties=["not", "an", "object"]),
            item("x" * 201),
            "not an object",
            item(7, occurred_at=(timezone.now() + timedelta(hours=25)).isoformat()),
            item(8, properties={"blob": "x" * 9000}),
            item(9, user="u" * 201, name="n" * 101),
            item(10, occurred_at=(timezone.now() + timedelta(hours=23)).isoformat()),
        ],
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (2, 0)
    assert [e["index"] for e in body["errors"]] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    errors = {e["index"]: e["errors"] for e in body["errors"]}
    assert list(errors[1]) == ["occurred_at"]
    assert "time zone is required" in errors[2]["occurred_at"][0]
    assert errors[3] == {"name": ["This field is required."]}
    assert errors[4] == {"properties": ["Must be a JSON object."]}
    assert list(errors[5]) == ["id"]
    assert errors[6] == {"non_field_errors": ["Expected an object."]}
    assert errors[7] == {"occurred_at": ["Cannot be more than 24 hours in the future."]}
    assert list(errors[8]) == ["properties"]
    assert set(errors[9]) == {"user", "name"}
    assert sorted(UsageEvent.objects.values_list("external_id", flat=True)) == ["evt-0", "evt-10"]


def test_text_the_database_cannot_store_is_an_item_error_not_a_500(client: Client, key_a: str) -> None:
    response = post(
        client,
        key_a,
        '[{"id": "a\\u0000", "name": "login", "occurred_at": "%s"},'
        ' {"id": "b", "name": "\\ud800", "occurred_at": "%s"},'
        ' {"id": "c", "name": "login", "occurred_at": "%s", "properties": {"k": "\\u0000"}},'
        ' {"id": "d", "name": "login", "occurred_at": "%s", "properties": {"k": 1e400}},'
        ' {"id": "e", "name": "login", "occurred_at": "%s", "properties": {"k": "\\\\u0000 is fine"}}]' % ((WHEN,) * 5),
    )

    assert response.status_code == 200
    body = response.json()
    assert [e["index"] for e in body["errors"]] == [0, 1, 2, 3]
    assert UsageEvent.objects.get().properties == {"k": "\\u0000 is fine"}


def test_a_replay_is_all_duplicates_and_stores_nothing_twice(client: Client, key_a: str) -> None:
    batch = [item(n) for n in range(5)]
    post(client, key_a, batch)

    response = post(client, key_a, batch)

    assert response.json() == {"accepted": 0, "duplicates": 5, "errors": []}
    assert UsageEvent.objects.count() == 5
    assert sum(DailyEventCount.objects.values_list("count", flat=True)) == 5


def test_a_repeated_id_within_a_batch_is_a_duplicate_and_the_first_is_kept(client: Client, key_a: str) -> None:
    response = post(client, key_a, [item(1, name="first"), item(2), item(1, name="second")])

    assert response.json() == {"accepted": 2, "duplicates": 1, "errors": []}
    assert UsageEvent.objects.get(external_id="evt-1").name == "first"


def test_ids_are_unique_per_key_not_across_keys(client: Client, world: World, key_a: str) -> None:
    other_key = api_key_create(name="Second integration", account=world.account_a, by=None)[1]
    post(client, key_a, [item(1)])

    assert post(client, other_key, [item(1)]).json()["accepted"] == 1
    assert UsageEvent.objects.filter(external_id="evt-1").count() == 2


def test_an_account_key_cannot_post_for_another_account_existing_or_not(client: Client, key_a: str) -> None:
    response = post(
        client, key_a, [item(1, account="beta"), item(2, account="no-such-account"), item(3), item(4, account="alpha")]
    )

    body = response.json()
    assert body["accepted"] == 2
    existing, missing = body["errors"]
    assert existing["errors"] == missing["errors"] == {"account": ["This key cannot post events for another account."]}
    assert set(UsageEvent.objects.values_list("account__slug", flat=True)) == {"alpha"}


def test_a_global_key_posts_for_the_account_named_in_each_event(client: Client, world: World, global_key: str) -> None:
    response = post(
        client, global_key, [item(1, account="alpha"), item(2, account="beta"), item(3), item(4, account="nope")]
    )

    body = response.json()
    assert body["accepted"] == 2
    assert body["errors"] == [
        {"index": 2, "errors": {"account": ["This field is required with a global key."]}},
        {"index": 3, "errors": {"account": ["Unknown account."]}},
    ]
    assert dict(UsageEvent.objects.values_list("external_id", "account__slug")) == {"evt-1": "alpha", "evt-2": "beta"}


def test_more_than_the_batch_limit_is_refused_whole(client: Client, key_a: str) -> None:
    response = post(client, key_a, [item(n) for n in range(1001)])

    assert response.status_code == 400
    assert response.json() == {"events": ["At most 1000 events per batch."]}
    assert not UsageEvent.objects.exists()


def test_the_batch_limit_itself_is_fine(client: Client, key_a: str) -> None:
    assert post(client, key_a, [item(n) for n in range(1000)]).json()["accepted"] == 1000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("{not json", "detail"),
        ('[{"id": 1, "name": NaN}]', "detail"),
        ("[" * 100_000 + "]" * 100_000, "detail"),
        ({"id": "evt-1"}, "events"),
        ('"a string"', "events"),
        ("null", "events"),
    ],
)
def test_a_body_that_is_not_a_list_of_events_is_a_400(client: Client, key_a: str, body: object, field: str) -> None:
    response = post(client, key_a, body)

    assert response.status_code == 400
    assert field in response.json()


def test_a_body_over_the_upload_limit_is_a_json_413(client: Client, key_a: str, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000

    response = post(client, key_a, [item(n, properties={"text": "x" * 100}) for n in range(20)])

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not UsageEvent.objects.exists()


def test_an_empty_batch_stores_nothing(client: Client, key_a: str) -> None:
    assert post(client, key_a, []).json() == {"accepted": 0, "duplicates": 0, "errors": []}


def test_without_a_valid_key_the_answer_is_401_with_a_json_error(client: Client, world: World, key_a: str) -> None:
    revoked_key = api_key_create(name="Old", account=world.account_a, by=None)
    token_revoke(token=revoked_key[0], by=None)
    client.force_login(world.admin)  # a session is not an API key

    for raw, code in [
        (None, "not_authenticated"),
        ("kachi_00000000_wrong", "authentication_failed"),
        (revoked_key[1], "authentication_failed"),
    ]:
        response = post(client, raw, [item(1)])
        assert response.status_code == 401, raw
        assert response["WWW-Authenticate"] == "Bearer"
        assert response.json()["code"] == code
    response = client.post(URL, data="[]", content_type="application/json", HTTP_AUTHORIZATION="Bearer")
    assert response.status_code == 401
    assert not UsageEvent.objects.exists()


def test_get_answers_401_without_a_key_and_405_with_one(client: Client, world: World, key_a: str) -> None:
    assert client.get(URL).status_code == 401
    client.force_login(world.customer_a)
    assert client.get(URL).status_code == 401
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {key_a}").status_code == 405


def test_daily_counts_total_the_stored_events_per_day_and_property_filter(
    client: Client, world: World, global_key: str
) -> None:
    MilestoneFactory(
        rule=Milestone.Rule.EVENT,
        kind=MilestoneKind.FIRST_VALUE,
        event_name="campaign_sent",
        event_properties={"channel": "email"},
    )
    post(
        client,
        global_key,
        [
            # 2025-03-31T23:30Z is already April 1st in Tokyo (TIME_ZONE).
            item(1, account="alpha", name="campaign_sent", occurred_at="2025-03-31T23:30:00Z"),
            item(2, account="alpha", name="campaign_sent", occurred_at=WHEN, properties={"channel": "email"}),
            item(3, account="alpha", name="campaign_sent", occurred_at="2025-04-02T10:00:00+09:00"),
            item(4, account="beta", name="campaign_sent", occurred_at=WHEN, properties={"channel": "email"}),
        ],
    )
    post(
        client,
        global_key,
        [
            item(5, account="alpha", name="campaign_sent", occurred_at="2025-04-01T08:00:00+09:00"),
            item(6, account="alpha", name="campaign_sent", occurred_at="2025-04-01T20:00:00+09:00"),
            item(5, account="alpha", name="campaign_sent", occurred_at="2025-04-01T08:00:00+09:00"),  # duplicate
        ],
    )

    email = filter_key({"channel": "email"})
    counts = {
        (c.account.slug, c.filter_key, c.day): (c.count, c.first_at, c.last_at)
        for c in DailyEventCount.objects.select_related("account")
    }
    tokyo = timezone.get_fixed_timezone(9 * 60)
    assert counts == {
        ("alpha", "", date(2025, 4, 1)): (
            4,
            datetime(2025, 3, 31, 23, 0, tzinfo=UTC),
            datetime(2025, 4, 1, 20, 0, tzinfo=tokyo),
        ),
        ("alpha", "", date(2025, 4, 2)): (
            1,
            datetime(2025, 4, 2, 1, 0, tzinfo=UTC),
            datetime(2025, 4, 2, 1, 0, tzinfo=UTC),
        ),
        ("alpha", email, date(2025, 4, 1)): (
            1,
            datetime(2025, 4, 1, 0, 30, tzinfo=UTC),
            datetime(2025, 4, 1, 0, 30, tzinfo=UTC),
        ),
        ("beta", "", date(2025, 4, 1)): (
            1,
            datetime(2025, 4, 1, 0, 30, tzinfo=UTC),
            datetime(2025, 4, 1, 0, 30, tzinfo=UTC),
        ),
        ("beta", email, date(2025, 4, 1)): (
            1,
            datetime(2025, 4, 1, 0, 30, tzinfo=UTC),
            datetime(2025, 4, 1, 0, 30, tzinfo=UTC),
        ),
    }
    unfiltered = DailyEventCount.objects.filter(filter_key="").values_list("count", flat=True)
    assert sum(unfiltered) == UsageEvent.objects.count() == 6


def test_a_revoked_key_cannot_ingest_even_through_the_service(world: World) -> None:
    api_key = api_key_create(name="Old", account=world.account_a, by=None)[0]
    token_revoke(token=api_key, by=None)

    with pytest.raises(PermissionDenied):
        events_ingest(api_key=api_key, items=[item(1)])
    assert not UsageEvent.objects.exists()


def test_evaluation_is_enqueued_once_per_batch_on_commit(world: World, django_capture_on_commit_callbacks) -> None:
    api_key = api_key_create(name="Global", account=None, by=None)[0]
    batch = [
        item(1, account="beta", occurred_at="2025-04-01T09:30:00+09:00"),
        item(2, account="alpha"),
        item(3, account="beta", occurred_at="2025-03-30T09:00:00Z"),
    ]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        events_ingest(api_key=api_key, items=batch)
    assert len(callbacks) == 1
    # Recorded with the events, published on commit: with the earliest new event per account and
    # name (evaluation looks only at what they can change) and the batch's count in each usage mark.
    message = OutboxMessage.objects.get()
    assert message.task == queue.EVALUATE_ACCOUNTS
    assert message.published_at is None
    assert message.args == [
        sorted([world.account_a.pk, world.account_b.pk]),
        {
            str(world.account_a.pk): {"login": "2025-04-01T00:30:00+00:00"},
            str(world.account_b.pk): {"login": "2025-03-30T09:00:00+00:00"},
        },
        {str(world.account_a.pk): 1, str(world.account_b.pk): 1},
    ]
    callbacks[0]()  # the commit
    message.refresh_from_db()
    assert message.published_at is not None
    # The task ran (eagerly here) and recorded the batch as evaluated.
    assert set(UsageMark.objects.values_list("account_id", "received", "evaluated")) == {
        (world.account_a.pk, 1, 1),
        (world.account_b.pk, 1, 1),
    }

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = events_ingest(api_key=api_key, items=batch)
    assert result.duplicates == 3
    assert callbacks == []
    assert OutboxMessage.objects.count() == 1


def test_posted_events_reach_a_milestone_through_the_evaluation_task(
    client: Client, world: World, key_a: str, django_capture_on_commit_callbacks
) -> None:
    playbook = PublishedPlaybookFactory(step_count=1, segments=[world.account_a.segment])
    MilestoneFactory(
        playbook=playbook,
        key="first-campaign",
        kind=MilestoneKind.FIRST_VALUE,
        rule=Milestone.Rule.EVENT,
        event_name="campaign_sent",
        event_properties={"channel": "email"},
    )
    journey_start(account=world.account_a, playbook=playbook)
    sent_at = timezone.now() - timedelta(hours=2)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            key_a,
            [
                item(1, name="campaign_sent", occurred_at=(sent_at - timedelta(hours=1)).isoformat()),
                item(2, name="campaign_sent", occurred_at=sent_at.isoformat(), properties={"channel": "email"}),
            ],
        )

    assert response.json()["accepted"] == 2
    achievement = Achievement.objects.get(milestone_key="first-campaign")
    assert achievement.achieved_at == sent_at


def test_query_count_does_not_grow_with_the_batch(client: Client, world: World, global_key: str) -> None:
    MilestoneFactory(rule=Milestone.Rule.EVENT, event_name="login", event_properties={"plan": "pro"})
    post(client, global_key, [item("warm-up", account="alpha")])  # notes the key's first use

    def batch(size: int, offset: int) -> list[dict]:
        return [
            item(offset + n, account=("alpha", "beta")[n % 2], name=f"event-{n % 7}", properties={"plan": "pro"})
            for n in range(size)
        ]

    with capture_queries() as small:
        assert post(client, global_key, batch(10, 0)).json()["accepted"] == 10
    with capture_queries() as large:
        assert post(client, global_key, batch(500, 1000)).json()["accepted"] == 500

    # key, accounts, savepoint, insert (keys and events: one statement on PostgreSQL, two on SQLite),
    # count upsert, usage marks, the evaluation task in the outbox, release: the rules' filters were
    # read by the warm-up and are kept in the cache
    assert_same_queries(small, large, expected=8 if connection.vendor == "postgresql" else 9)


def test_a_new_property_filter_is_counted_from_the_next_batch(client: Client, world: World, global_key: str) -> None:
    post(client, global_key, [item("before", account="alpha", name="login", properties={"plan": "pro"})])
    assert set(DailyEventCount.objects.values_list("filter_key", flat=True)) == {""}
    milestone = MilestoneFactory(rule=Milestone.Rule.EVENT, event_name="login", event_properties={"plan": "pro"})
    post(client, global_key, [item("after", account="alpha", name="login", properties={"plan": "pro"})])
    assert DailyEventCount.objects.filter(filter_key='{"plan":"pro"}').get().count == 1
    milestone.event_properties = {"plan": "team"}
    milestone.save()
    post(client, global_key, [item("team", account="alpha", name="login", properties={"plan": "team"})])
    assert DailyEventCount.objects.filter(filter_key='{"plan":"team"}').get().count == 1
    milestone.delete()
    post(client, global_key, [item("gone", account="alpha", name="login", properties={"plan": "team"})])
    assert DailyEventCount.objects.filter(filter_key='{"plan":"team"}').get().count == 1


def test_the_schema_documents_the_endpoint_with_bearer_auth(client: Client) -> None:
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = schema["paths"][URL]["post"]
    assert operation["security"] == [{"tokenAuth": []}]
    assert schema["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"
    # 403: a token without the events:write scope.
    assert set(operation["responses"]) == {"200", "400", "401", "403", "409", "413", "415", "422", "500", "503"}
    request = operation["requestBody"]["content"]["application/json"]["schema"]
    assert request["type"] == "array"


# --- Pruning raw events -----------------------------------------------------------


def _post_and_age(client: Client, key: str, ids: range, received_at: datetime) -> None:
    post(client, key, [item(n) for n in ids])
    external_ids = [f"evt-{n}" for n in ids]
    UsageEvent.objects.filter(external_id__in=external_ids).update(received_at=received_at)
    UsageEventKey.objects.filter(external_id__in=external_ids).update(received_at=received_at)


def _boundary(days: int) -> datetime:
    """Before this, raw events go with a retention of ``days`` (to the day on SQLite, to the month on a
    partitioned PostgreSQL table)."""
    return events_retention_boundary(older_than_days=days)


HOUR = timedelta(hours=1)


def test_pruning_deletes_old_raw_events_and_keeps_daily_counts(client: Client, key_a: str) -> None:
    _post_and_age(client, key_a, range(3), received_at=_boundary(30) - HOUR)
    _post_and_age(client, key_a, range(3, 5), received_at=_boundary(30) + HOUR)
    counts_before = list(DailyEventCount.objects.values_list("day", "count", "first_at", "last_at"))

    assert events_prune(older_than_days=30) == 3

    assert sorted(UsageEvent.objects.values_list("external_id", flat=True)) == ["evt-3", "evt-4"]
    assert sorted(UsageEventKey.objects.values_list("external_id", flat=True)) == ["evt-3", "evt-4"]
    assert list(DailyEventCount.objects.values_list("day", "count", "first_at", "last_at")) == counts_before
    # A kept event posted again is still a duplicate.
    assert post(client, key_a, [item(3)]).json()["duplicates"] == 1


def test_on_a_plain_table_pruning_keeps_exactly_the_retention_days(client: Client, key_a: str) -> None:
    if partitions.is_partitioned():
        pytest.skip("a partitioned table keeps raw events to the month (tests/journeys/events/test_partitions.py)")
    _post_and_age(client, key_a, range(3), received_at=timezone.now() - timedelta(days=30) - HOUR)
    _post_and_age(client, key_a, range(3, 5), received_at=timezone.now() - timedelta(days=30) + HOUR)

    assert events_prune(older_than_days=30) == 3

    assert sorted(UsageEvent.objects.values_list("external_id", flat=True)) == ["evt-3", "evt-4"]


def test_prune_command_and_task(client: Client, key_a: str, settings) -> None:
    _post_and_age(client, key_a, range(2), received_at=_boundary(60) - HOUR)
    _post_and_age(client, key_a, range(2, 4), received_at=_boundary(1) - HOUR)
    out = StringIO()

    call_command("prune_events", "--days", "60", stdout=out)

    assert "Deleted 2 usage events" in out.getvalue()
    settings.USAGE_EVENT_RETENTION_DAYS = 1
    assert journeys_prune_events.delay().get() == 2
    assert not UsageEvent.objects.exists()
    assert not UsageEventKey.objects.exists()
    assert DailyEventCount.objects.get().count == 4


def test_pruning_goes_in_chunks(client: Client, key_a: str, monkeypatch) -> None:
    from journeys.events.services import ingest as events

    monkeypatch.setattr(events, "PRUNE_CHUNK", 2)
    _post_and_age(client, key_a, range(5), received_at=_boundary(30) - HOUR)

    with capture_queries() as queries:
        assert events_prune(older_than_days=30) == 5

    deletes = [sql for sql in statements(queries) if sql.startswith("DELETE")]
    assert len([sql for sql in deletes if UsageEventKey._meta.db_table in sql.split(" WHERE ")[0]]) == 3


def test_api_errors_follow_accept_language(client: Client, key_a: str) -> None:
    english = client.post(
        "/api/v1/events/", [{"id": "x"}], content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key_a}", HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert english.headers["Content-Language"] == "en"
    japanese = Client().post(
        "/api/v1/events/", [{"id": "y"}], content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key_a}"
    )
    assert japanese.headers["Content-Language"] == "ja"


def test_deleting_a_token_or_an_account_deletes_its_raw_events_and_keys(
    client: Client, world: World, key_a: str, global_key: str
) -> None:
    """The database does not check the raw events' references (an append-only log written in
    batches): Django's cascade still takes them with their token or account."""
    assert post(client, key_a, [item(1), item(2)]).json()["accepted"] == 2
    assert post(client, global_key, [item(3, account="beta"), item(4, account="alpha")]).json()["accepted"] == 2
    token_a = UsageEvent.objects.get(external_id="evt-1").api_key

    token_a.delete()
    assert set(UsageEvent.objects.values_list("external_id", flat=True)) == {"evt-3", "evt-4"}
    assert set(UsageEventKey.objects.values_list("external_id", flat=True)) == {"evt-3", "evt-4"}

    world.account_b.delete()
    assert list(UsageEvent.objects.values_list("external_id", flat=True)) == ["evt-4"]
    assert set(UsageEventKey.objects.values_list("external_id", flat=True)) == {"evt-3", "evt-4"}
