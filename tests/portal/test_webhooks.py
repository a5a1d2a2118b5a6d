"""Outgoing webhooks (portal/webhooks.py): signed as the Standard Webhooks reference verifier expects,
sent to a real HTTP receiver on the loopback, retried with the same message id, never to a private
address, emitted in the transaction of the change."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from standardwebhooks import Webhook

from journeys.onboarding.models import Playbook
from journeys.onboarding.services.journeys import journey_start
from journeys.onboarding.services.steps import step_set_status
from portal import services, webhooks
from portal.models import MilestoneKind, OutboxMessage, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.conftest import World, signed_in
from tests.factories import (
    AccountFactory,
    AdminFactory,
    MilestoneFactory,
    PlaybookFactory,
    StepFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
)
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


# --- A receiver on the loopback -----------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """Answers each request with the next of ``script`` (status, headers), then 200 to all."""

    url: str
    port: int
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    delay: float = 0.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="", port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = self.rfile.read(length).decode()
            state.received.append(Received(headers={k.lower(): v for k, v in self.headers.items()}, body=body))
            if state.delay:
                time.sleep(state.delay)
            status, headers = state.script.pop(0) if state.script else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.port = server.server_address[1]
    state.url = f"http://127.0.0.1:{state.port}/hooks"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def loopback(settings) -> None:
    """Let webhooks go to the receiver on this machine (plain HTTP, a loopback address)."""
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    settings.DEBUG = True


def _endpoint(url: str, *events: str) -> WebhookEndpoint:
    return WebhookEndpointFactory(url=url, event_types=list(events or WebhookEvent.values))


def _emit(endpoint: WebhookEndpoint) -> WebhookDelivery:
    (delivery,) = webhooks.event_emit(WebhookEvent.ACCOUNT_UPDATED, {"account": {"id": 1}, "changed": ["plan"]})
    assert delivery.endpoint_id == endpoint.pk
    return delivery


def _attempt_now(delivery: WebhookDelivery) -> str | None:
    """The next attempt, as if its time had come."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    return webhooks.delivery_attempt(delivery_id=delivery.pk)


def _verify(endpoint: WebhookEndpoint, received: Received, secret: str | None = None) -> object:
    return Webhook(secret or endpoint.secret).verify(received.body, received.headers)


# --- Signing and retries ----------------------------------------------------------------------


def test_failed_attempts_are_retried_with_the_same_id_and_every_one_verifies(
    receiver: Receiver, loopback: None
) -> None:
    endpoint = _endpoint(receiver.url)
    receiver.script = [(500, {}), (503, {})]
    delivery = _emit(endpoint)

    before = timezone.now()
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == Status.PENDING
    delivery.refresh_from_db()
    assert delivery.last_status_code == 500
    assert before + timedelta(seconds=4) < delivery.next_attempt_at < timezone.now() + timedelta(seconds=6)
    assert _attempt_now(delivery) == Status.PENDING
    delivery.refresh_from_db()
    assert delivery.next_attempt_at > timezone.now() + timedelta(minutes=4)
    assert _attempt_now(delivery) == Status.DELIVERED

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.DELIVERED, 3, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert delivery.last_response_body == "ok"
    assert [r.headers["webhook-id"] for r in receiver.received] == [delivery.msg_id] * 3
    for received in receiver.received:
        assert received.headers["content-type"] == "application/json"
        payload = _verify(endpoint, received)
        assert payload == delivery.payload
        assert payload["type"] == "account.updated"
    with pytest.raises(Exception, match="signature"):
        Webhook(webhooks.secret_generate()).verify(receiver.received[0].body, receiver.received[0].headers)


def test_an_attempt_claimed_is_not_made_twice(receiver: Receiver, loopback: None) -> None:
    endpoint = _endpoint(receiver.url)
    receiver.script = [(500, {})]
    delivery = _emit(endpoint)
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == Status.PENDING
    # A second delivery of the same task, or the sweep, right after: the next attempt is not due.
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) is None
    assert webhooks.deliveries_due() == 0
    assert len(receiver.received) == 1


def test_retry_after_is_honoured(receiver: Receiver, loopback: None) -> None:
    receiver.script = [(429, {"Retry-After": "3600"})]
    delivery = _emit(_endpoint(receiver.url))
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == Status.PENDING
    delivery.refresh_from_db()
    assert delivery.next_attempt_at > timezone.now() + timedelta(minutes=59)
    assert delivery.last_response_headers["retry-after"] == "3600"


def test_a_redirect_is_not_followed_and_counts_as_a_failure(receiver: Receiver, loopback: None) -> None:
    receiver.script = [(302, {"Location": f"http://127.0.0.1:{receiver.port}/elsewhere"})]
    delivery = _emit(_endpoint(receiver.url))
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == Status.PENDING
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302
    assert len(receiver.received) == 1
    assert WebhookEndpoint.objects.get(pk=delivery.endpoint_id).failing_since is not None


def test_a_timeout_is_retried(receiver: Receiver, loopback: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhooks, "TIMEOUT_SECONDS", 0.2)
    receiver.delay = 1.0
    delivery = _emit(_endpoint(receiver.url))
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == Status.PENDING
    delivery.refresh_from_db()
    assert delivery.last_status_code is None
    assert "Timeout" in delivery.last_error


def test_a_client_error_fails_without_retry(receiver: Receiver, loopback: None) -> None:
    receiver.script = [(400, {})]
    delivery = _emit(_endpoint(receiver.url))
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == Status.FAILED
    assert WebhookDelivery.objects.get(pk=delivery.pk).next_attempt_at is None


def test_the_last_attempt_gives_up(receiver: Receiver, loopback: None) -> None:
    receiver.script = [(500, {})]
    delivery = _emit(_endpoint(receiver.url))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=webhooks.MAX_ATTEMPTS - 1)
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == Status.GAVE_UP


def test_the_retry_schedule_spans_about_three_days() -> None:
    total = sum(webhooks.RETRY_SCHEDULE, timedelta())
    assert timedelta(days=2, hours=12) < total < timedelta(days=3, hours=12)
    assert webhooks.RETRY_SCHEDULE[0] == timedelta(seconds=5)


def test_gone_turns_the_endpoint_off_and_tells_the_admins_in_their_language(
    receiver: Receiver, loopback: None, world: World, mailoutbox
) -> None:
    AdminFactory(email="admin-en@kachi.example", language="en")
    AdminFactory(email="admin-ja@kachi.example", language="ja")
    receiver.script = [(410, {})]
    endpoint = _endpoint(receiver.url)
    assert webhooks.delivery_attempt(delivery_id=_emit(endpoint).pk) == Status.FAILED
    endpoint.refresh_from_db()
    assert (endpoint.enabled, endpoint.disabled_reason) == (False, WebhookEndpoint.DisabledReason.GONE)
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects["admin-en@kachi.example"] == f"Webhook endpoint turned off: {endpoint}"
    assert subjects["admin-ja@kachi.example"] != subjects["admin-en@kachi.example"]
    assert subjects["admin-ja@kachi.example"] == f"Webhook エンドポイントを無効化しました: {endpoint}"
    # Off, it gets no new events.
    assert webhooks.event_emit(WebhookEvent.ACCOUNT_UPDATED, {}) == []


def test_five_days_of_failures_turn_the_endpoint_off(
    receiver: Receiver, loopback: None, world: World, mailoutbox
) -> None:
    receiver.script = [(500, {}), (500, {})]
    endpoint = _endpoint(receiver.url)
    delivery = _emit(endpoint)
    webhooks.delivery_attempt(delivery_id=delivery.pk)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).enabled
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=5, minutes=1))
    _attempt_now(delivery)
    endpoint.refresh_from_db()
    assert (endpoint.enabled, endpoint.disabled_reason) == (False, WebhookEndpoint.DisabledReason.FAILING)
    assert [m.to for m in mailoutbox] == [[world.admin.email]]


def test_a_success_ends_the_failing_streak(receiver: Receiver, loopback: None) -> None:
    receiver.script = [(500, {})]
    endpoint = _endpoint(receiver.url)
    delivery = _emit(endpoint)
    webhooks.delivery_attempt(delivery_id=delivery.pk)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is not None
    _attempt_now(delivery)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is None


def test_after_a_rotation_both_secrets_sign_for_a_day(receiver: Receiver, loopback: None) -> None:
    endpoint = _endpoint(receiver.url)
    old = endpoint.secret
    new = webhooks.endpoint_rotate_secret(endpoint=endpoint)
    endpoint.refresh_from_db()
    assert new != old and new.startswith("whsec_")
    webhooks.delivery_attempt(delivery_id=_emit(endpoint).pk)
    received = receiver.received[-1]
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    _verify(endpoint, received, secret=old)
    _verify(endpoint, received, secret=new)

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(previous_secret_expires_at=timezone.now())
    webhooks.delivery_attempt(delivery_id=_emit(endpoint).pk)
    received = receiver.received[-1]
    assert received.headers["webhook-signature"].count("v1,") == 1
    _verify(endpoint, received, secret=new)
    with pytest.raises(Exception, match="signature"):
        _verify(endpoint, received, secret=old)


def test_a_secret_is_32_random_bytes_in_base64() -> None:
    import base64

    secret = webhooks.secret_generate()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert webhooks.secret_generate() != secret


# --- Where webhooks may go ----------------------------------------------------------------------


REAL_GETADDRINFO = socket.getaddrinfo


def _resolve(monkeypatch: pytest.MonkeyPatch, names: dict[str, str]) -> None:
    """Make these names resolve to these addresses (others as usual)."""

    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host in names:
            return REAL_GETADDRINFO(names[host], port, *args, **kwargs)
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://10.0.0.1/hooks",
        "https://172.16.5.4/hooks",
        "https://192.168.1.1/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hooks",
        "https://[fd00::1]/hooks",
        "https://[fe80::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://0.0.0.0/hooks",
        "https://224.0.0.1/hooks",
        "https://100.64.0.1/hooks",
    ],
)
def test_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(ValidationError) as error:
        webhooks.url_check(url)
    assert "url" in error.value.message_dict


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1"])
def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    _resolve(monkeypatch, {"hooks.example.com": address})
    with pytest.raises(ValidationError):
        webhooks.url_check("https://hooks.example.com/kachi")


def test_a_public_https_url_is_accepted_and_plain_http_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolve(monkeypatch, {"hooks.example.com": "93.184.215.14"})
    webhooks.url_check("https://hooks.example.com/kachi")
    with pytest.raises(ValidationError):
        webhooks.url_check("http://hooks.example.com/kachi")


def test_the_address_is_checked_again_when_sending(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    # Public when the endpoint was saved, the name now points at the loopback (DNS rebinding).
    _resolve(monkeypatch, {"hooks.example.com": "93.184.215.14"})
    endpoint = webhooks.endpoint_create(
        url=f"https://hooks.example.com:{receiver.port}/hooks", event_types=["account.updated"], by=None
    )
    _resolve(monkeypatch, {"hooks.example.com": "127.0.0.1"})
    delivery = _emit(endpoint)
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == Status.PENDING
    delivery.refresh_from_db()
    assert "127.0.0.1" in delivery.last_error
    assert receiver.received == []


def test_the_request_goes_to_the_checked_address_with_the_hosts_name(
    receiver: Receiver, loopback: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _resolve(monkeypatch, {"receiver.example.com": "127.0.0.1"})
    endpoint = _endpoint(f"http://receiver.example.com:{receiver.port}/hooks")
    assert webhooks.delivery_attempt(delivery_id=_emit(endpoint).pk) == Status.DELIVERED
    assert receiver.received[0].headers["host"] == f"receiver.example.com:{receiver.port}"


# --- Emitting in the transaction of the change --------------------------------------------------


@pytest.fixture
def playbook(world: World) -> Playbook:
    playbook = PlaybookFactory(key="basics", status=Playbook.Status.PUBLISHED)
    first = StepFactory(playbook=playbook, key="connect", position=1)
    StepFactory(playbook=playbook, key="launch", position=2)
    milestone = MilestoneFactory(playbook=playbook, key="first-value", kind=MilestoneKind.FIRST_VALUE)
    milestone.steps.add(first)
    return playbook


def test_a_milestone_reached_writes_one_delivery_per_subscribed_endpoint(world: World, playbook: Playbook) -> None:
    subscribed = [_endpoint(f"https://a{n}.example.com/", "milestone.reached", "step.completed") for n in range(2)]
    _endpoint("https://other.example.com/", "account.created")
    WebhookEndpointFactory(event_types=["milestone.reached"], enabled=False)
    journey = journey_start(account=world.account_a, playbook=playbook)
    state = journey.step_states.get(step_key="connect")

    step_set_status(state=state, status="done", by=world.customer_a)

    reached = WebhookDelivery.objects.filter(event_type="milestone.reached")
    assert sorted(reached.values_list("endpoint_id", flat=True)) == sorted(e.pk for e in subscribed)
    data = reached.first().payload["data"]
    assert data["account"]["slug"] == "alpha"
    assert data["milestone"]["key"] == "first-value"
    assert WebhookDelivery.objects.filter(event_type="step.completed").count() == 2
    assert OutboxMessage.objects.filter(task=webhooks.WEBHOOK_DELIVER).count() == 4


def test_a_rolled_back_change_leaves_no_delivery(world: World, playbook: Playbook) -> None:
    _endpoint("https://a.example.com/", "milestone.reached", "journey.started")
    journey = journey_start(account=world.account_a, playbook=playbook)
    assert WebhookDelivery.objects.filter(event_type="journey.started").count() == 1
    state = journey.step_states.get(step_key="connect")
    with pytest.raises(RuntimeError), transaction.atomic():
        step_set_status(state=state, status="done", by=world.customer_a)
        assert WebhookDelivery.objects.filter(event_type="milestone.reached").count() == 1
        raise RuntimeError
    assert not WebhookDelivery.objects.filter(event_type="milestone.reached").exists()
    assert OutboxMessage.objects.filter(task=webhooks.WEBHOOK_DELIVER).count() == 1


def test_the_delivery_runs_once_the_change_commits(
    world: World, receiver: Receiver, loopback: None, django_capture_on_commit_callbacks
) -> None:
    endpoint = _endpoint(receiver.url, "account.updated")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        delivery = _emit(endpoint)
        assert receiver.received == []
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == Status.DELIVERED
    assert json.loads(receiver.received[0].body)["data"]["changed"] == ["plan"]


def test_emitting_runs_the_same_queries_for_one_event_and_many() -> None:
    _endpoint("https://a.example.com/")
    with capture_queries() as few:
        webhooks.events_emit([webhooks.Event(WebhookEvent.ACCOUNT_UPDATED, {})])
    WebhookEndpointFactory.create_batch(5)
    with capture_queries() as many:
        webhooks.events_emit([webhooks.Event(WebhookEvent.ACCOUNT_UPDATED, {})] * 10)
    assert_same_queries(few, many, expected=3)
    assert WebhookDelivery.objects.count() == 1 + 60


def test_the_retry_sweep_makes_the_attempts_that_are_due(receiver: Receiver, loopback: None) -> None:
    endpoint = _endpoint(receiver.url)
    due = _emit(endpoint)
    later = _emit(endpoint)
    WebhookDelivery.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
    assert webhooks.deliveries_due() == 1
    assert WebhookDelivery.objects.get(pk=due.pk).status == Status.DELIVERED
    assert WebhookDelivery.objects.get(pk=later.pk).status == Status.PENDING


def test_old_deliveries_are_pruned_but_pending_ones_stay() -> None:
    old = timezone.now() - timedelta(days=31)
    gone = WebhookDeliveryFactory(status=Status.DELIVERED, created_at=old)
    waiting = WebhookDeliveryFactory(status=Status.PENDING, created_at=old)
    recent = WebhookDeliveryFactory(status=Status.FAILED)
    assert webhooks.deliveries_prune() == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}
    assert not WebhookDelivery.objects.filter(pk=gone.pk).exists()


def test_the_schedules_are_registered() -> None:
    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"portal.tasks.webhooks_deliver_due", "portal.tasks.webhooks_prune"} <= tasks


# --- The admin ----------------------------------------------------------------------------------


def _admin(world: World) -> Client:
    return signed_in(world.admin)


def test_an_admin_creates_an_endpoint_and_sees_its_secret_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _resolve(monkeypatch, {"hooks.example.com": "93.184.215.14"})
    client = _admin(world)
    response = client.post(
        "/admin/portal/webhookendpoint/add/",
        {"url": "https://hooks.example.com/kachi", "description": "CRM", "event_types": ["milestone.reached"]},
        follow=True,
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in response.content.decode()
    assert endpoint.created_by == world.admin and endpoint.event_types == ["milestone.reached"]
    change = client.get(f"/admin/portal/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret not in change.content.decode()


def test_the_admin_refuses_a_private_url(world: World) -> None:
    response = _admin(world).post(
        "/admin/portal/webhookendpoint/add/",
        {"url": "https://169.254.169.254/", "event_types": ["milestone.reached"]},
    )
    assert response.status_code == 200
    assert "not sent to" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_admin_actions_test_rotate_and_redeliver(world: World) -> None:
    endpoint = _endpoint("https://a.example.com/")
    secret = endpoint.secret
    client = _admin(world)
    url = "/admin/portal/webhookendpoint/"
    client.post(url, {"action": "send_test_event", "_selected_action": [endpoint.pk]})
    test = WebhookDelivery.objects.get(event_type=webhooks.TEST_EVENT)
    response = client.post(url, {"action": "rotate_secret", "_selected_action": [endpoint.pk]}, follow=True)
    endpoint.refresh_from_db()
    assert endpoint.secret != secret and endpoint.previous_secret == secret
    assert endpoint.secret in response.content.decode()

    WebhookDelivery.objects.filter(pk=test.pk).update(status=Status.GAVE_UP, attempts=12, next_attempt_at=None)
    client.post("/admin/portal/webhookdelivery/", {"action": "redeliver", "_selected_action": [test.pk]})
    test.refresh_from_db()
    assert (test.status, test.attempts) == (Status.PENDING, 0)


def test_the_delivery_log_runs_the_same_queries_for_one_row_and_many(world: World) -> None:
    client = _admin(world)
    WebhookDeliveryFactory()
    with capture_queries() as few:
        assert client.get("/admin/portal/webhookdelivery/").status_code == 200
    WebhookDeliveryFactory.create_batch(15)
    with capture_queries() as many:
        client.get("/admin/portal/webhookdelivery/")
    assert_same_queries(few, many)


def test_an_account_saved_in_the_admin_is_told_to_the_webhooks(world: World) -> None:
    _endpoint("https://a.example.com/", "account.created", "account.updated")
    client = _admin(world)
    account = world.account_a
    response = client.post(
        f"/admin/portal/account/{account.pk}/change/",
        {
            "name": account.name, "slug": account.slug, "segment": account.segment_id, "plan": "growth",
            "contract_start_0": account.contract_start.date().isoformat(), "contract_start_1": "09:00:00",
            "investment_amount": "0", "csm": account.csm_id or "", "status": account.status,
            "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
        },
    )  # fmt: skip
    assert response.status_code == 302, [c.get("errors") for c in [response.context]] if response.context else ""
    (delivery,) = WebhookDelivery.objects.filter(event_type="account.updated")
    assert "plan" in delivery.payload["data"]["changed"]
    assert delivery.payload["data"]["account"]["plan"] == "growth"


def test_an_account_created_is_told_to_the_webhooks(world: World) -> None:
    _endpoint("https://a.example.com/", "account.created")
    account = services.account_create(
        account=AccountFactory.build(slug="gamma", segment=world.account_a.segment, csm=world.csm_a)
    )
    (delivery,) = WebhookDelivery.objects.filter(event_type="account.created")
    assert delivery.payload["data"]["account"]["id"] == account.pk
    assert delivery.payload["data"]["account"]["slug"] == "gamma"


def test_the_endpoint_list_runs_the_same_queries_for_one_row_and_many(world: World) -> None:
    client = _admin(world)
    _endpoint("https://a.example.com/")
    with capture_queries() as few:
        assert client.get("/admin/portal/webhookendpoint/").status_code == 200
    WebhookEndpointFactory.create_batch(15)
    with capture_queries() as many:
        client.get("/admin/portal/webhookendpoint/")
    assert_same_queries(few, many)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_make_one_attempt(receiver: Receiver, loopback: None) -> None:
    receiver.delay = 0.3
    # Written directly: emitted outside a transaction, its first attempt would run at once.
    delivery = WebhookDeliveryFactory(endpoint=_endpoint(receiver.url))
    results: list[str | None] = []
    start = threading.Barrier(2)

    def worker() -> None:
        from django.db import connection

        start.wait()
        try:
            results.append(webhooks.delivery_attempt(delivery_id=delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == sorted([Status.DELIVERED, None], key=str)
    assert len(receiver.received) == 1
