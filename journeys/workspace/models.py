"""The CS manager's workspace: notes on an account and the success plan agreed with the customer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Account


class AccountNote(models.Model):
    """A CS manager's note on an account (a call, an agreement, a concern); shown on the timeline."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("note"), max_length=4000)
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    edited_at = models.DateTimeField(_("last edited"), null=True, blank=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "created_at"])]

    def __str__(self) -> str:
        return self.body[:60]


class AccountNoteRevision(models.Model):
    """An earlier wording of a note, kept when its author edits it: a note is corrected, never rewritten
    without trace."""

    note = models.ForeignKey(AccountNote, verbose_name=_("note"), on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField(_("earlier wording"), max_length=4000)
    written_at = models.DateTimeField(_("written"))
    replaced_at = models.DateTimeField(_("replaced"), default=timezone.now)

    class Meta:
        verbose_name = _("earlier wording of a note")
        verbose_name_plural = _("earlier wordings of notes")
        ordering = ["-replaced_at", "-id"]

    def __str__(self) -> str:
        return self.body[:60]


class SuccessGoal(models.Model):
    """One goal of the success plan agreed with the customer at the start: what value, by when."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MET = "met", _("Met")
        MISSED = "missed", _("Missed")
        DROPPED = "dropped", _("Dropped")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="success_goals"
    )
    title = models.CharField(_("goal"), max_length=200)
    measure = models.CharField(_("how we know"), max_length=300, blank=True)
    target_on = models.DateField(_("target date"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("success goal")
        verbose_name_plural = _("success plan")
        ordering = ["position", "target_on", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_late(self) -> bool:
        return self.status == self.Status.OPEN and self.target_on < timezone.localdate()
