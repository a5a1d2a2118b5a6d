"""Evaluation under late data: whatever order usage events arrive in (a retry, a backfill, a client's
offline queue), every achievement and event-completed step ends at the earliest moment its rule held
given all the events received, the old time kept in the history and no notice sent twice."""

from __future__ import annotations

import itertools
import os
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from journeys.automation.models import Notification
from journeys.events.services.api_keys import api_key_create
from journeys.onboarding.models import Achievement, AchievementChange, Journey, Milestone, Playbook, StepEvent
from journeys.onboarding.services.evaluation import accounts_evaluate, journey_evaluate
from journeys.onboarding.services.journeys import journey_start
from journeys.onboarding.services.steps import step_set_status
from journeys.workspace.timeline import account_timeline
from portal.models import MilestoneKind
from tests.conftest import World
from tests.factories import AccountFactory, AdminFactory, ApiKeyFactory, MilestoneFactory, PlaybookFactory, StepFactory
from tests.journeys.onboarding.test_services import record_events
from tests.queries import assert_queries

pytestmark = pytest.mark.django_db

# Examples per run; KACHI_SHUFFLES=1000 for a longer search.
SHUFFLES = int(os.environ.get("KACHI_SHUFFLES", "150"))
START_AGO = timedelta(days=60)
_accounts = itertools.count()


def late_data_playbook() -> Playbook:
    """Rules of every shape: a first event, counts, a property filter, windows and distinct days, and
    step milestones over event-completed steps."""
    playbook = PlaybookFactory(key="late", name="Onboarding", status=Playbook.Status.PUBLISHED)
    login = StepFactory(playbook=playbook, key="login", position=1, event_name="login")
    send = StepFactory(
        playbook=playbook, key="send3", position=2, event_name="campaign_sent", event_min_count=3,
        event_properties={"status": "delivered"},
    )  # fmt: skip
    StepFactory(
        playbook=playbook, key="report", position=3, event_name="report_exported", event_min_count=2,
        event_window_days=3,
    )  # fmt: skip
    MilestoneFactory(
        playbook=playbook, key="first", kind=MilestoneKind.FIRST_ACTION, rule=Milestone.Rule.EVENT, event_name="login"
    )
    MilestoneFactory(playbook=playbook, key="value", kind=MilestoneKind.FIRST_VALUE, steps=[login, send])
    MilestoneFactory(
        playbook=playbook, key="adopt", kind=MilestoneKind.ADOPTION, rule=Milestone.Rule.EVENT, event_name="login",
        event_min_count=5, event_min_days=3, event_window_days=14,
    )  # fmt: skip
    MilestoneFactory(
        playbook=playbook, key="sent", kind=MilestoneKind.MILESTONE, rule=Milestone.Rule.EVENT,
        event_name="campaign_sent", event_min_count=3,
    )  # fmt: skip
    MilestoneFactory(playbook=playbook, key="full", kind=MilestoneKind.FULL_VALUE)
    return playbook


def new_journey(playbook: Playbook, start: datetime) -> tuple[Journey, str]:
    """A fresh account on ``playbook`` started at ``start``, and the raw key it posts events with."""
    n = next(_accounts)
    account = AccountFactory(slug=f"late-{n}", name=f"Late {n}", contract_start=start)
    journey = journey_start(account=account, playbook=playbook)
    _key, raw = api_key_create(name="product", account=account, by=AdminFactory())
    return journey, raw


def post(raw: str, events: list[dict], capture) -> None:
    with capture(execute=True):
        response = Client().post(
            "/api/v1/events/", events, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
        )
    assert response.status_code == 200
    assert response.json()["errors"] == []


def truth(journey: Journey) -> dict[str, object]:
    """What a journey reached and when, and where its steps stand: what must not depend on the order."""
    return {
        "achievements": dict(Achievement.objects.filter(journey=journey).values_list("milestone_key", "achieved_at")),
        "steps": {s.step_key: (s.status, s.completed_at) for s in journey.step_states.order_by("step_key")},
        "completed_at": Journey.objects.get(pk=journey.pk).completed_at,
    }


event_specs = st.lists(
    st.tuples(
        st.sampled_from(["login", "campaign_sent", "report_exported"]),
        st.integers(min_value=-2 * 24 * 60, max_value=40 * 24 * 60),  # minutes from the start
        st.sampled_from(["delivered", "bounced"]),
    ),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=SHUFFLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)
@given(specs=event_specs, seed=st.randoms(use_true_random=False), batch=st.integers(min_value=1, max_value=12))
def test_events_posted_in_any_order_give_the_achievements_and_times_of_posting_them_in_order(
    specs, seed: random.Random, batch: int, django_capture_on_commit_callbacks
) -> None:
    playbook = Playbook.objects.filter(key="late").first() or late_data_playbook()
    start = (timezone.now() - START_AGO).replace(microsecond=0)
    events = [
        {
            "id": f"e-{i}",
            "name": name,
            "occurred_at": (start + timedelta(minutes=minutes)).isoformat(),
            "properties": {"status": status} if name == "campaign_sent" else {},
        }
        for i, (name, minutes, status) in enumerate(specs)
    ]
    in_order, in_order_key = new_journey(playbook, start)
    for i in range(0, len(events), batch):
        post(
            in_order_key,
            sorted(events, key=lambda e: e["occurred_at"])[i : i + batch],
            django_capture_on_commit_callbacks,
        )
    shuffled, shuffled_key = new_journey(playbook, start)
    mixed = list(events)
    seed.shuffle(mixed)
    for i in range(0, len(mixed), batch):
        post(shuffled_key, mixed[i : i + batch], django_capture_on_commit_callbacks)

    assert truth(shuffled) == truth(in_order)
    retimed = AchievementChange.objects.filter(achievement__journey=shuffled, kind="late_data").exists()
    event("late data re-timed a milestone" if retimed else "no milestone re-timed")


def test_late_events_re_time_achievements_and_steps_keeping_the_old_time_and_sending_no_second_notice(
    world: World, django_capture_on_commit_callbacks
) -> None:
    playbook = PlaybookFactory(key="pb", name="Onboarding", status=Playbook.Status.PUBLISHED)
    send = StepFactory(playbook=playbook, key="send", title="Send a campaign", event_name="campaign_sent")
    MilestoneFactory(
        playbook=playbook, key="first", kind=MilestoneKind.FIRST_ACTION, rule=Milestone.Rule.EVENT, event_name="login"
    )
    MilestoneFactory(playbook=playbook, key="value", kind=MilestoneKind.FIRST_VALUE, steps=[send])
    MilestoneFactory(
        playbook=playbook, key="adopt", kind=MilestoneKind.ADOPTION, rule=Milestone.Rule.EVENT, event_name="login",
        event_min_count=3, event_window_days=7,
    )  # fmt: skip
    start = (timezone.now() - timedelta(days=6)).replace(microsecond=0)
    world.account_a.contract_start = start
    world.account_a.save(update_fields=["contract_start"])
    journey = journey_start(account=world.account_a, playbook=playbook)
    _key, raw = api_key_create(name="product", account=world.account_a, by=None)

    def at(days: float) -> str:
        return (start + timedelta(days=days)).isoformat()

    logins = [{"id": f"l-{d}", "name": "login", "occurred_at": at(d)} for d in (3, 4, 5)]
    post(
        raw, [*logins, {"id": "c-4", "name": "campaign_sent", "occurred_at": at(4)}], django_capture_on_commit_callbacks
    )
    reached = dict(Achievement.objects.values_list("milestone_key", "achieved_at"))
    assert reached == {"first": start + timedelta(days=3), "value": start + timedelta(days=4),
                       "adopt": start + timedelta(days=5)}  # fmt: skip
    notices = set(Notification.objects.values_list("pk", "sent_at"))
    assert len(notices) == 3 * 3  # each milestone to the CS manager and both members
    sent = len(mail.outbox)

    # A client's offline queue delivers the older events last.
    post(raw, [{"id": "l-0.5", "name": "login", "occurred_at": at(0.5)}, {"id": "l-1", "name": "login",
          "occurred_at": at(1)}, {"id": "c-2", "name": "campaign_sent", "occurred_at": at(2)}],
         django_capture_on_commit_callbacks)  # fmt: skip

    retimed = dict(Achievement.objects.values_list("milestone_key", "achieved_at"))
    assert retimed == {"first": start + timedelta(days=0.5), "value": start + timedelta(days=2),
                       "adopt": start + timedelta(days=3)}  # fmt: skip
    first = Achievement.objects.get(milestone_key="first")
    assert list(first.history.values_list("kind", "from_at", "to_at")) == [
        ("reached", None, start + timedelta(days=3)),
        ("late_data", start + timedelta(days=3), start + timedelta(days=0.5)),
    ]
    step = journey.step_states.get(step_key="send")
    assert step.completed_at == start + timedelta(days=2)
    entries = list(StepEvent.objects.filter(step_state=step).values_list("from_status", "to_status", "source"))
    assert entries == [("", "todo", "rule"), ("todo", "done", "event"), ("done", "done", "event")]
    assert StepEvent.objects.filter(step_state=step).last().occurred_at > start + timedelta(days=5)  # when re-timed
    # The notices already sent are not sent again, nor claimed again.
    assert set(Notification.objects.values_list("pk", "sent_at")) == notices
    assert len(mail.outbox) == sent
    # The account's timeline tells both times, and the e-mails sent.
    with translation.override("en"):
        timeline = account_timeline(account=world.account_a)
    moved = [entry for entry in timeline if entry.title.startswith("Milestone re-timed: ")]
    assert moved and all(
        entry.detail.endswith(" · Re-timed by late data") and entry.actor == "automatically" for entry in moved
    )
    emails = [entry for entry in timeline if entry.kind == "email"]
    assert len(emails) == len([at for _pk, at in notices if at is not None]) > 0
    assert {entry.detail for entry in emails} <= {
        world.csm_a.email,
        world.customer_a.email,
        world.customer_admin_a.email,
    }


def test_a_re_timed_step_keeps_both_times_in_its_history(world: World, django_capture_on_commit_callbacks) -> None:
    playbook = PlaybookFactory(key="pb", name="Onboarding", status=Playbook.Status.PUBLISHED)
    StepFactory(playbook=playbook, key="send", title="Send a campaign", event_name="campaign_sent")
    start = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
    world.account_a.contract_start = start
    world.account_a.save(update_fields=["contract_start"])
    journey = journey_start(account=world.account_a, playbook=playbook)
    _key, raw = api_key_create(name="product", account=world.account_a, by=None)
    post(
        raw,
        [{"id": "new", "name": "campaign_sent", "occurred_at": "2026-04-03T01:00:00Z"}],
        django_capture_on_commit_callbacks,
    )
    post(
        raw,
        [{"id": "old", "name": "campaign_sent", "occurred_at": "2026-04-02T01:00:00Z"}],
        django_capture_on_commit_callbacks,
    )
    # Recorded as what happened; put into words in each reader's language and time zone.
    entry = StepEvent.objects.filter(step_state__journey=journey).last()
    assert (entry.change, entry.note) == (StepEvent.Change.RETIMED, "")
    with translation.override("ja"), timezone.override("Asia/Tokyo"):
        expected = "記録より早く完了していました（遅れて届いたデータ）：2026/04/03 10:00 → 2026/04/02 10:00。"  # noqa: RUF001
        assert entry.display_note == expected
    with translation.override("en"), timezone.override("UTC"):
        words = "Completed earlier than recorded (late data): 04/03/2026 1 a.m. → 04/02/2026 1 a.m."
        assert entry.display_note.startswith(words)


def test_a_step_ticked_by_a_person_keeps_their_time_when_earlier_events_arrive(
    world: World, django_capture_on_commit_callbacks
) -> None:
    playbook = PlaybookFactory(key="pb", name="Onboarding", status=Playbook.Status.PUBLISHED)
    StepFactory(playbook=playbook, key="send", event_name="campaign_sent")
    start = (timezone.now() - timedelta(days=6)).replace(microsecond=0)
    journey = journey_start(account=world.account_a, playbook=playbook, started_at=start)
    ticked = start + timedelta(days=3)
    step_set_status(state=journey.step_states.get(), status="done", by=world.customer_a, at=ticked)
    _key, raw = api_key_create(name="product", account=world.account_a, by=None)
    post(raw, [{"id": "c", "name": "campaign_sent", "occurred_at": (start + timedelta(days=1)).isoformat()}],
         django_capture_on_commit_callbacks)  # fmt: skip
    assert journey.step_states.get().completed_at == ticked


def test_events_newer_than_every_rule_they_touch_evaluate_no_journey(world: World) -> None:
    playbook = late_data_playbook()
    start = timezone.now() - START_AGO
    journeys = [new_journey(playbook, start)[0] for _ in range(3)]
    for n, journey in enumerate(journeys):
        key = ApiKeyFactory(key_hash=f"{n:064d}")
        record_events(journey.account, "login", [start + timedelta(days=d) for d in (1, 2, 3, 4, 5)], api_key=key)
        record_events(journey.account, "report_exported", [start + timedelta(days=d) for d in (1, 2)], api_key=key)
        record_events(journey.account, "campaign_sent", [start + timedelta(days=d) for d in (1, 2, 3)],
                      properties={"status": "delivered"}, api_key=key)  # fmt: skip
        journey_evaluate(journey=journey)
    assert Achievement.objects.count() == 3 * 5
    later = {
        j.account_id: {"login": start + timedelta(days=9), "campaign_sent": start + timedelta(days=9)} for j in journeys
    }
    with assert_queries(1):  # which journeys those events could change: none
        assert accounts_evaluate(account_ids=list(later), events_since=later) == 0
    # A late one is evaluated, and re-times what it can.
    record_events(journeys[0].account, "login", [start + timedelta(hours=1)], api_key=ApiKeyFactory(key_hash="late"))
    earlier = {journeys[0].account_id: {"login": start + timedelta(hours=1)}}
    assert accounts_evaluate(account_ids=list(earlier), events_since=earlier) == 0
    assert Achievement.objects.get(journey=journeys[0], milestone_key="first").achieved_at == start + timedelta(hours=1)
