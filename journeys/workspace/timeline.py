"""Everything that happened to an account, newest first, for its CS manager: step changes, milestones
reached, re-timed or revoked, product usage summarised per day, value recorded, corrected or deleted,
invitations, people joining, leaving and changing role, notes, support questions and their first
replies, and the e-mails sent about it. A fixed number of queries whatever the account's history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from journeys.automation.models import Notification, Nudge
from journeys.events.models import DailyEventCount
from journeys.onboarding.models import (
    Achievement,
    AchievementChange,
    Journey,
    StepEvent,
    StepState,
    ValueRecord,
    ValueRecordChange,
)
from journeys.workspace.models import AccountNote
from portal.models import Account, Invitation, MembershipEvent, User
from support.models import Inquiry

DEFAULT_DAYS = 90


@dataclass(frozen=True)
class Entry:
    at: dt.datetime
    kind: str  # step, milestone, usage, value, invitation, joined, team, note, journey, email, support
    title: str
    detail: str = ""
    actor: str = ""
    # A note's entry carries the note (its earlier wordings prefetched), for its author's "correct" link.
    note: AccountNote | None = None


def account_timeline(*, account: Account, days: int = DEFAULT_DAYS, limit: int = 200) -> list[Entry]:
    """The last ``days`` days of ``account``, newest first, at most ``limit`` entries."""
    since = timezone.now() - dt.timedelta(days=days)
    entries: list[Entry] = []
    statuses = dict(StepState.Status.choices)

    for journey in Journey.objects.filter(account=account, started_at__gte=since).select_related("playbook"):
        entries.append(
            Entry(
                at=journey.started_at, kind="journey", title=_("Journey started: %(name)s") % {"name": journey.playbook}
            )
        )
    for event in (
        StepEvent.objects.filter(journey__account=account, occurred_at__gte=since)
        .exclude(from_status="")  # the steps' creation: "Journey started" says it once
        .select_related("step_state__step", "actor")
        .order_by("-occurred_at")[:limit]
    ):
        change = f"{statuses.get(event.from_status, event.from_status or '—')} → {statuses.get(event.to_status)}"
        if event.from_status == event.to_status:
            change = ""
        entries.append(
            Entry(
                at=event.occurred_at,
                kind="step",
                title=event.step_state.step.display_title,
                detail=" · ".join(part for part in (change, event.reason, event.display_note) if part),
                actor=_actor(event.actor, event.source),
            )
        )
    for achievement in Achievement.objects.filter(account=account, achieved_at__gte=since).select_related("milestone"):
        entries.append(
            Entry(
                at=achievement.achieved_at,
                kind="milestone",
                title=_("Milestone reached: %(name)s") % {"name": achievement.milestone.display_name},
                detail=achievement.get_source_display(),
            )
        )
    milestone_changes = (
        AchievementChange.objects.filter(achievement__account=account, occurred_at__gte=since)
        .exclude(kind__in=[AchievementChange.Kind.REACHED, AchievementChange.Kind.REACHED_AGAIN])
        .select_related("achievement__milestone", "actor")
    )
    for milestone_change in milestone_changes:
        name = milestone_change.achievement.milestone.display_name
        if milestone_change.kind == AchievementChange.Kind.REVOKED:
            title = _("Milestone revoked: %(name)s") % {"name": name}
            detail = milestone_change.reason
        else:
            title = _("Milestone re-timed: %(name)s") % {"name": name}
            moved = f"{_moment(milestone_change.from_at)} → {_moment(milestone_change.to_at)}"
            detail = " · ".join(
                part for part in (moved, milestone_change.get_kind_display(), milestone_change.reason) if part
            )
        entries.append(
            Entry(
                at=milestone_change.occurred_at, kind="milestone", title=title, detail=detail,
                actor=_actor(milestone_change.actor, milestone_change.source),
            )
        )  # fmt: skip
    usage = (
        DailyEventCount.objects.filter(account=account, filter_key="", day__gte=since.date())
        .values("day", "name")
        .annotate(n=Sum("count"))
        .order_by("-day", "-n")
    )
    per_day: dict[dt.date, list[tuple[str, int]]] = {}
    for row in usage:
        per_day.setdefault(row["day"], []).append((row["name"], row["n"]))
    for day, names in per_day.items():
        total = sum(n for _name, n in names)
        top = ", ".join(f"{name} ({n})" for name, n in names[:3])
        entries.append(
            Entry(
                at=timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59))),
                kind="usage",
                title=ngettext("%(count)s product event", "%(count)s product events", total) % {"count": total},
                detail=top,
            )
        )
    # Deleted records too: the history says they were recorded, then deleted.
    records = ValueRecord.with_deleted.filter(account=account, created_at__gte=since).select_related("recorded_by")
    for record in records:
        entries.append(
            Entry(
                at=record.created_at,
                kind="value",
                title=_("Value recorded: ¥%(amount)s") % {"amount": f"{record.amount:,.0f}"},
                detail=record.note,
                actor=_actor(record.recorded_by, ""),
            )
        )
    for correction in ValueRecordChange.objects.filter(record__account=account, occurred_at__gte=since).select_related(
        "actor"
    ):
        amounts = {"old": f"{correction.old_amount:,.0f}", "new": f"{correction.new_amount or 0:,.0f}"}
        if correction.kind == ValueRecordChange.Kind.DELETED:
            title = _("Value record deleted: ¥%(old)s") % amounts
        else:
            title = _("Value record corrected: ¥%(old)s → ¥%(new)s") % amounts
        entries.append(
            Entry(
                at=correction.occurred_at, kind="value", title=title, detail=correction.reason,
                actor=_actor(correction.actor, ""),
            )
        )  # fmt: skip
    for invitation in Invitation.objects.filter(account=account, created_at__gte=since).select_related("invited_by"):
        entries.append(
            Entry(
                at=invitation.created_at,
                kind="invitation",
                title=_("Invited %(email)s") % {"email": invitation.email},
                actor=_actor(invitation.invited_by, ""),
            )
        )
        if invitation.accepted_at is not None:
            entries.append(
                Entry(
                    at=invitation.accepted_at, kind="joined", title=_("%(email)s joined") % {"email": invitation.email}
                )
            )
    for team_change in MembershipEvent.objects.filter(
        account=account,
        occurred_at__gte=since,
        kind__in=[MembershipEvent.Kind.REMOVED, MembershipEvent.Kind.ROLE_CHANGED],
    ):
        if team_change.kind == MembershipEvent.Kind.REMOVED:
            title = _("%(name)s removed from the team") % {"name": team_change.who}
            detail = ""
        else:
            title = _("%(name)s's role changed") % {"name": team_change.who}
            detail = f"{team_change.get_from_role_display()} → {team_change.get_to_role_display()}"
        entries.append(
            Entry(at=team_change.occurred_at, kind="team", title=title, detail=detail, actor=team_change.actor_name)
        )
    notes = (
        AccountNote.objects.filter(account=account, created_at__gte=since)
        .select_related("author")
        .prefetch_related("revisions")
    )
    for note in notes:
        entries.append(
            Entry(
                at=note.created_at,
                kind="note",
                title=_("Note"),
                detail=note.body,
                actor=_actor(note.author, ""),
                note=note,
            )
        )
    for inquiry in Inquiry.objects.filter(account=account, created_at__gte=since).select_related("author"):
        entries.append(
            Entry(
                at=inquiry.created_at, kind="support",
                title=_("Asked support: %(subject)s") % {"subject": inquiry.subject},
                detail=inquiry.get_status_display(), actor=_actor(inquiry.author, ""),
            )
        )  # fmt: skip
        if inquiry.first_replied_at is not None:
            outcome = (
                _("within the hour")
                if inquiry.first_reply_fast
                else _("within the target")
                if inquiry.first_reply_in_target
                else _("past the target")
            )
            entries.append(
                Entry(
                    at=inquiry.first_replied_at, kind="support",
                    title=_("Support replied: %(subject)s") % {"subject": inquiry.subject}, detail=outcome,
                )
            )  # fmt: skip
    for model in (Nudge, Notification):
        for email in model.objects.filter(account=account, sent_at__gte=since).select_related("recipient"):
            assert email.sent_at is not None  # filtered on it
            entries.append(
                Entry(
                    at=email.sent_at,
                    kind="email",
                    title=_("E-mail sent: %(subject)s") % {"subject": email.subject},
                    detail=email.recipient.email,
                )
            )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


def _moment(moment: dt.datetime | None) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment is not None else "—"


def _actor(user: User | None, source: str) -> str:
    if user is not None:
        return user.get_full_name()
    return _("automatically") if source and source != "manual" else ""
