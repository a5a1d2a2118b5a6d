"""1,000 nudges through real Celery workers on Redis and PostgreSQL, one worker killed with SIGKILL
mid-run: every nudge is sent, and a message goes out twice only if a worker died between handing
it to the mail backend and recording it (at most once per killed worker)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from journeys.automation.models import Nudge
from journeys.automation.services.nudges import nudges_scan
from journeys.onboarding.models import Step
from journeys.onboarding.services.journeys import journey_start
from portal import celery_app
from portal.models import Membership
from tests.conftest import need_service
from tests.factories import (
    AccountFactory,
    AutomationSettingsFactory,
    MembershipFactory,
    PublishedPlaybookFactory,
    StepFactory,
)
from tests.workers import broker_reachable, database_url_for_worker, worker_command

pytestmark = pytest.mark.services

NUDGES = 1000
KILL_AFTER_SENT = 150
DEADLINE_SECONDS = 90
HEADER = re.compile(r"^X-Kachi-Notification: (nudge-\d+)\s*$", re.MULTILINE)
ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def services(transactional_db: None) -> None:
    db = settings.DATABASES["default"]["ENGINE"]
    broker = settings.CELERY_BROKER_URL
    if not db.endswith("postgresql"):
        need_service("this worker test needs PostgreSQL (DATABASE_URL=postgres://…)")
    if not broker.startswith("redis://"):
        need_service("this worker test needs Redis (CELERY_BROKER_URL=redis://…)")
    if not broker_reachable(broker):
        need_service(f"broker {broker} is not reachable")


class Workers:
    """Real ``celery worker`` processes against the test database, writing e-mails to files."""

    def __init__(self, mail_dir: Path, log_dir: Path) -> None:
        self.mail_dir = mail_dir
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        index = len(self.processes)
        log = (self.log_dir / f"worker-{index}.log").open("w")
        process = subprocess.Popen(
            worker_command(f"nudge-{os.getpid()}-{index}"),
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "portal.test_settings",
                "DATABASE_URL": database_url_for_worker(),
                "KACHI_TEST_EMAIL_DIR": str(self.mail_dir),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.log_dir.glob("*.log")))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(services: None, tmp_path: Path):
    (tmp_path / "mail").mkdir()
    (tmp_path / "logs").mkdir()
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()  # nothing left over from an earlier run
    pool = Workers(tmp_path / "mail", tmp_path / "logs")
    try:
        yield pool
    finally:
        pool.stop()
        # The re-queued copies of nudges already sent are no-ops, but would delay the next test's worker.
        celery_app.control.purge()
        celery_app.conf.task_always_eager = True


def sent_count() -> int:
    return Nudge.objects.exclude(sent_at=None).count()


def wait_for(condition, workers: Workers, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what} ({sent_count()} sent); worker logs:\n{workers.logs()}")
        time.sleep(0.05)


def mailed_references(mail_dir: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    for path in mail_dir.iterdir():
        found.update(HEADER.findall(path.read_text()))
    return found


def test_every_nudge_is_sent_once_though_a_worker_is_killed(workers: Workers, capsys) -> None:
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
    wait_for(lambda: sent_count() >= KILL_AFTER_SENT, workers, "the first sends")
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
    wait_for(lambda: sent_count() == NUDGES, workers, "every nudge to be sent")
    time.sleep(1)  # any message in flight lands in its file
    workers.stop()

    references = mailed_references(workers.mail_dir)
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
