"""1,000 nudges through real Celery workers on Redis and PostgreSQL, one worker killed with SIGKILL
mid-run: every nudge is sent, and a message goes out twice only if a worker died between handing
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

from journeys.automation.models import Nudge
from journeys.automation.services.nudges import nudges_scan
from journeys.onboarding.models import Step
from journeys.onboarding.services.journeys import journey_start
from portal.models import Membership
from tests.factories import (
    AccountFactory,
    AutomationSettingsFactory,
    MembershipFactory,
    PublishedPlaybookFactory,
    StepFactory,
)
from tests.workers import WorkerPool, require_postgres_and_redis, worker_pool

pytestmark = pytest.mark.services

NUDGES = 1000
KILL_AFTER_SENT = 150
DEADLINE_SECONDS = 90
HEADER = re.compile(r"^X-Kachi-Notification: (nudge-\d+)\s*$", re.MULTILINE)


@pytest.fixture
def workers(transactional_db: None, tmp_path: Path) -> Iterator[WorkerPool]:
    require_postgres_and_redis()
    with worker_pool("nudge", tmp_path) as pool:
        yield pool


def sent_count() -> int:
    return Nudge.objects.exclude(sent_at=None).count()


def test_every_nudge_is_sent_once_though_a_worker_is_killed(workers: WorkerPool, capsys) -> None:
    AutomationSettingsFactory()
    account = AccountFactory()
    MembershipFactory(account=account, role=Membership.Role.ADMIN)
    playbook = PublishedPlaybookFactory(step_count=0, segments=[account.segment])
    Step.objects.bulk_create(StepFactory.build_batch(NUDGES, playbook=playbook, due_offset_days=1))
    journey_start(account=account, playbook=playbook, started_at=timezone.now() - timedelta(days=10))

    started = time.monotonic()
    ids = nudges_scan()  # commits, then publishes one message per nudge to Redis
    assert len(ids) == NUDGES

    first = workers.start()
    workers.wait_for(lambda: sent_count() >= KILL_AFTER_SENT, "the first sends", seconds=DEADLINE_SECONDS)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed = 1
    sent_when_killed = sent_count()
    assert sent_when_killed < NUDGES, "the worker finished before it could be killed"

    # Two fresh workers; the scanner queues every unsent nudge again at once (beat would after
    # 30 minutes): the messages the killed worker had taken are invisible on Redis for an hour,
    # and the rest are now queued twice, so the workers also race for the same ids.
    workers.start()
    workers.start()
    requeued = nudges_scan(requeue_after=timedelta(0))
    assert 0 < len(requeued) <= NUDGES - sent_when_killed
    workers.wait_for(lambda: sent_count() == NUDGES, "every nudge to be sent", seconds=DEADLINE_SECONDS)
    time.sleep(1)  # any message in flight lands in its file
    workers.stop()

    references = workers.mailed(HEADER)
    duplicates = sum(references.values()) - len(references)
    with capsys.disabled():
        sys.stdout.write(
            f"\nnudge worker: {NUDGES} nudges, killed {killed} worker after {sent_when_killed} sent, "
            f"{len(requeued)} re-queued, {sum(references.values())} e-mails, {duplicates} duplicates, "
            f"{time.monotonic() - started:.1f} s from the scan\n"
        )
    assert set(references) == {f"nudge-{pk}" for pk in ids}
    assert Nudge.objects.filter(sent_at=None).count() == 0
    assert duplicates <= killed
    assert max(references.values()) <= 1 + killed
