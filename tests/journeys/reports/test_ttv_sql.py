"""The report statement reads the current truth: a revoked achievement does not count, and one
reached again counts from its new time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from journeys.onboarding.services.steps import step_set_status
from journeys.reports.measurement import ttv_report, ttv_rows
from portal.models import MilestoneKind
from tests.conftest import World

pytestmark = pytest.mark.django_db


def first_value(world: World) -> dict[str, tuple[float | None, bool]]:
    rows = ttv_rows(kind=MilestoneKind.FIRST_VALUE, now=timezone.now())
    return {row.account_slug: (None if row.censored else round(row.duration_days, 6), row.censored) for row in rows}


def test_a_revoked_achievement_does_not_count_and_one_reached_again_counts_from_its_new_time(measured: World) -> None:
    world = measured
    assert first_value(world)["alpha"] == (4.0, False)
    state = world.account_a.journeys.get().step_states.get()

    step_set_status(state=state, status="todo", reason="Sent to a test list only", by=world.csm_a)
    assert first_value(world)["alpha"] == (None, True)  # waiting again: censored at now
    assert ttv_report(kind=MilestoneKind.FIRST_VALUE).groups[0].estimate.reached == 0

    started = world.account_a.journeys.get().started_at
    step_set_status(state=state, status="done", by=world.csm_a, at=started + timedelta(days=9))
    assert first_value(world)["alpha"] == (9.0, False)
    assert ttv_report(kind=MilestoneKind.FIRST_VALUE).groups[0].estimate.reached == 1
