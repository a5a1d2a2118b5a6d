"""Overdue-step nudges: who is nudged, when, how often, never twice, and what the e-mail says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from journeys import queue
from journeys.automation.models import Nudge
from journeys.automation.services.nudges import nudges_scan
from journeys.automation.tasks import nudge_send
from journeys.onboarding.services.journeys import journey_start
from journeys.onboarding.services.steps import step_assign, step_set_status
from portal.models import Membership, OutboxMessage
from tests.conftest import World
from tests.factories import (
    AccountFactory,
    ArticleFactory,
    ArticleStepFactory,
    AutomationSettingsFactory,
    MembershipFactory,
    NotificationPreferencesFactory,
    Overdue,
    PublishedPlaybookFactory,
    overdue_journey,
)
from tests.queries import CaptureQueriesContext, assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(world: World) -> Overdue:
    return overdue_journey(world)


def scan(capture, **kwargs) -> list[int]:
    """Run the scanner and its on-commit enqueueing (tasks run eagerly in tests)."""
    with capture(execute=True):
        return nudges_scan(**kwargs)


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_customer_steps_nudge_the_customer_admins_and_csm_steps_the_csm(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    ids = scan(django_capture_on_commit_callbacks)
    assert len(ids) == 2
    assert sent_to() == ["boss@alpha.example", "csm-a@kachi.example"]
    nudges = Nudge.objects.order_by("recipient__email")
    assert [(n.step_state_id, n.occurrence, n.sent_at is not None) for n in nudges] == [
        (overdue.customer_step.pk, 1, True),
        (overdue.csm_step.pk, 1, True),
    ]
    assert all(n.account_id == world.account_a.pk and n.subject for n in nudges)


def test_the_assignee_is_nudged_instead(overdue: Overdue, world: World, django_capture_on_commit_callbacks) -> None:
    step_assign(state=overdue.customer_step, assignee=world.customer_a, by=world.customer_admin_a)
    scan(django_capture_on_commit_callbacks)
    assert sent_to() == ["csm-a@kachi.example", "member@alpha.example"]


def test_an_account_without_customer_admins_nudges_its_members(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    world.customer_admin_a.membership.delete()
    scan(django_capture_on_commit_callbacks)
    assert sent_to() == ["csm-a@kachi.example", "member@alpha.example"]


def test_nothing_before_the_delay(world: World, django_capture_on_commit_callbacks) -> None:
    overdue = overdue_journey(world, days_overdue=0)
    overdue.journey.step_states.update(due_at=timezone.now() - timedelta(hours=23))
    assert scan(django_capture_on_commit_callbacks) == []
    assert scan(django_capture_on_commit_callbacks, now=timezone.now() + timedelta(hours=2)) != []


def test_repeated_every_interval_at_most_k_times(overdue: Overdue, django_capture_on_commit_callbacks) -> None:
    AutomationSettingsFactory(nudge_repeat_days=2, nudge_max=2)
    now = timezone.now()
    assert len(scan(django_capture_on_commit_callbacks, now=now)) == 2
    assert scan(django_capture_on_commit_callbacks, now=now + timedelta(hours=1)) == []
    assert scan(django_capture_on_commit_callbacks, now=now + timedelta(days=2) - timedelta(minutes=1)) == []
    assert len(scan(django_capture_on_commit_callbacks, now=now + timedelta(days=2))) == 2
    assert scan(django_capture_on_commit_callbacks, now=now + timedelta(days=10)) == []
    occurrences = sorted(Nudge.objects.filter(step_state=overdue.csm_step).values_list("occurrence", flat=True))
    assert occurrences == [1, 2]
    assert len(mail.outbox) == 4


def test_zero_nudges_turns_them_off(overdue: Overdue, django_capture_on_commit_callbacks) -> None:
    AutomationSettingsFactory(nudge_max=0)
    assert scan(django_capture_on_commit_callbacks) == []


def test_a_step_done_before_its_nudge_is_sent_gets_none(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        ids = nudges_scan()
    step_set_status(state=overdue.customer_step, status="done", by=world.customer_a)
    assert [nudge_send(pk) for pk in ids].count(True) == 1  # only the CS manager's step
    customer_nudge = Nudge.objects.get(step_state=overdue.customer_step)
    assert customer_nudge.sent_at is None and customer_nudge.cancel_reason == "step closed"
    assert sent_to() == ["csm-a@kachi.example"]
    # and the step is never nudged again
    assert scan(django_capture_on_commit_callbacks, now=timezone.now() + timedelta(days=30)) == [
        Nudge.objects.get(step_state=overdue.csm_step, occurrence=2).pk
    ]


def test_people_who_turned_nudges_off_get_none(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    NotificationPreferencesFactory(user=world.csm_a, nudges=False)
    NotificationPreferencesFactory(user=world.customer_admin_a, milestones=False)  # other e-mails only
    scan(django_capture_on_commit_callbacks)
    assert sent_to() == ["boss@alpha.example"]
    assert not Nudge.objects.filter(recipient=world.csm_a).exists()


def test_turning_nudges_off_after_the_claim_stops_the_send(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        ids = nudges_scan()
    NotificationPreferencesFactory(user=world.csm_a, nudges=False)
    for pk in ids:
        nudge_send(pk)
    assert sent_to() == ["boss@alpha.example"]
    assert Nudge.objects.get(recipient=world.csm_a).cancel_reason == "unsubscribed"


def test_a_nudge_is_claimed_once_and_sent_once(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    ids = scan(django_capture_on_commit_callbacks)
    assert scan(django_capture_on_commit_callbacks) == []
    assert [nudge_send(pk) for pk in ids] == [False, False]
    assert len(mail.outbox) == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Nudge.objects.bulk_create(
            [Nudge(step_state=overdue.csm_step, occurrence=1, recipient=world.csm_a, account=world.account_a)]
        )


def test_a_claimed_nudge_whose_task_was_lost_is_queued_again(
    overdue: Overdue, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        ids = nudges_scan()
    # the messages never reach a worker; the next scans queue them again, once they look lost
    with django_capture_on_commit_callbacks(execute=False):
        assert nudges_scan() == []
    assert sorted(scan(django_capture_on_commit_callbacks, now=timezone.now() + timedelta(minutes=31))) == sorted(ids)
    assert len(mail.outbox) == 2


def test_a_rolled_back_scan_enqueues_nothing(overdue: Overdue, django_capture_on_commit_callbacks) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        nudges_scan()
        raise RuntimeError("something later failed")
    assert callbacks == []
    assert not OutboxMessage.objects.filter(task=queue.NUDGE_SEND).exists()  # the tasks go with the rollback
    assert mail.outbox == []
    assert not Nudge.objects.exists()


def test_a_committed_scan_enqueues_one_task_per_nudge(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    step_set_status(state=overdue.csm_step, status="done", by=world.csm_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ids = nudges_scan()
    assert len(callbacks) == 1
    # Recorded with the claim, in the same transaction: published once it commits.
    assert list(OutboxMessage.objects.filter(task=queue.NUDGE_SEND).values_list("args", "published_at")) == [
        ([ids[0]], None)
    ]
    assert mail.outbox == []


def test_the_nudge_email(overdue: Overdue, world: World, django_capture_on_commit_callbacks) -> None:
    world.csm_a.language = "en"
    world.csm_a.save(update_fields=["language"])
    tutorial_ja = ArticleFactory(kind="tutorial", title="データ接続の手順", slug="connect-ja", language="ja")
    ArticleStepFactory(article=tutorial_ja, playbook_key="basics", step_key="step-1")
    tutorial_en = ArticleFactory(kind="tutorial", title="Connecting data", slug="kick-en", language="en")
    ArticleStepFactory(article=tutorial_en, playbook_key="basics", step_key="kickoff")
    scan(django_capture_on_commit_callbacks)
    by_address = {message.to[0]: message for message in mail.outbox}

    customer = by_address["boss@alpha.example"]
    assert customer.subject == "リマインド：「Step 1」が期限を過ぎています"  # noqa: RUF001 - the recipient's language
    assert "年" in customer.body
    html = customer.alternatives[0][0]
    assert customer.alternatives[0][1] == "text/html"
    for part in (customer.body, html):
        assert f"{settings.SITE_URL}/app/#step-{overdue.customer_step.pk}" in part
        assert "データ接続の手順" in part and f"{settings.SITE_URL}/h/{tutorial_ja.pk}/" in part
        assert "/unsubscribe/" in part and "/settings/notifications/" in part
    assert customer.extra_headers["List-Unsubscribe"].startswith("<")
    assert customer.extra_headers["X-Kachi-Notification"].startswith("nudge-")

    csm = by_address["csm-a@kachi.example"]
    assert csm.subject == 'Reminder: "Kickoff meeting" is overdue'
    assert f"/accounts/alpha/#step-{overdue.csm_step.pk}" in csm.body
    assert "Connecting data" in csm.body and "Alpha KK" in csm.body
    assert "年" not in csm.body


def test_a_tutorial_link_in_a_nudge_opens_for_a_signed_out_customer(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    tutorial = ArticleFactory(kind="tutorial", title="データ接続の手順", language="ja", visibility="customers")
    ArticleStepFactory(article=tutorial, playbook_key="basics", step_key="step-1")
    scan(django_capture_on_commit_callbacks)
    body = next(message.body for message in mail.outbox if message.to == ["boss@alpha.example"])
    link = next(line.split(": ", 1)[1] for line in body.splitlines() if "データ接続の手順" in line)
    path = link.removeprefix(settings.SITE_URL)
    browser = Client()
    asked = browser.get(path)
    assert asked.status_code == 302 and asked["Location"].startswith("/login/")  # not a 404
    browser.force_login(world.customer_admin_a)
    assert browser.get(path)["Location"] == tutorial.get_absolute_url()


def test_the_send_tasks_are_acknowledged_late_and_retried_a_few_times() -> None:
    from journeys.automation.tasks import notification_send

    for task in (nudge_send, notification_send):
        assert task.acks_late is True
        assert task.max_retries == 5 and task.retry_backoff is True


def test_beat_scans_for_nudges_every_15_minutes_and_digests_every_morning() -> None:
    from django_celery_beat.models import PeriodicTask

    nudges = PeriodicTask.objects.get(task="journeys.tasks.nudges_scan")
    assert nudges.enabled and (nudges.interval.every, nudges.interval.period) == (15, "minutes")
    digests = PeriodicTask.objects.get(task="journeys.tasks.digests_scan")
    assert digests.enabled and (digests.crontab.hour, digests.crontab.minute) == ("9", "0")


def test_the_scan_runs_the_same_queries_for_2_steps_as_for_20(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    def queries() -> tuple[int, CaptureQueriesContext]:
        Nudge.objects.all().delete()
        with capture_queries() as captured, django_capture_on_commit_callbacks(execute=False):
            ids = nudges_scan()
        return len(ids), captured

    few, few_queries = queries()
    for _ in range(9):
        account = AccountFactory(segment=world.account_a.segment)
        MembershipFactory(account=account, role=Membership.Role.ADMIN)
        journey_start(account=account, playbook=overdue.journey.playbook, started_at=overdue.journey.started_at)
    many, many_queries = queries()
    assert (few, many) == (2, 2 + 9 * 3)
    assert_same_queries(few_queries, many_queries)


def test_a_past_customers_imported_journey_nudges_no_one(world: World, django_capture_on_commit_callbacks) -> None:
    """Started today at a contract start two years ago (a backfill): its steps were due long before
    Kachi knew of them, and the scan leaves them alone; a journey started 20 days back is nudged."""
    AutomationSettingsFactory()
    playbook = PublishedPlaybookFactory(key="history", step_count=2, segments=[world.account_a.segment])
    journey_start(account=world.account_a, playbook=playbook, started_at=timezone.now() - timedelta(days=730))
    assert scan(django_capture_on_commit_callbacks) == []
    assert mail.outbox == []
    recent = journey_start(account=world.account_b, playbook=playbook, started_at=timezone.now() - timedelta(days=20))
    nudged = scan(django_capture_on_commit_callbacks)
    assert len(nudged) == 2
    assert set(Nudge.objects.values_list("step_state__journey", flat=True)) == {recent.pk}
