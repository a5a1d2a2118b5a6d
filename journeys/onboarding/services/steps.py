"""Changes to one step of a journey, by people: its status (with a reason to skip or block it), its
assignee and its due date. Each is appended to the step's history; a status change re-evaluates
the journey's milestones."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.onboarding.models import Journey, Milestone, Source, Step, StepEvent, StepState
from journeys.onboarding.services import webhooks as outgoing
from journeys.onboarding.services.evaluation import Correction, journey_evaluate
from journeys.onboarding.services.history import NEEDS_REASON, step_history_note, step_status_record
from portal import webhooks
from portal.models import Membership, User
from portal.tenancy import is_account_admin, is_account_member, is_account_staff

Status = StepState.Status
MAX_DAYS_AHEAD = 3 * 365


def can_change_step(*, user: User, state: StepState) -> bool:
    """Customers change their own side's steps; staff change any step of their accounts."""
    account = state.journey.account
    if is_account_staff(user=user, account=account):
        return True
    return is_account_member(user=user, account=account) and state.step.owner == Step.Owner.CUSTOMER


@transaction.atomic
def step_set_status(
    *,
    state: StepState,
    status: str,
    by: User | None,
    reason: str = "",
    at: datetime | None = None,
    source: str = Source.MANUAL,
    note: str = "",
) -> StepState:
    """Move a step to ``status``; history is appended, never rewritten (``note``: words kept with the
    change as written). Milestones are re-evaluated: undoing a step revokes the milestones whose rule
    no longer holds, in the name of ``by``."""
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
    previous = state.get_status_display()
    was_done = state.status == Status.DONE
    step_status_record(
        state=state, status=status, reason=reason, by=by, at=at or timezone.now(), source=source, note=note
    )
    change = {"step": state.step.display_title, "old": previous, "new": state.get_status_display()}
    if status == Status.DONE and not was_done:
        webhooks.events_emit([outgoing.step_completed(state, journey=state.journey)])
    why = reason or _("“%(step)s” went from “%(old)s” to “%(new)s”.") % change
    journey_evaluate(
        journey=state.journey,
        include_events=False,
        correction=Correction(rule=Milestone.Rule.STEPS, by=by, reason=why, source=source),
    )
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
    if assignee is not None:
        change, params = StepEvent.Change.ASSIGNED, {"person": assignee.name or assignee.email}
    else:
        change, params = StepEvent.Change.UNASSIGNED, {}
    step_history_note(state=state, occurred_at=state.changed_at, by=by, change=change, change_params=params)
    return state


@transaction.atomic
def step_reschedule(*, state: StepState, due_on: dt.date, by: User, reason: str = "") -> StepState:
    """Move an open step's due date to the end of ``due_on`` (in the time zone of the site), keeping
    the change in the step's history. Only the account's staff may; a closed step keeps its date."""
    if not is_account_staff(user=by, account=state.journey.account):
        raise PermissionDenied
    Journey.objects.select_for_update().filter(pk=state.journey_id).first()  # the journey lock, as step changes
    state = StepState.objects.select_for_update().get(pk=state.pk)
    if state.status in StepState.CLOSED:
        raise ValidationError({"due_on": _("This step is done; reopen it to give it a new due date.")})
    started = timezone.localdate(state.journey.started_at)
    if due_on < started or due_on > timezone.localdate() + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError({"due_on": _("Choose a date between the journey's start and three years from now.")})
    due_at = timezone.make_aware(dt.datetime.combine(due_on, dt.time(23, 59, 59)))
    if due_at == state.due_at:
        return state
    before = state.due_at
    state.due_at = due_at
    state.save(update_fields=["due_at"])
    step_history_note(
        state=state, occurred_at=timezone.now(), by=by, change=StepEvent.Change.RESCHEDULED,
        change_params={"old": before.isoformat(), "new": due_at.isoformat()}, reason=reason.strip(),
    )  # fmt: skip
    return state


REPORTED_STATUSES = (Status.DONE, Status.SKIPPED, Status.BLOCKED)


@transaction.atomic
def step_report(
    *,
    state: StepState,
    status: str,
    by: User,
    reason: str = "",
    occurred_at: datetime | None = None,
    integration: str = "",
) -> StepState:
    """A step done, skipped or blocked as another system (``integration``, e.g. a CRM) reports it, at
    the time it happened there: the change is ``by``'s (whose API token it came with), recorded as an
    import with the system's name in the step's history; the milestones follow as for any change."""
    if status not in REPORTED_STATUSES:
        raise ValidationError({"status": _("Choose done, skipped or blocked.")})
    now = timezone.now()
    if occurred_at is not None and occurred_at > now:
        raise ValidationError({"occurred_at": _("The time cannot be in the future.")})
    if occurred_at is not None and occurred_at < state.journey.started_at:
        raise ValidationError({"occurred_at": _("The time cannot be before the journey started.")})
    integration = integration.strip()
    return step_set_status(
        state=state, status=status, by=by, reason=reason, at=occurred_at,
        source=Source.IMPORT if integration else Source.MANUAL, note=integration,
    )  # fmt: skip
