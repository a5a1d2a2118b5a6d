"""Automatic e-mails: building them (each in its recipient's language, text and HTML, with a link
to the page it is about and an unsubscribe link), sending each one at most once, milestone
notices and weekly digests.

Every e-mail is a row (``Nudge`` or ``Notification``) claimed in its own transaction before it is
sent; ``sent_at`` is set by one UPDATE right after the mail backend accepted the message. A message
can only go out twice if the worker dies between those two moments.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from journeys import queue
from journeys.automation.models import AccountRisk, EmailRecord, Notification, Nudge
from journeys.automation.selectors import risk_rules
from journeys.onboarding.models import Achievement, Journey, StepEvent, StepState
from journeys.reports.risk import rows_for
from portal.models import Account, Membership, NotificationPreferences, User
from portal.preferences import unsubscribe_url, users_opted_out

Category = NotificationPreferences.Category
Kind = Notification.Kind
# A milestone recorded long after it was reached (an import, a backdated value record) is not news.
MILESTONE_NOTICE_MAX_AGE = timedelta(days=7)
# A claimed e-mail whose task never ran (its broker message lost) is queued again after this long...
REQUEUE_AFTER = timedelta(minutes=30)
# ...but not forever: after a day it is left to the failed-task list.
GIVE_UP_AFTER = timedelta(days=1)
DIGEST_DAYS = 7
DIGEST_LIST_MAX = 50
FALLBACK_LANGUAGE = "ja"
# The concrete e-mail records (EmailRecord is abstract: it has no manager of its own).
Record = TypeVar("Record", Nudge, Notification)


# --- Building e-mails -------------------------------------------------------------


def recipient_language(user: User) -> str:
    return user.language if user.language in dict(settings.LANGUAGES) else FALLBACK_LANGUAGE


def site_url(path: str) -> str:
    root: str = settings.SITE_URL
    return root + path


def email_build(
    *, recipient: User, category: str, template: str, context: dict[str, object], about_url: str, reference: str
) -> EmailMultiAlternatives:
    """One e-mail from ``emails/<template>{_subject.txt,.txt,.html}`` in the recipient's language and
    time zone. ``reference`` goes into a header that identifies the e-mail (one per record)."""
    unsubscribe = unsubscribe_url(user=recipient, category=category)
    with translation.override(recipient_language(recipient)), timezone.override(recipient.time_zone or None):
        full = {
            **context,
            "recipient": recipient,
            "about_url": about_url,
            "unsubscribe_url": unsubscribe,
            "preferences_url": site_url(reverse("notification_settings")),
            "category_label": Category(category).label,
            "site_url": settings.SITE_URL,
        }
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", full).split())
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(f"emails/{template}.txt", full),
            to=[recipient.email],
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "X-Kachi-Notification": reference,
                "Auto-Submitted": "auto-generated",
            },
        )
        message.attach_alternative(render_to_string(f"emails/{template}.html", full), "text/html")
    return message


# --- Sending one claimed e-mail once ------------------------------------------------


def deliver(model: type[Record], pk: int, build: Callable[[Record], EmailMultiAlternatives | str]) -> bool:
    """Send the claimed e-mail ``pk`` unless it was sent or given up. ``build`` returns the message,
    or why it should not be sent any more. Returns whether a message went out.

    Where the database has row locks, the row stays locked while the message is handed over, so
    two deliveries of the same id (a task re-queued while the first still runs) send it once.
    """
    locking = connection.features.has_select_for_update_skip_locked
    with transaction.atomic() if locking else nullcontext():
        pending = model.objects.filter(pk=pk, sent_at=None, cancelled_at=None)
        if locking:
            pending = pending.select_for_update(skip_locked=True, of=("self",))
        record = pending.first()
        if record is None:
            return False
        message = build(record)
        if isinstance(message, str):
            model.objects.filter(pk=pk, sent_at=None).update(cancelled_at=timezone.now(), cancel_reason=message)
            return False
        message.send()
        # Right after the hand-over, in one statement.
        model.objects.filter(pk=pk, sent_at=None).update(sent_at=timezone.now(), subject=message.subject[:300])
    return True


@transaction.atomic
def notifications_requeue(*, now: datetime | None = None, requeue_after: timedelta = REQUEUE_AFTER) -> list[int]:
    """Queue again the notifications claimed but still unsent ``requeue_after`` after they were
    queued (a lost message), for a day. Sending twice is harmless: a sent one is skipped."""
    now = now or timezone.now()
    lost = Q(created_at__gte=now - GIVE_UP_AFTER, enqueued_at__lte=now - requeue_after)
    return claim_and_enqueue(Notification, [], pending=lost, enqueue=queue.send_notifications)


def claim_and_enqueue(
    model: type[Record], rows: list[Record], *, pending: Q, enqueue: Callable[[list[int]], None]
) -> list[int]:
    """Insert the rows (those already there are left alone), mark the ``pending`` unsent ones queued
    and ``enqueue`` one send task per id once the transaction commits. Call inside a transaction."""
    model.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    now = timezone.now()
    ids = list(model.objects.filter(pending, sent_at=None, cancelled_at=None).values_list("pk", flat=True))
    if ids:
        model.objects.filter(pk__in=ids).update(enqueued_at=now)
        enqueue(ids)
    return ids


# --- Milestones ---------------------------------------------------------------------


@transaction.atomic
def achievement_notify(*, achievement_id: int) -> list[int]:
    """Tell the account's CS manager that a milestone was reached, and congratulate the customer's
    people; each once per achievement, however often it is re-timed or reached again (a revoked one
    is not told). Returns the notifications queued."""
    achievement = Achievement.objects.select_related("account").filter(pk=achievement_id).first()
    if achievement is None or achievement.achieved_at < timezone.now() - MILESTONE_NOTICE_MAX_AGE:
        return []
    account = achievement.account
    people: list[tuple[str, int]] = []
    if account.csm_id is not None:
        people.append((Kind.MILESTONE, account.csm_id))
    members = Membership.objects.filter(account=account, user__is_active=True).values_list("user_id", flat=True)
    people += [(Kind.CONGRATULATIONS, user_id) for user_id in members]
    off = users_opted_out(user_ids=[pk for _kind, pk in people], category=Category.MILESTONES)
    rows = [
        Notification(kind=kind, recipient_id=user_id, account=account, achievement=achievement)
        for kind, user_id in people
        if user_id not in off
    ]
    return claim_and_enqueue(
        Notification,
        rows,
        pending=Q(achievement=achievement, enqueued_at=None),
        enqueue=queue.send_notifications,
    )


def _milestone_message(record: Notification) -> EmailMultiAlternatives | str:
    recipient = record.recipient
    if not recipient.is_active:
        return "inactive"
    if users_opted_out(user_ids=[recipient.pk], category=Category.MILESTONES):
        return "unsubscribed"
    achievement = record.achievement
    # Milestone notices are made with their achievement, and go with it (CASCADE).
    assert achievement is not None
    if achievement.revoked_at is not None:
        return "revoked"  # undone before its notice went out
    account = achievement.account
    if record.kind == Kind.MILESTONE:
        template, about = "milestone_reached", reverse("account_detail", kwargs={"slug": account.slug})
    else:
        template, about = "congratulations", reverse("customer_home")
    days = max((achievement.achieved_at - achievement.journey.started_at).days, 0)
    return email_build(
        recipient=recipient,
        category=Category.MILESTONES,
        template=template,
        context={"achievement": achievement, "account": account, "milestone": achievement.milestone, "days": days},
        about_url=site_url(about),
        reference=f"notification-{record.pk}",
    )


# --- Weekly digests -----------------------------------------------------------------


def iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


@transaction.atomic
def digests_claim(*, today: date | None = None) -> list[int]:
    """Queue this week's digest for every active CS manager whose digest day has come (or passed,
    if beat did not run that day). Once per person and ISO week. Returns the digests queued."""
    today = today or timezone.localdate()
    period = iso_week(today)
    weekday = today.weekday()
    no_row = ~Exists(NotificationPreferences.objects.filter(user=OuterRef("pk")))
    csms = User.objects.filter(role=User.Role.CSM, is_active=True).filter(
        no_row | Q(notification_preferences__digest=True, notification_preferences__digest_weekday__lte=weekday)
    )
    rows = [Notification(kind=Kind.DIGEST, recipient_id=pk, period=period) for pk in csms.values_list("pk", flat=True)]
    return claim_and_enqueue(
        Notification,
        rows,
        pending=Q(kind=Kind.DIGEST, period=period, enqueued_at=None),
        enqueue=queue.send_notifications,
    )


@dataclass
class AccountLine:
    account: Account
    url: str
    detail: str = ""


@dataclass
class Digest:
    since: datetime
    until: datetime
    completed: list[StepState] = field(default_factory=list)
    completed_count: int = 0
    achievements: list[Achievement] = field(default_factory=list)
    newly_overdue: list[StepState] = field(default_factory=list)
    newly_overdue_count: int = 0
    idle_accounts: list[AccountLine] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.completed or self.achievements or self.newly_overdue or self.idle_accounts)


def digest_for(*, csm: User, until: datetime) -> Digest:
    """What changed in a CS manager's portfolio over the seven days before ``until``."""
    since = until - timedelta(days=DIGEST_DAYS)
    digest = Digest(since=since, until=until)
    states = StepState.objects.filter(journey__account__csm=csm).select_related("journey__account", "step")
    completed = states.filter(status=StepState.Status.DONE, completed_at__gt=since, completed_at__lte=until)
    digest.completed_count = completed.count()
    digest.completed = list(completed.order_by("-completed_at")[:DIGEST_LIST_MAX])
    digest.achievements = list(
        Achievement.objects.filter(account__csm=csm, achieved_at__gt=since, achieved_at__lte=until)
        .select_related("account", "milestone")
        .order_by("-achieved_at")[:DIGEST_LIST_MAX]
    )
    overdue = states.exclude(status__in=StepState.CLOSED).filter(due_at__gt=since, due_at__lte=until)
    digest.newly_overdue_count = overdue.count()
    digest.newly_overdue = list(overdue.order_by("due_at")[:DIGEST_LIST_MAX])
    moved = StepEvent.objects.filter(journey__account=OuterRef("pk"), occurred_at__gt=since, occurred_at__lte=until)
    open_journey = Journey.objects.filter(account=OuterRef("pk"), completed_at=None)
    idle = (
        Account.objects.filter(csm=csm)
        .exclude(status=Account.Status.CHURNED)
        .filter(Exists(open_journey))
        .exclude(Exists(moved))
        .order_by("name")
    )
    digest.idle_accounts = [
        AccountLine(account=a, url=site_url(reverse("account_detail", kwargs={"slug": a.slug})))
        for a in idle[:DIGEST_LIST_MAX]
    ]
    return digest


def _digest_message(record: Notification) -> EmailMultiAlternatives | str:
    recipient = record.recipient
    if not recipient.is_active or not recipient.is_csm:
        return "inactive"
    if users_opted_out(user_ids=[recipient.pk], category=Category.DIGEST):
        return "unsubscribed"
    digest = digest_for(csm=recipient, until=record.created_at)
    return email_build(
        recipient=recipient,
        category=Category.DIGEST,
        template="digest",
        context={"digest": digest, "period": record.period, "site_url": settings.SITE_URL},
        about_url=site_url(reverse("portfolio")),
        reference=f"notification-{record.pk}",
    )


# --- Accounts that turned behind or stuck ---------------------------------------------

RISK_ALERT_WINDOW = timedelta(days=1)


@transaction.atomic
def risk_alerts_claim(*, account_ids: list[int], today: date | None = None) -> list[int]:
    """One e-mail a day to each CS manager of these accounts (which just turned behind or stuck),
    listing all of theirs; once per person and day. Returns the notifications queued."""
    if not account_ids:
        return []
    period = (today or timezone.localdate()).isoformat()
    csms = set(
        Account.objects.filter(pk__in=account_ids, csm__is_active=True)
        .exclude(csm=None)
        .values_list("csm_id", flat=True)
    )
    csms -= users_opted_out(user_ids=csms, category=Category.ACCOUNT_ALERTS)
    rows = [Notification(kind=Kind.RISK, recipient_id=pk, period=period) for pk in sorted(csms)]
    return claim_and_enqueue(
        Notification, rows, pending=Q(kind=Kind.RISK, period=period, enqueued_at=None), enqueue=queue.send_notifications
    )


@dataclass
class RiskLine:
    account: Account
    risk_label: str
    reason: str
    url: str


def _risk_message(record: Notification) -> EmailMultiAlternatives | str:
    recipient = record.recipient
    if not recipient.is_active or not recipient.is_csm:
        return "inactive"
    if users_opted_out(user_ids=[recipient.pk], category=Category.ACCOUNT_ALERTS):
        return "unsubscribed"
    turned = (
        AccountRisk.objects.filter(
            account__csm=recipient,
            risk__in=[AccountRisk.Risk.BEHIND, AccountRisk.Risk.STUCK],
            since__gte=record.created_at - RISK_ALERT_WINDOW,
        )
        .select_related("account")
        .order_by("account__name")
    )
    kept = list(turned[:DIGEST_LIST_MAX])
    # The reasons again, from the rule, so that they read in the recipient's language.
    rows = {row.account.pk: row for row in rows_for([r.account for r in kept], rules=risk_rules(), now=timezone.now())}
    with translation.override(recipient_language(recipient)):
        lines = []
        for r in kept:
            row = rows.get(r.account_id)
            worst = [chip for chip in row.chips if chip.status == r.risk] if row is not None else []
            lines.append(
                RiskLine(
                    account=r.account,
                    risk_label=str(r.get_risk_display()),
                    reason=f"{worst[0].name}: {worst[0].why}" if worst else r.reason,
                    url=site_url(reverse("account_detail", kwargs={"slug": r.account.slug})),
                )
            )
    if not lines:
        return "nothing turned"
    return email_build(
        recipient=recipient,
        category=Category.ACCOUNT_ALERTS,
        template="risk_alert",
        context={"accounts": lines},
        about_url=site_url(reverse("portfolio") + "?sort=risk"),
        reference=f"notification-{record.pk}",
    )


def notification_deliver(*, notification_id: int) -> bool:
    """Send one queued notification (milestone, congratulation, digest or risk alert) at most once."""

    def build(record: EmailRecord) -> EmailMultiAlternatives | str:
        assert isinstance(record, Notification)
        if record.kind == Kind.DIGEST:
            return _digest_message(record)
        if record.kind == Kind.RISK:
            return _risk_message(record)
        return _milestone_message(record)

    return deliver(Notification, notification_id, build)
