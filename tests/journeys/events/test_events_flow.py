"""End to end: an event posted through the API completes a step and reaches a milestone, at the event's time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from journeys.events.services.api_keys import api_key_create
from journeys.onboarding.models import Achievement, Milestone, Playbook, StepEvent
from journeys.onboarding.services.journeys import journey_start
from portal.models import MilestoneKind
from tests.conftest import World
from tests.factories import MilestoneFactory, PlaybookFactory, StepFactory

pytestmark = pytest.mark.django_db


def post(client: Client, key: str, events: list[dict]):
    return client.post("/api/v1/events/", events, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")


def test_an_api_event_completes_a_step_and_reaches_milestones_at_its_time(
    world: World, django_capture_on_commit_callbacks
) -> None:
    playbook = PlaybookFactory(key="pb", name="Onboarding", status=Playbook.Status.PUBLISHED)
    send = StepFactory(
        playbook=playbook, key="send", title="Send the first campaign", event_name="campaign_sent",
        event_properties={"status": "delivered"},
    )  # fmt: skip
    first_value = MilestoneFactory(playbook=playbook, key="fv", name="First value", kind=MilestoneKind.FIRST_VALUE)
    first_value.steps.add(send)
    MilestoneFactory(
        playbook=playbook, key="adopt", name="Regular use", kind=MilestoneKind.ADOPTION, rule=Milestone.Rule.EVENT,
        event_name="login", event_min_days=3, event_window_days=7,
    )  # fmt: skip
    journey = journey_start(account=world.account_a, playbook=playbook)
    start = journey.started_at
    _key, raw = api_key_create(name="product", account=world.account_a, by=world.admin)
    client = Client()

    delivered_at = start + timedelta(days=3, hours=2)
    logins = [start + timedelta(days=d, hours=1) for d in (1, 2, 2, 5)]
    events = [
        {"id": "c-1", "name": "campaign_sent", "occurred_at": (start + timedelta(days=2)).isoformat(),
         "properties": {"status": "bounced"}},
        {"id": "c-2", "name": "campaign_sent", "occurred_at": delivered_at.isoformat(),
         "properties": {"status": "delivered"}},
    ] + [{"id": f"l-{i}", "name": "login", "occurred_at": m.isoformat()} for i, m in enumerate(logins)]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, raw, events)
    assert response.json() == {"accepted": 6, "duplicates": 0, "errors": []}

    state = journey.step_states.get(step_key="send")
    assert state.status == "done"
    assert state.completed_at == delivered_at
    assert StepEvent.objects.get(step_state=state, to_status="done").source == "event"
    assert Achievement.objects.get(milestone_key="fv").achieved_at == delivered_at
    assert Achievement.objects.get(milestone_key="adopt").achieved_at == logins[3]

    # Replaying changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        again = post(client, raw, events)
    assert again.json() == {"accepted": 0, "duplicates": 6, "errors": []}
    assert Achievement.objects.count() == 2
    assert StepEvent.objects.filter(step_state=state).count() == 2
