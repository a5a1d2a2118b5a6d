"""What changes an inquiry: asking, replies and notes, status changes, and the reply clock they drive.

The clock: asking starts the first-reply clock; a person's public reply stops it (keeping the first
reply's outcome); a customer's reply starts the next-reply clock; waiting on the customer pauses
whatever clock runs, and it resumes with the time it had left. Deadlines are stored each time a
clock starts or resumes: the fast reply in the calendar's business hours, the target on the calendar.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from faq.models import Article
from portal import outbox, webhooks
from portal.models import Account, User, WebhookEvent
from support.clock import Calendar
from support.models import AskAttempt, Attachment, Category, Inquiry, InquiryChange, Message, Priority, ReplyTarget
from support.notifications import MESSAGE_NOTIFY

Files = list[tuple[UploadedFile, str]]  # each with the content type its bytes show

Status = Inquiry.Status
Clock = Inquiry.Clock
DEFAULT_FAST_MINUTES = 60
DEFAULT_TARGET_MINUTES = 24 * 60
# What staff may move an inquiry to (new is only where it starts).
STAFF_STATUSES = (Status.OPEN, Status.WAITING, Status.SOLVED, Status.CLOSED)
# The queue warns once this share of a target is used up.
WARN_AT = 0.75


def reply_target_for(*, account: Account, priority: str) -> ReplyTarget | None:
    """The most specific target that matches (segment, then plan, then priority), or None: the defaults."""
    candidates = ReplyTarget.objects.select_related("calendar").filter(
        Q(segment__isnull=True) | Q(segment_id=account.segment_id), plan__in=["", account.plan],
        priority__in=["", priority],
    )  # fmt: skip
    matching = [target for target in candidates if target.matches(account=account, priority=priority)]
    return max(matching, key=lambda target: (target.specificity, -target.pk), default=None)


@transaction.atomic
def inquiry_create(
    *,
    account: Account,
    author: User,
    subject: str,
    body: str,
    category: Category | None = None,
    priority: str = Priority.NORMAL,
    playbook_key: str = "",
    step_key: str = "",
    attachments: Files | None = None,
    attempt: AskAttempt | None = None,
    at: dt.datetime | None = None,
) -> Inquiry:
    """A customer's question: the first-reply clock starts now, with the targets that apply to it.
    Sent from an ask attempt, the attempt ends with it (and keeps the articles it suggested)."""
    subject, body = subject.strip(), body.strip()
    problems: dict[str, list[str]] = {}
    if not subject:
        problems["subject"] = [_("Say in a few words what it is about.")]
    if not body:
        problems["body"] = [_("Describe what you are trying to do and what happens.")]
    if priority not in Priority.values:
        problems["priority"] = [_("Choose a priority.")]
    if problems:
        raise ValidationError(problems)
    now = at or timezone.now()
    target = reply_target_for(account=account, priority=priority)
    inquiry = Inquiry(
        account=account, author=author, subject=subject[:200], body=body, category=category, priority=priority,
        playbook_key=playbook_key, step_key=step_key, created_at=now, updated_at=now,
        calendar=target.calendar if target else None,
        fast_minutes=target.fast_minutes if target else DEFAULT_FAST_MINUTES,
        first_reply_minutes=target.first_reply_minutes if target else DEFAULT_TARGET_MINUTES,
        next_reply_minutes=target.next_reply_minutes if target else DEFAULT_TARGET_MINUTES,
    )  # fmt: skip
    _clock_start(inquiry, Clock.FIRST, now)
    inquiry.save()
    message = Message.objects.create(
        inquiry=inquiry, kind=Message.Kind.CUSTOMER, author=author, body=body, created_at=now
    )
    _attach(message, attachments)
    outbox.enqueue(MESSAGE_NOTIFY, [message.pk])
    if attempt is not None and attempt.account_id == account.pk and not attempt.is_over:
        AskAttempt.objects.filter(pk=attempt.pk, inquiry=None, solved_at=None).update(inquiry=inquiry)
    _emit(inquiry, WebhookEvent.INQUIRY_CREATED)
    return inquiry


@transaction.atomic
def inquiry_reply(
    *,
    inquiry: Inquiry,
    by: User,
    body: str,
    internal: bool = False,
    automatic: bool = False,
    status: str | None = None,
    attachments: Files | None = None,
    at: dt.datetime | None = None,
) -> Message:
    """A message on the thread. The customer's side replies as the customer; staff reply publicly or
    write an internal note. A person's public reply stops the clock (the first one keeps its outcome)
    and leaves the inquiry waiting on the customer unless ``status`` says otherwise; a customer's reply
    reopens it and starts the next-reply clock."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": [_("Write a message.")]})
    inquiry = (
        Inquiry.objects.select_for_update(of=("self",))
        .select_related("calendar", "account", "category")
        .get(pk=inquiry.pk)
    )
    if inquiry.is_closed:
        raise ValidationError(_("This inquiry is closed; ask a new question instead."))
    now = at or timezone.now()
    from_customer = by.role == User.Role.CUSTOMER
    if from_customer and (internal or automatic):
        raise ValidationError(_("Customers write to the thread only."))
    kind = Message.Kind.CUSTOMER if from_customer else Message.Kind.NOTE if internal else Message.Kind.REPLY
    message = Message.objects.create(
        inquiry=inquiry, kind=kind, author=by, body=body, automatic=automatic, created_at=now
    )
    _attach(message, attachments)
    if kind != Message.Kind.NOTE and not automatic:
        outbox.enqueue(MESSAGE_NOTIFY, [message.pk])
    old_status = inquiry.status
    if from_customer:
        if inquiry.clock == Clock.NONE:
            _clock_start(inquiry, Clock.NEXT, now)
        elif inquiry.is_paused:
            _clock_resume(inquiry, now)
        inquiry.status = Status.OPEN
        inquiry.solved_at = None
    elif kind == Message.Kind.REPLY and not automatic:
        if inquiry.clock == Clock.FIRST and inquiry.first_replied_at is None:
            _first_reply(inquiry, now)
        _clock_stop(inquiry)
        inquiry.status = status or Status.WAITING
        if inquiry.status == Status.SOLVED:
            inquiry.solved_at = now
    elif status is not None:
        if status not in STAFF_STATUSES:
            raise ValidationError({"status": [_("Choose a status.")]})
        _status_move(inquiry, status, now)
    elif inquiry.status == Status.NEW:
        inquiry.status = Status.OPEN
    inquiry.updated_at = now
    inquiry.save()
    if inquiry.status != old_status:
        InquiryChange.objects.create(
            inquiry=inquiry, field=InquiryChange.Field.STATUS, old=old_status, new=inquiry.status, actor=by,
            occurred_at=now,
        )  # fmt: skip
    # An internal note is nobody's business outside the desk: it emits nothing, unless it moved the
    # inquiry on purpose (``status``); then only the move, never the note.
    events: list[webhooks.Event] = []
    if kind == Message.Kind.REPLY:
        events.append(_event(inquiry, WebhookEvent.INQUIRY_REPLIED, message=_message_data(message)))
    if inquiry.status != old_status and (kind != Message.Kind.NOTE or status is not None):
        events.extend(_status_events(inquiry, old_status))
    webhooks.events_emit(events)
    return message


@transaction.atomic
def inquiry_set_status(*, inquiry: Inquiry, status: str, by: User, at: dt.datetime | None = None) -> Inquiry:
    """Staff move an inquiry: waiting on the customer pauses the clock, open again resumes it, solved
    and closed stop it."""
    if status not in STAFF_STATUSES:
        raise ValidationError({"status": [_("Choose a status.")]})
    inquiry = (
        Inquiry.objects.select_for_update(of=("self",))
        .select_related("calendar", "account", "category")
        .get(pk=inquiry.pk)
    )
    if inquiry.status == status:
        return inquiry
    now = at or timezone.now()
    old_status = inquiry.status
    _status_move(inquiry, status, now)
    inquiry.updated_at = now
    inquiry.save()
    InquiryChange.objects.create(
        inquiry=inquiry, field=InquiryChange.Field.STATUS, old=old_status, new=status, actor=by, occurred_at=now
    )
    webhooks.events_emit(_status_events(inquiry, old_status))
    return inquiry


# --- Webhook events: what receivers get of an inquiry (never a message's body) ------------------


def _time(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment is not None else None


def _inquiry_data(inquiry: Inquiry) -> dict[str, Any]:
    account, category = inquiry.account, inquiry.category
    return {
        "account": {"id": account.pk, "slug": account.slug, "external_id": account.external_id},
        "inquiry": {
            "id": inquiry.pk,
            "subject": inquiry.subject,
            "status": inquiry.status,
            "priority": inquiry.priority,
            "category": category.slug if category is not None else None,
            "playbook_key": inquiry.playbook_key,
            "step_key": inquiry.step_key,
            "created_at": _time(inquiry.created_at),
            "updated_at": _time(inquiry.updated_at),
            "first_replied_at": _time(inquiry.first_replied_at),
            "due_at": _time(inquiry.due_at),
            "solved_at": _time(inquiry.solved_at),
        },
    }


def _message_data(message: Message) -> dict[str, Any]:
    return {"id": message.pk, "automatic": message.automatic, "created_at": _time(message.created_at)}


def _event(inquiry: Inquiry, event_type: str, **extra: Any) -> webhooks.Event:
    return webhooks.Event(event_type, {**_inquiry_data(inquiry), **extra})


def _emit(inquiry: Inquiry, event_type: str, **extra: Any) -> None:
    webhooks.events_emit([_event(inquiry, event_type, **extra)])


def _status_events(inquiry: Inquiry, old_status: str) -> list[webhooks.Event]:
    events = [_event(inquiry, WebhookEvent.INQUIRY_STATUS_CHANGED, old_status=old_status)]
    if inquiry.status == Status.SOLVED:
        events.append(_event(inquiry, WebhookEvent.INQUIRY_SOLVED, old_status=old_status))
    return events


def _attach(message: Message, attachments: Files | None) -> None:
    for file, content_type in attachments or []:
        Attachment.objects.create(
            message=message, file=file, name=(file.name or "file")[:200], content_type=content_type, size=file.size or 0
        )


# --- Asking: the articles suggested first ---------------------------------------------------


def attempt_start(
    *, account: Account, user: User, query: str = "", playbook_key: str = "", step_key: str = "",
    category: Category | None = None, at: dt.datetime | None = None,
) -> AskAttempt:  # fmt: skip
    """A customer opened the form to ask (one of the forms started that deflection is counted over)."""
    return AskAttempt.objects.create(
        account=account, user=user, query=query[:200], playbook_key=playbook_key, step_key=step_key, category=category,
        started_at=at or timezone.now(),
    )  # fmt: skip


def _add_ids(current: list[int], ids: list[int]) -> list[int]:
    return current + [pk for pk in ids if pk not in current]


@transaction.atomic
def attempt_shown(*, attempt: AskAttempt, article_ids: list[int]) -> None:
    """These articles were suggested to the attempt's customer."""
    locked = AskAttempt.objects.select_for_update().get(pk=attempt.pk)
    shown = _add_ids(list(locked.shown), article_ids)
    if shown != locked.shown:
        locked.shown = shown
        locked.save(update_fields=["shown"])


@transaction.atomic
def attempt_opened(*, attempt: AskAttempt, article: Article) -> None:
    locked = AskAttempt.objects.select_for_update().get(pk=attempt.pk)
    if article.pk not in locked.opened:
        locked.opened = [*locked.opened, article.pk]
        locked.shown = _add_ids(list(locked.shown), [article.pk])
        locked.save(update_fields=["opened", "shown"])


@transaction.atomic
def attempt_solved(*, attempt: AskAttempt, article: Article, at: dt.datetime | None = None) -> AskAttempt:
    """ "This solved it": the attempt ends before a question was sent, counted for the article."""
    locked = AskAttempt.objects.select_for_update().get(pk=attempt.pk)
    if locked.is_over:
        raise ValidationError(_("This question was already sent or solved."))
    locked.solved_by, locked.solved_at = article, at or timezone.now()
    locked.opened = _add_ids(list(locked.opened), [article.pk])
    locked.shown = _add_ids(list(locked.shown), [article.pk])
    locked.save(update_fields=["solved_by", "solved_at", "opened", "shown"])
    return locked


def _status_move(inquiry: Inquiry, status: str, now: dt.datetime) -> None:
    if inquiry.is_closed:
        raise ValidationError({"status": [_("A closed inquiry stays closed.")]})
    if status == Status.WAITING:
        _clock_pause(inquiry, now)
    elif status == Status.OPEN:
        if inquiry.is_paused:
            _clock_resume(inquiry, now)
    else:  # solved, closed
        _clock_stop(inquiry)
        inquiry.solved_at = inquiry.solved_at or now
    inquiry.status = status


# --- The clock --------------------------------------------------------------------------------


def _targets(inquiry: Inquiry) -> tuple[dt.timedelta | None, dt.timedelta]:
    """(fast reply in business time, target on the calendar) of the clock that runs."""
    if inquiry.clock == Clock.FIRST:
        return dt.timedelta(minutes=inquiry.fast_minutes), dt.timedelta(minutes=inquiry.first_reply_minutes)
    return None, dt.timedelta(minutes=inquiry.next_reply_minutes)


def _clock_start(inquiry: Inquiry, clock: str, now: dt.datetime) -> None:
    inquiry.clock = clock
    inquiry.clock_used_seconds = inquiry.clock_used_business_seconds = 0.0
    _clock_resume(inquiry, now)


def _clock_resume(inquiry: Inquiry, now: dt.datetime) -> None:
    """Run from ``now`` with what the clock has left: the deadlines (and the moments three quarters
    of each target are used up) are stored here."""
    inquiry.clock_running_since = now
    fast, target = _targets(inquiry)
    used = dt.timedelta(seconds=inquiry.clock_used_seconds)
    inquiry.due_at = now + max(target - used, dt.timedelta(0))
    inquiry.warn_at = now + max(target * WARN_AT - used, dt.timedelta(0))
    if fast is None:
        inquiry.fast_due_at = inquiry.fast_warn_at = None
        return
    business = _business(inquiry)
    used_business = dt.timedelta(seconds=inquiry.clock_used_business_seconds)
    inquiry.fast_due_at = business.add(now, max(fast - used_business, dt.timedelta(0)))
    inquiry.fast_warn_at = business.add(now, max(fast * WARN_AT - used_business, dt.timedelta(0)))


def _clock_pause(inquiry: Inquiry, now: dt.datetime) -> None:
    if not inquiry.clock or inquiry.clock_running_since is None:
        return
    used, business = _used(inquiry, now)
    inquiry.clock_used_seconds, inquiry.clock_used_business_seconds = used, business
    inquiry.clock_running_since = inquiry.due_at = inquiry.fast_due_at = None
    inquiry.warn_at = inquiry.fast_warn_at = None


def _clock_stop(inquiry: Inquiry) -> None:
    inquiry.clock = Clock.NONE
    inquiry.clock_running_since = inquiry.due_at = inquiry.fast_due_at = None
    inquiry.warn_at = inquiry.fast_warn_at = None
    inquiry.clock_used_seconds = inquiry.clock_used_business_seconds = 0.0


def _used(inquiry: Inquiry, now: dt.datetime) -> tuple[float, float]:
    """(calendar, business) seconds the clock has run, as of ``now``."""
    used, business = inquiry.clock_used_seconds, inquiry.clock_used_business_seconds
    if inquiry.clock_running_since is not None and now > inquiry.clock_running_since:
        used += (now - inquiry.clock_running_since).total_seconds()
        business += _business(inquiry).between(inquiry.clock_running_since, now).total_seconds()
    return used, business


def _first_reply(inquiry: Inquiry, now: dt.datetime) -> None:
    """Keep the first reply's outcome: it stays whatever happens after."""
    used, business = _used(inquiry, now)
    inquiry.first_replied_at = now
    inquiry.first_reply_seconds, inquiry.first_reply_business_seconds = used, business
    inquiry.first_reply_fast = business <= inquiry.fast_minutes * 60
    inquiry.first_reply_in_target = used <= inquiry.first_reply_minutes * 60


def _business(inquiry: Inquiry) -> Calendar:
    cached: Calendar | None = getattr(inquiry, "_business_clock", None)
    if cached is None:
        cached = inquiry.business_clock()
        inquiry._business_clock = cached  # type: ignore[attr-defined]
    return cached


@transaction.atomic
def inquiry_assign(*, inquiries: list[Inquiry], assignee: User | None, by: User) -> int:
    """Give these inquiries to ``assignee`` (None: to nobody), keeping each change in the history.
    The assignee is someone on the desk: an agent, an admin, or the account's CS manager."""
    if assignee is not None and not (
        assignee.is_agent
        or assignee.is_admin
        or (assignee.is_csm and all(i.account.csm_id == assignee.pk for i in inquiries))
    ):
        raise ValidationError({"assignee": [_("Choose a support agent, an admin or the account's CS manager.")]})
    now = timezone.now()
    changed = 0
    locked = Inquiry.objects.select_for_update(of=("self",)).filter(pk__in=[i.pk for i in inquiries])
    for inquiry in locked.select_related("assignee"):
        if inquiry.assignee_id == (assignee.pk if assignee else None):
            continue
        old = inquiry.assignee.email if inquiry.assignee else ""
        inquiry.assignee, inquiry.updated_at = assignee, now
        inquiry.save(update_fields=["assignee", "updated_at"])
        InquiryChange.objects.create(
            inquiry=inquiry, field=InquiryChange.Field.ASSIGNEE, old=old, new=assignee.email if assignee else "",
            actor=by, occurred_at=now,
        )  # fmt: skip
        changed += 1
    return changed
