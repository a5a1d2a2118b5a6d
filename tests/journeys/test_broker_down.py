"""The broker down for a moment: what was committed meanwhile still gets its follow-up work.

Each change is made while this process publishes to a closed port (the web process's broker
unreachable); the request succeeds. Then, the broker back, the sweep beat runs every minute is run
through a real worker, which publishes what was left: each milestone is recorded once, at the time of
the event, step or value that reached it, and its notices go out once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from journeys import queue
from journeys.automation.models import Notification
from journeys.events.models import UsageMark
from journeys.events.services.api_keys import api_key_create
from journeys.onboarding.models import Achievement, Milestone
from journeys.onboarding.services.journeys import journey_start
from portal import celery_app, outbox
from portal.models import MilestoneKind, OutboxMessage
from tests.conftest import REQUIRE_SERVICES, World, need_service, signed_in
from tests.factories import MilestoneFactory, PublishedPlaybookFactory, StepFactory
from tests.workers import broker_at, broker_reachable, closed_port, database_url_for_worker, worker_command

pytestmark = pytest.mark.services

ROOT = Path(settings.BASE_DIR)
DEADLINE_SECONDS = 60
HEADER = re.compile(r"^X-Kachi-Notification: (\S+)\s*$", re.MULTILINE)


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path, mail_dir: Path) -> None:
        self.process, self.log, self.mail_dir = process, log, mail_dir

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not condition():
            if time.monotonic() > deadline or self.process.poll() is not None:
                pytest.fail(f"timed out waiting for {what}; the worker's log:\n{self.log.read_text()[-4000:]}")
            time.sleep(0.1)

    def sweep(self) -> None:
        """What beat does every minute, through the worker."""
        celery_app.send_task("portal.tasks.outbox_sweep")

    def mailed(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for path in self.mail_dir.iterdir():
            found.update(HEADER.findall(path.read_text()))
        return found


@pytest.fixture
def worker(transactional_db: None, tmp_path: Path) -> Iterator[Worker]:
    broker = settings.CELERY_BROKER_URL
    if not broker_reachable(broker):
        need_service(f"broker {broker} is not reachable")
    if REQUIRE_SERVICES and broker.startswith("filesystem://"):
        pytest.fail("KACHI_REQUIRE_SERVICES=1 needs CELERY_BROKER_URL to point at a real broker (Redis)")
    (tmp_path / "mail").mkdir()
    log = tmp_path / "worker.log"
    celery_app.conf.task_always_eager = False
    process = subprocess.Popen(
        worker_command(f"broker-down-{os.getpid()}", loglevel="INFO"),
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.test_settings",
            "DATABASE_URL": database_url_for_worker(),
            "KACHI_TEST_EMAIL_DIR": str(tmp_path / "mail"),
        },
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        yield Worker(process, log, tmp_path / "mail")
    finally:
        celery_app.conf.task_always_eager = True
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def broker_down():
    return broker_at(f"redis://127.0.0.1:{closed_port()}/0")


def notices_sent(achievement: Achievement) -> bool:
    notices = Notification.objects.filter(achievement=achievement)
    return notices.exists() and not notices.filter(sent_at=None).exists()


def assert_told_once(worker: Worker, achievement: Achievement) -> None:
    worker.wait_for(lambda: notices_sent(achievement), "the milestone's notices")
    # Once more: nothing is left to publish, and nothing goes out again.
    assert outbox.outbox_sweep().published == 0
    assert not OutboxMessage.objects.filter(published_at=None).exists()
    mailed = worker.mailed()
    expected = {
        f"notification-{pk}" for pk in Notification.objects.filter(achievement=achievement).values_list("pk", flat=True)
    }
    assert expected <= set(mailed)
    assert max(mailed.values()) == 1
    # The worker reported each task it ran: nothing is waiting to be published again.
    worker.wait_for(
        lambda: not OutboxMessage.objects.filter(done_at=None).exists(), "every outbox row marked done by the worker"
    )


def test_events_posted_while_the_broker_is_down_reach_their_milestone_once(worker: Worker, world: World) -> None:
    playbook = PublishedPlaybookFactory(step_count=1, segments=[world.account_a.segment])
    MilestoneFactory(
        playbook=playbook,
        key="first-campaign",
        kind=MilestoneKind.FIRST_VALUE,
        rule=Milestone.Rule.EVENT,
        event_name="campaign_sent",
    )
    journey_start(account=world.account_a, playbook=playbook, started_at=timezone.now() - timedelta(days=3))
    # The journey's own first evaluation runs first: else, run late, it could find the events below
    # and reach the milestone without the message they left for the sweep.
    worker.wait_for(lambda: not OutboxMessage.objects.filter(done_at=None).exists(), "the journey's first evaluation")
    raw_key = api_key_create(name="Product", account=world.account_a, by=None)[1]
    sent_at = (timezone.now() - timedelta(hours=2)).replace(microsecond=0)
    body = json.dumps([{"id": "c-1", "name": "campaign_sent", "occurred_at": sent_at.isoformat()}])

    def post() -> object:
        return Client().post(
            "/api/v1/events/", data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw_key}"
        )

    with broker_down():
        response = post()
        retried = post()  # the client was not sure: a retry
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["accepted"] == 1
    assert retried.status_code == 200 and retried.json()["duplicates"] == 1
    assert not Achievement.objects.filter(milestone_key="first-campaign").exists()
    left = OutboxMessage.objects.get(task=queue.EVALUATE_ACCOUNTS, published_at=None)
    assert left.attempts == 1

    worker.sweep()
    worker.wait_for(lambda: Achievement.objects.filter(milestone_key="first-campaign").exists(), "the milestone")
    achievement = Achievement.objects.get(milestone_key="first-campaign")
    assert achievement.achieved_at == sent_at
    assert_told_once(worker, achievement)
    assert Achievement.objects.filter(milestone_key="first-campaign").count() == 1
    mark = UsageMark.objects.get(account=world.account_a)
    assert mark.evaluated == mark.received  # nothing left for the catch-up


def test_a_step_ticked_while_the_broker_is_down_is_told_once(worker: Worker, world: World) -> None:
    playbook = PublishedPlaybookFactory(step_count=0, segments=[world.account_a.segment])
    step = StepFactory(playbook=playbook, key="connect", position=1)
    MilestoneFactory(playbook=playbook, key="connected", kind=MilestoneKind.FIRST_ACTION, steps=[step])
    journey = journey_start(account=world.account_a, playbook=playbook, started_at=timezone.now() - timedelta(days=3))
    state = journey.step_states.get()

    with broker_down():
        response = signed_in(world.customer_a).post(f"/steps/{state.pk}/status/", {"status": "done"})
    assert response.status_code == 302
    achievement = Achievement.objects.get(milestone_key="connected")  # recorded with the tick
    state.refresh_from_db()
    assert achievement.achieved_at == state.completed_at
    assert OutboxMessage.objects.filter(
        task=queue.ACHIEVEMENT_NOTIFY, args=[achievement.pk], published_at=None
    ).exists()

    worker.sweep()
    assert_told_once(worker, achievement)


def test_value_recorded_while_the_broker_is_down_is_told_once(worker: Worker, world: World) -> None:
    world.account_a.investment_amount = Decimal("100000")
    world.account_a.save(update_fields=["investment_amount"])
    playbook = PublishedPlaybookFactory(step_count=1, segments=[world.account_a.segment])
    MilestoneFactory(playbook=playbook, key="roi", kind=MilestoneKind.ROI, rule=Milestone.Rule.ROI)
    journey_start(account=world.account_a, playbook=playbook, started_at=timezone.now() - timedelta(days=10))
    day = timezone.localdate() - timedelta(days=1)

    with broker_down():
        response = signed_in(world.customer_admin_a).post(
            "/app/value/", {"amount": "150000", "occurred_on": day.isoformat(), "note": "Saved a month of work"}
        )
    assert response.status_code == 302
    achievement = Achievement.objects.get(milestone_key="roi")
    assert timezone.localtime(achievement.achieved_at).date() == day
    assert OutboxMessage.objects.filter(
        task=queue.ACHIEVEMENT_NOTIFY, args=[achievement.pk], published_at=None
    ).exists()

    worker.sweep()
    assert_told_once(worker, achievement)


def test_the_worker_marks_each_message_it_ran_done(worker: Worker, world: World) -> None:
    with transaction.atomic():
        outbox.enqueue("portal.tasks.housekeeping")
    message = OutboxMessage.objects.get()
    # Published by this process, run by the worker: the row's id travels in the message's headers.
    worker.wait_for(lambda: OutboxMessage.objects.filter(pk=message.pk, done_at__isnull=False).exists(), "done_at")
    message.refresh_from_db()
    assert message.deliveries == 1 and (message.args, message.kwargs) == ([], {})
