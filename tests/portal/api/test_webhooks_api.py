"""The webhooks API (portal/api/webhooks.py): admins manage the endpoints and their deliveries; the
secret is shown once; nobody else, and no token restricted to one account, gets in."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from portal import webhooks
from portal.models import ApiScope, OutboxMessage, WebhookDelivery, WebhookEndpoint, WebhookEvent
from portal.tokens import token_create
from tests.conftest import World
from tests.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db
BASE = "/api/v1/webhooks/endpoints/"
# Public addresses written as such: checking them needs no name lookup.
PUBLIC_URL = "https://93.184.216.34/hooks"
OTHER_PUBLIC_URL = "https://93.184.216.35/other"
Status = WebhookDelivery.Status


def admin_client(world: World) -> Client:
    client = Client()
    client.force_login(world.admin)
    return client


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client: Client, path: str, body: object = None, **extra: str):
    return client.post(path, body if body is not None else {}, content_type="application/json", **extra)


def patch(client: Client, path: str, body: object, **extra: str):
    return client.patch(path, body, content_type="application/json", **extra)


def create(client: Client, **fields: object) -> dict:
    body = {"url": PUBLIC_URL, "event_types": [WebhookEvent.ACCOUNT_UPDATED], "description": "CRM", **fields}
    response = post(client, BASE, body)
    assert response.status_code == 201, response.content
    return response.json()


# --- Endpoints --------------------------------------------------------------------------------


def test_an_admin_creates_lists_reads_changes_and_deletes_an_endpoint(world: World) -> None:
    client = admin_client(world)
    created = create(client, description="  CRM sync  ")
    endpoint = WebhookEndpoint.objects.get()
    assert created["id"] == endpoint.pk and created["url"] == PUBLIC_URL
    assert created["description"] == "CRM sync" and created["event_types"] == ["account.updated"]
    assert created["enabled"] is True and endpoint.created_by == world.admin

    listed = client.get(BASE).json()
    assert [e["id"] for e in listed["results"]] == [endpoint.pk]
    assert client.get(f"{BASE}{endpoint.pk}/").json()["url"] == PUBLIC_URL

    changed = patch(client, f"{BASE}{endpoint.pk}/", {"url": OTHER_PUBLIC_URL, "enabled": False})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["url"], changed.json()["enabled"]) == (OTHER_PUBLIC_URL, False)
    endpoint.refresh_from_db()
    assert endpoint.url == OTHER_PUBLIC_URL and endpoint.disabled_reason == WebhookEndpoint.DisabledReason.BY_ADMIN
    assert endpoint.description == "CRM sync" and endpoint.event_types == ["account.updated"]  # left as they were
    back_on = patch(client, f"{BASE}{endpoint.pk}/", {"enabled": True, "event_types": WebhookEvent.values})
    assert back_on.json()["enabled"] is True and back_on.json()["disabled_reason"] == ""
    assert sorted(back_on.json()["event_types"]) == sorted(WebhookEvent.values)

    WebhookDeliveryFactory(endpoint=endpoint)
    assert client.delete(f"{BASE}{endpoint.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    assert client.get(f"{BASE}{endpoint.pk}/").status_code == 404


def test_the_secret_is_shown_once_on_creation_only(world: World) -> None:
    client = admin_client(world)
    created = create(client)
    endpoint = WebhookEndpoint.objects.get()
    assert created["secret"] == endpoint.secret and created["secret"].startswith("whsec_")
    answers = [
        client.get(BASE),
        client.get(f"{BASE}{endpoint.pk}/"),
        patch(client, f"{BASE}{endpoint.pk}/", {"description": "changed"}),
        client.get(f"{BASE}{endpoint.pk}/deliveries/"),
    ]
    for response in answers:
        assert response.status_code == 200
        assert endpoint.secret not in response.content.decode()
        assert b'secret"' not in response.content


def test_a_rotation_shows_the_new_secret_once_and_both_sign_during_the_overlap(world: World) -> None:
    client = admin_client(world)
    old = create(client)["secret"]
    endpoint = WebhookEndpoint.objects.get()
    response = post(client, f"{BASE}{endpoint.pk}/rotate-secret/")
    assert response.status_code == 200
    new = response.json()["secret"]
    endpoint.refresh_from_db()
    assert new == endpoint.secret != old and endpoint.previous_secret == old
    expires = endpoint.previous_secret_expires_at
    assert expires is not None and expires > timezone.now() + timedelta(hours=23)
    assert datetime.fromisoformat(response.json()["previous_secret_expires_at"]) == expires
    assert new not in client.get(f"{BASE}{endpoint.pk}/").content.decode()

    def headers_signed_now(at):
        body = '{"type":"account.updated"}'
        signature = webhooks.sign(
            secrets_=webhooks.signing_secrets(endpoint, now=at), msg_id="msg_1", timestamp=at, body=body
        )
        return body, {
            "webhook-id": "msg_1",
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature,
        }

    body, headers = headers_signed_now(timezone.now())
    assert Webhook(old).verify(body, headers) == {"type": "account.updated"}
    assert Webhook(new).verify(body, headers) == {"type": "account.updated"}

    # After the overlap only the new one signs (checked as of then: the verifier allows 5 minutes).
    after = endpoint.previous_secret_expires_at + timedelta(seconds=1)
    assert webhooks.signing_secrets(endpoint, now=after) == [new]


def test_the_test_event_is_queued_with_its_delivery_id(world: World) -> None:
    client = admin_client(world)
    create(client, event_types=[WebhookEvent.STEP_COMPLETED])
    endpoint = WebhookEndpoint.objects.get()
    response = post(client, f"{BASE}{endpoint.pk}/test/")
    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert response.json() == {"delivery": delivery.pk, "msg_id": delivery.msg_id}
    assert delivery.endpoint == endpoint and delivery.event_type == webhooks.TEST_EVENT
    assert OutboxMessage.objects.filter(task=webhooks.WEBHOOK_DELIVER, args=[delivery.pk]).exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://10.0.0.1/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hooks",
        "http://93.184.216.34/plain-http",
    ],
)
def test_a_url_webhooks_may_not_call_is_a_field_error(world: World, url: str) -> None:
    client = admin_client(world)
    response = post(client, BASE, {"url": url, "event_types": [WebhookEvent.ACCOUNT_UPDATED]})
    assert response.status_code == 400
    assert list(response.json()) == ["url"] and response.json()["url"]
    assert not WebhookEndpoint.objects.exists()

    endpoint = WebhookEndpointFactory(url=PUBLIC_URL)
    changed = patch(client, f"{BASE}{endpoint.pk}/", {"url": url})
    assert (changed.status_code, list(changed.json())) == (400, ["url"])
    endpoint.refresh_from_db()
    assert endpoint.url == PUBLIC_URL


def test_an_endpoint_whose_host_stopped_being_public_can_still_be_turned_off(world: World) -> None:
    client = admin_client(world)
    endpoint = WebhookEndpointFactory(url="https://127.0.0.1/was-public")
    response = patch(client, f"{BASE}{endpoint.pk}/", {"enabled": False, "description": "Off"})
    assert response.status_code == 200, response.content
    endpoint.refresh_from_db()
    assert (endpoint.enabled, endpoint.description) == (False, "Off")
    assert patch(client, f"{BASE}{endpoint.pk}/", {"url": "https://10.0.0.1/x"}).status_code == 400


def test_bad_bodies_are_field_errors(world: World) -> None:
    client = admin_client(world)
    missing = post(client, BASE, {})
    assert missing.status_code == 400 and set(missing.json()) == {"url", "event_types"}
    unknown = post(client, BASE, {"url": PUBLIC_URL, "event_types": ["account.created", "no.such", 3]})
    assert unknown.status_code == 400 and list(unknown.json()) == ["event_types"]
    first, second = unknown.json()["event_types"]  # one message per wrong item, with its position
    assert "2" in first.split(":")[0] and "3" in second.split(":")[0]
    empty = post(client, BASE, {"url": PUBLIC_URL, "event_types": []})
    assert empty.status_code == 400 and list(empty.json()) == ["event_types"]
    assert not WebhookEndpoint.objects.exists()


def test_another_id_that_does_not_exist_answers_404_with_the_standard_body(world: World) -> None:
    client = admin_client(world)
    endpoint = WebhookEndpointFactory(url=PUBLIC_URL)
    missing = endpoint.pk + 1000
    expected = {"detail": client.get(f"{BASE}{missing}/").json()["detail"], "code": "not_found"}
    answers = [
        client.get(f"{BASE}{missing}/"),
        patch(client, f"{BASE}{missing}/", {"description": "x"}),
        client.delete(f"{BASE}{missing}/"),
        post(client, f"{BASE}{missing}/rotate-secret/"),
        post(client, f"{BASE}{missing}/test/"),
        client.get(f"{BASE}{missing}/deliveries/"),
        post(client, f"{BASE}{missing}/deliveries/redeliver/", {"ids": [1]}),
        client.get(f"{BASE}{2**63}/"),
    ]
    assert [(r.status_code, r.json()) for r in answers] == [(404, expected)] * len(answers)
    assert WebhookEndpoint.objects.get() == endpoint and not WebhookDelivery.objects.exists()


# --- Who may ----------------------------------------------------------------------------------


def test_csms_customers_and_anonymous_are_refused(world: World) -> None:
    endpoint = WebhookEndpointFactory(url=PUBLIC_URL)
    paths = [BASE, f"{BASE}{endpoint.pk}/", f"{BASE}{endpoint.pk}/deliveries/"]
    posts = [BASE, f"{BASE}{endpoint.pk}/rotate-secret/", f"{BASE}{endpoint.pk}/test/"]
    for user, expected in [
        (None, 401),
        (world.customer_a, 403),
        (world.customer_admin_a, 403),
        (world.csm_a, 403),
        (world.csm_b, 403),
    ]:
        client = Client()
        if user is not None:
            client.force_login(user)
        for path in paths:
            assert client.get(path).status_code == expected, (user, path)
        for path in posts:
            body = {"url": PUBLIC_URL, "event_types": [WebhookEvent.ACCOUNT_UPDATED]}
            assert post(client, path, body).status_code == expected, (user, path)
        assert patch(client, f"{BASE}{endpoint.pk}/", {"enabled": False}).status_code == expected
        assert client.delete(f"{BASE}{endpoint.pk}/").status_code == expected
    endpoint.refresh_from_db()
    assert endpoint.enabled and WebhookEndpoint.objects.count() == 1 and not WebhookDelivery.objects.exists()


def test_tokens_need_the_scope_and_may_not_be_restricted_to_an_account(world: World) -> None:
    endpoint = WebhookEndpointFactory(url=PUBLIC_URL)
    client = Client()
    managing = token_create(owner=world.admin, name="ops", scopes=[ApiScope.WEBHOOKS_MANAGE])[1]
    assert client.get(BASE, **bearer(managing)).status_code == 200
    created = post(client, BASE, {"url": OTHER_PUBLIC_URL, "event_types": ["account.created"]}, **bearer(managing))
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")

    others = [scope for scope in ApiScope.values if scope != ApiScope.WEBHOOKS_MANAGE]
    unscoped = token_create(owner=world.admin, name="other", scopes=others)[1]
    refused = client.get(BASE, **bearer(unscoped))
    assert (refused.status_code, refused.json()["code"]) == (403, "insufficient_scope")

    restricted = token_create(owner=world.admin, name="alpha", scopes=ApiScope.values, account=world.account_a)[1]
    for response in [
        client.get(BASE, **bearer(restricted)),
        client.get(f"{BASE}{endpoint.pk}/", **bearer(restricted)),
        post(client, f"{BASE}{endpoint.pk}/rotate-secret/", **bearer(restricted)),
        post(client, BASE, {"url": PUBLIC_URL, "event_types": ["account.created"]}, **bearer(restricted)),
    ]:
        assert response.status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == "" and WebhookEndpoint.objects.count() == 2


# --- Lists and deliveries ---------------------------------------------------------------------


def test_the_endpoint_list_runs_the_same_queries_for_one_and_many(world: World) -> None:
    client = admin_client(world)
    WebhookEndpointFactory(url=PUBLIC_URL)
    with capture_queries() as few:
        assert len(client.get(BASE).json()["results"]) == 1
    WebhookEndpointFactory.create_batch(6, url=OTHER_PUBLIC_URL)
    with capture_queries() as many:
        assert len(client.get(BASE).json()["results"]) == 7
    assert_same_queries(few, many)


def test_the_endpoint_list_goes_by_cursor(world: World) -> None:
    client = admin_client(world)
    endpoints = WebhookEndpointFactory.create_batch(3, url=PUBLIC_URL)
    first = client.get(BASE, {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    ids = [e["id"] for e in first["results"] + second["results"]]
    assert ids == [e.pk for e in reversed(endpoints)] and second["next"] is None


def test_deliveries_newest_first_with_their_outcome_and_filters(world: World) -> None:
    client = admin_client(world)
    endpoint = WebhookEndpointFactory(url=PUBLIC_URL)
    now = timezone.now()
    old = WebhookDeliveryFactory(
        endpoint=endpoint, status=Status.FAILED, attempts=3, last_status_code=404, last_duration_ms=120,
        created_at=now - timedelta(days=2),
    )  # fmt: skip
    recent = WebhookDeliveryFactory(
        endpoint=endpoint,
        status=Status.DELIVERED,
        attempts=1,
        last_status_code=200,
        created_at=now - timedelta(hours=1),
    )
    WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(url=OTHER_PUBLIC_URL))  # another endpoint's

    path = f"{BASE}{endpoint.pk}/deliveries/"
    listed = client.get(path).json()["results"]
    assert [d["id"] for d in listed] == [recent.pk, old.pk]
    assert listed[1] | {"created_at": None} == {
        "id": old.pk,
        "event_type": old.event_type,
        "msg_id": old.msg_id,
        "status": "failed",
        "attempts": 3,
        "last_status_code": 404,
        "last_duration_ms": 120,
        "last_error": old.last_error,
        "created_at": None,
        "last_attempt_at": None if old.last_attempt_at is None else listed[1]["last_attempt_at"],
        "next_attempt_at": None if old.next_attempt_at is None else listed[1]["next_attempt_at"],
        "delivered_at": None if old.delivered_at is None else listed[1]["delivered_at"],
    }
    assert [d["id"] for d in client.get(path, {"status": "failed"}).json()["results"]] == [old.pk]
    since = (now - timedelta(days=1)).isoformat()
    assert [d["id"] for d in client.get(path, {"since": since}).json()["results"]] == [recent.pk]
    assert [d["id"] for d in client.get(path, {"until": since}).json()["results"]] == [old.pk]
    bad = client.get(path, {"status": "nope", "since": "yesterday"})
    assert bad.status_code == 400 and set(bad.json()) == {"status", "since"}
    reversed_range = client.get(path, {"since": now.isoformat(), "until": since})
    assert reversed_range.status_code == 400 and list(reversed_range.json()) == ["until"]


def test_the_delivery_list_runs_the_same_queries_for_one_and_many(world: World) -> None:
    client = admin_client(world)
    endpoint = WebhookEndpointFactory(url=PUBLIC_URL)
    path = f"{BASE}{endpoint.pk}/deliveries/"
    WebhookDeliveryFactory(endpoint=endpoint)
    with capture_queries() as few:
        assert len(client.get(path).json()["results"]) == 1
    WebhookDeliveryFactory.create_batch(8, endpoint=endpoint)
    with capture_queries() as many:
        assert len(client.get(path).json()["results"]) == 9
    assert_same_queries(few, many)


def test_redeliver_by_ids_sends_only_this_endpoints_again(world: World) -> None:
    client = admin_client(world)
    endpoint = WebhookEndpointFactory(url=PUBLIC_URL)
    failed = WebhookDeliveryFactory(endpoint=endpoint, status=Status.GAVE_UP, attempts=12, next_attempt_at=None)
    kept = WebhookDeliveryFactory(endpoint=endpoint, status=Status.DELIVERED, attempts=1)
    theirs = WebhookDeliveryFactory(endpoint=WebhookEndpointFactory(url=OTHER_PUBLIC_URL), status=Status.FAILED)

    response = post(client, f"{BASE}{endpoint.pk}/deliveries/redeliver/", {"ids": [failed.pk, theirs.pk]})
    assert (response.status_code, response.json()) == (200, {"redelivered": 1})
    failed.refresh_from_db()
    kept.refresh_from_db()
    theirs.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.PENDING, 0) and failed.next_attempt_at is not None
    assert kept.status == Status.DELIVERED and theirs.status == Status.FAILED
    queued = OutboxMessage.objects.filter(task=webhooks.WEBHOOK_DELIVER).values_list("args", flat=True)
    assert list(queued) == [[failed.pk]]


def test_redeliver_by_time_range(world: World) -> None:
    client = admin_client(world)
    endpoint = WebhookEndpointFactory(url=PUBLIC_URL)
    now = timezone.now()
    ages = [timedelta(days=3), timedelta(days=2), timedelta(hours=12), timedelta(hours=1)]
    rows = [
        WebhookDeliveryFactory(endpoint=endpoint, status=Status.FAILED, attempts=2, created_at=now - age)
        for age in ages
    ]
    path = f"{BASE}{endpoint.pk}/deliveries/redeliver/"
    body = {"since": (now - timedelta(days=2, hours=1)).isoformat(), "until": (now - timedelta(hours=2)).isoformat()}
    assert post(client, path, body).json() == {"redelivered": 2}
    assert [WebhookDelivery.objects.get(pk=row.pk).status for row in rows] == [
        Status.FAILED, Status.PENDING, Status.PENDING, Status.FAILED,
    ]  # fmt: skip
    assert post(client, path, {"since": (now - timedelta(hours=2)).isoformat()}).json() == {"redelivered": 1}
    assert post(client, path, {"until": (now - timedelta(days=2, hours=12)).isoformat()}).json() == {"redelivered": 1}
    assert all(row.status == Status.PENDING for row in WebhookDelivery.objects.all())


def test_redeliver_needs_ids_or_a_range_not_both(world: World) -> None:
    client = admin_client(world)
    endpoint = WebhookEndpointFactory(url=PUBLIC_URL)
    delivery = WebhookDeliveryFactory(endpoint=endpoint, status=Status.FAILED)
    path = f"{BASE}{endpoint.pk}/deliveries/redeliver/"
    for body in [{}, {"ids": [delivery.pk], "since": timezone.now().isoformat()}, {"ids": []}, {"ids": ["x"]}]:
        response = post(client, path, body)
        assert response.status_code == 400 and list(response.json()) == ["ids"], body
    assert WebhookDelivery.objects.get().status == Status.FAILED


# --- Random bodies ----------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "url": st.sampled_from([PUBLIC_URL, "https://127.0.0.1/x", "https://[::1]/", "ftp://x", "https://a\x00b/"])
        | JSON,
        "event_types": st.lists(st.sampled_from([*WebhookEvent.values, "x"]), max_size=3) | JSON,
        "description": st.text(max_size=250) | JSON,
        "enabled": st.booleans() | JSON,
    },
)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(body=JSON | FIELDS)
def test_random_bodies_never_give_a_server_error(world: World, body: object) -> None:
    client = admin_client(world)
    endpoint = WebhookEndpoint.objects.first() or WebhookEndpointFactory(url=PUBLIC_URL)
    before = WebhookEndpoint.objects.values().get(pk=endpoint.pk)
    for response in [
        post(client, BASE, body),
        patch(client, f"{BASE}{endpoint.pk}/", body),
        post(client, f"{BASE}{endpoint.pk}/deliveries/redeliver/", body),
    ]:
        assert response.status_code < 500, response.content
        assert response["Content-Type"] == "application/json"
        if response.status_code == 400:
            errors = response.json()
            assert isinstance(errors, dict) and errors
            if "detail" not in errors:  # field errors: each field with its messages, as the schema says
                assert all(isinstance(m, list) and all(isinstance(t, str) for t in m) for m in errors.values())
    after = WebhookEndpoint.objects.values().get(pk=endpoint.pk)
    assert after["secret"] == before["secret"]
