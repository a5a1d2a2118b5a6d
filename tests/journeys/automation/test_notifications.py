"""Milestone notices, weekly digests, unsubscribe links, the e-mail settings page and failed tasks."""

from __future__ import annotations

import re
from datetime import date, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from journeys.automation.models import FailedTask, Notification
from journeys.automation.services.notifications import achievement_notify, digests_claim, notifications_requeue
from journeys.automation.services.nudges import nudges_scan
from journeys.automation.tasks import nudge_send
from journeys.onboarding.models import Achievement
from journeys.onboarding.services.steps import step_set_status
from portal.models import NotificationPreferences
from portal.preferences import unsubscribe_token
from tests.conftest import World
from tests.factories import NotificationPreferencesFactory, Overdue, overdue_journey

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 23)
FRIDAY = date(2026, 11, 27)


@pytest.fixture
def overdue(world: World) -> Overdue:
    return overdue_journey(world)


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def finish(overdue: Overdue, world: World, capture, *, at=None) -> None:
    """Complete the two open steps, which reaches the playbook's "full value" milestone."""
    with capture(execute=True):
        step_set_status(state=overdue.customer_step, status="done", by=world.customer_a, at=at)
        step_set_status(state=overdue.csm_step, status="done", by=world.csm_a, at=at)


# --- Milestones -------------------------------------------------------------------


def test_a_milestone_notifies_the_csm_and_congratulates_the_customer_once(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    world.csm_a.language = "en"
    world.csm_a.save(update_fields=["language"])
    finish(overdue, world, django_capture_on_commit_callbacks)
    achievement = Achievement.objects.get()
    assert sent_to() == ["boss@alpha.example", "csm-a@kachi.example", "member@alpha.example"]
    by_address = {message.to[0]: message for message in mail.outbox}
    csm = by_address["csm-a@kachi.example"]
    assert csm.subject == 'Alpha KK reached "Fully set up"'
    assert "/accounts/alpha/" in csm.body and "/accounts/alpha/" in csm.alternatives[0][0]
    customer = by_address["member@alpha.example"]
    assert "/app/" in customer.body and "/unsubscribe/" in customer.alternatives[0][0]
    assert "年" in customer.body  # Japanese, the member's language
    kinds = sorted(Notification.objects.filter(achievement=achievement).values_list("kind", flat=True))
    assert kinds == ["congratulations", "congratulations", "milestone"]

    with django_capture_on_commit_callbacks(execute=True):
        assert achievement_notify(achievement_id=achievement.pk) == []
    assert len(mail.outbox) == 3


def test_a_milestone_undone_and_reached_again_is_not_told_twice(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    finish(overdue, world, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3
    with django_capture_on_commit_callbacks(execute=True):
        step_set_status(state=overdue.csm_step, status="todo", reason="Kick-off postponed", by=world.csm_a)
        step_set_status(state=overdue.csm_step, status="done", by=world.csm_a)
    achievement = Achievement.objects.get()
    assert list(achievement.history.values_list("kind", flat=True)) == ["reached", "revoked", "reached_again"]
    assert len(mail.outbox) == 3
    assert Notification.objects.filter(achievement=achievement).count() == 3


def test_a_milestone_revoked_before_its_notice_went_out_is_not_told(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        step_set_status(state=overdue.customer_step, status="done", by=world.customer_a)
        step_set_status(state=overdue.csm_step, status="done", by=world.csm_a)
    achievement = Achievement.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert len(achievement_notify(achievement_id=achievement.pk)) == 3  # claimed, their sending queued
        step_set_status(state=overdue.csm_step, status="todo", reason="Ticked by mistake", by=world.csm_a)
    assert callbacks  # the notice the step's tick queued
    assert mail.outbox == []
    reasons = set(Notification.objects.filter(achievement=achievement).values_list("sent_at", "cancel_reason"))
    assert reasons == {(None, "revoked")}
    with django_capture_on_commit_callbacks(execute=True):
        assert achievement_notify(achievement_id=achievement.pk) == []  # a revoked one is not told


def test_a_milestone_reached_long_ago_is_not_news(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    finish(overdue, world, django_capture_on_commit_callbacks, at=timezone.now() - timedelta(days=8))
    assert Achievement.objects.count() == 1
    assert mail.outbox == []


def test_milestone_emails_respect_preferences(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    NotificationPreferencesFactory(user=world.customer_a, milestones=False)
    NotificationPreferencesFactory(user=world.csm_a, nudges=False)
    finish(overdue, world, django_capture_on_commit_callbacks)
    assert sent_to() == ["boss@alpha.example", "csm-a@kachi.example"]


# --- Weekly digests ---------------------------------------------------------------


def test_each_csm_gets_one_digest_per_week(world: World, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert len(digests_claim(today=MONDAY)) == 2
    assert sent_to() == ["csm-a@kachi.example", "csm-b@kachi.example"]
    with django_capture_on_commit_callbacks(execute=True):
        assert digests_claim(today=MONDAY) == []
        assert digests_claim(today=FRIDAY) == []
    assert len(mail.outbox) == 2
    assert set(Notification.objects.values_list("kind", "period")) == {("digest", "2026-W48")}
    with django_capture_on_commit_callbacks(execute=True):
        assert len(digests_claim(today=MONDAY + timedelta(days=7))) == 2


def test_the_digest_day_and_switch_are_respected(world: World, django_capture_on_commit_callbacks) -> None:
    NotificationPreferencesFactory(user=world.csm_b, digest_weekday=4)
    NotificationPreferencesFactory(user=world.admin, digest_weekday=0)  # admins get no digest
    with django_capture_on_commit_callbacks(execute=True):
        digests_claim(today=MONDAY)
    assert sent_to() == ["csm-a@kachi.example"]
    NotificationPreferencesFactory(user=world.csm_a, digest=False)
    with django_capture_on_commit_callbacks(execute=True):
        digests_claim(today=FRIDAY)
    assert sent_to() == ["csm-a@kachi.example", "csm-b@kachi.example"]


def test_the_digest_lists_the_weeks_changes(overdue: Overdue, world: World, django_capture_on_commit_callbacks) -> None:
    world.csm_a.language = "en"
    world.csm_a.save(update_fields=["language"])
    step_set_status(state=overdue.customer_step, status="done", by=world.customer_a)
    with django_capture_on_commit_callbacks(execute=True):
        digests_claim(today=timezone.localdate())
    digest = next(m for m in mail.outbox if m.to == ["csm-a@kachi.example"])
    assert digest.subject.startswith("Your accounts this week (")
    assert "1 step completed" in digest.body and "Alpha KK: Step 1" in digest.body
    assert "0 accounts without progress" in digest.body
    html = digest.alternatives[0][0]
    assert "/accounts/alpha/" in html and "/portfolio/" in html and "/unsubscribe/" in html
    other = next(m for m in mail.outbox if m.to == ["csm-b@kachi.example"])
    assert "Alpha KK" not in other.body and "Alpha KK" not in other.alternatives[0][0]


# --- Unsubscribing and the settings page ----------------------------------------------


def test_the_unsubscribe_link_works_without_signing_in(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        nudges_scan()
    message = next(m for m in mail.outbox if m.to == ["csm-a@kachi.example"])
    path = re.search(r"https?://[^/\s]+(/unsubscribe/[^\s]+/)", message.body).group(1)
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(path)
    assert page.status_code == 200
    assert not NotificationPreferences.objects.filter(user=world.csm_a, nudges=False).exists()
    done = anonymous.post(path, {"List-Unsubscribe": "One-Click"})  # what mail providers post
    assert done.status_code == 200 and b"csm-a@kachi.example" in done.content
    prefs = NotificationPreferences.objects.get(user=world.csm_a)
    assert (prefs.nudges, prefs.milestones, prefs.digest) == (False, True, True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        nudges_scan(now=timezone.now() + timedelta(days=30))
    assert sent_to() == ["boss@alpha.example"]


def test_a_changed_unsubscribe_link_answers_404(world: World) -> None:
    token = unsubscribe_token(user=world.csm_a, category="digest")
    forged = token.replace(":", ":x", 1)
    assert Client().get(reverse("unsubscribe", kwargs={"token": forged})).status_code == 404
    assert Client().post(reverse("unsubscribe", kwargs={"token": forged})).status_code == 404
    assert not NotificationPreferences.objects.exists()


def test_customers_choose_their_emails(world: World) -> None:
    client = Client()
    client.force_login(world.customer_a)
    page = client.get(reverse("notification_settings"))
    assert set(page.context["form"].fields) == {"nudges", "milestones"}
    response = client.post(reverse("notification_settings"), {"milestones": "on"})
    assert response.status_code == 302
    prefs = NotificationPreferences.objects.get(user=world.customer_a)
    assert (prefs.nudges, prefs.milestones, prefs.digest) == (False, True, True)


def test_staff_choose_their_digest_day_and_see_form_errors(world: World) -> None:
    client = Client()
    client.force_login(world.csm_a)
    url = reverse("notification_settings")
    assert set(client.get(url).context["form"].fields) == {
        "nudges",
        "milestones",
        "account_alerts",
        "digest",
        "digest_weekday",
    }
    bad = client.post(url, {"digest": "on", "digest_weekday": "9"})
    assert bad.status_code == 400
    assert bad.context["form"].errors["digest_weekday"]
    assert client.post(url, {"digest": "on", "nudges": "on", "digest_weekday": "4"}).status_code == 302
    prefs = NotificationPreferences.objects.get(user=world.csm_a)
    assert (prefs.digest, prefs.digest_weekday, prefs.milestones) == (True, 4, False)


# --- Failed tasks -------------------------------------------------------------------


def test_a_task_that_fails_for_good_is_recorded(world: World) -> None:
    with mock.patch("journeys.automation.services.nudges.deliver", side_effect=ConnectionError("SMTP server down")):
        # the last attempt: its retries are used up
        result = nudge_send.apply(args=[12345], retries=nudge_send.max_retries, throw=False)
    assert result.failed()
    failed = FailedTask.objects.filter(task_name="journeys.tasks.nudge_send").first()
    assert failed is not None
    assert failed.args == [12345]
    assert "SMTP server down" in failed.exception and "ConnectionError" in failed.exception


def test_a_notification_whose_task_was_lost_is_queued_again(
    overdue: Overdue, world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):  # the messages never reach a worker
        step_set_status(state=overdue.customer_step, status="done", by=world.customer_a)
        step_set_status(state=overdue.csm_step, status="done", by=world.csm_a)
        achievement_notify(achievement_id=Achievement.objects.get().pk)
    assert Notification.objects.filter(sent_at=None).count() == 3 and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_requeue() == []
        assert len(notifications_requeue(now=timezone.now() + timedelta(minutes=31))) == 3
    assert len(mail.outbox) == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_requeue(now=timezone.now() + timedelta(hours=2)) == []
