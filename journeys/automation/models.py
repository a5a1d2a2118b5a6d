"""Automation: its settings, the e-mails it sends (each claimed once before it is sent), the tasks that
failed for good, and the risk each account was last found at (so a change is told once)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.onboarding.models import Achievement, StepState
from journeys.reports.risk import Risk
from portal.models import Account


class AutomationSettings(models.Model):
    """When overdue-step nudges go out (one row, edited in the admin)."""

    nudge_delay_hours = models.PositiveIntegerField(
        _("first nudge after (hours overdue)"),
        default=24,
        help_text=_("How long a step may be past its due date before its owner is reminded."),
    )
    nudge_repeat_days = models.PositiveIntegerField(
        _("repeat every (days)"), default=3, validators=[MinValueValidator(1)]
    )
    nudge_max = models.PositiveIntegerField(
        _("nudges per step at most"),
        default=3,
        help_text=_("0 turns the nudges off."),
    )
    stuck_after_days = models.PositiveIntegerField(
        _("an account is stuck after (days without progress)"), default=14, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("automation settings")
        verbose_name_plural = _("automation settings")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="automation_settings_single_row")]

    def __str__(self) -> str:
        return str(_("Automation settings"))

    @classmethod
    def load(cls) -> AutomationSettings:
        found, _created = cls.objects.get_or_create(pk=1)
        return found


class EmailRecord(models.Model):
    """One e-mail to one person: claimed (the row exists) before it is sent, marked sent right after."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    enqueued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("not sent"), null=True, blank=True)
    cancel_reason = models.CharField(_("why not sent"), max_length=100, blank=True)

    class Meta:
        abstract = True


class Nudge(EmailRecord):
    """A reminder about an overdue step: the n-th one (occurrence) to one person, at most once."""

    step_state = models.ForeignKey(StepState, verbose_name=_("step"), on_delete=models.CASCADE, related_name="nudges")
    occurrence = models.PositiveSmallIntegerField(_("reminder number"))

    class Meta:
        verbose_name = _("nudge")
        verbose_name_plural = _("nudges")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["step_state", "occurrence", "recipient"], name="nudge_once_per_step_occurrence_recipient"
            )
        ]
        indexes = [models.Index(fields=["account", "created_at"]), models.Index(fields=["sent_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.step_state_id} #{self.occurrence} → {self.recipient_id}"


class Notification(EmailRecord):
    """Any other automatic e-mail: a milestone reached, a congratulation, a weekly digest."""

    class Kind(models.TextChoices):
        MILESTONE = "milestone", _("Milestone reached (CS manager)")
        CONGRATULATIONS = "congratulations", _("Congratulations (customer)")
        DIGEST = "digest", _("Weekly digest")
        RISK = "risk", _("Accounts turned behind or stuck (CS manager)")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    achievement = models.ForeignKey(
        Achievement,
        verbose_name=_("achievement"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    period = models.CharField(_("period"), max_length=10, blank=True, help_text=_("ISO week of a digest."))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "achievement", "recipient"],
                condition=Q(achievement__isnull=False),
                name="notification_once_per_achievement_recipient",
            ),
            models.UniqueConstraint(
                fields=["kind", "period", "recipient"],
                condition=~Q(period=""),
                name="notification_once_per_period_recipient",
            ),
        ]
        indexes = [models.Index(fields=["account", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_id}"


class FailedTask(models.Model):
    """A background task that failed for good (its retries exhausted), for admins to look into."""

    task_name = models.CharField(_("task"), max_length=200, db_index=True)
    task_id = models.CharField(_("task id"), max_length=100, blank=True)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    exception = models.TextField(_("error"))
    traceback = models.TextField(_("traceback"), blank=True)
    failed_at = models.DateTimeField(_("failed"), default=timezone.now)

    class Meta:
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")
        ordering = ["-failed_at"]

    def __str__(self) -> str:
        return f"{self.task_name} @ {self.failed_at:%Y-%m-%d %H:%M}"


class AccountRisk(models.Model):
    """Where an account stands, as the nightly evaluation last found it: kept so that a change (an
    account turning behind or stuck) can be told to its CS manager once."""

    Risk = Risk

    account = models.OneToOneField(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="risk")
    risk = models.CharField(_("risk"), max_length=16, choices=Risk.choices)
    reason = models.CharField(_("why"), max_length=500, blank=True)
    since = models.DateTimeField(_("since"), default=timezone.now)
    evaluated_at = models.DateTimeField(_("evaluated"), default=timezone.now)

    class Meta:
        verbose_name = _("account risk")
        verbose_name_plural = _("account risks")
        indexes = [models.Index(fields=["risk", "since"])]

    def __str__(self) -> str:
        return f"{self.account} · {self.get_risk_display()}"
