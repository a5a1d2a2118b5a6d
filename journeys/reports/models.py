"""What the reports keep: figures computed by Celery so the pages answer at once."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportSnapshot(models.Model):
    """Report figures computed by Celery, so the pages people click through answer at once."""

    key = models.CharField(_("report"), max_length=100, unique=True)
    payload = models.JSONField(_("figures"))
    computed_at = models.DateTimeField(_("computed"))
    seconds = models.FloatField(_("computation time (s)"), default=0)

    class Meta:
        verbose_name = _("report snapshot")
        verbose_name_plural = _("report snapshots")

    def __str__(self) -> str:
        return self.key


class CalendarDay(models.Model):
    """One day of the business calendar the reports measure business days with, in a time zone (the
    site's): whether it is a business day (not a Saturday, Sunday or Japanese public holiday), how
    many business days come before it since 1900-01-01 (a Monday), and when it starts and how long it
    lasts, so that business days elapsed at a moment are read from the row of its local date
    (``journeys.reports.calendar``)."""

    time_zone = models.CharField(_("time zone"), max_length=64)
    day = models.DateField(_("day"))
    business = models.BooleanField(_("business day"))
    business_before = models.IntegerField(_("business days before it"))
    starts_at = models.DateTimeField(_("starts at"))
    microseconds = models.BigIntegerField(_("length (microseconds)"))

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [models.UniqueConstraint(fields=["time_zone", "day"], name="calendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.time_zone}"
