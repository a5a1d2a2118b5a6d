"""Breach escalation: an inquiry whose reply target passed is told to its account's CS manager and
to the admins, once per deadline and person, however often the scan runs or its tasks are
delivered. The scan (beat, every five minutes) claims in the same transaction as it enqueues the
e-mails (through the outbox); each e-mail is sent once (the claimed row is locked while it goes)."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from portal import outbox
from portal.models import User
from support.models import Escalation, Inquiry

ESCALATIONS_SCAN = "support.tasks.escalations_scan"
ESCALATION_SEND = "support.tasks.escalation_send"
SCAN_BATCH = 500


def _breached(now: dt.datetime) -> Q:
    return (
        Q(clock_running_since__isnull=False, due_at__lte=now)
        & ~Q(clock="")
        & (Q(escalated_for=None) | ~Q(escalated_for=F("due_at")))
    )


def escalations_scan(*, now: dt.datetime | None = None, batch: int = SCAN_BATCH) -> int:
    """Claim an escalation per person for each inquiry newly past its deadline, and enqueue the
    e-mails. Returns how many were claimed. Two scans at once claim each once (rows locked, skip
    locked where the database can)."""
    now = now or timezone.now()
    admins = list(User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("pk"))
    claimed = 0
    while True:
        with transaction.atomic():
            pending = Inquiry.objects.filter(_breached(now)).select_related("account__csm").order_by("due_at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                pending = pending.select_for_update(skip_locked=True, of=("self",))
            inquiries = list(pending[:batch])
            if not inquiries:
                return claimed
            rows = []
            for inquiry in inquiries:
                assert inquiry.due_at is not None  # filtered on it
                people = {admin.pk: admin for admin in admins}
                csm = inquiry.account.csm
                if csm is not None and csm.is_active:
                    people[csm.pk] = csm
                rows += [Escalation(inquiry=inquiry, due_at=inquiry.due_at, recipient=person, created_at=now)
                         for person in people.values()]  # fmt: skip
            Escalation.objects.bulk_create(rows, ignore_conflicts=True)
            for inquiry in inquiries:
                Inquiry.objects.filter(pk=inquiry.pk).update(escalated_for=inquiry.due_at)
            created = list(
                Escalation.objects.filter(inquiry__in=inquiries, sent_at=None, created_at=now).values_list(
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
    """E-mail one claimed escalation unless it went out already. Returns whether it was sent."""
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
    language = recipient.language if recipient.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(recipient.time_zone or None):
        context = {
            "escalation": escalation,
            "inquiry": inquiry,
            "url": settings.SITE_URL + reverse("support:desk_inquiry", kwargs={"pk": inquiry.pk}),
            "site_url": settings.SITE_URL,
        }
        email = EmailMultiAlternatives(
            subject=" ".join(render_to_string("emails/support_escalation_subject.txt", context).split()),
            body=render_to_string("emails/support_escalation.txt", context),
            to=[recipient.email],
            headers={"X-Kachi-Notification": f"support-escalation-{escalation.pk}", "Auto-Submitted": "auto-generated"},
        )
        email.attach_alternative(render_to_string("emails/support_escalation.html", context), "text/html")
    return email
