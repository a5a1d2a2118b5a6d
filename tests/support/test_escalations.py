"""Breach escalation: a question past its reply target is told to its account's CS manager and the
admins, once per deadline and person, whatever the scan and its tasks do; a new deadline (the
customer replied again) can be escalated again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from support.escalations import escalation_send, escalations_scan
from support.models import Escalation
from support.services import inquiry_create, inquiry_reply
from tests.conftest import World

pytestmark = pytest.mark.django_db


def ask(world: World, ago: timedelta):
    return inquiry_create(
        account=world.account_a, author=world.customer_a, subject="Import fails", body="Help",
        at=timezone.now() - ago,
    )  # fmt: skip


def test_a_question_past_its_target_is_told_once_to_the_csm_and_the_admins(
    world: World, django_capture_on_commit_callbacks
) -> None:
    late = ask(world, timedelta(hours=25))
    ask(world, timedelta(hours=2))  # not yet due
    world.admin.language = "en"
    world.admin.save(update_fields=["language"])

    with django_capture_on_commit_callbacks(execute=True):
        assert escalations_scan() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert escalations_scan() == 0  # once

    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.csm_a.email, world.admin.email])
    to_admin = next(m for m in mail.outbox if m.to == [world.admin.email])
    assert to_admin.subject == f"Past its reply target: Import fails (Alpha KK) [#{late.pk}]"
    assert f"/support/desk/{late.pk}/" in to_admin.body
    escalation = Escalation.objects.filter(recipient=world.admin).get()
    assert escalation_send(escalation_id=escalation.pk) is False  # delivered twice: sent once
    assert len(mail.outbox) == 2


def test_a_new_deadline_can_be_escalated_again_and_an_answered_one_is_not(
    world: World, django_capture_on_commit_callbacks
) -> None:
    inquiry = ask(world, timedelta(hours=50))
    with django_capture_on_commit_callbacks(execute=True):
        escalations_scan()
        inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Sorry, fixed", at=timezone.now() - timedelta(hours=27))
        inquiry_reply(inquiry=inquiry, by=world.customer_a, body="Again", at=timezone.now() - timedelta(hours=26))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert escalations_scan() == 2  # the next-reply deadline passed too
    assert Escalation.objects.filter(inquiry=inquiry).values("due_at").distinct().count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Done now")
        assert escalations_scan() == 0


def test_beat_scans_every_five_minutes() -> None:
    task = PeriodicTask.objects.get(task="support.tasks.escalations_scan")
    assert task.enabled and (task.interval.every, task.interval.period) == (5, "minutes")
