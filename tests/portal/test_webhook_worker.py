"""1,000 milestone events to a receiver on this machine through real Celery workers on Redis and
PostgreSQL, the receiver failing its first requests and one worker killed with SIGKILL mid-run:
every event is delivered, signed as the Standard Webhooks reference verifier expects, none is lost,
and one arrives twice only where the worker died between posting it and recording that it did
(receivers dedupe by ``webhook-id``)."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from portal import celery_app
from portal.models import WebhookDelivery, WebhookEvent
from portal.webhooks import Event, endpoint_create, events_emit
from tests.workers import WorkerPool, require_postgres_and_redis, worker_pool

pytestmark = pytest.mark.services

EVENTS = 1000
FAILING_FIRST = 20  # the receiver's first answers are 503s: those deliveries are retried
KILL_AFTER_DELIVERED = 150
DEADLINE_SECONDS = 180


class Receiver:
    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.unsigned = 0
        self.requests = 0
        self.secret = ""
        self.lock = threading.Lock()


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with state.lock:
                state.requests += 1
                failing = state.requests <= FAILING_FIRST
            if failing:
                self.send_response(503)
            else:
                try:
                    Webhook(state.secret).verify(body, headers)
                except Exception:
                    with state.lock:
                        state.unsigned += 1
                with state.lock:
                    state.ids[headers["webhook-id"]] += 1
                self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()
    server.server_close()


@pytest.fixture
def workers(transactional_db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings) -> Iterator[WorkerPool]:
    require_postgres_and_redis()
    # The receiver is on this machine, over plain HTTP: allowed here and in the workers.
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    settings.DEBUG = True
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_HOSTS", "1")
    with worker_pool("webhook", tmp_path) as pool:
        yield pool


def delivered() -> int:
    return WebhookDelivery.objects.filter(status=WebhookDelivery.Status.DELIVERED).count()


def test_every_event_is_delivered_though_a_worker_is_killed(
    workers: WorkerPool, receiver: tuple[Receiver, str], capsys
) -> None:
    state, url = receiver
    endpoint = endpoint_create(url=url, event_types=[WebhookEvent.MILESTONE_REACHED], by=None)
    state.secret = endpoint.secret
    started = time.monotonic()
    with transaction.atomic():  # committed, then one message per delivery goes to Redis
        deliveries = events_emit(
            [
                Event(WebhookEvent.MILESTONE_REACHED, {"account": f"acct-{n}", "milestone": "first-value"})
                for n in range(EVENTS)
            ]
        )
    assert len(deliveries) == EVENTS

    first = workers.start()
    workers.wait_for(lambda: delivered() >= KILL_AFTER_DELIVERED, "the first deliveries", seconds=DEADLINE_SECONDS)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed = 1
    delivered_when_killed = delivered()
    assert delivered_when_killed < EVENTS, "the worker finished before it could be killed"

    # Two fresh workers take the messages still queued. What the killed worker had taken (invisible
    # on Redis for an hour) and the receiver's 503s are beat's every minute: the due deliveries,
    # once their lease or wait is over (as if it were: the test does not wait minutes).
    workers.start()
    workers.start()

    def due_again() -> bool:
        if delivered() == EVENTS:
            return True
        # Leases of attempts made seconds ago run out (an attempt under way is milliseconds old).
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, last_attempt_at__lt=timezone.now() - timedelta(seconds=5)
        ).update(next_attempt_at=timezone.now())
        celery_app.send_task("portal.tasks.webhooks_deliver_due")
        time.sleep(1)
        return delivered() == EVENTS

    deadline = time.monotonic() + DEADLINE_SECONDS
    while not due_again():
        if time.monotonic() > deadline:
            statuses = Counter(WebhookDelivery.objects.values_list("status", flat=True))
            pytest.fail(f"not every event was delivered: {dict(statuses)}; logs:\n{workers.logs()[-3000:]}")
    time.sleep(1)
    workers.stop()

    ids = {delivery.msg_id for delivery in deliveries}
    duplicates = sum(state.ids.values()) - len(state.ids)
    with capsys.disabled():
        sys.stdout.write(
            f"\nwebhook worker: {EVENTS} events, {FAILING_FIRST} first answers 503, killed {killed} worker after "
            f"{delivered_when_killed} delivered, {state.requests} requests, {duplicates} duplicates, "
            f"{time.monotonic() - started:.1f} s\n"
        )
    assert set(state.ids) == ids  # every event, none lost, nothing else
    assert state.unsigned == 0
    assert not WebhookDelivery.objects.exclude(status=WebhookDelivery.Status.DELIVERED).exists()
    assert duplicates <= killed
    assert max(state.ids.values()) <= 1 + killed
    retried = WebhookDelivery.objects.filter(attempts__gt=1).count()
    assert retried >= FAILING_FIRST - 1  # the 503s were tried again (one may be the killed one's)
