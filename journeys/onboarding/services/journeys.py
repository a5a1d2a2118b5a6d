"""Writes on journeys: start one (the segment's playbook by default), record business value (and
correct or delete a record, keeping its history), give feedback on a milestone reached. Step changes
are in ``steps``, evaluation in ``evaluation``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys import queue
from journeys.events.services.marks import usage_received
from journeys.onboarding.models import (
    Achievement,
    Journey,
    Milestone,
    MilestoneFeedback,
    Playbook,
    Source,
    StepEvent,
    StepState,
    ValueRecord,
    ValueRecordChange,
)
from journeys.onboarding.services import webhooks as outgoing
from journeys.onboarding.services.evaluation import Correction, journey_evaluate
from journeys.onboarding.services.history import step_history_append, step_history_entry
from portal import webhooks
from portal.models import Account, User
from portal.tenancy import is_account_admin

Status = StepState.Status


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
    source = Source.MANUAL if by else Source.RULE
    step_history_append(
        step_history_entry(
            state=state, to_status=Status.TODO, occurred_at=start, by=by, source=source, change=StepEvent.Change.STARTED
        )
        for state in states
    )
    webhooks.events_emit([outgoing.journey_started(journey)])
    # Events or value recorded before the journey existed may already satisfy rules: a change its
    # account's usage mark counts, so it is evaluated whatever happens to the task.
    usage_received(account_ids=[account.pk])
    queue.evaluate_accounts([account.pk])
    return journey


def journey_start_default(*, account: Account, by: User | None = None) -> Journey | None:
    """Start the segment's playbook for a new account, if there is one and it has none yet."""
    playbook = default_playbook(account=account)
    if playbook is None or Journey.objects.filter(account=account, playbook_key=playbook.key).exists():
        return None
    return journey_start(account=account, playbook=playbook, by=by)


# --- Value and feedback -------------------------------------------------------


def _value_check(*, amount: Decimal | None, occurred_on: date) -> None:
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Enter an amount above zero.")})
    if occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": _("The date cannot be in the future.")})


def _value_evaluate(*, account: Account, correction: Correction | None = None) -> None:
    """The account's ROI milestones follow its value records (a backdated record moves them earlier)."""
    for journey in Journey.objects.filter(account=account).select_related("account", "playbook"):
        journey_evaluate(journey=journey, include_events=False, correction=correction)


@transaction.atomic
def value_record_create(*, account: Account, amount: Decimal, occurred_on: date, note: str, by: User) -> ValueRecord:
    """Record business value; the ROI milestone is evaluated against the account's investment."""
    if not is_account_admin(user=by, account=account):
        raise PermissionDenied
    _value_check(amount=amount, occurred_on=occurred_on)
    record = ValueRecord.objects.create(
        account=account, amount=amount, occurred_on=occurred_on, note=note.strip(), recorded_by=by
    )
    _value_evaluate(account=account)
    return record


def _value_lock(*, record: ValueRecord, by: User, reason: str) -> tuple[ValueRecord, str]:
    """The record, locked, once ``by`` may change it and has said why."""
    if not is_account_admin(user=by, account=record.account):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why, so the team knows what happened.")})
    locked = ValueRecord.objects.select_for_update(of=("self",)).select_related("account").filter(pk=record.pk).first()
    if locked is None:
        raise ValidationError(_("This value record has been deleted."))
    return locked, reason[:500]


def _value_change(*, record: ValueRecord, kind: str, reason: str, by: User) -> ValueRecordChange:
    """A history entry of ``record`` with what it says now as the old values (not saved yet)."""
    return ValueRecordChange(
        record=record, kind=kind, old_amount=record.amount, old_occurred_on=record.occurred_on,
        old_note=record.note, reason=reason, actor=by,
    )  # fmt: skip


@transaction.atomic
def value_record_correct(
    *, record: ValueRecord, amount: Decimal, occurred_on: date, note: str, reason: str, by: User
) -> ValueRecord:
    """Correct a value record in place, keeping what it said before, who corrected it, when and why
    in its history. The ROI milestone follows: earlier, later, or revoked if the value no longer
    reaches the investment."""
    record, reason = _value_lock(record=record, by=by, reason=reason)
    _value_check(amount=amount, occurred_on=occurred_on)
    note = note.strip()
    if (record.amount, record.occurred_on, record.note) == (amount, occurred_on, note):
        return record
    change = _value_change(record=record, kind=ValueRecordChange.Kind.CORRECTED, reason=reason, by=by)
    change.new_amount, change.new_occurred_on, change.new_note = amount, occurred_on, note
    change.save()
    record.amount, record.occurred_on, record.note = amount, occurred_on, note
    record.save(update_fields=["amount", "occurred_on", "note"])
    _value_evaluate(account=record.account, correction=Correction(rule=Milestone.Rule.ROI, by=by, reason=reason))
    return record


@transaction.atomic
def value_record_delete(*, record: ValueRecord, reason: str, by: User) -> ValueRecord:
    """Delete a value record softly: it leaves every sum but stays, with who deleted it, when and why,
    in its history. The ROI milestone follows (later, or revoked)."""
    record, reason = _value_lock(record=record, by=by, reason=reason)
    _value_change(record=record, kind=ValueRecordChange.Kind.DELETED, reason=reason, by=by).save()
    record.deleted_at = timezone.now()
    record.save(update_fields=["deleted_at"])
    _value_evaluate(account=record.account, correction=Correction(rule=Milestone.Rule.ROI, by=by, reason=reason))
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
