"""The bottleneck steps: the time journeys spend on each step, Kaplan-Meier with the journeys still on a
step censored, cross-checked against lifelines."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from lifelines import KaplanMeierFitter

from journeys.onboarding.models import Journey, Playbook, StepState
from journeys.onboarding.services.journeys import journey_start
from journeys.onboarding.services.steps import step_set_status
from journeys.reports.selectors import MIN_STEP_JOURNEYS, step_bottlenecks
from portal.models import Account
from portal.survival import kaplan_meier
from tests.factories import AccountFactory, AdminFactory, PlaybookFactory, SegmentFactory, StepFactory

pytestmark = pytest.mark.django_db

START = (timezone.now() - timedelta(days=40)).replace(microsecond=0)
NOW = START + timedelta(days=20)


def lifelines_median(durations: list[float], closed: list[bool]) -> float | None:
    kmf = KaplanMeierFitter().fit(durations, event_observed=closed)
    median = float(kmf.median_survival_time_)
    return None if math.isinf(median) else median


def test_time_on_each_step_is_kaplan_meier_with_the_journeys_still_on_it_censored() -> None:
    segment = SegmentFactory()
    playbook = PlaybookFactory(key="flow", status=Playbook.Status.PUBLISHED)
    for position, key in enumerate("abcd"):
        StepFactory(playbook=playbook, key=key, position=position, title=f"Step {key.upper()}", due_offset_days=60)
    admin = AdminFactory()

    def journey(*closings: tuple[str, float], churned_on: float | None = None, skip: str = "") -> Journey:
        fields = {}
        if churned_on is not None:
            fields = {"status": Account.Status.CHURNED, "churned_at": START + timedelta(days=churned_on)}
        started = journey_start(account=AccountFactory(segment=segment, **fields), playbook=playbook, started_at=START)
        for key, day in closings:
            step_set_status(state=started.step_states.get(step_key=key), status="skipped" if key == skip else "done",
                            reason="Not needed" if key == skip else "", by=admin,
                            at=START + timedelta(days=day))  # fmt: skip
        return started

    journey(("a", 1), ("b", 4), ("c", 5), ("d", 7))
    journey(("a", 2), ("b", 10))  # on C since day 10
    journey(("a", 3))  # on B since day 3
    journey()  # on A since the start
    journey(("a", 1), ("b", 3), ("c", 12))  # on D since day 12
    journey(("a", 2), churned_on=8)  # churned on B: censored at day 8
    journey(("b", 1), ("a", 5))  # B done before A: nothing left to do on B once A was done
    journey(("a", 0.5), ("b", 6), skip="a")  # skipping closes a step like doing it
    # Time on the step from reaching it (every step before it closed), closed or not (as of day 20).
    expected = {
        "a": ([1, 2, 3, 20, 1, 2, 5, 0.5], [True, True, True, False, True, True, True, True]),
        "b": ([3, 8, 17, 2, 6, 0, 5.5], [True, True, False, True, False, True, True]),
        "c": ([1, 10, 9, 15, 14], [True, False, True, False, False]),
        "d": ([2, 8], [True, False]),
    }

    journeys, steps = step_bottlenecks(playbook_key="flow", now=NOW)

    assert journeys == 8
    by_key = {step.key: step for step in steps}
    for key, (durations, closed) in expected.items():
        step = by_key[key]
        assert (step.reached, step.done) == (len(durations), sum(closed)), key
        if len(durations) >= MIN_STEP_JOURNEYS:
            assert step.median_days == lifelines_median(durations, closed), key
    assert (by_key["a"].median_days, by_key["b"].median_days) == (2.0, 5.5)
    # C: two of five closed it; the median lies beyond the longest wait seen on it.
    assert (by_key["c"].median_days, by_key["c"].median_beyond_days) == (None, 15.0)
    assert lifelines_median(*expected["c"]) is None
    # D: two journeys reached it, too few for a median.
    assert (by_key["d"].measured, by_key["d"].median_days, by_key["d"].median_beyond_days) == (False, None, None)
    # The longest first, steps too few reached last; the three longest are the bottlenecks.
    assert [step.key for step in steps] == ["c", "b", "a", "d"]
    assert [step.key for step in steps if step.worst] == ["c", "b", "a"]
    spent = {key: sum(durations) for key, (durations, _closed) in expected.items()}
    assert by_key["b"].ttv_share == pytest.approx(spent["b"] / sum(spent.values()))


def test_the_survivors_median_would_hide_a_slow_step() -> None:
    segment = SegmentFactory()
    playbook = PlaybookFactory(key="flow", status=Playbook.Status.PUBLISHED)
    StepFactory(playbook=playbook, key="a", position=0, title="Step A", due_offset_days=60)
    admin = AdminFactory()
    started: list[Journey] = [
        journey_start(account=AccountFactory(segment=segment), playbook=playbook, started_at=START) for _ in range(6)
    ]
    for journey in started[:2]:  # two got through in a day; four have been on it for 20 days
        step_set_status(state=journey.step_states.get(), status="done", by=admin, at=START + timedelta(days=1))

    _journeys, (step,) = step_bottlenecks(playbook_key="flow", now=NOW)

    assert (step.reached, step.done, step.median_days, step.median_beyond_days) == (6, 2, None, 20.0)


def test_a_step_reached_by_fewer_than_the_minimum_has_no_median() -> None:
    segment = SegmentFactory()
    playbook = PlaybookFactory(key="flow", status=Playbook.Status.PUBLISHED)
    StepFactory(playbook=playbook, key="a", position=0, due_offset_days=60)
    admin = AdminFactory()
    for _ in range(MIN_STEP_JOURNEYS - 1):
        journey = journey_start(account=AccountFactory(segment=segment), playbook=playbook, started_at=START)
        step_set_status(state=journey.step_states.get(), status="done", by=admin, at=START + timedelta(days=3))

    _journeys, (step,) = step_bottlenecks(playbook_key="flow", now=NOW)

    assert (step.reached, step.done, step.measured, step.median_days, step.worst) == (4, 4, False, None, False)


def test_time_runs_only_until_now() -> None:
    segment = SegmentFactory()
    playbook = PlaybookFactory(key="flow", status=Playbook.Status.PUBLISHED)
    StepFactory(playbook=playbook, key="a", position=0, due_offset_days=60)
    admin = AdminFactory()
    for day in (1, 2, 3, 4, 30):  # the last is done after "now" (day 20): still on it then
        journey = journey_start(account=AccountFactory(segment=segment), playbook=playbook, started_at=START)
        step_set_status(state=journey.step_states.get(), status="done", by=admin, at=START + timedelta(days=day))

    _journeys, (step,) = step_bottlenecks(playbook_key="flow", now=NOW)

    expected = lifelines_median([1, 2, 3, 4, 20], [True, True, True, True, False])
    assert (step.reached, step.done, step.median_days) == (5, 4, expected)


def test_a_journey_is_stalled_on_the_step_that_holds_it_not_on_the_steps_after_it() -> None:
    segment = SegmentFactory()
    playbook = PlaybookFactory(key="flow", status=Playbook.Status.PUBLISHED)
    StepFactory(playbook=playbook, key="a", position=0, due_offset_days=1)
    StepFactory(playbook=playbook, key="b", position=1, due_offset_days=2)
    StepFactory(playbook=playbook, key="c", position=2, due_offset_days=60)
    admin = AdminFactory()
    for n in range(MIN_STEP_JOURNEYS + 1):
        journey = journey_start(account=AccountFactory(segment=segment), playbook=playbook, started_at=START)
        if n < 2:  # two got past A, and are now held by B, past its due date
            step_set_status(state=journey.step_states.get(step_key="a"), status="done", by=admin,
                            at=START + timedelta(days=1))  # fmt: skip

    journeys, steps = step_bottlenecks(playbook_key="flow", now=NOW)

    by_key = {step.key: step for step in steps}
    # Four are held by A (past due); B, past due for all six, holds only the two that reached it.
    assert {key: by_key[key].stalled for key in "abc"} == {"a": 4, "b": 2, "c": 0}
    assert by_key["b"].stalled_share == pytest.approx(2 / journeys)


def reference_bottlenecks(now: datetime) -> tuple[int, dict[str, tuple[list[float], list[bool], int]]]:
    """The time on each step, worked out journey by journey in Python: the report's definition."""
    rows = (
        StepState.objects.filter(journey__playbook_key="flow", step__playbook_id=F("journey__playbook_id"))
        .order_by("journey_id", "step__position", "step_id")
        .values_list("journey_id", "step_key", "completed_at", "due_at", "journey__started_at",
                     "journey__account__churned_at")
    )  # fmt: skip
    per_step: dict[str, tuple[list[float], list[bool], int]] = {}
    journeys: set[int] = set()
    held_journeys: set[int] = set()
    reached_at: dict[int, datetime] = {}
    for journey_id, key, completed, due_at, started_at, churned_at in rows:
        journeys.add(journey_id)
        if journey_id in held_journeys:
            continue
        durations, closed, stalled = per_step.setdefault(key, ([], [], 0))
        completed_at = completed if completed is not None and completed <= now else None
        since = reached_at.get(journey_id, started_at)
        end = completed_at if completed_at is not None else min(now, churned_at or now)
        durations.append(max((end - since).total_seconds() / 86400, 0.0))
        closed.append(completed_at is not None)
        if completed_at is None:
            held_journeys.add(journey_id)
            per_step[key] = (durations, closed, stalled + (due_at < now))
        else:
            reached_at[journey_id] = max(since, completed_at)
    return len(journeys), per_step


def test_the_database_adds_up_the_times_as_the_journeys_ran() -> None:
    rng = random.Random(7)
    segment = SegmentFactory()
    playbook = PlaybookFactory(key="flow", status=Playbook.Status.PUBLISHED)
    # Created out of order; two steps share a position: the one created first (c) comes first.
    closing = {"a": 0.9, "b": 0.85, "c": 0.85, "d": 0.8, "e": 0.2}  # few close the last: its median lies beyond
    for key, position in (("d", 2), ("c", 1), ("a", 0), ("e", 3), ("b", 1)):
        StepFactory(playbook=playbook, key=key, position=position, due_offset_days=rng.choice([1, 5, 30]))
    for n in range(60):
        started = START + timedelta(seconds=rng.uniform(-5, 5) * 86400, microseconds=rng.randrange(10**6))
        fields = {}
        if n % 7 == 0:  # churned, some of them after "now"
            fields = {"status": Account.Status.CHURNED, "churned_at": started + timedelta(days=rng.uniform(1, 30))}
        account = AccountFactory(segment=segment, **fields)
        journey = journey_start(account=account, playbook=playbook, started_at=started)
        for state in journey.step_states.all():
            # Closed at times in any order, some after now, some before the start.
            if rng.random() < closing[state.step_key]:
                at = started + timedelta(days=rng.uniform(-1, 25), microseconds=rng.randrange(10**6))
                status = rng.choice([StepState.Status.DONE, StepState.Status.SKIPPED])
                StepState.objects.filter(pk=state.pk).update(status=status, completed_at=at)

    journeys, steps = step_bottlenecks(playbook_key="flow", now=NOW)

    expected_journeys, expected = reference_bottlenecks(NOW)
    assert journeys == expected_journeys == 60
    total = sum(sum(durations) for durations, _closed, _stalled in expected.values())
    assert {step.key for step in steps} == set(expected) == set("abcde")
    for step in steps:
        durations, closed, stalled = expected[step.key]
        assert (step.reached, step.done, step.stalled) == (len(durations), sum(closed), stalled), step.key
        median = kaplan_meier(durations, closed).median_days
        assert step.median_days == median, step.key
        assert step.median_beyond_days == (max(durations) if median is None else None), step.key
        assert step.ttv_share == pytest.approx(sum(durations) / total, rel=1e-12), step.key
    assert any(step.median_days is not None for step in steps)
    assert any(step.median_beyond_days is not None for step in steps)
