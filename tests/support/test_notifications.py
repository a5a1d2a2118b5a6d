"""E-mails about inquiries: who hears of a question or a reply, in their language, with a link back;
never of an internal note; once however often the task is delivered."""

from __future__ import annotations

import pytest
from django.core import mail

from support.notifications import message_notify
from support.services import inquiry_create, inquiry_reply
from tests.conftest import World
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def ask(world: World, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return inquiry_create(
            account=world.account_a, author=world.customer_a, subject="Import fails", body="Row 2 is refused.",
            **kwargs,
        )  # fmt: skip


def test_a_question_goes_to_the_accounts_csm_and_the_reply_to_the_customer(
    world: World, django_capture_on_commit_callbacks
) -> None:
    world.csm_a.language, world.customer_a.language = "en", "ja"
    world.csm_a.save(update_fields=["language"])
    world.customer_a.save(update_fields=["language"])

    inquiry = ask(world, django_capture_on_commit_callbacks)

    (to_csm,) = mail.outbox
    assert to_csm.to == [world.csm_a.email]
    assert to_csm.subject == f"New question from Alpha KK: Import fails [#{inquiry.pk}]"
    assert "Row 2 is refused." in to_csm.body and f"/support/desk/{inquiry.pk}/" in to_csm.body
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        inquiry_reply(inquiry=inquiry, by=world.csm_a, body="SECRET: old plan", internal=True)
        inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Save it as UTF-8.")

    (to_customer,) = mail.outbox
    assert to_customer.to == [world.customer_a.email]
    assert to_customer.subject.startswith("サポートから返信")
    assert "Save it as UTF-8." in to_customer.body and f"/support/{inquiry.pk}/" in to_customer.body
    assert "SECRET" not in to_customer.body and "SECRET" not in to_customer.alternatives[0][0]


def test_a_customer_reply_goes_to_the_assignee_else_the_agents(
    world: World, django_capture_on_commit_callbacks
) -> None:
    agent = AgentFactory()
    world.account_a.csm = None
    world.account_a.save(update_fields=["csm"])
    inquiry = ask(world, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[agent.email]]
    inquiry.assignee = world.admin
    inquiry.save(update_fields=["assignee"])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        inquiry_reply(inquiry=inquiry, by=world.customer_a, body="Any news?")

    assert [m.to for m in mail.outbox] == [[world.admin.email]]
    assert mail.outbox[0].subject == f"Alpha KK から返信：Import fails [#{inquiry.pk}]"  # noqa: RUF001 - in their language


def test_a_message_is_emailed_once_however_often_its_task_runs(
    world: World, django_capture_on_commit_callbacks
) -> None:
    inquiry = ask(world, django_capture_on_commit_callbacks)
    message = inquiry.messages.get()
    assert len(mail.outbox) == 1
    assert message_notify(message_id=message.pk) == 0
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.emailed_at is not None
