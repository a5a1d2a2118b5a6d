"""Overdue-step nudges: which steps are due a reminder, who gets it, and the reminder itself.

A step that is still open ``nudge_delay_hours`` after its due date is nudged, then again every
``nudge_repeat_days``, at most ``nudge_max`` times, and never again once it is done or skipped.
Each reminder (step, occurrence, person) is a ``Nudge`` row, unique, inserted before anything is
sent; the scanner inserts them in bulk and enqueues one task per row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict, cast

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone

from faq.selectors import step_tutorials
from journeys import queue
from journeys.automation.models import AutomationSettings, EmailRecord, Nudge
from journeys.automation.services.notifications import (
    GIVE_UP_AFTER,
    REQUEUE_AFTER,
    claim_and_enqueue,
    deliver,
    email_build,
    recipient_language,
    site_url,
)
from journeys.onboarding.models import Step, StepState
from portal.models import Account, Membership, NotificationPreferences
from portal.preferences import users_opted_out

Category = NotificationPreferences.Category


class DueStepState(TypedDict):
    """An open step due a nudge, with what choosing its recipients needs."""

    pk: int
    step__owner: str
    assignee_id: int | None
    assignee__is_active: bool | None
    journey__account_id: int
    journey__account__csm_id: int | None
    journey__account__csm__is_active: bool | None
    last_occurrence: int | None


# Steps due more than this long before their journey was recorded are not nudged.
HISTORY_BEFORE_RECORDED = timedelta(days=30)


def due_step_states(*, now: datetime, config: AutomationSettings) -> list[DueStepState]:
    """Open steps due a nudge now, with what choosing their recipients needs (one query)."""
    if config.nudge_max == 0:
        return []
    # values() after annotate() is typed dict[str, Any]: these are its keys.
    rows = list(
        StepState.objects.exclude(status__in=StepState.CLOSED)
        # States of steps a newer playbook version dropped no longer count.
        .filter(
            due_at__lte=now - timedelta(hours=config.nudge_delay_hours),
            step__playbook_id=F("journey__playbook_id"),
        )
        .exclude(journey__account__status=Account.Status.CHURNED)
        # A journey recorded long after it started (a past customer's, imported) has steps that were
        # due long before anyone here knew of them: history, not reminders.
        .filter(due_at__gte=F("journey__created_at") - HISTORY_BEFORE_RECORDED)
        .annotate(last_occurrence=Max("nudges__occurrence"), last_nudged=Max("nudges__created_at"))
        .filter(
            Q(last_occurrence__isnull=True)
            | Q(
                last_occurrence__lt=config.nudge_max,
                last_nudged__lte=now - timedelta(days=config.nudge_repeat_days),
            )
        )
        .values(
            "pk",
            "step__owner",
            "assignee_id",
            "assignee__is_active",
            "journey__account_id",
            "journey__account__csm_id",
            "journey__account__csm__is_active",
            "last_occurrence",
        )
    )
    return cast(list[DueStepState], rows)


def _account_people(account_ids: set[int]) -> dict[int, tuple[list[int], list[int]]]:
    """Per account: (customer admins, all members), active people only."""
    people: dict[int, tuple[list[int], list[int]]] = {}
    for account_id, user_id, role in Membership.objects.filter(
        account_id__in=account_ids, user__is_active=True
    ).values_list("account_id", "user_id", "role"):
        admins, members = people.setdefault(account_id, ([], []))
        members.append(user_id)
        if role == Membership.Role.ADMIN:
            admins.append(user_id)
    return people


def step_recipients(state: DueStepState, people: dict[int, tuple[list[int], list[int]]]) -> list[int]:
    """Who a step's nudge goes to: its assignee; else, for a customer step, the account's customer
    admins (or every member when it has none); for a CS manager's step, the account's CS manager."""
    if state["assignee_id"] and state["assignee__is_active"]:
        return [state["assignee_id"]]
    if state["step__owner"] == Step.Owner.CUSTOMER:
        admins, members = people.get(state["journey__account_id"], ([], []))
        return admins or members
    if state["journey__account__csm_id"] and state["journey__account__csm__is_active"]:
        return [state["journey__account__csm_id"]]
    return []


@transaction.atomic
def nudges_scan(*, now: datetime | None = None, requeue_after: timedelta = REQUEUE_AFTER) -> list[int]:
    """Claim the nudges due now and enqueue one send task per nudge (on commit), plus the claimed
    ones whose task seems lost. Returns the nudge ids queued."""
    now = now or timezone.now()
    config = AutomationSettings.load()
    states = due_step_states(now=now, config=config)
    people = _account_people({s["journey__account_id"] for s in states if s["step__owner"] == Step.Owner.CUSTOMER})
    wanted = {s["pk"]: step_recipients(s, people) for s in states}
    off = users_opted_out(user_ids={pk for ids in wanted.values() for pk in ids}, category=Category.NUDGES)
    rows = [
        Nudge(
            step_state_id=s["pk"],
            occurrence=(s["last_occurrence"] or 0) + 1,
            recipient_id=user_id,
            account_id=s["journey__account_id"],
            created_at=now,
        )
        for s in states
        for user_id in wanted[s["pk"]]
        if user_id not in off
    ]
    pending = Q(created_at__gte=now - GIVE_UP_AFTER) & (Q(enqueued_at=None) | Q(enqueued_at__lte=now - requeue_after))
    pending &= ~Q(step_state__status__in=StepState.CLOSED)
    return claim_and_enqueue(Nudge, rows, pending=pending, enqueue=queue.send_nudges)


def _nudge_message(record: EmailRecord) -> EmailMultiAlternatives | str:
    assert isinstance(record, Nudge)
    state = StepState.objects.select_related("step", "journey__account").filter(pk=record.step_state_id).first()
    recipient = record.recipient
    if state is None or state.is_closed:
        return "step closed"
    if not recipient.is_active:
        return "inactive"
    if users_opted_out(user_ids=[recipient.pk], category=Category.NUDGES):
        return "unsubscribed"
    account = state.journey.account
    if recipient.is_customer:
        about = reverse("customer_home") + f"#step-{state.pk}"
    else:
        about = reverse("account_detail", kwargs={"slug": account.slug}) + f"#step-{state.pk}"
    tutorials = step_tutorials(
        user=recipient,
        playbook_key=state.journey.playbook_key,
        step_keys=[state.step_key],
        language=recipient_language(recipient),
    ).get(state.step_key, [])
    return email_build(
        recipient=recipient,
        category=Category.NUDGES,
        template="nudge",
        context={
            "state": state,
            "step": state.step,
            "account": account,
            "occurrence": record.occurrence,
            "days_overdue": max((timezone.now() - state.due_at).days, 0),
            # The short link: a signed-out reader is asked to sign in, then sees the article (the
            # article's own page answers 404 to whoever may not read it).
            "tutorials": [(article, site_url(reverse("faq:short", args=[article.pk]))) for article in tutorials],
        },
        about_url=site_url(about),
        reference=f"nudge-{record.pk}",
    )


def nudge_deliver(*, nudge_id: int) -> bool:
    """Send one claimed nudge at most once; nothing if it was sent, the step is done or the person
    turned nudges off meanwhile."""
    return deliver(Nudge, nudge_id, _nudge_message)
