"""Reply deadlines told to people, in two kinds of escalation. A *warning*: once three quarters of a
reply target are used up (the fast reply's or the target's, whichever comes first), the inquiry's
assignee — while nobody has it, the support agents (the admins where there are none) — is asked to
reply by the deadline. A *breach*: an inquiry whose reply target passed is told to its account's CS
manager and to the admins. Each once per deadline and person, however often the scans run or their
tasks are delivered. The scans (one beat task, every five minutes) claim in the same transaction as
they enqueue the e-mails (through the outbox); each e-mail is sent once (the claimed row is locked
while it goes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from portal import outbox
from portal.models import User
from support.models import Escalation, Inquiry

Kind = Escalation.Kind
ESCALATIONS_SCAN = "support.tasks.escalations_scan"
ESCALATION_SEND = "support.tasks.escalation_send"
SCAN_BATCH = 500
# Each kind's e-mail: templates emails/<name>.txt, .html and _subject.txt; <name> also marks it in
# the X-Kachi-Notification header.
EMAILS = {Kind.WARNING: "support_warning", Kind.BREACH: "support_escalation"}
# The deadlines warned of: (when the warning is due, the deadline, the mark of the one last warned of).
WARNED = (("fast_warn_at", "fast_due_at", "fast_warned_for"), ("warn_at", "due_at", "warned_for"))


@dataclass(frozen=True)
class Claim:
    """What a scan claims for one inquiry: the deadline to tell of, the people to tell, and the marks
    set on the inquiry so that no scan claims it again for the same deadlines."""

    due_at: dt.datetime
    people: list[User]
    marks: dict[str, dt.datetime]


def _running() -> Q:
    return Q(clock_running_since__isnull=False) & ~Q(clock="")


def _breached(now: dt.datetime) -> Q:
    return _running() & Q(due_at__lte=now) & (Q(escalated_for=None) | ~Q(escalated_for=F("due_at")))


def _nearing(now: dt.datetime) -> Q:
    """A deadline still ahead whose warning time passed and that was not warned of yet."""
    due = Q()
    for warn, deadline, mark in WARNED:
        due |= Q(**{f"{warn}__lte": now, f"{deadline}__gt": now}) & (Q(**{mark: None}) | ~Q(**{mark: F(deadline)}))
    return _running() & due


def _active(role: str) -> list[User]:
    return list(User.objects.filter(role=role, is_active=True).order_by("pk"))


def escalations_scan(*, now: dt.datetime | None = None, batch: int = SCAN_BATCH) -> int:
    """Claim a breach per person (the account's CS manager, the admins) for each inquiry newly past
    its deadline, and enqueue the e-mails. Returns how many were claimed."""
    now = now or timezone.now()
    admins = _active(User.Role.ADMIN)

    def claim(inquiry: Inquiry) -> Claim:
        assert inquiry.due_at is not None  # filtered on it
        people = {admin.pk: admin for admin in admins}
        csm = inquiry.account.csm
        if csm is not None and csm.is_active:
            people[csm.pk] = csm
        return Claim(due_at=inquiry.due_at, people=list(people.values()), marks={"escalated_for": inquiry.due_at})

    pending = Inquiry.objects.filter(_breached(now)).select_related("account__csm").order_by("due_at", "pk")
    return _scan(Kind.BREACH, pending, claim, now=now, batch=batch)


def warnings_scan(*, now: dt.datetime | None = None, batch: int = SCAN_BATCH) -> int:
    """Claim a warning per person (the assignee; while nobody has it, the agents, else the admins)
    for each inquiry newly three quarters through a reply target, and enqueue the e-mails. Returns
    how many were claimed. The warning tells of the nearest deadline whose warning time passed; any
    other whose time passed with it counts as warned of too (replying by the nearest meets both)."""
    now = now or timezone.now()
    desk = _active(User.Role.AGENT) or _active(User.Role.ADMIN)

    def claim(inquiry: Inquiry) -> Claim:
        marks: dict[str, dt.datetime] = {}
        for warn, deadline, mark in WARNED:
            warn_at, due_at = getattr(inquiry, warn), getattr(inquiry, deadline)
            if warn_at is not None and due_at is not None and warn_at <= now < due_at != getattr(inquiry, mark):
                marks[mark] = due_at
        assignee = inquiry.assignee
        people = [assignee] if assignee is not None and assignee.is_active else desk
        return Claim(due_at=min(marks.values()), people=people, marks=marks)

    pending = Inquiry.objects.filter(_nearing(now)).select_related("assignee").order_by("pk")
    return _scan(Kind.WARNING, pending, claim, now=now, batch=batch)


def _scan(
    kind: str, pending: QuerySet[Inquiry], claim: Callable[[Inquiry], Claim], *, now: dt.datetime, batch: int
) -> int:
    """Claim ``kind`` for the inquiries ``pending`` selects, a batch per transaction, until none is
    left: the rows (unique per inquiry, kind, deadline and person), the marks, and the e-mails
    enqueued with them. Two scans at once claim each once (rows locked, skip locked where the
    database can)."""
    if connection.features.has_select_for_update_skip_locked:
        pending = pending.select_for_update(skip_locked=True, of=("self",))
    claimed = 0
    while True:
        with transaction.atomic():
            inquiries = list(pending[:batch])
            if not inquiries:
                return claimed
            rows = []
            for inquiry in inquiries:
                found = claim(inquiry)
                rows += [Escalation(inquiry=inquiry, kind=kind, due_at=found.due_at, recipient=person, created_at=now)
                         for person in found.people]  # fmt: skip
                Inquiry.objects.filter(pk=inquiry.pk).update(**found.marks)
            Escalation.objects.bulk_create(rows, ignore_conflicts=True)
            created = list(
                Escalation.objects.filter(inquiry__in=inquiries, kind=kind, sent_at=None, created_at=now).values_list(
                    "pk", flat=True
                )
            )
            outbox.enqueue_many(ESCALATION_SEND, [[pk] for pk in created])
            claimed += len(created)
            if len(inquiries) < batch:
                return claimed


class HeldElsewhere(Exception):
    """The row to send is locked by another delivery of the same task: the task retries."""


def escalation_send(*, escalation_id: int) -> bool:
    """E-mail one claimed escalation (of either kind) unless it went out already. Returns whether it
    was sent."""
    locking = connection.features.has_select_for_update_skip_locked
    with transaction.atomic() if locking else nullcontext():
        pending = Escalation.objects.select_related("inquiry__account", "recipient").filter(
            pk=escalation_id, sent_at=None
        )
        if locking:
            pending = pending.select_for_update(skip_locked=True, of=("self",))
        escalation = pending.first()
        if escalation is None:
            if Escalation.objects.filter(pk=escalation_id, sent_at=None).exists():
                # Another delivery holds it, or held it and died (its lock lasts until the database
                # notices): try again later rather than take it as sent.
                raise HeldElsewhere(f"escalation {escalation_id} is locked by another delivery")
            return False
        _email(escalation).send()
        Escalation.objects.filter(pk=escalation.pk, sent_at=None).update(sent_at=timezone.now())
    return True


def _email(escalation: Escalation) -> EmailMultiAlternatives:
    recipient, inquiry = escalation.recipient, escalation.inquiry
    name = EMAILS[Kind(escalation.kind)]
    language = recipient.language if recipient.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(recipient.time_zone or None):
        context = {
            "escalation": escalation,
            "inquiry": inquiry,
            "url": settings.SITE_URL + reverse("support:desk_inquiry", kwargs={"pk": inquiry.pk}),
            "site_url": settings.SITE_URL,
        }
        email = EmailMultiAlternatives(
            subject=" ".join(render_to_string(f"emails/{name}_subject.txt", context).split()),
            body=render_to_string(f"emails/{name}.txt", context),
            to=[recipient.email],
            headers={
                "X-Kachi-Notification": f"{name.replace('_', '-')}-{escalation.pk}",
                "Auto-Submitted": "auto-generated",
            },
        )
        email.attach_alternative(render_to_string(f"emails/{name}.html", context), "text/html")
    return email
