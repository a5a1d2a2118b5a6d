"""Background work for people and tenants. Tasks take ids and are idempotent."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from portal import imports, outbox, webhooks
from portal.api.idempotency import idempotency_prune
from portal.celery import RETRY_POLICY
from portal.models import Invitation
from portal.services import INVITATION_SEND_EMAIL


@shared_task(name=INVITATION_SEND_EMAIL, **RETRY_POLICY)
def invitation_send_email(invitation_id: int, token: str, language: str) -> bool:
    """Send the invitation link once, however often the task is delivered. Returns False when there is
    nothing to send."""
    # Where the database has row locks, the row stays locked while the message is handed over: a second
    # delivery of the task running meanwhile finds nothing to send.
    with transaction.atomic():
        pending = Invitation.objects.select_related("account", "invited_by").filter(
            pk=invitation_id, email_sent_at=None
        )
        if connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True, of=("self",))
        invitation = pending.first()
        if invitation is None or not invitation.is_open:
            return False
        return _invitation_mail(invitation, token, language)


def _invitation_mail(invitation: Invitation, token: str, language: str) -> bool:
    with translation.override(language):
        context = {
            "invitation": invitation,
            "url": settings.SITE_URL + reverse("invitation_accept", kwargs={"token": token}),
            "site_url": settings.SITE_URL,
        }
        subject = render_to_string("emails/invitation_subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("emails/invitation.txt", context),
            to=[invitation.email],
        )
        message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    message.send()
    # Recorded right after the hand-over, in one statement.
    Invitation.objects.filter(pk=invitation.pk, email_sent_at=None).update(email_sent_at=timezone.now())
    return True


INVITATION_RETENTION_DAYS = 90
SIGN_IN_LOG_RETENTION_DAYS = 90


@shared_task(**RETRY_POLICY)
def housekeeping() -> dict[str, int]:
    """Daily clean-up: invitations long past use, old sign-in logs and old idempotency keys."""
    from axes.handlers.proxy import AxesProxyHandler

    cutoff = timezone.now() - timedelta(days=INVITATION_RETENTION_DAYS)
    invitations, _ = Invitation.objects.filter(accepted_at=None, expires_at__lt=cutoff).delete()
    return {
        "invitations": invitations,
        "access_logs": AxesProxyHandler.reset_logs(age_days=SIGN_IN_LOG_RETENTION_DAYS),
        "failure_logs": AxesProxyHandler.reset_failure_logs(age_days=SIGN_IN_LOG_RETENTION_DAYS),
        "idempotency_keys": idempotency_prune(),
    }


@shared_task(**RETRY_POLICY)
def outbox_sweep() -> dict[str, int]:
    """Every minute: publish the tasks whose relay did not (the broker was down, the process died),
    and forget old published ones."""
    result = outbox.outbox_sweep()
    return {"published": result.published, "failed": result.failed, "pruned": result.pruned}


@shared_task(name=webhooks.WEBHOOK_DELIVER)
def webhook_deliver(delivery_id: int) -> str | None:
    """Make the attempt of a webhook delivery that is due. Its retries are the delivery's own (its
    schedule, in the row), not Celery's: ``webhooks_deliver_due`` makes them."""
    return webhooks.delivery_attempt(delivery_id=delivery_id)


@shared_task(**RETRY_POLICY)
def webhooks_deliver_due() -> int:
    """Every minute: the webhook attempts that are due."""
    return webhooks.deliveries_due()


@shared_task(**RETRY_POLICY)
def webhooks_prune() -> int:
    """Nightly: forget webhook deliveries older than 30 days."""
    return webhooks.deliveries_prune()


@shared_task(name=imports.IMPORT_RUN, soft_time_limit=25 * 60, time_limit=30 * 60)
def account_import_run(import_id: int) -> dict[str, int]:
    """Run a checked import of accounts; a second delivery finds it claimed and does nothing. Not
    retried: a failed import is marked failed, and what it wrote stays recorded for its rollback."""
    done = imports.run_import(import_id=import_id)
    return done.result if done is not None else {}


@shared_task(name=imports.IMPORT_CHECK, soft_time_limit=25 * 60, time_limit=30 * 60)
def account_import_check(import_id: int) -> dict[str, int]:
    """The dry run of an import: counts and the rows in error, nothing else written."""
    checked = imports.run_check(import_id=import_id)
    return checked.checked if checked is not None else {}


@shared_task(name=imports.IMPORT_ROLLBACK, soft_time_limit=25 * 60, time_limit=30 * 60)
def account_import_rollback(import_id: int) -> dict[str, int]:
    """Undo an import, except for the accounts changed since."""
    result = imports.run_rollback(import_id=import_id)
    return {} if result is None else {"restored": result.restored, "deleted": result.deleted, "kept": result.kept}
