"""Writes of the CS manager's account page: notes and the success plan's goals."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.workspace.models import AccountNote, AccountNoteRevision, SuccessGoal
from portal.models import Account, User
from portal.tenancy import is_account_staff


def _staff_only(*, user: User, account: Account) -> None:
    if not is_account_staff(user=user, account=account):
        raise PermissionDenied


@transaction.atomic
def note_add(*, account: Account, body: str, by: User) -> AccountNote:
    _staff_only(user=by, account=account)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the note first.")})
    return AccountNote.objects.create(account=account, author=by, body=body[:4000])


@transaction.atomic
def note_edit(*, note: AccountNote, body: str, by: User) -> AccountNote:
    """Correct a note. Only its author may, and only while they look after the account; the earlier
    wording is kept as a revision. Nobody edits another person's words: an admin can delete a note in
    the Django admin, not rewrite it."""
    _staff_only(user=by, account=note.account)
    if note.author_id != by.pk:
        raise PermissionDenied
    body = (body or "").strip()[:4000]
    if not body:
        raise ValidationError({"body": _("Write the note first.")})
    locked = AccountNote.objects.select_for_update().get(pk=note.pk)
    if body == locked.body:
        return locked
    now = timezone.now()
    AccountNoteRevision.objects.create(
        note=locked, body=locked.body, written_at=locked.edited_at or locked.created_at, replaced_at=now
    )
    locked.body = body
    locked.edited_at = now
    locked.save(update_fields=["body", "edited_at"])
    return locked


@transaction.atomic
def goal_add(*, account: Account, title: str, target_on: dt.date, by: User, measure: str = "") -> SuccessGoal:
    """A goal of the success plan: what value the customer expects, how we will know, by when."""
    _staff_only(user=by, account=account)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Say what the customer wants to achieve.")})
    if target_on < timezone.localdate(account.contract_start):
        raise ValidationError({"target_on": _("The target date is before the contract started.")})
    position = SuccessGoal.objects.filter(account=account).count()
    return SuccessGoal.objects.create(
        account=account, title=title[:200], measure=(measure or "").strip()[:300], target_on=target_on,
        position=position, created_by=by,
    )  # fmt: skip


@transaction.atomic
def goal_set_status(*, goal: SuccessGoal, status: str, by: User) -> SuccessGoal:
    _staff_only(user=by, account=goal.account)
    if status not in SuccessGoal.Status.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    goal.status = status
    goal.closed_at = None if status == SuccessGoal.Status.OPEN else timezone.now()
    goal.save(update_fields=["status", "closed_at"])
    return goal
