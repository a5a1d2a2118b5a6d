"""Journeys: start, step changes with append-only history, achievements at the right time and only once,
ROI, event-driven steps and milestones, and playbook versions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from journeys.events.models import DailyEventCount, UsageEvent
from journeys.events.rules import event_day
from journeys.onboarding.models import (
    Achievement,
    Journey,
    Milestone,
    Playbook,
    Step,
    StepEvent,
    StepState,
    ValueRecord,
)
from journeys.onboarding.selectors import journey_checklist
from journeys.onboarding.services.evaluation import accounts_evaluate, journey_evaluate
from journeys.onboarding.services.journeys import (
    journey_start,
    journey_start_default,
    value_record_correct,
    value_record_create,
    value_record_delete,
)
from journeys.onboarding.services.playbooks import journey_migrate, playbook_new_version, playbook_publish
from journeys.onboarding.services.steps import step_assign, step_set_status
from portal.models import MilestoneKind
from tests.conftest import World
from tests.factories import ApiKeyFactory, MilestoneFactory, PlaybookFactory, StepFactory, UsageEventFactory

pytestmark = pytest.mark.django_db


def make_playbook(world: World, key: str = "onboarding") -> Playbook:
    playbook = PlaybookFactory(key=key, name="Onboarding", status=Playbook.Status.PUBLISHED)
    playbook.segments.add(world.account_a.segment)
    StepFactory(playbook=playbook, key="admin", position=1, title="Create admin", due_offset_days=2)
    StepFactory(playbook=playbook, key="connect", position=2, title="Connect data", due_offset_days=7)
    StepFactory(
        playbook=playbook, key="send", position=3, title="Send first campaign", due_offset_days=14,
        event_name="campaign_sent", event_properties={"status": "delivered"},
    )  # fmt: skip
    StepFactory(playbook=playbook, key="train", position=4, title="Team training", owner=Step.Owner.CSM, required=False)
    full = MilestoneFactory(playbook=playbook, key="full", name="Full value", kind=MilestoneKind.FULL_VALUE)
    assert full.steps.count() == 0  # no steps chosen: every required step
    MilestoneFactory(
        playbook=playbook, key="first", name="First login", kind=MilestoneKind.FIRST_ACTION,
        rule=Milestone.Rule.EVENT, event_name="login",
    )  # fmt: skip
    MilestoneFactory(
        playbook=playbook, key="adopt", name="Regular use", kind=MilestoneKind.ADOPTION, rule=Milestone.Rule.EVENT,
        event_name="login", event_min_days=3, event_window_days=7,
    )  # fmt: skip
    MilestoneFactory(playbook=playbook, key="roi", name="ROI", kind=MilestoneKind.ROI, rule=Milestone.Rule.ROI)
    return playbook


def state(journey: Journey, key: str) -> StepState:
    return journey.step_states.select_related("step", "journey__account").get(step_key=key)


def record_events(account, name: str, moments, properties=None, api_key=None) -> None:
    """Raw events and their daily counts, as ingestion leaves them."""
    api_key = api_key or ApiKeyFactory()
    for i, moment in enumerate(moments):
        UsageEventFactory(
            api_key=api_key,
            external_id=f"{name}-{moment.isoformat()}-{i}",
            account=account,
            name=name,
            occurred_at=moment,
            properties=properties or {},
        )
        keys = [""] + (['{"status":"delivered"}'] if (properties or {}).get("status") == "delivered" else [])
        for key in keys:
            row, _ = DailyEventCount.objects.get_or_create(
                account=account, name=name, filter_key=key, day=event_day(moment),
                defaults={"count": 0, "first_at": moment, "last_at": moment},
            )  # fmt: skip
            row.count += 1
            row.first_at = min(row.first_at, moment)
            row.last_at = max(row.last_at, moment)
            row.save()


def test_start_creates_step_states_from_the_contract_start(world: World) -> None:
    playbook = make_playbook(world)
    journey = journey_start(account=world.account_a, playbook=playbook)
    assert journey.started_at == world.account_a.contract_start
    states = list(journey.step_states.order_by("step__position"))
    assert [s.step_key for s in states] == ["admin", "connect", "send", "train"]
    assert states[1].due_at == journey.started_at + timedelta(days=7)
    assert all(s.status == "todo" for s in states)
    assert StepEvent.objects.filter(journey=journey).count() == 4
    with pytest.raises(ValidationError):
        journey_start(account=world.account_a, playbook=playbook)


def test_new_accounts_get_their_segments_playbook(world: World) -> None:
    playbook = make_playbook(world)
    journey = journey_start_default(account=world.account_b)  # same segment as A
    assert journey.playbook == playbook
    assert journey_start_default(account=world.account_b) is None  # already running


def test_history_is_append_only_and_reopening_keeps_it(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=make_playbook(world))
    step = state(journey, "admin")
    step_set_status(state=step, status="done", by=world.customer_a)
    step_set_status(state=step, status="todo", by=world.customer_a)
    step_set_status(state=step, status="done", by=world.customer_admin_a)
    history = list(StepEvent.objects.filter(step_state=step).order_by("id").values_list("from_status", "to_status"))
    assert history == [("", "todo"), ("todo", "done"), ("done", "todo"), ("todo", "done")]
    step.refresh_from_db()
    assert step.status == "done" and step.changed_by == world.customer_admin_a


def test_skip_and_block_need_a_reason(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=make_playbook(world))
    with pytest.raises(ValidationError):
        step_set_status(state=state(journey, "connect"), status="blocked", by=world.csm_a)
    step_set_status(state=state(journey, "connect"), status="blocked", reason="Waiting for IT", by=world.csm_a)
    assert state(journey, "connect").reason == "Waiting for IT"


def test_customers_cannot_change_csm_steps_or_other_accounts(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=make_playbook(world))
    with pytest.raises(PermissionDenied):
        step_set_status(state=state(journey, "train"), status="done", by=world.customer_a)
    with pytest.raises(PermissionDenied):
        step_set_status(state=state(journey, "admin"), status="done", by=world.customer_b)
    with pytest.raises(PermissionDenied):
        step_set_status(state=state(journey, "admin"), status="done", by=world.csm_b)
    step_set_status(state=state(journey, "train"), status="done", by=world.csm_a)


def test_full_value_is_reached_once_at_the_time_of_the_last_required_step(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=make_playbook(world))
    start = journey.started_at
    step_set_status(state=state(journey, "admin"), status="done", by=world.customer_a, at=start + timedelta(days=1))
    step_set_status(state=state(journey, "send"), status="skipped", reason="No e-mail", by=world.csm_a,
                    at=start + timedelta(days=3))  # fmt: skip
    assert not Achievement.objects.filter(milestone_key="full").exists()
    step_set_status(state=state(journey, "connect"), status="done", by=world.customer_a, at=start + timedelta(days=5))
    achievement = Achievement.objects.get(milestone_key="full")
    assert achievement.achieved_at == start + timedelta(days=5)
    assert achievement.kind == "full_value"
    # Evaluating again, or a step moving between done and skipped (closed throughout), moves nothing.
    journey_evaluate(journey=journey)
    step_set_status(state=state(journey, "admin"), status="skipped", reason="Done by SSO", by=world.csm_a)
    assert list(Achievement.objects.filter(milestone_key="full").values_list("achieved_at", flat=True)) == [
        start + timedelta(days=5)
    ]


def test_undoing_a_step_revokes_its_milestone_and_redoing_reaches_it_again_at_the_new_time(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=make_playbook(world))
    start = journey.started_at
    step_set_status(state=state(journey, "admin"), status="done", by=world.customer_a, at=start + timedelta(days=1))
    step_set_status(state=state(journey, "send"), status="done", by=world.customer_a, at=start + timedelta(days=2))
    step_set_status(state=state(journey, "connect"), status="done", by=world.customer_a, at=start + timedelta(days=5))
    reached = Achievement.objects.get(milestone_key="full")

    step_set_status(state=state(journey, "connect"), status="todo", reason="Ticked by mistake", by=world.csm_a)
    assert not Achievement.objects.filter(milestone_key="full").exists()  # what counts: revoked ones do not
    revoked = Achievement.with_revoked.get(pk=reached.pk)  # kept, not deleted
    assert revoked.revoked_at is not None
    assert revoked.achieved_at == start + timedelta(days=5)
    assert Journey.objects.get(pk=journey.pk).completed_at is None

    redone = start + timedelta(days=9)
    with translation.override("en"):
        step_set_status(state=state(journey, "connect"), status="done", by=world.customer_a, at=redone)
    again = Achievement.objects.get(milestone_key="full")
    assert (again.pk, again.achieved_at) == (reached.pk, redone)
    history = list(again.history.values_list("kind", "from_at", "to_at", "actor", "reason"))
    assert history == [
        ("reached", None, start + timedelta(days=5), None, ""),
        ("revoked", start + timedelta(days=5), None, world.csm_a.pk, "Ticked by mistake"),
        ("reached_again", None, redone, world.customer_a.pk, "“Connect data” went from “To do” to “Done”."),
    ]


def test_roi_is_reached_on_the_date_value_matches_the_investment(world: World) -> None:
    world.account_a.investment_amount = Decimal(600_000)
    world.account_a.save()
    journey = journey_start(account=world.account_a, playbook=make_playbook(world))
    today = timezone.localdate()
    value_record_create(account=world.account_a, amount=Decimal(400_000), occurred_on=today - timedelta(days=9),
                        note="Saved hours", by=world.customer_admin_a)  # fmt: skip
    assert not journey.achievements.filter(kind="roi").exists()
    value_record_create(account=world.account_a, amount=Decimal(250_000), occurred_on=today - timedelta(days=4),
                        note="New deals", by=world.csm_a)  # fmt: skip
    roi = journey.achievements.get(kind="roi")
    assert timezone.localtime(roi.achieved_at).date() == today - timedelta(days=4)


def test_value_is_recorded_by_customer_admins_and_staff_only(world: World) -> None:
    with pytest.raises(PermissionDenied):
        value_record_create(account=world.account_a, amount=Decimal(1), occurred_on=timezone.localdate(), note="",
                            by=world.customer_a)  # fmt: skip
    with pytest.raises(PermissionDenied):
        value_record_create(account=world.account_a, amount=Decimal(1), occurred_on=timezone.localdate(), note="",
                            by=world.csm_b)  # fmt: skip
    with pytest.raises(ValidationError):
        value_record_create(account=world.account_a, amount=Decimal(1), note="", by=world.csm_a,
                            occurred_on=timezone.localdate() + timedelta(days=2))  # fmt: skip


def test_events_complete_steps_and_milestones_at_the_events_time(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=make_playbook(world))
    start = journey.started_at
    logins = [start + timedelta(days=d, hours=3) for d in (1, 1, 2, 4)]
    record_events(world.account_a, "login", logins)
    record_events(world.account_a, "campaign_sent", [start + timedelta(days=6)], {"status": "bounced"})
    record_events(world.account_a, "campaign_sent", [start + timedelta(days=8, hours=5)], {"status": "delivered"})
    accounts_evaluate(account_ids=[world.account_a.pk])
    first = journey.achievements.get(milestone_key="first")
    assert first.achieved_at == logins[0] and first.source == "event"
    adopt = journey.achievements.get(milestone_key="adopt")
    assert adopt.achieved_at == logins[3]  # third distinct day within 7 days
    send = state(journey, "send")
    assert send.status == "done" and send.completed_at == start + timedelta(days=8, hours=5)
    assert StepEvent.objects.filter(step_state=send, source="event").count() == 1
    accounts_evaluate(account_ids=[world.account_a.pk])
    assert journey.achievements.count() == 2


def test_event_time_survives_pruning_of_raw_events(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=make_playbook(world))
    moment = journey.started_at + timedelta(days=2, hours=1)
    record_events(world.account_a, "login", [moment])
    UsageEvent.objects.all().delete()  # pruned before evaluation: the daily count still knows the day's first event
    accounts_evaluate(account_ids=[world.account_a.pk])
    assert journey.achievements.get(milestone_key="first").achieved_at == moment


def test_assigning_a_step_to_a_colleague(world: World) -> None:
    journey = journey_start(account=world.account_a, playbook=make_playbook(world))
    step = step_assign(state=state(journey, "connect"), assignee=world.customer_a, by=world.customer_admin_a)
    assert step.assignee == world.customer_a
    with pytest.raises(PermissionDenied):
        step_assign(state=state(journey, "connect"), assignee=world.customer_admin_a, by=world.customer_a)
    with pytest.raises(ValidationError):
        step_assign(state=state(journey, "connect"), assignee=world.customer_b, by=world.customer_admin_a)


def test_versions_keep_running_journeys_and_migration_keeps_work(world: World) -> None:
    v1 = make_playbook(world)
    journey = journey_start(account=world.account_a, playbook=v1)
    step_set_status(state=state(journey, "admin"), status="done", by=world.customer_a)
    draft = playbook_new_version(playbook=v1, by=world.admin)
    assert (draft.version, draft.status) == (2, "draft")
    assert sorted(draft.steps.values_list("key", flat=True)) == sorted(v1.steps.values_list("key", flat=True))
    assert draft.milestones.count() == v1.milestones.count()
    draft.steps.filter(key="train").delete()
    StepFactory(playbook=draft, key="report", position=5, title="Read your first report")
    playbook_publish(playbook=draft, by=world.admin)
    v1.refresh_from_db()
    assert v1.status == "retired"
    journey.refresh_from_db()
    assert journey.playbook == v1  # running journeys keep their version

    journey_migrate(journey=journey, to=draft, by=world.admin)
    journey.refresh_from_db()
    assert journey.playbook == draft
    checklist = journey_checklist(journey=journey)
    assert [s.step_key for s in checklist.states] == ["admin", "connect", "send", "report"]
    admin = state(journey, "admin")
    assert admin.status == "done" and admin.step.playbook == draft
    assert StepEvent.objects.filter(step_state=admin).count() == 3  # start, done, moved
    assert StepState.objects.filter(journey=journey, step_key="train").exists()  # dropped step kept in history


def test_a_published_playbook_needs_steps_and_only_drafts_publish(world: World) -> None:
    empty = PlaybookFactory(key="empty", name="Empty")
    with pytest.raises(ValidationError):
        playbook_publish(playbook=empty, by=world.admin)
    with pytest.raises(ValidationError):
        playbook_publish(playbook=make_playbook(world, key="other"), by=world.admin)


def test_a_new_property_filter_counts_the_events_already_kept(world: World, django_capture_on_commit_callbacks) -> None:
    from journeys.events.services.api_keys import api_key_create
    from journeys.events.services.ingest import events_ingest

    v1 = make_playbook(world)
    journey = journey_start(account=world.account_a, playbook=v1)
    key, _raw = api_key_create(name="p", account=world.account_a, by=None)
    sent_at = journey.started_at + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        events_ingest(api_key=key, items=[
            {"id": "1", "name": "report_viewed", "occurred_at": sent_at.isoformat(), "properties": {"kind": "ttv"}},
            {"id": "2", "name": "report_viewed", "occurred_at": sent_at.isoformat(), "properties": {"kind": "other"}},
        ])  # fmt: skip
    draft = playbook_new_version(playbook=v1, by=world.admin)
    MilestoneFactory(
        playbook=draft, key="report", name="Read the TTV report", kind=MilestoneKind.MILESTONE,
        rule=Milestone.Rule.EVENT, event_name="report_viewed", event_properties={"kind": "ttv"},
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        playbook_publish(playbook=draft, by=world.admin)
    assert DailyEventCount.objects.get(name="report_viewed", filter_key='{"kind":"ttv"}').count == 1
    journey_migrate(journey=journey, to=draft, by=world.admin)
    assert journey.achievements.get(milestone_key="report").achieved_at == sent_at


# --- Correcting value -------------------------------------------------------------


def roi_journey(world: World) -> Journey:
    """Account A (investment 600,000) on a playbook with an ROI milestone, not reached yet."""
    playbook = PlaybookFactory(key="value", name="Value", status=Playbook.Status.PUBLISHED)
    StepFactory(playbook=playbook, key="kickoff")
    MilestoneFactory(playbook=playbook, key="roi", name="ROI", kind=MilestoneKind.ROI, rule=Milestone.Rule.ROI)
    started = timezone.now() - timedelta(days=60)
    return journey_start(account=world.account_a, playbook=playbook, started_at=started)


def roi_day(journey: Journey):
    achievement = Achievement.objects.filter(journey=journey, milestone_key="roi").first()
    return None if achievement is None else timezone.localtime(achievement.achieved_at).date()


def test_a_backdated_value_record_moves_roi_earlier_as_late_data(world: World) -> None:
    journey = roi_journey(world)
    today = timezone.localdate()
    value_record_create(account=world.account_a, amount=Decimal(600_000), occurred_on=today - timedelta(days=3),
                        note="Renewal", by=world.csm_a)  # fmt: skip
    value_record_create(account=world.account_a, amount=Decimal(700_000), occurred_on=today - timedelta(days=20),
                        note="Found in last month's books", by=world.csm_a)  # fmt: skip
    assert roi_day(journey) == today - timedelta(days=20)
    roi = Achievement.objects.get(journey=journey)
    assert list(roi.history.values_list("kind", "actor")) == [("reached", None), ("late_data", None)]


def test_correcting_value_moves_roi_either_way_or_revokes_it_keeping_the_history(world: World) -> None:
    journey = roi_journey(world)
    today = timezone.localdate()

    def day(n: int):
        return today - timedelta(days=n)

    by = world.customer_admin_a
    first = value_record_create(account=world.account_a, amount=Decimal(400_000), occurred_on=day(9), note="Hours",
                                by=by)  # fmt: skip
    second = value_record_create(account=world.account_a, amount=Decimal(250_000), occurred_on=day(4), note="Deals",
                                 by=by)  # fmt: skip
    assert roi_day(journey) == day(4)

    value_record_correct(record=second, amount=Decimal(250_000), occurred_on=day(6), note="Deals",
                         reason="Closed earlier", by=by)  # fmt: skip
    assert roi_day(journey) == day(6)  # earlier
    value_record_correct(record=second, amount=Decimal(250_000), occurred_on=day(3), note="Deals",
                         reason="Signed on the 3rd after all", by=by)  # fmt: skip
    assert roi_day(journey) == day(3)  # later: the corrected data says so
    value_record_correct(record=second, amount=Decimal(100_000), occurred_on=day(3), note="Deals",
                         reason="Only one deal closed", by=world.csm_a)  # fmt: skip
    assert roi_day(journey) is None  # 500,000 < 600,000: revoked
    roi = Achievement.with_revoked.get(journey=journey)
    assert roi.revoked_at is not None
    assert (roi.history.last().actor, roi.history.last().reason) == (world.csm_a, "Only one deal closed")
    value_record_correct(record=first, amount=Decimal(500_000), occurred_on=day(2), note="Hours",
                         reason="Counted the whole quarter", by=world.csm_a)  # fmt: skip
    assert roi_day(journey) == day(2)  # reached again, at its new time
    kinds = list(roi.history.values_list("kind", flat=True))
    assert kinds == ["reached", "corrected", "corrected", "revoked", "reached_again"]

    changes = list(second.history.values_list("old_amount", "old_occurred_on", "new_amount", "reason", "actor"))
    assert changes == [
        (Decimal(250_000), day(4), Decimal(250_000), "Closed earlier", by.pk),
        (Decimal(250_000), day(6), Decimal(250_000), "Signed on the 3rd after all", by.pk),
        (Decimal(250_000), day(3), Decimal(100_000), "Only one deal closed", world.csm_a.pk),
    ]
    second.refresh_from_db()
    assert (second.amount, second.occurred_on, second.recorded_by) == (Decimal(100_000), day(3), by)


def test_deleting_a_value_record_is_soft_audited_and_revokes_roi(world: World) -> None:
    journey = roi_journey(world)
    today = timezone.localdate()
    record = value_record_create(account=world.account_a, amount=Decimal(600_000), occurred_on=today,
                                 note="Counted twice", by=world.customer_admin_a)  # fmt: skip
    assert roi_day(journey) == today

    value_record_delete(record=record, reason="Counted twice", by=world.customer_admin_a)
    assert roi_day(journey) is None
    assert not ValueRecord.objects.exists()  # out of every sum…
    kept = ValueRecord.with_deleted.get(pk=record.pk)  # …but kept
    assert kept.deleted_at is not None and kept.amount == Decimal(600_000)
    change = kept.history.get()
    assert (change.kind, change.old_amount, change.reason, change.actor) == (
        "deleted", Decimal(600_000), "Counted twice", world.customer_admin_a,
    )  # fmt: skip
    assert journey_checklist(journey=journey, viewer=world.customer_a).milestones[0].achievement is None
    with pytest.raises(ValidationError):  # deleted already
        value_record_delete(record=record, reason="again", by=world.customer_admin_a)


def test_value_corrections_need_a_reason_valid_values_and_the_accounts_admins(world: World) -> None:
    roi_journey(world)
    today = timezone.localdate()
    record = value_record_create(account=world.account_a, amount=Decimal(1000), occurred_on=today, note="",
                                 by=world.customer_admin_a)  # fmt: skip
    fields = {"amount": Decimal(2000), "occurred_on": today, "note": ""}
    with pytest.raises(ValidationError) as error:
        value_record_correct(record=record, reason="  ", by=world.customer_admin_a, **fields)
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        value_record_correct(record=record, reason="x", by=world.customer_admin_a, **{**fields, "amount": Decimal(0)})
    assert "amount" in error.value.message_dict
    future = {**fields, "occurred_on": today + timedelta(days=1)}
    with pytest.raises(ValidationError) as error:
        value_record_correct(record=record, reason="x", by=world.customer_admin_a, **future)
    assert "occurred_on" in error.value.message_dict
    for outsider in (world.customer_a, world.customer_b, world.csm_b):
        with pytest.raises(PermissionDenied):
            value_record_correct(record=record, reason="x", by=outsider, **fields)
        with pytest.raises(PermissionDenied):
            value_record_delete(record=record, reason="x", by=outsider)
    record.refresh_from_db()
    assert record.amount == Decimal(1000) and not record.history.exists()
