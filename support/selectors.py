"""What the desk's pages read: a customer's inquiries (their own; a customer admin, the account's),
a thread as its reader may see it (internal notes only for staff), and the articles to suggest."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from faq.models import Article
from faq.search import search_results
from portal.models import Account, Membership, User
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
    text = " ".join(text.split())[:SUGGEST_CHARS]
    if not text:
        return []
    return list(search_results(text, user=user, language=language, limit=SUGGESTIONS).hits)
