"""Writes on journeys: start, step changes, value records, feedback, and the
evaluation that completes event-driven steps and records achievements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys import rules
from journeys.models import (
    Achievement,
    Journey,
    Milestone,
    MilestoneFeedback,
    Playbook,
    Source,
    Step,
    StepEvent,
    StepState,
    ValueRecord,
)
from portal.models import Account, Membership, User
from portal.tenancy import is_account_admin, is_account_member, is_account_staff

Status = StepState.Status


# --- Who may do what ----------------------------------------------------------


def can_change_step(*, user: User, state: StepState) -> bool:
    """Customers change their own side's steps; staff change any step of their accounts."""
    account = state.journey.account
    if is_account_staff(user=user, account=account):
        return True
    return is_account_member(user=user, account=account) and state.step.owner == Step.Owner.CUSTOMER


# --- Starting journeys --------------------------------------------------------


def default_playbook(*, account: Account) -> Playbook | None:
    """The published playbook for the account's segment (the newest, if several)."""
    return (
        Playbook.objects.filter(status=Playbook.Status.PUBLISHED, segments=account.segment_id)
        .order_by("-published_at", "-id")
        .first()
    )


@transaction.atomic
def journey_start(
    *, account: Account, playbook: Playbook, started_at: datetime | None = None, by: User | None = None
) -> Journey:
    """Start ``playbook`` for ``account``: one step state per step, due dates from the start."""
    if playbook.status != Playbook.Status.PUBLISHED:
        raise ValidationError({"playbook": _("Only a published playbook can be started.")})
    if Journey.objects.filter(account=account, playbook_key=playbook.key).exists():
        raise ValidationError({"playbook": _("This account already has a journey on this playbook.")})
    start = started_at or account.contract_start
    journey = Journey.objects.create(
        account=account, playbook=playbook, playbook_key=playbook.key, started_at=start, created_by=by
    )
    steps = list(playbook.steps.order_by("position", "id"))
    states = StepState.objects.bulk_create(
        [
            StepState(
                journey=journey,
                step=step,
                step_key=step.key,
                due_at=start + timedelta(days=step.due_offset_days),
                changed_at=start,
            )
            for step in steps
        ]
    )
    StepEvent.objects.bulk_create(
        [
            StepEvent(
                step_state=state,
                journey=journey,
                to_status=Status.TODO,
                actor=by,
                source=Source.MANUAL if by else Source.RULE,
                occurred_at=start,
                note="journey started",
            )
            for state in states
        ]
    )
    # Events or value recorded before the journey existed may already satisfy rules.
    transaction.on_commit(lambda: _enqueue_evaluation([account.pk]))
    return journey


def journey_start_default(*, account: Account, by: User | None = None) -> Journey | None:
    """Start the segment's playbook for a new account, if there is one and it has none yet."""
    playbook = default_playbook(account=account)
    if playbook is None or Journey.objects.filter(account=account, playbook_key=playbook.key).exists():
        return None
    return journey_start(account=account, playbook=playbook, by=by)


def _enqueue_evaluation(account_ids: list[int]) -> None:
    from journeys.tasks import journeys_evaluate_accounts

    journeys_evaluate_accounts.delay(account_ids)


def _enqueue_achievement_notice(achievement_id: int) -> None:
    from journeys.tasks import achievement_notify

    achievement_notify.delay(achievement_id)


# --- Step changes -------------------------------------------------------------


NEEDS_REASON = (Status.SKIPPED, Status.BLOCKED)


@transaction.atomic
def step_set_status(
    *,
    state: StepState,
    status: str,
    by: User | None,
    reason: str = "",
    at: datetime | None = None,
    source: str = Source.MANUAL,
) -> StepState:
    """Move a step to ``status``; history is appended, never rewritten. Milestones are re-evaluated."""
    if status not in Status.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    if by is not None and not can_change_step(user=by, state=state):
        raise PermissionDenied
    reason = reason.strip()
    if status in NEEDS_REASON and not reason:
        raise ValidationError({"reason": _("Say why, so the team knows what happened.")})
    # Lock order everywhere: journey, then its step states (evaluation takes the same locks).
    Journey.objects.select_for_update().filter(pk=state.journey_id).first()
    state = StepState.objects.select_for_update().select_related("journey__account", "step").get(pk=state.pk)
    if state.status == status and state.reason == reason:
        return state
    _record_status(state=state, status=status, reason=reason, by=by, at=at or timezone.now(), source=source)
    journey_evaluate(journey=state.journey, include_events=False)
    return state


@transaction.atomic
def step_assign(*, state: StepState, assignee: User | None, by: User) -> StepState:
    """A customer admin (or the account's staff) gives a step to a person of the account."""
    account = state.journey.account
    if not is_account_admin(user=by, account=account):
        raise PermissionDenied
    if assignee is not None and not Membership.objects.filter(user=assignee, account=account).exists():
        raise ValidationError({"assignee": _("Choose a person of this account.")})
    state.assignee = assignee
    state.changed_at = timezone.now()
    state.changed_by = by
    state.save(update_fields=["assignee", "changed_at", "changed_by"])
    StepEvent.objects.create(
        step_state=state,
        journey=state.journey,
        from_status=state.status,
        to_status=state.status,
        actor=by,
        source=Source.MANUAL,
        occurred_at=state.changed_at,
        note=f"assigned to {assignee.email}" if assignee else "unassigned",
    )
    return state


# --- Value and feedback -------------------------------------------------------


@transaction.atomic
def value_record_create(*, account: Account, amount: Decimal, occurred_on: date, note: str, by: User) -> ValueRecord:
    """Record business value; the ROI milestone is evaluated against the account's investment."""
    if not is_account_admin(user=by, account=account):
        raise PermissionDenied
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Enter an amount above zero.")})
    if occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": _("The date cannot be in the future.")})
    record = ValueRecord.objects.create(
        account=account, amount=amount, occurred_on=occurred_on, note=note.strip(), recorded_by=by
    )
    for journey in Journey.objects.filter(account=account).select_related("account"):
        journey_evaluate(journey=journey, include_events=False)
    return record


@transaction.atomic
def feedback_give(*, achievement: Achievement, user: User, score: int, comment: str = "") -> MilestoneFeedback:
    """Store (or change) a person's 1-5 rating of reaching a milestone."""
    membership = getattr(user, "membership", None)
    if membership is None or membership.account_id != achievement.account_id:
        raise PermissionDenied
    if score not in range(1, 6):
        raise ValidationError({"score": _("Choose a score from 1 to 5.")})
    feedback, _created = MilestoneFeedback.objects.update_or_create(
        achievement=achievement, user=user, defaults={"score": score, "comment": comment.strip()}
    )
    return feedback


# --- Evaluation ---------------------------------------------------------------


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
    return max(state.completed_at for state in closed)


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

    counts: dict = {}
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
                updated = step_set_status_by_event(state=state, at=max(moment, journey.started_at))
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
        transaction.on_commit(partial(_enqueue_achievement_notice, achievement.pk))
    if journey.completed_at is None and states and all(s.is_closed for s in states.values()):
        journey.completed_at = max(s.completed_at for s in states.values())
        journey.save(update_fields=["completed_at"])
    return result


def step_set_status_by_event(*, state: StepState, at: datetime) -> StepState:
    """An event rule completed the step at the event's time."""
    return _record_status(state=state, status=Status.DONE, reason="", by=None, at=at, source=Source.EVENT)


def _record_status(
    *, state: StepState, status: str, reason: str, by: User | None, at: datetime, source: str
) -> StepState:
    """Write the new status and append it to the step's history (callers hold the journey lock)."""
    previous = state.status
    state.status = status
    state.reason = reason if status in NEEDS_REASON else ""
    state.completed_at = at if status in StepState.CLOSED else None
    state.changed_at = timezone.now()
    state.changed_by = by
    state.save(update_fields=["status", "reason", "completed_at", "changed_at", "changed_by"])
    StepEvent.objects.create(
        step_state=state,
        journey_id=state.journey_id,
        from_status=previous,
        to_status=status,
        reason=state.reason,
        actor=by,
        source=source,
        occurred_at=at,
    )
    return state


def accounts_evaluate(*, account_ids: list[int]) -> int:
    """Evaluate every journey of these accounts (after usage events arrived). Returns achievements recorded."""
    recorded = 0
    journeys = Journey.objects.filter(account_id__in=account_ids).select_related("account", "playbook")
    for journey in journeys:
        recorded += len(journey_evaluate(journey=journey).achievements)
    return recorded
