"""A CS manager manages a step on the account page: status with a reason, and a new due date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from journeys.onboarding.models import StepEvent
from tests.conftest import World, signed_in

pytestmark = pytest.mark.django_db


def test_a_csm_moves_a_due_date_and_it_is_in_the_history(measured: World) -> None:
    state = measured.account_b.journeys.get().step_states.get()
    new_day = timezone.localdate() + timedelta(days=10)
    client = signed_in(measured.csm_b)
    response = client.post(f"/steps/{state.pk}/reschedule/", {"due_on": new_day.isoformat(), "reason": "Holidays"})
    assert response.status_code == 302
    state.refresh_from_db()
    assert timezone.localtime(state.due_at).date() == new_day
    event = StepEvent.objects.filter(step_state=state).latest("id")
    assert (event.from_status, event.to_status, event.reason, event.actor) == (
        "todo",
        "todo",
        "Holidays",
        measured.csm_b,
    )
    assert event.change == StepEvent.Change.RESCHEDULED
    with translation.override("en"):
        assert event.display_note.startswith("Due date moved from ")
    with translation.override("ja"):
        assert event.display_note.startswith("期限を")
    page = client.get("/accounts/beta/")
    assert "Manage this step" in page.content.decode()
    assert "Due date moved" in client.get("/accounts/beta/panels/timeline/").content.decode()


def test_bad_dates_and_closed_steps_are_refused_with_a_message(measured: World) -> None:
    client = signed_in(measured.csm_b)
    state = measured.account_b.journeys.get().step_states.get()
    before = state.due_at
    far = (timezone.localdate() + timedelta(days=5000)).isoformat()
    response = client.post(f"/steps/{state.pk}/reschedule/", {"due_on": far}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "three years" in response.content.decode()
    response = client.post(f"/steps/{state.pk}/reschedule/", {"due_on": "soon"}, follow=True)
    assert "Enter a valid date." in response.content.decode()
    state.refresh_from_db()
    assert state.due_at == before
    done = measured.account_a.journeys.get().step_states.get()  # done in the fixture
    client_a = signed_in(measured.csm_a)
    response = client_a.post(f"/steps/{done.pk}/reschedule/", {"due_on": timezone.localdate().isoformat()}, follow=True)
    assert "reopen it" in response.content.decode()


def test_only_the_accounts_staff_may_and_others_see_nothing(measured: World) -> None:
    state = measured.account_b.journeys.get().step_states.get()
    day = timezone.localdate().isoformat()
    assert signed_in(measured.csm_a).post(f"/steps/{state.pk}/reschedule/", {"due_on": day}).status_code == 404
    assert signed_in(measured.customer_b).post(f"/steps/{state.pk}/reschedule/", {"due_on": day}).status_code == 403
    assert Client().post(f"/steps/{state.pk}/reschedule/", {"due_on": day}).status_code == 302  # to sign in
    assert "Manage this step" not in signed_in(measured.customer_b).get("/app/").content.decode()


def test_blocking_needs_a_reason_from_the_panel(measured: World) -> None:
    client = signed_in(measured.csm_b)
    state = measured.account_b.journeys.get().step_states.get()
    response = client.post(f"/steps/{state.pk}/status/", {"status": "blocked", "reason": ""}, HTTP_HX_REQUEST="true")
    assert "Say why" in response.content.decode()
    client.post(f"/steps/{state.pk}/status/", {"status": "blocked", "reason": "Waiting for IT"})
    state.refresh_from_db()
    assert (state.status, state.reason) == ("blocked", "Waiting for IT")
