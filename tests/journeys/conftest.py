"""Fixtures shared by the journeys tests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from journeys.onboarding.models import Playbook
from journeys.onboarding.services.journeys import journey_start
from journeys.onboarding.services.steps import step_set_status
from portal.models import MilestoneKind
from tests.conftest import World
from tests.factories import AccountFactory, MilestoneFactory, PlaybookFactory, SegmentFactory, StepFactory


@pytest.fixture
def measured(world: World) -> World:
    """Accounts A and B on one playbook; A reached first value 4 days after its start, B not yet."""
    playbook = PlaybookFactory(key="pb", name="Onboarding", status=Playbook.Status.PUBLISHED)
    step = StepFactory(playbook=playbook, key="send", title="Send")
    milestone = MilestoneFactory(
        playbook=playbook, key="fv", name="First value", kind=MilestoneKind.FIRST_VALUE, target_days=21
    )
    milestone.steps.add(step)
    for account in (world.account_a, world.account_b):
        journey_start(account=account, playbook=playbook)
    journey_a = world.account_a.journeys.get()
    step_set_status(
        state=journey_a.step_states.get(), status="done", by=world.csm_a, at=journey_a.started_at + timedelta(days=4)
    )
    return world


@pytest.fixture
def mixed_targets(measured: World) -> World:
    """``measured`` (first value's own target: 21 days), and a second playbook whose first value has no
    target of its own, started for account "gamma" of a segment with a 45-day target."""
    playbook = PlaybookFactory(key="pb2", name="Enterprise onboarding", status=Playbook.Status.PUBLISHED)
    StepFactory(playbook=playbook, key="kickoff")
    MilestoneFactory(playbook=playbook, key="fv2", kind=MilestoneKind.FIRST_VALUE, target_days=None)
    enterprise = SegmentFactory(name="Enterprise", slug="enterprise", target_first_value_days=45)
    journey_start(account=AccountFactory(name="Gamma KK", slug="gamma", segment=enterprise), playbook=playbook)
    return measured
