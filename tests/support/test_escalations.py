"""Escalation of reply deadlines. A breach: a question past its reply target is told to its
account's CS manager and the admins. A warning: a question three quarters through a target asks its
assignee (else the agents, else the admins) to reply by the deadline. Each once per deadline and
person, whatever the scans and their tasks do; a new deadline (the customer replied again, the clock
resumed) is told again."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from support.escalations import escalation_send, escalations_scan, warnings_scan
from support.models import Escalation
from support.services import inquiry_assign, inquiry_create, inquiry_reply, inquiry_set_status
from support.tasks import escalations_scan as scan_task
from tests.conftest import World
from tests.factories import AgentFactory, ReplyTargetFactory

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


# --- Warnings: three quarters of a target used up ------------------------------------------------

TOKYO = ZoneInfo("Asia/Tokyo")
# A Wednesday with no public holiday near it: asked at 10:00 Tokyo time, the fast reply (an hour of
# business time) is due at 11:00 and warned of from 10:45; the target (24 hours) is due on Thursday
# at 10:00 and warned of from 04:00.
ASKED = datetime(2026, 11, 18, 10, 0, tzinfo=TOKYO)


def at(hours: float = 0, minutes: float = 0) -> datetime:
    return ASKED + timedelta(hours=hours, minutes=minutes)


def asked(world: World, *, subject: str = "Import fails", assignee=None):
    inquiry = inquiry_create(
        account=world.account_a, author=world.customer_a, subject=subject, body="Help", priority="high", at=ASKED
    )
    if assignee is not None:
        inquiry_assign(inquiries=[inquiry], assignee=assignee, by=world.admin)
    return inquiry


def warnings_at(when: datetime, capture) -> int:
    """One scan at ``when``, its e-mails sent; returns how many warnings it claimed."""
    mail.outbox.clear()
    with capture(execute=True):
        return warnings_scan(now=when)


def test_a_question_near_its_fast_reply_warns_its_assignee_once_in_their_language_and_time_zone(
    world: World, django_capture_on_commit_callbacks
) -> None:
    agent = AgentFactory(email="sam@kachi.example", language="en", time_zone="America/New_York")
    AgentFactory(email="other@kachi.example")
    inquiry = asked(world, assignee=agent)

    assert warnings_at(at(minutes=40), django_capture_on_commit_callbacks) == 0  # not three quarters yet
    assert warnings_at(at(minutes=46), django_capture_on_commit_callbacks) == 1
    [email] = mail.outbox
    for again in (at(minutes=47), at(minutes=50), at(minutes=59)):
        assert warnings_at(again, django_capture_on_commit_callbacks) == 0  # once per deadline and person
    assert mail.outbox == []

    assert email.to == [agent.email]
    # 11:00 in Tokyo is 21:00 the evening before in New York.
    assert email.subject == f"Reply by 11/17/2026 9 p.m.: Import fails (Alpha KK) [#{inquiry.pk}]"
    assert "is due a reply by 11/17/2026 9 p.m. (America/New_York)" in email.body
    assert "Priority: High" in email.body
    assert f"/support/desk/{inquiry.pk}/" in email.body
    assert email.extra_headers["X-Kachi-Notification"].startswith("support-warning-")
    warning = Escalation.objects.get()
    assert (warning.kind, warning.due_at, warning.recipient) == (Escalation.Kind.WARNING, at(hours=1), agent)
    assert escalation_send(escalation_id=warning.pk) is False  # delivered twice: sent once


def test_the_e_mail_speaks_japanese_in_tokyo_time_by_default(world: World, django_capture_on_commit_callbacks) -> None:
    agent = AgentFactory(email="aoi@kachi.example")  # language and time zone as they come: ja, Asia/Tokyo
    inquiry = asked(world, assignee=agent)
    assert warnings_at(at(minutes=46), django_capture_on_commit_callbacks) == 1
    [email] = mail.outbox
    assert email.subject == f"2026/11/18 11:00 までに返信：Import fails（Alpha KK） [#{inquiry.pk}]"  # noqa: RUF001
    assert "優先度：高" in email.body  # noqa: RUF001 - in their language


def test_the_target_is_warned_of_after_the_fast_reply_and_a_resumed_clock_again(
    world: World, django_capture_on_commit_callbacks
) -> None:
    agent = AgentFactory()
    inquiry = asked(world, assignee=agent)
    assert warnings_at(at(minutes=46), django_capture_on_commit_callbacks) == 1  # the fast reply, due 11:00
    assert warnings_at(at(hours=17), django_capture_on_commit_callbacks) == 0  # fast missed; target not near
    assert warnings_at(at(hours=18, minutes=1), django_capture_on_commit_callbacks) == 1  # the target, due 10:00
    assert warnings_at(at(hours=18, minutes=30), django_capture_on_commit_callbacks) == 0

    # Waiting on the customer pauses the clock for an hour: its deadline moves, and is warned of again
    # once it runs (three quarters were used up already).
    inquiry_set_status(inquiry=inquiry, status="waiting", by=agent, at=at(hours=19))
    assert warnings_at(at(hours=19, minutes=30), django_capture_on_commit_callbacks) == 0
    inquiry_set_status(inquiry=inquiry, status="open", by=agent, at=at(hours=20))
    assert warnings_at(at(hours=20, minutes=1), django_capture_on_commit_callbacks) == 1
    assert warnings_at(at(hours=20, minutes=5), django_capture_on_commit_callbacks) == 0

    deadlines = list(Escalation.objects.order_by("created_at").values_list("due_at", flat=True))
    assert deadlines == [at(hours=1), at(hours=24), at(hours=25)]
    assert warnings_at(at(hours=25), django_capture_on_commit_callbacks) == 0  # past it: a breach now


def test_no_warning_for_a_question_answered_or_waiting_before_three_quarters(
    world: World, django_capture_on_commit_callbacks
) -> None:
    agent = AgentFactory()
    answered, waiting = asked(world, subject="Answered"), asked(world, subject="Waiting")
    inquiry_reply(inquiry=answered, by=agent, body="Here is how", at=at(minutes=30))
    inquiry_set_status(inquiry=waiting, status="waiting", by=agent, at=at(minutes=30))
    for when in (at(minutes=46), at(hours=18, minutes=1), at(hours=23)):
        assert warnings_at(when, django_capture_on_commit_callbacks) == 0
    assert not Escalation.objects.exists()


def test_an_unassigned_question_warns_the_agents_else_the_admins(
    world: World, django_capture_on_commit_callbacks
) -> None:
    asked(world, subject="Before any agent")
    assert warnings_at(at(minutes=46), django_capture_on_commit_callbacks) == 1
    assert [m.to for m in mail.outbox] == [[world.admin.email]]
    assert "まだ誰も担当していません。" in mail.outbox[0].body  # the admin reads Japanese

    agents = [AgentFactory(), AgentFactory()]
    AgentFactory(is_active=False)
    asked(world, subject="With agents")
    assert warnings_at(at(minutes=47), django_capture_on_commit_callbacks) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(a.email for a in agents)  # not the admins


def test_deadlines_near_together_are_warned_of_once_by_the_nearest(
    world: World, django_capture_on_commit_callbacks
) -> None:
    # A target 70 minutes on the calendar is warned of from 10:52:30, before the fast reply (11:00) is due.
    ReplyTargetFactory(fast_minutes=60, first_reply_minutes=70)
    agent = AgentFactory(language="en", time_zone="Asia/Tokyo")
    asked(world, assignee=agent)
    assert warnings_at(at(minutes=55), django_capture_on_commit_callbacks) == 1
    assert mail.outbox[0].subject.startswith("Reply by 11/18/2026 11 a.m.:")
    assert warnings_at(at(minutes=58), django_capture_on_commit_callbacks) == 0
    assert warnings_at(at(minutes=65), django_capture_on_commit_callbacks) == 0  # the target's was covered


def test_the_beat_task_warns_and_escalates(world: World, django_capture_on_commit_callbacks) -> None:
    late = ask(world, timedelta(hours=25))
    near = ask(world, timedelta(hours=19))  # fast reply missed, the target due in five hours
    with django_capture_on_commit_callbacks(execute=True):
        assert scan_task.delay().get() == 3  # a warning to the admin (no agents), a breach to the CSM and the admin
    kinds = set(Escalation.objects.values_list("inquiry", "kind"))
    assert kinds == {(near.pk, "warning"), (late.pk, "breach")}
