"""Factories and a small fixture world for the automation tests (nudges, notifications, digests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from factory.django import DjangoModelFactory

from journeys.automation.models import AutomationSettings
from journeys.onboarding.models import Journey, Step, StepState
from journeys.onboarding.services.journeys import journey_start
from journeys.onboarding.services.steps import step_set_status
from portal.models import NotificationPreferences
from tests.conftest import World
from tests.journeys.factories import PublishedPlaybookFactory, StepFactory


class NotificationPreferencesFactory(DjangoModelFactory[NotificationPreferences]):
    class Meta:
        model = NotificationPreferences
        django_get_or_create = ["user"]


class AutomationSettingsFactory(DjangoModelFactory[AutomationSettings]):
    """The one settings row, set to these values (created or overwritten)."""

    class Meta:
        model = AutomationSettings

    nudge_delay_hours = 24
    nudge_repeat_days = 3
    nudge_max = 3

    @classmethod
    def _create(cls, model_class: type[AutomationSettings], *args: object, **kwargs: object) -> AutomationSettings:
        row, _created = model_class.objects.update_or_create(pk=1, defaults=kwargs)
        return row


@dataclass
class Overdue:
    journey: Journey
    customer_step: StepState  # step-1, customer side, overdue
    other_customer_step: StepState  # step-2, customer side, done
    csm_step: StepState  # kickoff, CS manager's side, overdue


def overdue_journey(world: World, *, days_overdue: int = 10) -> Overdue:
    """Account A on a published playbook (key "basics"): two customer steps and a CS manager's step
    due ``days_overdue`` days ago; step-2 is done, so two steps are open and overdue."""
    AutomationSettingsFactory()
    playbook = PublishedPlaybookFactory(key="basics", step_count=2, segments=[world.account_a.segment])
    StepFactory(playbook=playbook, key="kickoff", title="Kickoff meeting", owner=Step.Owner.CSM, position=9)
    started = timezone.now() - timedelta(days=7 + days_overdue)
    journey = journey_start(account=world.account_a, playbook=playbook, started_at=started)
    done = step_set_status(state=journey.step_states.get(step_key="step-2"), status="done", by=None, at=started)
    return Overdue(
        journey=journey,
        customer_step=journey.step_states.get(step_key="step-1"),
        other_customer_step=done,
        csm_step=journey.step_states.get(step_key="kickoff"),
    )
