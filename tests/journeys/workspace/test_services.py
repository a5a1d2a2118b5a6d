"""Notes and the success plan on the CS manager's account page; the plan on the customer's checklist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from journeys.workspace.models import AccountNote, SuccessGoal
from journeys.workspace.services import note_edit
from tests.conftest import World, signed_in
from tests.factories import AccountNoteFactory, SuccessGoalFactory

pytestmark = pytest.mark.django_db


def test_a_csm_writes_notes_that_show_on_the_timeline(measured: World) -> None:
    client = signed_in(measured.csm_a)
    response = client.post("/accounts/alpha/notes/", {"body": "Kick-off went well; IT needs a week for DNS."})
    assert response.status_code == 302 and response["Location"].endswith("#notes")
    note = AccountNote.objects.get()
    assert (note.account, note.author) == (measured.account_a, measured.csm_a)
    timeline = client.get("/accounts/alpha/panels/timeline/").content.decode()
    assert "IT needs a week for DNS." in timeline
    empty = client.post("/accounts/alpha/notes/", {"body": "   "}, follow=True)
    assert "Write the note first." in empty.content.decode() or "This field is required." in empty.content.decode()
    assert AccountNote.objects.count() == 1


def test_the_success_plan_is_agreed_on_the_account_page_and_shown_to_the_customer(measured: World) -> None:
    client = signed_in(measured.csm_a)
    target = timezone.localdate() + timedelta(days=30)
    client.post(
        "/accounts/alpha/goals/",
        {"title": "First campaign to 10,000 contacts", "measure": "Campaign report", "target_on": target.isoformat()},
    )
    goal = SuccessGoal.objects.get()
    assert (goal.title, goal.target_on, goal.status, goal.created_by) == (
        "First campaign to 10,000 contacts", target, "open", measured.csm_a,
    )  # fmt: skip
    client.post(f"/goals/{goal.pk}/status/", {"status": "met"})
    goal.refresh_from_db()
    assert goal.status == "met" and goal.closed_at is not None
    customer = signed_in(measured.customer_a).get("/app/").content.decode()
    assert "First campaign to 10,000 contacts" in customer and "Success plan" in customer
    assert 'action="/goals/' not in customer  # read-only for the customer

    bad = client.post("/accounts/alpha/goals/", {"title": "", "target_on": "someday"}, follow=True)
    assert "This field is required." in bad.content.decode() and "Enter a valid date." in bad.content.decode()
    before_start = (timezone.localdate(measured.account_a.contract_start) - timedelta(days=1)).isoformat()
    early = client.post("/accounts/alpha/goals/", {"title": "Too early", "target_on": before_start}, follow=True)
    assert "before the contract started" in early.content.decode()
    invalid = client.post(f"/goals/{goal.pk}/status/", {"status": "maybe"}, follow=True)
    assert "Choose a valid status." in invalid.content.decode()
    assert SuccessGoal.objects.count() == 1


def test_other_tenants_and_customers_cannot_write(measured: World) -> None:
    goal = SuccessGoalFactory(account=measured.account_a)
    other = signed_in(measured.csm_b)
    assert other.post("/accounts/alpha/notes/", {"body": "x"}).status_code == 404
    assert other.post("/accounts/alpha/goals/", {"title": "x", "target_on": "2030-01-01"}).status_code == 404
    assert other.post(f"/goals/{goal.pk}/status/", {"status": "met"}).status_code == 404
    customer = signed_in(measured.customer_admin_a)
    assert customer.post("/accounts/alpha/notes/", {"body": "x"}).status_code == 403
    assert customer.post(f"/goals/{goal.pk}/status/", {"status": "met"}).status_code == 403
    goal.refresh_from_db()
    assert goal.status == "open" and AccountNote.objects.count() == 0


class TestNoteEdit:
    def test_the_author_corrects_a_note_and_every_earlier_wording_is_kept(self, world: World) -> None:
        note = AccountNoteFactory(account=world.account_a, author=world.csm_a, body="Kick-off on Monday")
        written = note.created_at
        note_edit(note=note, body="Kick-off on Tuesday", by=world.csm_a)
        note_edit(note=note, body="  Kick-off on Wednesday  ", by=world.csm_a)
        note.refresh_from_db()
        assert note.body == "Kick-off on Wednesday"
        assert note.edited_at is not None and note.created_at == written
        revisions = list(note.revisions.order_by("id").values_list("body", flat=True))
        assert revisions == ["Kick-off on Monday", "Kick-off on Tuesday"]
        first, second = note.revisions.order_by("id")
        assert first.written_at == written and second.written_at == first.replaced_at

    def test_the_same_words_make_no_revision(self, world: World) -> None:
        note = AccountNoteFactory(account=world.account_a, author=world.csm_a, body="Same")
        note_edit(note=note, body="Same ", by=world.csm_a)
        note.refresh_from_db()
        assert note.edited_at is None and not note.revisions.exists()

    def test_an_empty_note_is_a_field_error(self, world: World) -> None:
        note = AccountNoteFactory(account=world.account_a, author=world.csm_a, body="Keep me")
        with translation.override("en"), pytest.raises(ValidationError) as error:
            note_edit(note=note, body="   ", by=world.csm_a)
        assert error.value.message_dict == {"body": ["Write the note first."]}
        note.refresh_from_db()
        assert note.body == "Keep me"

    def test_nobody_edits_another_persons_words(self, world: World) -> None:
        note = AccountNoteFactory(account=world.account_a, author=world.csm_a, body="Mine")
        # The admin looks after every account, and still may not rewrite CSM A's note; CSM B does not
        # look after the account at all; a customer is not staff.
        for by in (world.admin, world.csm_b, world.customer_admin_a):
            with pytest.raises(PermissionDenied):
                note_edit(note=note, body="Theirs", by=by)
        note.refresh_from_db()
        assert note.body == "Mine" and not note.revisions.exists()

    def test_an_author_who_no_longer_looks_after_the_account_cannot_edit(self, world: World) -> None:
        note = AccountNoteFactory(account=world.account_a, author=world.csm_a, body="Before the handover")
        world.account_a.csm = world.csm_b
        world.account_a.save(update_fields=["csm"])
        with pytest.raises(PermissionDenied):
            note_edit(note=note, body="After", by=world.csm_a)
