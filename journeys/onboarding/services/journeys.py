"""Writes on journeys: start one (the segment's playbook by default), record business value, give
feedback on a milestone reached. Step changes are in ``steps``, evaluation in ``evaluation``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys import queue
from journeys.onboarding.models import (
    Achievement,
    Journey,
    MilestoneFeedback,
    Playbook,
    Source,
    StepState,
    ValueRecord,
)
from journeys.onboarding.services.evaluation import journey_evaluate
from journeys.onboarding.services.history import step_history_append, step_history_entry
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
            state=state, to_status=Status.TODO, occurred_at=start, by=by, source=source, note="journey started"
        )
        for state in states
    )
    # Events or value recorded before the journey existed may already satisfy rules.
    queue.evaluate_accounts([account.pk])
    return journey


def journey_start_default(*, account: Account, by: User | None = None) -> Journey | None:
    """Start the segment's playbook for a new account, if there is one and it has none yet."""
    playbook = default_playbook(account=account)
    if playbook is None or Journey.objects.filter(account=account, playbook_key=playbook.key).exists():
        return None
    return journey_start(account=account, playbook=playbook, by=by)


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
