"""Historical achievements: a milestone a customer reached before Kachi measured it, imported (from a
CRM, a spreadsheet) so that its time to value counts from day one.

An imported achievement is history, not news: no notice goes to anyone (no ``achievement_notify``),
no webhook is emitted, and the evaluation leaves it as it is (it re-times or revokes only what it
derived itself). Importing the same milestone again changes nothing and gives the achievement back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.onboarding.models import Achievement, AchievementChange, Journey, Milestone, Playbook, Source
from journeys.onboarding.services.history import achievement_history_entry
from journeys.onboarding.services.journeys import default_playbook, journey_start
from portal.models import Account, User
from portal.tenancy import is_account_staff


@dataclass(frozen=True)
class Imported:
    achievement: Achievement
    created: bool  # False: it was there already, and stands as it was


def _journey_for(*, account: Account, milestone_key: str, playbook_key: str, by: User) -> Journey:
    """The account's journey the milestone belongs to; started at the contract start when the account
    has none on that playbook yet."""
    journeys = Journey.objects.filter(account=account).select_related("account", "playbook")
    if playbook_key:
        journey = journeys.filter(playbook_key=playbook_key).first()
        if journey is not None:
            return journey
        playbook = Playbook.objects.filter(key=playbook_key, status=Playbook.Status.PUBLISHED).first()
        if playbook is None:
            raise ValidationError({"playbook": _("No published playbook has this key.")})
    else:
        journey = journeys.filter(playbook__milestones__key=milestone_key).first()
        if journey is not None:
            return journey
        playbook = default_playbook(account=account)
        if playbook is None or not playbook.milestones.filter(key=milestone_key).exists():
            raise ValidationError({"milestone": _("None of this account's playbooks has this milestone.")})
    if not playbook.milestones.filter(key=milestone_key).exists():
        raise ValidationError({"milestone": _("This playbook has no milestone with this key.")})
    return journey_start(account=account, playbook=playbook, started_at=account.contract_start, by=by)


@transaction.atomic
def achievement_import(
    *, account: Account, milestone_key: str, achieved_at: datetime, by: User, playbook_key: str = ""
) -> Imported:
    """Record that ``account`` reached a milestone in the past (its source: an import). Only the
    account's staff may. The time must lie between the journey's start and now."""
    if not is_account_staff(user=by, account=account):
        raise PermissionDenied
    if achieved_at > timezone.now():
        raise ValidationError({"achieved_at": _("The time cannot be in the future.")})
    journey = _journey_for(account=account, milestone_key=milestone_key, playbook_key=playbook_key, by=by)
    milestone = Milestone.objects.filter(playbook_id=journey.playbook_id, key=milestone_key).first()
    if milestone is None:
        raise ValidationError({"milestone": _("This playbook has no milestone with this key.")})
    # The journey lock, as every change to its achievements.
    Journey.objects.select_for_update().filter(pk=journey.pk).first()
    existing = Achievement.with_revoked.filter(journey=journey, milestone_key=milestone_key).first()
    if existing is not None and existing.revoked_at is None:
        return Imported(achievement=existing, created=False)
    if achieved_at < journey.started_at:
        raise ValidationError({"achieved_at": _("The time cannot be before the journey started.")})
    if existing is not None:  # revoked: reached again, at the imported time
        existing.achieved_at, existing.revoked_at, existing.source = achieved_at, None, Source.IMPORT
        existing.save(update_fields=["achieved_at", "revoked_at", "source"])
        kind: str = AchievementChange.Kind.REACHED_AGAIN
        achievement = existing
    else:
        achievement = Achievement(
            journey=journey, account=account, milestone=milestone, milestone_key=milestone.key,
            kind=milestone.kind, achieved_at=achieved_at, source=Source.IMPORT,
        )  # fmt: skip
        try:
            with transaction.atomic():
                achievement.save()
        except IntegrityError:  # recorded meanwhile (the journey lock makes this rare)
            return Imported(
                achievement=Achievement.objects.get(journey=journey, milestone_key=milestone_key), created=False
            )
        kind = AchievementChange.Kind.REACHED
    achievement_history_entry(
        achievement=achievement, kind=kind, from_at=None, to_at=achieved_at, source=Source.IMPORT, by=by
    ).save()
    return Imported(achievement=achievement, created=True)
