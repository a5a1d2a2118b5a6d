"""Everything that happened to an account, newest first, for its CS manager: step changes, milestones
reached, re-timed or revoked, product usage summarised per day, value recorded, corrected or deleted,
invitations, people joining, leaving and changing role, notes, support questions and their first
replies, and the e-mails sent about it. A fixed number of queries whatever the account's history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import DateTimeField, F, QuerySet, Sum, TextField, Value
from django.db.models.functions import Cast
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
    Source,
    StepEvent,
    StepState,
    ValueRecord,
    ValueRecordChange,
)
from journeys.workspace.models import AccountNote
from portal.models import Account, Invitation, Membership, MembershipEvent, User
from portal.translated import in_language
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
    """The last ``days`` days of ``account``, newest first, at most ``limit`` entries: five queries."""
    since = timezone.now() - dt.timedelta(days=days)
    entries: list[Entry] = []
    statuses = dict(StepState.Status.choices)

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
    for other in _rows(account=account, since=since):
        entries.extend(_entries(other))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]


# The other sources are read in one query: each gives rows of the same columns (a time, which source,
# six texts, two more times and who did it), told apart by the source; numbers and flags come as text.
_TEXTS = 6
_COLUMNS = ("c_at", "c_source", *(f"c_t{i}" for i in range(1, _TEXTS + 1)), "c_at2", "c_at3", "c_actor", "c_email")


@dataclass(frozen=True)
class _Row:
    at: dt.datetime
    source: str
    texts: tuple[str, ...]
    at2: dt.datetime | None
    at3: dt.datetime | None
    actor: str  # the name of who did it, else their e-mail address; "" for nobody

    def text(self, n: int) -> str:
        return self.texts[n - 1]


def _source(
    queryset: QuerySet[Any],
    source: str,
    *,
    at: str,
    texts: tuple[str, ...] = (),
    at2: str | None = None,
    at3: str | None = None,
    actor: str | None = None,
) -> QuerySet[Any]:
    """``queryset`` as rows of the timeline's columns, in that order."""
    nothing = Value("", output_field=TextField())
    no_time = Cast(Value(None), DateTimeField())  # typed: PostgreSQL unites the columns pairwise
    columns = [
        F(at),
        Value(source, output_field=TextField()),
        *[Cast(F(name), TextField()) for name in texts],
        *[nothing] * (_TEXTS - len(texts)),
        F(at2) if at2 else no_time,
        F(at3) if at3 else no_time,
        Cast(F(f"{actor}__name"), TextField()) if actor else nothing,
        Cast(F(f"{actor}__email"), TextField()) if actor else nothing,
    ]
    rows: QuerySet[Any] = queryset.order_by().annotate(**dict(zip(_COLUMNS, columns, strict=True)))
    return rows.values_list(*_COLUMNS)


def _rows(*, account: Account, since: dt.datetime) -> list[_Row]:
    sources = [
        _source(
            Journey.objects.filter(account=account, started_at__gte=since), "journey",
            at="started_at", texts=("playbook__name", "playbook__name_en", "playbook__version"),
        ),
        _source(
            Achievement.objects.filter(account=account, achieved_at__gte=since), "milestone",
            at="achieved_at", texts=("milestone__name", "milestone__name_en", "source"),
        ),
        _source(
            AchievementChange.objects.filter(achievement__account=account, occurred_at__gte=since).exclude(
                kind__in=[AchievementChange.Kind.REACHED, AchievementChange.Kind.REACHED_AGAIN]
            ),
            "milestone_change", at="occurred_at",
            texts=("achievement__milestone__name", "achievement__milestone__name_en", "kind", "reason", "source"),
            at2="from_at", at3="to_at", actor="actor",
        ),
        # Deleted records too: the history says they were recorded, then deleted.
        _source(
            ValueRecord.with_deleted.filter(account=account, created_at__gte=since), "value",
            at="created_at", texts=("amount", "note"), actor="recorded_by",
        ),
        _source(
            ValueRecordChange.objects.filter(record__account=account, occurred_at__gte=since), "value_change",
            at="occurred_at", texts=("kind", "old_amount", "new_amount", "reason"), actor="actor",
        ),
        _source(
            Invitation.objects.filter(account=account, created_at__gte=since), "invitation",
            at="created_at", texts=("email",), at2="accepted_at", actor="invited_by",
        ),
        _source(
            MembershipEvent.objects.filter(
                account=account,
                occurred_at__gte=since,
                kind__in=[MembershipEvent.Kind.REMOVED, MembershipEvent.Kind.ROLE_CHANGED],
            ),
            "team", at="occurred_at", texts=("kind", "name", "email", "from_role", "to_role", "actor_name"),
        ),
        _source(
            Inquiry.objects.filter(account=account, created_at__gte=since), "support",
            at="created_at", texts=("subject", "status", "first_reply_fast", "first_reply_in_target"),
            at2="first_replied_at", actor="author",
        ),
        *[
            _source(
                model.objects.filter(account=account, sent_at__gte=since), "email",
                at="sent_at", texts=("subject", "recipient__email"),
            )
            for model in (Nudge, Notification)
        ],
    ]  # fmt: skip
    first, *others = sources
    return [
        _Row(
            at=at,
            source=source,
            texts=tuple("" if text is None else text for text in texts),
            at2=at2,
            at3=at3,
            actor=name or email or "",
        )
        for at, source, *texts, at2, at3, name, email in first.union(*others, all=True)
    ]


def _yes(text: str) -> bool:
    return text.lower() in ("1", "true", "t")  # a flag as text: SQLite says 1, PostgreSQL true


def _amount(text: str) -> str:
    return f"{Decimal(text or 0):,.0f}"


def _entries(row: _Row) -> list[Entry]:
    """What one row of the other sources tells."""
    match row.source:
        case "journey":
            name = in_language(row.text(1), row.text(2))
            return [
                Entry(
                    at=row.at, kind="journey", title=_("Journey started: %(name)s") % {"name": f"{name} v{row.text(3)}"}
                )
            ]
        case "milestone":
            name = in_language(row.text(1), row.text(2))
            return [
                Entry(
                    at=row.at, kind="milestone", title=_("Milestone reached: %(name)s") % {"name": name},
                    detail=str(dict(Source.choices).get(row.text(3), row.text(3))),
                )
            ]  # fmt: skip
        case "milestone_change":
            name = in_language(row.text(1), row.text(2))
            kind, reason, source = row.text(3), row.text(4), row.text(5)
            if kind == AchievementChange.Kind.REVOKED:
                title = _("Milestone revoked: %(name)s") % {"name": name}
                detail = reason
            else:
                title = _("Milestone re-timed: %(name)s") % {"name": name}
                moved = f"{_moment(row.at2)} → {_moment(row.at3)}"
                label = str(dict(AchievementChange.Kind.choices).get(kind, kind))
                detail = " · ".join(part for part in (moved, label, reason) if part)
            return [Entry(at=row.at, kind="milestone", title=title, detail=detail, actor=_named(row.actor, source))]
        case "value":
            return [
                Entry(
                    at=row.at, kind="value", title=_("Value recorded: ¥%(amount)s") % {"amount": _amount(row.text(1))},
                    detail=row.text(2), actor=row.actor,
                )
            ]  # fmt: skip
        case "value_change":
            amounts = {"old": _amount(row.text(2)), "new": _amount(row.text(3))}
            if row.text(1) == ValueRecordChange.Kind.DELETED:
                title = _("Value record deleted: ¥%(old)s") % amounts
            else:
                title = _("Value record corrected: ¥%(old)s → ¥%(new)s") % amounts
            return [Entry(at=row.at, kind="value", title=title, detail=row.text(4), actor=row.actor)]
        case "invitation":
            email = row.text(1)
            invited = [
                Entry(at=row.at, kind="invitation", title=_("Invited %(email)s") % {"email": email}, actor=row.actor)
            ]
            if row.at2 is not None:
                invited.append(Entry(at=row.at2, kind="joined", title=_("%(email)s joined") % {"email": email}))
            return invited
        case "team":
            kind, who = row.text(1), row.text(2) or row.text(3)
            roles = dict(Membership.Role.choices)
            if kind == MembershipEvent.Kind.REMOVED:
                title = _("%(name)s removed from the team") % {"name": who}
                detail = ""
            else:
                title = _("%(name)s's role changed") % {"name": who}
                detail = f"{roles.get(row.text(4), row.text(4))} → {roles.get(row.text(5), row.text(5))}"
            return [Entry(at=row.at, kind="team", title=title, detail=detail, actor=row.text(6))]
        case "support":
            subject = row.text(1)
            asked = Entry(
                at=row.at, kind="support", title=_("Asked support: %(subject)s") % {"subject": subject},
                detail=str(dict(Inquiry.Status.choices).get(row.text(2), row.text(2))), actor=row.actor,
            )  # fmt: skip
            if row.at2 is None:
                return [asked]
            outcome = (
                _("within the hour")
                if _yes(row.text(3))
                else _("within the target")
                if _yes(row.text(4))
                else _("past the target")
            )
            replied = Entry(
                at=row.at2, kind="support", title=_("Support replied: %(subject)s") % {"subject": subject},
                detail=outcome,
            )  # fmt: skip
            return [asked, replied]
        case _:  # an e-mail sent
            return [
                Entry(
                    at=row.at, kind="email", title=_("E-mail sent: %(subject)s") % {"subject": row.text(1)},
                    detail=row.text(2),
                )
            ]  # fmt: skip


def _moment(moment: dt.datetime | None) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment is not None else "—"


def _actor(user: User | None, source: str) -> str:
    return _named(user.get_full_name() if user is not None else "", source)


def _named(name: str, source: str) -> str:
    if name:
        return name
    return _("automatically") if source and source != "manual" else ""
