"""Usage marks: an account whose evaluation fell behind what it received is evaluated again within
minutes, whatever happened to its task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from journeys import queue
from journeys.events.models import UsageMark
from journeys.events.services.api_keys import api_key_create
from journeys.events.services.ingest import events_ingest
from journeys.events.services.marks import CATCH_UP_AFTER, CATCH_UP_REPEAT, usage_behind
from journeys.onboarding.models import Achievement, Milestone
from journeys.onboarding.services.evaluation import accounts_catch_up
from journeys.onboarding.services.journeys import journey_start
from journeys.onboarding.tasks import journeys_evaluate_due
from portal.models import MilestoneKind, OutboxMessage
from tests.conftest import World
from tests.factories import MilestoneFactory, PublishedPlaybookFactory
from tests.queries import assert_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(world: World, django_capture_on_commit_callbacks):
    playbook = PublishedPlaybookFactory(step_count=1, segments=[world.account_a.segment])
    MilestoneFactory(
        playbook=playbook, key="campaign", kind=MilestoneKind.FIRST_VALUE, rule=Milestone.Rule.EVENT,
        event_name="campaign_sent", event_min_count=2,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        journey_start(account=world.account_a, playbook=playbook, started_at=timezone.now() - timedelta(days=5))
    return api_key_create(name="Product", account=world.account_a, by=None)[0]


def event(n: int, hours_ago: int) -> dict:
    moment = (timezone.now() - timedelta(hours=hours_ago)).replace(microsecond=0)
    return {"id": f"c-{n}", "name": "campaign_sent", "occurred_at": moment.isoformat()}


def lose_the_task(api_key, items, django_capture_on_commit_callbacks) -> None:
    """Ingest, and lose the evaluation task: the process dies before its relay, the broker forgets it."""
    with django_capture_on_commit_callbacks(execute=False):
        events_ingest(api_key=api_key, items=items)
    OutboxMessage.objects.filter(task=queue.EVALUATE_ACCOUNTS, published_at=None).delete()


def test_a_lost_evaluation_is_caught_up_within_minutes(
    world: World, campaign, django_capture_on_commit_callbacks
) -> None:
    first, second = event(1, hours_ago=3), event(2, hours_ago=2)
    lose_the_task(campaign, [first, second], django_capture_on_commit_callbacks)
    assert not Achievement.objects.exists()
    mark = UsageMark.objects.get(account=world.account_a)
    assert mark.received > mark.evaluated

    assert accounts_catch_up() == []  # its task may still be on its way
    later = timezone.now() + CATCH_UP_AFTER
    with django_capture_on_commit_callbacks(execute=True):
        assert accounts_catch_up(now=later) == [world.account_a.pk]
    achievement = Achievement.objects.get(milestone_key="campaign")
    assert achievement.achieved_at.isoformat() == second["occurred_at"]  # when its rule held, not now
    mark.refresh_from_db()
    assert mark.evaluated == mark.received
    with django_capture_on_commit_callbacks(execute=True):
        assert accounts_catch_up(now=later + CATCH_UP_REPEAT) == []
    assert Achievement.objects.count() == 1


def test_an_evaluation_that_keeps_failing_is_queued_again_only_now_and_then(
    world: World, campaign, django_capture_on_commit_callbacks
) -> None:
    lose_the_task(campaign, [event(1, hours_ago=3)], django_capture_on_commit_callbacks)
    start = timezone.now() + CATCH_UP_AFTER
    with django_capture_on_commit_callbacks(execute=False):  # queued, never run
        assert accounts_catch_up(now=start) == [world.account_a.pk]
        assert accounts_catch_up(now=start + timedelta(minutes=1)) == []
        assert accounts_catch_up(now=start + CATCH_UP_REPEAT) == [world.account_a.pk]


def test_a_batch_evaluated_after_a_lost_one_leaves_the_account_behind(
    world: World, campaign, django_capture_on_commit_callbacks
) -> None:
    lose_the_task(campaign, [event(1, hours_ago=3)], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        events_ingest(api_key=campaign, items=[{**event(2, hours_ago=2), "name": "login"}])
    # The second batch's evaluation ran, but covered only its own events: the first is still due.
    mark = UsageMark.objects.get(account=world.account_a)
    assert (mark.received, mark.evaluated) == (3, 1)  # the journey's start, then two batches
    with django_capture_on_commit_callbacks(execute=True):
        assert journeys_evaluate_due.delay().get() == 0  # not yet
        assert accounts_catch_up(now=timezone.now() + CATCH_UP_AFTER) == [world.account_a.pk]
    mark.refresh_from_db()
    assert mark.evaluated == mark.received


def test_evaluated_batches_leave_nothing_behind(world: World, campaign, django_capture_on_commit_callbacks) -> None:
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            events_ingest(api_key=campaign, items=[event(n, hours_ago=3 - n)])
    mark = UsageMark.objects.get(account=world.account_a)
    assert (mark.received, mark.evaluated) == (4, 4)
    assert accounts_catch_up(now=timezone.now() + CATCH_UP_AFTER) == []


def test_finding_the_accounts_behind_is_one_query_and_one_update(world: World) -> None:
    now = timezone.now()
    UsageMark.objects.bulk_create(
        [
            UsageMark(account=world.account_a, received=2, evaluated=1, due_since=now - timedelta(minutes=5)),
            UsageMark(account=world.account_b, received=2, evaluated=2, due_since=now - timedelta(minutes=5)),
        ]
    )
    with transaction.atomic(), assert_queries(2):
        assert usage_behind(now=now) == [world.account_a.pk]
