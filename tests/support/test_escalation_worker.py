"""1,000 breaching questions escalated through real Celery workers on Redis and PostgreSQL, one
worker killed with SIGKILL mid-run: every escalation is sent (what the killed worker held comes back
through the outbox, published again), and one goes out twice only if a worker died between handing
it to the mail backend and recording it (at most once per killed worker)."""

from __future__ import annotations

import re
import signal
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from portal import celery_app, outbox
from portal.models import OutboxMessage
from support.escalations import ESCALATION_SEND, escalations_scan
from support.models import Escalation
from support.services import inquiry_create
from tests.factories import AccountFactory, AdminFactory, MembershipFactory
from tests.journeys.automation.test_nudge_worker import Workers
from tests.journeys.automation.test_nudge_worker import services as services

pytestmark = pytest.mark.services

QUESTIONS = 1000
KILL_AFTER_SENT = 150
DEADLINE_SECONDS = 120
HEADER = re.compile(r"^X-Kachi-Notification: (support-escalation-\d+)\s*$", re.MULTILINE)


@pytest.fixture
def workers(services: None, tmp_path: Path):
    (tmp_path / "mail").mkdir()
    (tmp_path / "logs").mkdir()
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    pool = Workers(tmp_path / "mail", tmp_path / "logs")
    try:
        yield pool
    finally:
        pool.stop()
        celery_app.control.purge()
        celery_app.conf.task_always_eager = True


def sent() -> int:
    return Escalation.objects.exclude(sent_at=None).count()


def wait_for(condition, workers: Workers, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            left = list(Escalation.objects.filter(sent_at=None).values_list("pk", flat=True))
            rows = [
                (m.pk, m.args, m.published_at, m.deliveries, m.done_at)
                for m in OutboxMessage.objects.filter(task=ESCALATION_SEND)
                if m.done_at is None or (m.args and m.args[0] in left)
            ][:10]
            pytest.fail(f"timed out waiting for {what} ({sent()} sent); left {left}, outbox {rows}")
        time.sleep(0.05)


def test_every_escalation_is_sent_once_though_a_worker_is_killed(workers: Workers, capsys) -> None:
    AdminFactory(email="lead@kachi.example")
    account = AccountFactory(csm=None)
    author = MembershipFactory(account=account).user
    asked = timezone.now() - timedelta(days=3)
    for n in range(QUESTIONS):
        inquiry_create(account=account, author=author, subject=f"Question {n}", body="Help", at=asked)
    celery_app.control.purge()  # the notices of the questions themselves: not what this measures

    started = time.monotonic()
    claimed = escalations_scan()  # commits, then publishes one message per escalation to Redis
    assert claimed == QUESTIONS

    first = workers.start()
    wait_for(lambda: sent() >= KILL_AFTER_SENT, workers, "the first sends")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed = 1
    sent_when_killed = sent()
    assert sent_when_killed < QUESTIONS, "the worker finished before it could be killed"

    # Two fresh workers. What the killed one held stays invisible on Redis for an hour; the outbox
    # publishes again every message no worker reported done (its sweep would, 30 minutes on).
    workers.start()
    workers.start()
    assert outbox.outbox_sweep(now=timezone.now() + outbox.REDELIVER_AFTER).redelivered > 0
    again = OutboxMessage.objects.filter(task=ESCALATION_SEND, deliveries__gte=2).count()
    assert again > 0
    wait_for(lambda: sent() == QUESTIONS, workers, "every escalation to be sent")
    time.sleep(1)
    workers.stop()

    references = mailed(workers.mail_dir)
    duplicates = sum(references.values()) - len(references)
    with capsys.disabled():
        sys.stdout.write(
            f"\nescalation worker: {QUESTIONS} escalations, killed {killed} worker after {sent_when_killed} sent, "
            f"{again} of them published again, {sum(references.values())} e-mails, {duplicates} duplicates, "
            f"{time.monotonic() - started:.1f} s from the scan\n"
        )
    assert set(references) == {f"support-escalation-{pk}" for pk in Escalation.objects.values_list("pk", flat=True)}
    assert duplicates <= killed
    assert max(references.values()) <= 1 + killed


def mailed(mail_dir: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    for path in mail_dir.iterdir():
        found.update(HEADER.findall(path.read_text()))
    return found
