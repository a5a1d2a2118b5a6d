"""The database or the broker out of reach: 503 with Retry-After (JSON under the API, the site's
page elsewhere), never a 500. The connections fail for real: the database's settings point at a
closed port (PostgreSQL) or a folder that does not exist (SQLite), the broker's at a closed port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import DatabaseError, connection
from django.test import Client

from journeys.events.models import UsageEvent
from journeys.events.services.api_keys import api_key_create
from portal import celery_app
from portal.outages import is_outage
from tests.conftest import World, signed_in

pytestmark = pytest.mark.django_db(transaction=True)

CLOSED_PORT = "1"
EVENT = {"id": "evt-1", "name": "login", "occurred_at": "2025-04-01T00:00:00Z"}


@contextmanager
def database_down_now() -> Iterator[None]:
    """The default database out of reach inside the block."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict.update(HOST="127.0.0.1", PORT=CLOSED_PORT)
    else:
        connection.settings_dict["NAME"] = str(settings.BASE_DIR / "var" / "no-such-folder" / "kachi.sqlite3")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.fixture
def database_down() -> Iterator[None]:
    with database_down_now():
        yield


@pytest.fixture
def broker_down() -> Iterator[None]:
    """Tasks published to a broker on a closed port (not run in-process) until the test ends."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport_options, conf.task_always_eager
    conf.broker_url = f"redis://127.0.0.1:{CLOSED_PORT}/0"
    conf.broker_transport_options = {}
    conf.task_always_eager = False
    celery_app.close()  # drops the connections to the broker in use
    try:
        yield
    finally:
        conf.broker_url, conf.broker_transport_options, conf.task_always_eager = saved
        celery_app.close()


def assert_json_503(response) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    body = json.loads(response.content)
    assert body["code"] == "service_unavailable"
    assert body["detail"]


def test_the_api_answers_503_json_when_the_database_is_down(database_down: None) -> None:
    assert_json_503(Client().get("/api/v1/articles/"))


def test_an_api_key_checked_against_a_database_that_is_down_is_a_503(world: World) -> None:
    _key, raw = api_key_create(name="product", account=world.account_a, by=None)
    client = Client()
    with database_down_now():
        response = client.post(
            "/api/v1/events/", [EVENT], content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
        )
    assert_json_503(response)


def test_a_page_answers_the_503_page_when_the_database_is_down(database_down: None) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/help/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert page.index("Kachi is briefly unavailable") < page.index("Kachi は一時的にご利用いただけません")


def test_the_503_page_is_japanese_by_default(database_down: None) -> None:
    page = Client().get("/help/").content.decode()
    assert '<html lang="ja">' in page
    assert page.index("Kachi は一時的にご利用いただけません") < page.index("Kachi is briefly unavailable")


def test_a_signed_in_page_whose_middleware_meets_the_outage_is_a_503(world: World) -> None:
    client = signed_in(world.customer_a)
    client.raise_request_exception = False  # the failure happens before any view: Django's 500 handler answers
    with database_down_now():
        response = client.get("/app/")
    assert response.status_code == 503
    assert "Kachi is briefly unavailable" in response.content.decode()


def test_an_event_post_while_the_broker_is_down_is_no_500_and_a_retry_stores_it_once(
    world: World, broker_down: None
) -> None:
    _key, raw = api_key_create(name="product", account=world.account_a, by=None)
    client = Client()

    def post():
        return client.post(
            "/api/v1/events/", [EVENT], content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
        )

    response = post()
    # Committed with its follow-up work in the outbox: a success, though nothing could be published.
    assert response.status_code == 200 and response.json()["accepted"] == 1
    assert UsageEvent.objects.filter(external_id="evt-1").count() == 1
    retried = post()
    assert retried.status_code == 200
    assert retried.json()["duplicates"] == 1
    assert UsageEvent.objects.filter(external_id="evt-1").count() == 1


def test_a_mistake_in_sql_is_no_outage(world: World) -> None:
    with pytest.raises(DatabaseError) as caught, connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM portal_account")
    assert not is_outage(caught.value)


def test_an_unreachable_database_is_an_outage(database_down: None) -> None:
    with pytest.raises(DatabaseError) as caught:
        connection.ensure_connection()
    assert is_outage(caught.value)
