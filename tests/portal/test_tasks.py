"""Celery end to end: a real worker process on the configured broker runs a task against the test database."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction

from portal import celery_app, services
from portal.models import Invitation
from tests.conftest import World, need_service
from tests.workers import broker_reachable, database_url_for_worker, worker_command

ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def worker(tmp_path: Path, transactional_db: None):
    broker = settings.CELERY_BROKER_URL
    if not broker_reachable(broker):
        need_service(f"broker {broker} is not reachable")
    if os.environ.get("KACHI_REQUIRE_SERVICES") == "1" and broker.startswith("filesystem://"):
        pytest.fail("KACHI_REQUIRE_SERVICES=1 needs CELERY_BROKER_URL to point at a real broker (Redis)")
    celery_app.conf.task_always_eager = False
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.test_settings",
        "DATABASE_URL": database_url_for_worker(),
        "KACHI_TEST_EMAIL_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        worker_command(f"test-{os.getpid()}", loglevel="INFO"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process, tmp_path
    finally:
        celery_app.conf.task_always_eager = True
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_real_worker_sends_the_invitation(worker, world: World) -> None:
    process, mail_dir = worker
    with transaction.atomic():
        issued = services.invitation_create(
            account=world.account_a, email="worker@alpha.example", role="customer_member", invited_by=world.csm_a
        )
    deadline = time.monotonic() + 60
    invitation = Invitation.objects.get(pk=issued.invitation.pk)
    while invitation.email_sent_at is None and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.25)
        invitation.refresh_from_db()
    if invitation.email_sent_at is None:
        process.terminate()
        output = process.communicate(timeout=20)[0]
        pytest.fail(f"the worker did not run the task in time; its output:\n{output[-4000:]}")
    sent = "".join(path.read_text() for path in mail_dir.iterdir())
    assert "worker@alpha.example" in sent
    assert f"/invite/{issued.token}/" in sent


@pytest.mark.django_db
def test_a_rolled_back_invitation_enqueues_nothing(world: World, django_capture_on_commit_callbacks) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.invitation_create(
            account=world.account_a, email="rollback@alpha.example", role="customer_member", invited_by=world.csm_a
        )
        raise RuntimeError("something later in the request failed")
    assert callbacks == []
    assert mail.outbox == []
    assert not Invitation.objects.filter(email="rollback@alpha.example").exists()


@pytest.mark.django_db
def test_a_committed_invitation_enqueues_exactly_one_task(world: World, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.invitation_create(
            account=world.account_a, email="commit@alpha.example", role="customer_member", invited_by=world.csm_a
        )
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["commit@alpha.example"]]


@pytest.mark.django_db
def test_sending_twice_sends_once(world: World, django_capture_on_commit_callbacks) -> None:
    from portal.tasks import invitation_send_email

    with django_capture_on_commit_callbacks(execute=True):
        issued = services.invitation_create(
            account=world.account_a, email="once@alpha.example", role="customer_member", invited_by=world.csm_a
        )
    assert invitation_send_email(issued.invitation.pk, issued.token, "ja") is False
    assert len(mail.outbox) == 1


def test_task_defaults_are_safe() -> None:
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    from portal.tasks import invitation_send_email

    assert invitation_send_email.max_retries == 5
    assert invitation_send_email.retry_backoff is True


@pytest.mark.django_db
def test_housekeeping_forgets_old_invitations_only(world: World) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask

    from portal.tasks import housekeeping
    from tests.factories import InvitationFactory

    now = timezone.now()
    old = InvitationFactory(account=world.account_a, expires_at=now - timedelta(days=200))
    recent = InvitationFactory(account=world.account_a, expires_at=now - timedelta(days=3))
    accepted = InvitationFactory(account=world.account_a, expires_at=now - timedelta(days=200), accepted_at=now)
    result = housekeeping.delay().get()
    assert result["invitations"] == 1
    assert set(Invitation.objects.values_list("pk", flat=True)) == {recent.pk, accepted.pk}
    assert not Invitation.objects.filter(pk=old.pk).exists()
    # beat runs it every day from the database schedule
    task = PeriodicTask.objects.get(task="portal.tasks.housekeeping")
    assert task.enabled and task.crontab.hour == "3"
