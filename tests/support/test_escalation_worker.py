"""1,000 questions escalated through real Celery workers on Redis and PostgreSQL (800 past their
reply target, 200 three quarters through it), one worker killed with SIGKILL mid-run: every
escalation, breach or warning, is sent (what the killed worker held comes back
through the outbox, published again), and one goes out twice only if a worker died between handing
it to the mail backend and recording it (at most once per killed worker)."""

from __future__ import annotations

import re
import signal
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from portal import celery_app, outbox
from portal.models import OutboxMessage
from support.escalations import ESCALATION_SEND, escalations_scan, warnings_scan
from support.models import Escalation
from support.services import inquiry_create
from tests.factories import AccountFactory, AdminFactory, MembershipFactory
from tests.workers import WorkerPool, require_postgres_and_redis, worker_pool

pytestmark = pytest.mark.services

QUESTIONS = 1000
NEAR = 200  # of them, warned of; the others past their target
KILL_AFTER_SENT = 150
DEADLINE_SECONDS = 120
HEADER = re.compile(r"^X-Kachi-Notification: (support-(?:escalation|warning)-\d+)\s*$", re.MULTILINE)


@pytest.fixture
def workers(transactional_db: None, tmp_path: Path) -> Iterator[WorkerPool]:
    require_postgres_and_redis()
    with worker_pool("escalation", tmp_path) as pool:
        yield pool


def sent() -> int:
    return Escalation.objects.exclude(sent_at=None).count()


def test_every_escalation_is_sent_once_though_a_worker_is_killed(workers: WorkerPool, capsys) -> None:
    AdminFactory(email="lead@kachi.example")
    account = AccountFactory(csm=None)
    author = MembershipFactory(account=account).user
    late, near = timezone.now() - timedelta(days=3), timezone.now() - timedelta(hours=19)
    for n in range(QUESTIONS):
        asked = near if n < NEAR else late
        inquiry_create(account=account, author=author, subject=f"Question {n}", body="Help", at=asked)
    celery_app.control.purge()  # the notices of the questions themselves: not what this measures

    started = time.monotonic()
    # Each commits, then publishes one message per escalation to Redis.
    assert warnings_scan() == NEAR  # to the admin: there are no agents
    assert escalations_scan() == QUESTIONS - NEAR

    first = workers.start()
    workers.wait_for(lambda: sent() >= KILL_AFTER_SENT, "the first sends", seconds=DEADLINE_SECONDS)
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
    workers.wait_for(lambda: sent() == QUESTIONS, "every escalation to be sent", seconds=DEADLINE_SECONDS)
    time.sleep(1)
    workers.stop()

    references = workers.mailed(HEADER)
    duplicates = sum(references.values()) - len(references)
    with capsys.disabled():
        sys.stdout.write(
            f"\nescalation worker: {QUESTIONS} escalations, killed {killed} worker after {sent_when_killed} sent, "
            f"{again} of them published again, {sum(references.values())} e-mails, {duplicates} duplicates, "
            f"{time.monotonic() - started:.1f} s from the scan\n"
        )
    kinds = {"warning": "support-warning", "breach": "support-escalation"}
    assert set(references) == {f"{kinds[kind]}-{pk}" for pk, kind in Escalation.objects.values_list("pk", "kind")}
    assert duplicates <= killed
    assert max(references.values()) <= 1 + killed
