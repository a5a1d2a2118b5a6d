"""Staff changes to a step that are not its status: moving its due date."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from journeys.models import Journey, StepEvent, StepState
from portal.models import User
from portal.tenancy import is_account_staff

MAX_DAYS_AHEAD = 3 * 365


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
    dates = {"old": _short(before), "new": _short(due_at)}
    note = _("Due date moved from %(old)s to %(new)s.") % dates
    StepEvent.objects.create(
        step_state=state,
        journey_id=state.journey_id,
        from_status=state.status,
        to_status=state.status,
        reason=reason.strip()[:500],
        note=note[:500],
        actor=by,
        occurred_at=timezone.now(),
    )
    return state


def _short(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")
