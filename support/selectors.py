"""What the desk's pages read: a customer's inquiries (their own; a customer admin, the account's),
a thread as its reader may see it (internal notes only for staff), and the articles to suggest."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce, Least
from django.http import Http404
from django.utils import timezone

from faq.models import Article
from faq.search import search_results
from portal.models import Account, Membership, User
from portal.tenancy import token_account_id
from support.clock import Calendar
from support.models import Attachment, Inquiry, Message

SUGGESTIONS = 5
SUGGEST_CHARS = 200


def customer_inquiries(*, user: User, account: Account) -> QuerySet[Inquiry]:
    """The inquiries a customer sees: a customer admin, every one of the account; a member, their own."""
    inquiries = Inquiry.objects.filter(account=account)
    is_admin = Membership.objects.filter(user=user, account=account, role=Membership.Role.ADMIN).exists()
    if not is_admin:
        inquiries = inquiries.filter(author=user)
    return inquiries.select_related("category", "author").order_by("-updated_at", "-id")


def customer_inquiry(*, user: User, account: Account, pk: int) -> Inquiry:
    """One inquiry the customer may see; any other answers as a missing one."""
    inquiry = customer_inquiries(user=user, account=account).select_related("calendar").filter(pk=pk).first()
    if inquiry is None:
        raise Http404
    return inquiry


def thread(*, inquiry: Inquiry, staff: bool) -> list[Message]:
    """The messages in order with their attachments; customers never get the internal notes."""
    messages = Message.objects.filter(inquiry=inquiry)
    if not staff:
        messages = messages.exclude(kind=Message.Kind.NOTE)
    return list(
        messages.select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class ReplyPromise:
    """What the customer is told: "we reply by <time>", and whether the desk is away now."""

    by: dt.datetime | None
    away_now: bool
    back_at: dt.datetime | None


def reply_promise(*, inquiry: Inquiry, now: dt.datetime | None = None) -> ReplyPromise:
    now = now or timezone.now()
    if not inquiry.clock or inquiry.clock_running_since is None:
        return ReplyPromise(by=None, away_now=False, back_at=None)
    business: Calendar = inquiry.business_clock()
    away = not business.is_open(now)
    back = next(iter(business.spans(now)), (None, None))[0] if away else None
    by = min(d for d in (inquiry.fast_due_at, inquiry.due_at) if d is not None) if inquiry.due_at else None
    return ReplyPromise(by=by, away_now=away, back_at=back)


def suggestions(*, text: str, user: User, language: str) -> list[Article]:
    """The articles that best answer what the customer typed (the help search's ranking), at most five."""
    # What a refused form holds comes back here as typed: no NUL (PostgreSQL refuses it in a query).
    text = " ".join(text.replace("\x00", " ").split())[:SUGGEST_CHARS]
    if not text:
        return []
    return list(search_results(text, user=user, language=language, limit=SUGGESTIONS).hits)


# --- The desk ----------------------------------------------------------------------------------


def desk_inquiries(*, user: User) -> QuerySet[Inquiry]:
    """The inquiries ``user`` answers: every one for agents and admins, their accounts' for a CS manager."""
    inquiries = Inquiry.objects.all()
    if (only := token_account_id(user)) is not None:  # an API token for one account
        inquiries = inquiries.filter(account_id=only)
    if user.is_agent or user.is_admin:
        pass
    elif user.is_csm:
        inquiries = inquiries.filter(account__csm=user)
    else:
        inquiries = inquiries.none()
    return inquiries.select_related("account", "category", "assignee", "author")


def desk_inquiry(*, user: User, pk: int) -> Inquiry:
    inquiry = desk_inquiries(user=user).select_related("calendar").filter(pk=pk).first()
    if inquiry is None:
        raise Http404
    return inquiry


def by_deadline(inquiries: QuerySet[Inquiry]) -> QuerySet[Inquiry]:
    """The nearest deadline first (the fast reply's, else the target's); nothing owed last."""
    # PostgreSQL reads this order from the index of migration support.0007: change both together.
    nearest = Least(Coalesce("fast_due_at", "due_at"), "due_at")
    return inquiries.annotate(nearest_due=nearest).order_by(F("nearest_due").asc(nulls_last=True), "-updated_at", "-id")


def desk_people() -> QuerySet[User]:
    """Who may be given an inquiry: agents, admins, and CS managers."""
    return User.objects.filter(is_active=True, role__in=[User.Role.AGENT, User.Role.ADMIN, User.Role.CSM]).order_by(
        "name", "email"
    )


@dataclass(frozen=True)
class Urgency:
    """Where an inquiry's clock stands now: ``late`` past its target, ``fast_missed`` past the fast
    reply, ``warning`` three quarters used up, ``ok``, or ``none`` (nothing owed, or paused)."""

    state: str
    due: dt.datetime | None


def urgency(inquiry: Inquiry, *, now: dt.datetime | None = None) -> Urgency:
    now = now or timezone.now()
    if not inquiry.clock or inquiry.clock_running_since is None or inquiry.due_at is None:
        return Urgency("none", None)
    if now >= inquiry.due_at:
        return Urgency("late", inquiry.due_at)
    if inquiry.fast_due_at is not None and now >= inquiry.fast_due_at:
        return Urgency("fast_missed", inquiry.due_at)
    due = inquiry.fast_due_at or inquiry.due_at
    warned = [w for w in (inquiry.fast_warn_at, inquiry.warn_at) if w is not None]
    return Urgency("warning" if any(now >= w for w in warned) else "ok", due)


URGENCY_STATES = ("late", "fast_missed", "warning", "ok", "none")


def with_urgency(inquiries: QuerySet[Inquiry], *, state: str, now: dt.datetime) -> QuerySet[Inquiry]:
    """The inquiries whose clock stands at ``state`` at ``now``: the rule of ``urgency``, in the database."""
    running = ~Q(clock="") & Q(clock_running_since__isnull=False, due_at__isnull=False)
    if state == "none":
        return inquiries.exclude(running)
    inquiries = inquiries.filter(running)
    if state == "late":
        return inquiries.filter(due_at__lte=now)
    inquiries = inquiries.filter(due_at__gt=now)
    fast_missed = Q(fast_due_at__lte=now)
    if state == "fast_missed":
        return inquiries.filter(fast_missed)
    inquiries = inquiries.exclude(fast_missed)
    warned = Q(fast_warn_at__lte=now) | Q(warn_at__lte=now)
    if state == "warning":
        return inquiries.filter(warned)
    if state == "ok":
        return inquiries.exclude(warned)
    raise ValueError(f"no such urgency: {state}")


def account_inquiries(*, account: Account, limit: int = 8) -> list[tuple[Inquiry, Urgency]]:
    """The account's latest inquiries, those owed a reply first, with where each clock stands (one query)."""
    inquiries = by_deadline(
        Inquiry.objects.filter(account=account).exclude(status=Inquiry.Status.CLOSED).select_related("assignee")
    )[:limit]
    now = timezone.now()
    return [(inquiry, urgency(inquiry, now=now)) for inquiry in inquiries]
