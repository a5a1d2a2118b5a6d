"""E-mails about inquiries: a reply from the desk goes to the customer who asked; a question or a
customer's reply goes to the inquiry's assignee, else the account's CS manager, else the support
agents. Each in its recipient's language and time zone, with a link back to the thread; internal
notes are never e-mailed. A message is e-mailed once, however often its task is delivered."""

from __future__ import annotations

from contextlib import nullcontext

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from portal.models import User
from support.models import Message

MESSAGE_NOTIFY = "support.tasks.message_notify"
AGENTS_TOLD_AT_MOST = 10


def recipients(message: Message) -> list[User]:
    """Who hears of ``message``: nobody for a note or an automatic reply."""
    inquiry = message.inquiry
    if message.kind == Message.Kind.NOTE:
        return []
    if message.kind == Message.Kind.REPLY:
        author = inquiry.author
        return [author] if author is not None and author.is_active and not message.automatic else []
    if inquiry.assignee is not None and inquiry.assignee.is_active:
        return [inquiry.assignee]
    csm = inquiry.account.csm
    if csm is not None and csm.is_active:
        return [csm]
    return list(User.objects.filter(role=User.Role.AGENT, is_active=True).order_by("pk")[:AGENTS_TOLD_AT_MOST])


def _language(user: User) -> str:
    return user.language if user.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _email(message: Message, recipient: User) -> EmailMultiAlternatives:
    inquiry = message.inquiry
    staff = not recipient.is_customer
    path = reverse("support:desk_inquiry" if staff else "support:inquiry", kwargs={"pk": inquiry.pk})
    with translation.override(_language(recipient)), timezone.override(recipient.time_zone or None):
        context = {
            "message": message,
            "inquiry": inquiry,
            "recipient": recipient,
            "staff": staff,
            "first": message.kind == Message.Kind.CUSTOMER and not inquiry.messages.filter(pk__lt=message.pk).exists(),
            "url": settings.SITE_URL + path + f"#message-{message.pk}",
            "site_url": settings.SITE_URL,
        }
        subject = " ".join(render_to_string("emails/support_message_subject.txt", context).split())
        email = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("emails/support_message.txt", context),
            to=[recipient.email],
            headers={"X-Kachi-Notification": f"support-message-{message.pk}", "Auto-Submitted": "auto-generated"},
        )
        email.attach_alternative(render_to_string("emails/support_message.html", context), "text/html")
    return email


class HeldElsewhere(Exception):
    """The message to e-mail is locked by another delivery of the same task: the task retries."""


def message_notify(*, message_id: int) -> int:
    """E-mail the people who should hear of this message, once. Returns how many e-mails went out.

    Where the database has row locks, the message stays locked while the e-mails are handed over,
    so a second delivery of the task meanwhile sends nothing."""
    locking = connection.features.has_select_for_update_skip_locked
    with transaction.atomic() if locking else nullcontext():
        pending = Message.objects.select_related(
            "inquiry__account__csm", "inquiry__author", "inquiry__assignee"
        ).filter(pk=message_id, emailed_at=None)
        if locking:
            pending = pending.select_for_update(skip_locked=True, of=("self",))
        message = pending.first()
        if message is None:
            if Message.objects.filter(pk=message_id, emailed_at=None).exclude(kind=Message.Kind.NOTE).exists():
                # Another delivery holds it, or held it and died: try again later.
                raise HeldElsewhere(f"message {message_id} is locked by another delivery")
            return 0
        emails = [_email(message, recipient) for recipient in recipients(message)]
        for email in emails:
            email.send()
        Message.objects.filter(pk=message.pk, emailed_at=None).update(emailed_at=timezone.now())
    return len(emails)
