"""Evaluation of a journey: complete the steps whose event rule is met and record every milestone
now satisfied, each at the time of what satisfied it (a step, an event, a value record)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Prefetch

from journeys import queue
from journeys.events import rules
from journeys.onboarding.models import Achievement, Journey, Milestone, Source, Step, StepState, ValueRecord
from journeys.onboarding.services.history import step_status_record
from portal.models import Account

Status = StepState.Status


@dataclass
class Evaluation:
    completed_steps: list[StepState] = field(default_factory=list)
    achievements: list[Achievement] = field(default_factory=list)


def _steps_rule_time(milestone: Milestone, states_by_key: dict[str, StepState], steps: list[Step]) -> datetime | None:
    wanted = [s.key for s in milestone.steps.all()] or [s.key for s in steps if s.required]
    if not wanted:
        return None
    closed = [states_by_key.get(key) for key in wanted]
    if any(state is None or not state.is_closed for state in closed):
        return None
    # A closed step always has its completion time (a constraint of StepState).
    return max(state.completed_at for state in closed if state is not None and state.completed_at is not None)


def _roi_time(account: Account, records: list[ValueRecord]) -> datetime | None:
    investment = account.investment_amount or Decimal(0)
    if investment <= 0:
        return None
    total = Decimal(0)
    for record in sorted(records, key=lambda r: (r.occurred_on, r.pk)):
        total += record.amount
        if total >= investment:
            return rules.day_bounds(record.occurred_on)[0]
    return None


@transaction.atomic
def journey_evaluate(*, journey: Journey, include_events: bool = True) -> Evaluation:
    """Complete event-driven steps and record every milestone now satisfied, each at the time
    of what satisfied it. Safe to run any number of times: an achievement is recorded once."""
    result = Evaluation()
    # One evaluation of a journey at a time: concurrent ones would complete the same step twice.
    Journey.objects.select_for_update().filter(pk=journey.pk).first()
    playbook = journey.playbook
    steps = list(playbook.steps.order_by("position", "id"))
    milestones = list(playbook.milestones.prefetch_related(Prefetch("steps", queryset=Step.objects.only("key"))))
    # States of steps a newer version dropped stay in the history but no longer count.
    states = {
        s.step_key: s
        for s in StepState.objects.filter(journey=journey, step__playbook_id=journey.playbook_id).select_related("step")
    }
    achieved = set(Achievement.objects.filter(journey=journey).values_list("milestone_key", flat=True))
    pending = [m for m in milestones if m.key not in achieved]
    if not pending and all(s.is_closed for s in states.values()):
        return result
    account = journey.account

    counts: dict[tuple[str, str], list[rules.DayCount]] = {}
    event_rules = [s for s in steps if s.has_event_rule] + [m for m in pending if m.rule == Milestone.Rule.EVENT]
    if include_events and event_rules:
        counts = rules.daily_counts(
            account_id=account.pk,
            names={r.event_name for r in event_rules},
            since=rules.event_day(journey.started_at),
        )
        for step in steps:
            state = states.get(step.key)
            if not step.has_event_rule or state is None or state.is_closed:
                continue
            moment = rules.criterion_satisfied_at(account_id=account.pk, criterion=step, counts=counts)
            if moment is not None:
                updated = step_status_record(
                    state=state,
                    status=Status.DONE,
                    reason="",
                    by=None,
                    at=max(moment, journey.started_at),
                    source=Source.EVENT,
                )
                states[step.key] = updated
                result.completed_steps.append(updated)

    records = None
    new = []
    for milestone in pending:
        moment = None
        source = Source.RULE
        if milestone.rule == Milestone.Rule.STEPS:
            moment = _steps_rule_time(milestone, states, steps)
        elif milestone.rule == Milestone.Rule.EVENT and include_events:
            moment = rules.criterion_satisfied_at(account_id=account.pk, criterion=milestone, counts=counts)
            source = Source.EVENT
        elif milestone.rule == Milestone.Rule.ROI:
            if records is None:
                records = list(ValueRecord.objects.filter(account=account))
            moment = _roi_time(account, records)
        if moment is not None:
            new.append(
                Achievement(
                    journey=journey,
                    account=account,
                    milestone=milestone,
                    milestone_key=milestone.key,
                    kind=milestone.kind,
                    achieved_at=max(moment, journey.started_at),
                    source=source,
                )
            )
    for achievement in new:
        try:
            with transaction.atomic():
                achievement.save()
        except IntegrityError:
            continue  # recorded meanwhile by a concurrent evaluation: once is enough
        result.achievements.append(achievement)
        queue.achievement_notify(achievement.pk)
    if journey.completed_at is None and states and all(s.is_closed for s in states.values()):
        journey.completed_at = max(s.completed_at for s in states.values() if s.completed_at is not None)
        journey.save(update_fields=["completed_at"])
    return result


def accounts_evaluate(*, account_ids: list[int]) -> int:
    """Evaluate every journey of these accounts (after usage events arrived). Returns achievements recorded."""
    recorded = 0
    journeys = Journey.objects.filter(account_id__in=account_ids).select_related("account", "playbook")
    for journey in journeys:
        recorded += len(journey_evaluate(journey=journey).achievements)
    return recorded
