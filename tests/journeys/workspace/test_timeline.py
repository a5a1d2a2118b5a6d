"""An account's timeline for its CS manager: what happened, newest first, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from journeys.onboarding.services.journeys import value_record_create
from journeys.onboarding.services.steps import step_set_status
from journeys.workspace.services import note_edit
from journeys.workspace.timeline import account_timeline
from portal.models import Membership, MembershipEvent
from portal.services import membership_remove, membership_set_role
from tests.conftest import World
from tests.factories import AccountNoteFactory, DailyEventCountFactory, InvitationFactory, MembershipEventFactory
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


def test_the_timeline_tells_what_happened_newest_first(measured: World) -> None:
    account = measured.account_a
    value_record_create(account=account, amount=500_000, occurred_on=timezone.localdate(), note="Saved a day a week",
                        by=measured.csm_a)  # fmt: skip
    today = timezone.localdate()
    DailyEventCountFactory(account=account, name="campaign_sent", day=today, count=3)
    InvitationFactory(account=account, email="new@alpha.example", invited_by=measured.customer_admin_a)
    with translation.override("en"):
        entries = account_timeline(account=account)
    kinds = [entry.kind for entry in entries]
    assert {"journey", "step", "milestone", "usage", "value", "invitation"} <= set(kinds)
    assert [entry.at for entry in entries] == sorted((entry.at for entry in entries), reverse=True)
    step = next(entry for entry in entries if entry.kind == "step")
    assert step.title == "Send" and step.detail.endswith("Done") and step.actor == "CSM A"
    assert next(e for e in entries if e.kind == "usage").detail == "campaign_sent (3)"
    assert next(e for e in entries if e.kind == "value").detail == "Saved a day a week"
    # The steps' creation is not repeated: "Journey started" says it once.
    assert sum(1 for e in entries if e.kind == "step") == 1


def test_the_account_pages_timeline_takes_the_same_queries_whatever_the_history(measured: World) -> None:
    client = Client()
    client.force_login(measured.csm_a)
    first = AccountNoteFactory(account=measured.account_a, author=measured.csm_a)
    note_edit(note=first, body="corrected", by=measured.csm_a)
    with capture_queries() as few:
        page = client.get("/accounts/alpha/panels/timeline/", HTTP_HX_REQUEST="true")
    assert "Timeline" in page.content.decode() or "タイムライン" in page.content.decode()
    state = measured.account_a.journeys.get().step_states.get()
    for i in range(15):
        step_set_status(state=state, status="todo" if i % 2 == 0 else "done", by=measured.csm_a)
        value_record_create(account=measured.account_a, amount=1000 + i, occurred_on=timezone.localdate(), note=f"n{i}",
                            by=measured.csm_a)  # fmt: skip
        DailyEventCountFactory(account=measured.account_a, name="login", day=timezone.localdate() - timedelta(days=i))
        note = AccountNoteFactory(account=measured.account_a, author=measured.csm_a if i % 2 else measured.admin)
        note_edit(note=note, body=f"corrected {i}", by=note.author)
        MembershipEventFactory(account=measured.account_a, kind=MembershipEvent.Kind.REMOVED)
    with capture_queries() as many:
        page = client.get("/accounts/alpha/panels/timeline/", HTTP_HX_REQUEST="true")
    assert len(page.context["timeline"]) > 40
    assert_same_queries(few, many)
    other = Client()
    other.force_login(measured.csm_b)
    assert other.get("/accounts/alpha/panels/timeline/").status_code == 404


def test_team_changes_and_corrected_notes_are_told(world: World) -> None:
    note = AccountNoteFactory(account=world.account_a, author=world.csm_a, body="Launch in May")
    note_edit(note=note, body="Launch in June", by=world.csm_a)
    promoted = Membership.objects.get(user=world.customer_a)
    membership_set_role(membership=promoted, role=Membership.Role.ADMIN, by=world.customer_admin_a)
    promoted.user.refresh_from_db()  # a fresh login, as on the next request
    membership_remove(membership=Membership.objects.get(user=world.customer_admin_a), by=promoted.user)
    with translation.override("en"):
        entries = {entry.kind: entry for entry in account_timeline(account=world.account_a) if entry.kind != "team"}
        team = [entry for entry in account_timeline(account=world.account_a) if entry.kind == "team"]
    assert entries["note"].detail == "Launch in June" and entries["note"].note == note
    assert [revision.body for revision in entries["note"].note.revisions.all()] == ["Launch in May"]
    assert [(entry.title, entry.detail) for entry in team] == [
        (f"{world.customer_admin_a.name} removed from the team", ""),
        (f"{world.customer_a.name}'s role changed", "Customer member → Customer admin"),
    ]


def test_journeys_started_and_invitations_answered_are_told(measured: World) -> None:
    joined = InvitationFactory(
        account=measured.account_a, email="joined@alpha.example", invited_by=measured.customer_admin_a,
        accepted_at=timezone.now(),
    )  # fmt: skip
    with translation.override("en"):
        entries = account_timeline(account=measured.account_a)
    playbook = measured.account_a.journeys.get().playbook
    titles = [(entry.kind, entry.title, entry.actor) for entry in entries]
    assert ("journey", f"Journey started: Onboarding v{playbook.version}", "") in titles
    assert ("invitation", "Invited joined@alpha.example", measured.customer_admin_a.get_full_name()) in titles
    assert ("joined", "joined@alpha.example joined", "") in titles
    assert next(entry.at for entry in entries if entry.kind == "joined") == joined.accepted_at
