"""What the desk's reports measure: how fast inquiries get their first reply, and how many questions
the suggested articles answer before they are asked.

First replies are measured with Kaplan-Meier (``portal.survival``, the engine of the TTV reports):
an inquiry not answered yet is not dropped but censored at the time it has waited so far, so the
median and the 90th percentile are not flattered by leaving out the slowest. Each is measured twice:
in the desk's business hours (what "within 1 hour" means to the desk) and on the calendar (what
"within 24 hours" means to a waiting customer). The shares within 1 hour and within 24 hours are
the curves' heights there: answered within that time, open ones counted for as long as they waited.

Deflection: of the forms to ask that were started, the share that "This solved it" ended before a
question was sent; per category here, per onboarding step on the bottleneck report.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from faq.models import Article
from portal.models import Account, User
from portal.survival import Estimate, kaplan_meier
from portal.tenancy import token_account_id, visible_accounts
from support.clock import Calendar
from support.models import AskAttempt, BusinessCalendar, Category, Inquiry, Message, default_business_clock

GROUP_BYS = ("agent", "account", "segment", "category", "week")
FAST_HOURS = 1.0  # a first reply within this, in business hours, feels fast
TARGET_HOURS = 24.0  # past this on the calendar, most customers lose patience
TOP_ARTICLES = 10
HOUR = 3600.0


@dataclass(frozen=True, kw_only=True)
class ReplyTimes:
    """First-reply figures of one group of inquiries, in hours."""

    key: str
    label: str
    business: Estimate  # in business hours
    calendar: Estimate  # in calendar hours

    @property
    def n(self) -> int:
        return self.calendar.n

    @property
    def answered(self) -> int:
        return self.calendar.reached

    @property
    def waiting(self) -> int:
        return self.calendar.censored

    @property
    def within_hour_share(self) -> float | None:
        """Answered within 1 business hour (Kaplan-Meier, open ones counted for as long as they waited)."""
        return self.business.within_target_share

    @property
    def within_day_share(self) -> float | None:
        """Answered within 24 hours on the calendar."""
        return self.calendar.within_target_share

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "inquiries": self.n,
            "answered": self.answered,
            "waiting": self.waiting,
            "within_1h_share": self.within_hour_share,
            "within_24h_share": self.within_day_share,
            "business_hours": _hours(self.business),
            "calendar_hours": _hours(self.calendar),
        }


def _hours(estimate: Estimate) -> dict[str, Any]:
    return {
        "median": estimate.median_days,
        "median_ci": list(estimate.median_ci),
        "p90": estimate.p90_days,
    }


@dataclass(frozen=True, kw_only=True)
class FirstReplyReport:
    group_by: str | None
    start_from: dt.date | None
    start_to: dt.date | None
    groups: list[ReplyTimes]
    total: ReplyTimes

    def as_dict(self) -> dict[str, Any]:
        return {
            "group_by": self.group_by,
            "start_from": self.start_from.isoformat() if self.start_from else None,
            "start_to": self.start_to.isoformat() if self.start_to else None,
            "fast_business_hours": FAST_HOURS,
            "target_calendar_hours": TARGET_HOURS,
            "total": self.total.as_dict(),
            "groups": [group.as_dict() for group in self.groups],
        }


@dataclass(frozen=True, slots=True)
class _Wait:
    group: tuple[str, str, tuple[Any, ...]]  # key, label, sort order
    calendar_hours: float
    business_hours: float
    answered: bool


def asked_between(
    inquiries: QuerySet[Inquiry], start_from: dt.date | None, start_to: dt.date | None
) -> QuerySet[Inquiry]:
    """The inquiries asked on those days (the reader's time zone), both included."""
    if start_from is not None:
        inquiries = inquiries.filter(created_at__gte=_day_start(start_from))
    if start_to is not None:
        inquiries = inquiries.filter(created_at__lt=_day_start(start_to + dt.timedelta(days=1)))
    return inquiries


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def first_reply_report(
    *,
    group_by: str | None = None,
    start_from: dt.date | None = None,
    start_to: dt.date | None = None,
    accounts: QuerySet[Account] | None = None,
    now: dt.datetime | None = None,
) -> FirstReplyReport:
    """First-reply times of the inquiries asked in the period, in total and per group: the agent who
        gave the first reply (the assignee while none was given), the account, its segment, the category,
        or the week asked in; ``accounts`` limits it to those (a CS manager's). At most four queries
    whatever the number of inquiries."""
    if group_by is not None and group_by not in GROUP_BYS:
        raise ValueError(f"group_by must be one of {GROUP_BYS}.")
    now = now or timezone.now()
    inquiries = asked_between(Inquiry.objects.all(), start_from, start_to)
    if accounts is not None:
        inquiries = inquiries.filter(account__in=accounts)
    waits = list(_waits(inquiries, group_by, now))
    by_group: dict[tuple[str, str, tuple[Any, ...]], list[_Wait]] = defaultdict(list)
    for wait in waits:
        by_group[wait.group].append(wait)
    ordered = sorted(by_group.items(), key=lambda item: item[0][2])
    return FirstReplyReport(
        group_by=group_by,
        start_from=start_from,
        start_to=start_to,
        groups=[_times(key, label, members) for (key, label, _order), members in ordered] if group_by else [],
        total=_times("all", _("All"), waits),
    )


def _times(key: str, label: str, waits: Sequence[_Wait]) -> ReplyTimes:
    answered = [wait.answered for wait in waits]
    return ReplyTimes(
        key=key,
        label=label,
        business=kaplan_meier([w.business_hours for w in waits], answered, target_days=FAST_HOURS),
        calendar=kaplan_meier([w.calendar_hours for w in waits], answered, target_days=TARGET_HOURS),
    )


def _first_replier() -> Subquery:
    replies = Message.objects.filter(inquiry=OuterRef("pk"), kind=Message.Kind.REPLY, automatic=False)
    return Subquery(replies.order_by("created_at", "id").values("author")[:1])


def _waits(inquiries: QuerySet[Inquiry], group_by: str | None, now: dt.datetime) -> Iterable[_Wait]:
    rows = list(
        inquiries.annotate(replier=_first_replier())
        .order_by()
        .values_list(
            "created_at", "first_replied_at", "first_reply_seconds", "first_reply_business_seconds", "clock",
            "clock_running_since", "clock_used_seconds", "clock_used_business_seconds", "solved_at", "updated_at",
            "calendar_id", "replier", "assignee_id", "account_id", "account__name", "account__slug",
            "account__segment__slug", "account__segment__name", "account__segment__position", "category_id",
        )
    )  # fmt: skip
    calendars = _calendars({row[10] for row in rows if row[10] is not None})
    people = _people({row[11] or row[12] for row in rows if group_by == "agent" and (row[11] or row[12])})
    categories = _categories() if group_by == "category" else {}
    for row in rows:
        created, replied_at, seconds, business_seconds, clock, running_since, used, used_business = row[:8]
        solved_at, updated_at, calendar_id = row[8:11]
        business = calendars.get(calendar_id) or calendars[None]
        if replied_at is not None:
            calendar_hours, business_hours, answered = (seconds or 0.0) / HOUR, (business_seconds or 0.0) / HOUR, True
        elif clock == Inquiry.Clock.FIRST:
            # Still owed: the time it has waited so far (its pauses left out).
            if running_since is not None and now > running_since:
                used += (now - running_since).total_seconds()
                used_business += business.between(running_since, now).total_seconds()
            calendar_hours, business_hours, answered = used / HOUR, used_business / HOUR, False
        else:
            # Solved or closed without a reply: censored when it ended.
            end = max(solved_at or updated_at, created)
            calendar_hours = (end - created).total_seconds() / HOUR
            business_hours = business.between(created, end).total_seconds() / HOUR
            answered = False
        yield _Wait(
            group=_group_of(group_by, row, people, categories),
            calendar_hours=max(calendar_hours, 0.0),
            business_hours=max(business_hours, 0.0),
            answered=answered,
        )


def _group_of(
    group_by: str | None, row: Sequence[Any], people: dict[int, User], categories: dict[int, Category]
) -> tuple[str, str, tuple[Any, ...]]:
    if group_by is None:
        return "all", _("All"), ()
    if group_by == "agent":
        person = people.get(row[11] or row[12] or 0)
        if person is None:
            return "none", _("Nobody yet"), (1, "")
        return str(person.pk), person.name or person.email, (0, (person.name or person.email).casefold())
    if group_by == "account":
        return row[15], row[14], (row[14].casefold(), row[13])
    if group_by == "segment":
        if row[16] is None:
            return "none", _("No segment"), (1, 0, "")
        return row[16], row[17], (0, row[18], row[17])
    if group_by == "category":
        category = categories.get(row[19] or 0)
        if category is None:
            return "none", _("No category"), (1, 0, 0)
        return category.slug, category.display_name, (0, category.position, category.pk)
    week = _week_of(row[0])
    return week.isoformat(), week.isoformat(), (week,)


def _week_of(moment: dt.datetime) -> dt.date:
    """The Monday of the week ``moment`` falls in, in the reader's time zone."""
    day = timezone.localtime(moment).date()
    return day - dt.timedelta(days=day.weekday())


def _calendars(ids: set[int]) -> dict[int | None, Calendar]:
    found: dict[int | None, Calendar] = {None: default_business_clock()}
    if ids:
        for calendar in BusinessCalendar.objects.filter(pk__in=ids).prefetch_related("hours", "closed_days"):
            found[calendar.pk] = calendar.clock()
    return found


def _people(ids: set[int]) -> dict[int, User]:
    return {person.pk: person for person in User.objects.filter(pk__in=ids)} if ids else {}


def _categories() -> dict[int, Category]:
    return {category.pk: category for category in Category.objects.all()}


# --- Deflection ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Deflection:
    """Forms to ask that were started, how many "This solved it" ended, and how many were sent."""

    key: str
    label: str
    started: int
    solved: int
    sent: int

    @property
    def rate(self) -> float | None:
        return self.solved / self.started if self.started else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "started": self.started,
            "solved": self.solved,
            "sent": self.sent,
            "deflection_rate": self.rate,
        }


@dataclass(frozen=True, kw_only=True)
class Deflecting:
    """An article that answered questions before they were asked."""

    article_id: int
    title: str
    language: str
    slug: str
    solved: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "language": self.language,
            "slug": self.slug,
            "solved": self.solved,
        }


@dataclass(frozen=True, kw_only=True)
class DeflectionReport:
    start_from: dt.date | None
    start_to: dt.date | None
    total: Deflection
    categories: list[Deflection]
    articles: list[Deflecting]

    def as_dict(self) -> dict[str, Any]:
        return {
            "start_from": self.start_from.isoformat() if self.start_from else None,
            "start_to": self.start_to.isoformat() if self.start_to else None,
            "total": self.total.as_dict(),
            "categories": [row.as_dict() for row in self.categories],
            "articles": [row.as_dict() for row in self.articles],
        }


def attempts_between(start_from: dt.date | None, start_to: dt.date | None) -> QuerySet[AskAttempt]:
    attempts = AskAttempt.objects.all()
    if start_from is not None:
        attempts = attempts.filter(started_at__gte=_day_start(start_from))
    if start_to is not None:
        attempts = attempts.filter(started_at__lt=_day_start(start_to + dt.timedelta(days=1)))
    return attempts


def _counts() -> dict[str, Count]:
    return {
        "started": Count("id"),
        "solved": Count("id", filter=Q(solved_at__isnull=False)),
        "sent": Count("id", filter=Q(inquiry__isnull=False)),
    }


def deflection_report(
    *, start_from: dt.date | None = None, start_to: dt.date | None = None, accounts: QuerySet[Account] | None = None
) -> DeflectionReport:
    """Deflection in the period, in total and per category, and the articles that deflected most.
    Four queries, counted by the database."""
    attempts = attempts_between(start_from, start_to)
    if accounts is not None:
        attempts = attempts.filter(account__in=accounts)
    total = attempts.aggregate(**_counts())
    per_category = {row["category"]: row for row in attempts.order_by().values("category").annotate(**_counts())}
    categories = [
        Deflection(key=category.slug, label=category.display_name, **_three(per_category.get(category.pk)))
        for category in Category.objects.all()
        if category.pk in per_category
    ]
    if None in per_category:
        categories.append(Deflection(key="none", label=_("No category"), **_three(per_category[None])))
    return DeflectionReport(
        start_from=start_from,
        start_to=start_to,
        total=Deflection(key="all", label=_("All"), **_three(total)),
        categories=categories,
        articles=top_deflecting(attempts),
    )


def _three(row: dict[str, Any] | None) -> dict[str, int]:
    row = row or {}
    return {name: int(row.get(name) or 0) for name in ("started", "solved", "sent")}


def top_deflecting(attempts: QuerySet[AskAttempt], *, limit: int = TOP_ARTICLES) -> list[Deflecting]:
    """The articles that ended most attempts with "This solved it", the most first (two queries)."""
    counts = list(
        attempts.filter(solved_by__isnull=False)
        .order_by()
        .values("solved_by")
        .annotate(solved=Count("id"))
        .order_by("-solved", "solved_by")[:limit]
    )
    articles = Article.objects.in_bulk([row["solved_by"] for row in counts])
    return [
        Deflecting(
            article_id=article.pk, title=article.title, language=article.language, slug=article.slug,
            solved=row["solved"],
        )
        for row in counts
        if (article := articles.get(row["solved_by"])) is not None
    ]  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class StepSupport:
    """What customers asked about one onboarding step: inquiries sent, forms started and solved first."""

    inquiries: int = 0
    started: int = 0
    solved: int = 0

    @property
    def deflection_rate(self) -> float | None:
        return self.solved / self.started if self.started else None


def per_step(
    *,
    playbook_key: str,
    start_from: dt.date | None = None,
    start_to: dt.date | None = None,
    accounts: QuerySet[Account] | None = None,
) -> dict[str, StepSupport]:
    """Per step key of a playbook: the inquiries about it asked in the period and its deflection (two
    queries, counted by the database)."""
    inquiries = asked_between(Inquiry.objects.filter(playbook_key=playbook_key), start_from, start_to)
    attempts = attempts_between(start_from, start_to).filter(playbook_key=playbook_key)
    if accounts is not None:
        inquiries, attempts = inquiries.filter(account__in=accounts), attempts.filter(account__in=accounts)
    asked = dict(
        inquiries.exclude(step_key="")
        .order_by()
        .values("step_key")
        .annotate(n=Count("id"))
        .values_list("step_key", "n")
    )
    tried = {
        row["step_key"]: row
        for row in attempts.exclude(step_key="").order_by().values("step_key").annotate(**_counts())
    }
    return {
        key: StepSupport(
            inquiries=asked.get(key, 0),
            started=int(tried.get(key, {}).get("started", 0)),
            solved=int(tried.get(key, {}).get("solved", 0)),
        )
        for key in {*asked, *tried}
    }


def accounts_for(user: User | AnonymousUser) -> QuerySet[Account] | None:
    """The accounts the desk's reports count for ``user``: every one (None) for agents and admins, a
    CS manager's own; only its account for an API token restricted to one; none for anyone else."""
    if not isinstance(user, User) or not user.is_active:
        return Account.objects.none()
    if (only := token_account_id(user)) is not None:
        return visible_accounts(user=user) if not (user.is_agent or user.is_admin) else Account.objects.filter(pk=only)
    if user.is_agent or user.is_admin:
        return None
    return Account.objects.filter(csm=user) if user.is_csm else Account.objects.none()


def accounts_that_asked(*, start_from: dt.date | None = None, start_to: dt.date | None = None) -> QuerySet[Account]:
    """The accounts with at least one inquiry asked in the period."""
    asked = asked_between(Inquiry.objects.all(), start_from, start_to)
    return Account.objects.filter(pk__in=asked.values("account_id"))
