"""The webhook events of inquiries (support/services.py): asked, replied to in public by staff, moved,
solved; emitted in the transaction of the change; an internal note emits nothing, and no payload ever
holds a note's body."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from portal.models import WebhookDelivery, WebhookEvent
from support.models import Inquiry
from support.services import inquiry_create, inquiry_reply, inquiry_set_status
from tests.conftest import World
from tests.factories import InquiryCategoryFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db
SECRET_NOTE = "Customer is on the churn list; do not offer a discount"


@pytest.fixture
def receiver(world: World):
    """An endpoint subscribed to every event, and account A with an ID in the CRM."""
    world.account_a.external_id = "crm-001"
    world.account_a.save(update_fields=["external_id"])
    return WebhookEndpointFactory(url="https://93.184.216.34/hooks", event_types=list(WebhookEvent.values))


def ask(world: World) -> Inquiry:
    return inquiry_create(
        account=world.account_a, author=world.customer_a, subject="Import fails", body="Row 2 stops it.",
        category=InquiryCategoryFactory(slug="data"), playbook_key="pb", step_key="import",
    )  # fmt: skip


def events() -> list[str]:
    return list(WebhookDelivery.objects.order_by("pk").values_list("event_type", flat=True))


def test_asking_emits_inquiry_created_with_the_account_step_and_times(world: World, receiver) -> None:
    inquiry = ask(world)
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.endpoint == receiver and delivery.event_type == "inquiry.created"
    data = delivery.payload["data"]
    assert data["account"] == {"id": world.account_a.pk, "slug": "alpha", "external_id": "crm-001"}
    assert data["inquiry"] | {"created_at": None, "updated_at": None, "due_at": None} == {
        "id": inquiry.pk,
        "subject": "Import fails",
        "status": "new",
        "priority": "normal",
        "category": "data",
        "playbook_key": "pb",
        "step_key": "import",
        "created_at": None,
        "updated_at": None,
        "first_replied_at": None,
        "due_at": None,
        "solved_at": None,
    }
    assert data["inquiry"]["created_at"] == inquiry.created_at.isoformat()
    assert data["inquiry"]["due_at"] is not None
    assert "Row 2 stops it." not in json.dumps(delivery.payload)


def test_a_public_reply_emits_inquiry_replied_and_the_status_change(world: World, receiver) -> None:
    inquiry = ask(world)
    message = inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Fixed on our side.")
    assert events() == ["inquiry.created", "inquiry.replied", "inquiry.status_changed"]
    replied = WebhookDelivery.objects.get(event_type="inquiry.replied").payload["data"]
    assert replied["message"]["id"] == message.pk and replied["message"]["automatic"] is False
    assert replied["inquiry"]["status"] == "waiting" and replied["inquiry"]["first_replied_at"] is not None
    moved = WebhookDelivery.objects.get(event_type="inquiry.status_changed").payload["data"]
    assert (moved["old_status"], moved["inquiry"]["status"]) == ("new", "waiting")


def test_an_internal_note_emits_nothing_and_its_body_is_in_no_payload(world: World, receiver) -> None:
    inquiry = ask(world)
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body=SECRET_NOTE, internal=True)  # new -> open, quietly
    assert events() == ["inquiry.created"]
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body=SECRET_NOTE + " (again)", internal=True)
    assert events() == ["inquiry.created"]

    # A note that moves the inquiry on purpose emits the move, never the note.
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body=SECRET_NOTE, internal=True, status="solved")
    inquiry_reply(inquiry=inquiry, by=world.customer_a, body="Still broken.")
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Looking.", status="open")
    assert events() == [
        "inquiry.created",
        "inquiry.status_changed",
        "inquiry.solved",
        "inquiry.status_changed",  # the customer's reply reopened it
        "inquiry.replied",
    ]
    for payload in WebhookDelivery.objects.values_list("payload", flat=True):
        assert "churn list" not in json.dumps(payload, ensure_ascii=False)


def test_staff_solving_emits_status_changed_and_solved(world: World, receiver) -> None:
    inquiry = ask(world)
    inquiry_set_status(inquiry=inquiry, status="solved", by=world.csm_a)
    assert events() == ["inquiry.created", "inquiry.status_changed", "inquiry.solved"]
    solved = WebhookDelivery.objects.get(event_type="inquiry.solved").payload["data"]
    assert solved["inquiry"]["status"] == "solved" and solved["inquiry"]["solved_at"] is not None
    assert solved["old_status"] == "new"
    inquiry_set_status(inquiry=inquiry, status="solved", by=world.csm_a)  # no change, no event
    assert len(events()) == 3


def test_a_reply_that_solves_emits_replied_and_solved(world: World, receiver) -> None:
    inquiry = ask(world)
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Done.", status="solved")
    assert events() == ["inquiry.created", "inquiry.replied", "inquiry.status_changed", "inquiry.solved"]


def test_only_subscribers_get_inquiry_events(world: World) -> None:
    WebhookEndpointFactory(url="https://93.184.216.34/a", event_types=[WebhookEvent.ACCOUNT_UPDATED])
    solved_only = WebhookEndpointFactory(url="https://93.184.216.34/b", event_types=[WebhookEvent.INQUIRY_SOLVED])
    inquiry = ask(world)
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Done.", status="solved")
    assert list(WebhookDelivery.objects.values_list("endpoint", "event_type")) == [(solved_only.pk, "inquiry.solved")]


def test_events_go_with_the_change_when_it_is_rolled_back(world: World, receiver) -> None:
    inquiry = ask(world)
    with pytest.raises(ValidationError), transaction.atomic():
        inquiry_set_status(inquiry=inquiry, status="closed", by=world.csm_a)
        raise ValidationError("undone")
    assert events() == ["inquiry.created"]
    inquiry.refresh_from_db()
    assert inquiry.status == "new"
