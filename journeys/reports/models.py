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


class TtvForecast(models.Model):
    """One nightly fit of the predicted time to value for a milestone kind, with how it scored against
    the segments' Kaplan-Meier curves on later journeys (``journeys.reports.prediction``): whether
    it ships, why, and its figures, kept for admins to read. Only the newest fit of a kind keeps its
    predictions."""

    class Reason(models.TextChoices):
        BETTER = "better", _("It beats each segment's Kaplan-Meier curve on later accounts.")
        NOT_BETTER = "not-better", _("It does not beat each segment's Kaplan-Meier curve on later accounts.")
        FEW_REACHED = "few-reached", _("Too few accounts have reached value to learn from.")
        NONE_REACHED_LATER = "none-reached-later", _("No later account has reached value yet to score it on.")
        SHORT_FOLLOW_UP = "short-follow-up", _("The later accounts span too short a time to score it on.")

    kind = models.CharField(_("milestone kind"), max_length=20)
    fitted_at = models.DateTimeField(_("fitted"))
    seconds = models.FloatField(_("computation time (s)"), default=0)
    journeys = models.PositiveIntegerField(_("journeys"), default=0)
    n_train = models.PositiveIntegerField(_("journeys fitted on"), default=0)
    n_test = models.PositiveIntegerField(_("journeys scored"), default=0)
    reached_train = models.PositiveIntegerField(_("reached among those fitted on"), default=0)
    ibs_model = models.FloatField(_("integrated Brier score of the model"), null=True, blank=True)
    ibs_baseline = models.FloatField(_("integrated Brier score of the segments' curves"), null=True, blank=True)
    c_index = models.FloatField(_("C-index"), null=True, blank=True)
    calibration = models.JSONField(_("calibration"), default=list, blank=True)
    coefficients = models.JSONField(_("coefficients"), default=dict, blank=True)
    ships = models.BooleanField(_("shown to CS managers"), default=False)
    reason = models.CharField(_("why"), max_length=40, choices=Reason.choices)

    class Meta:
        verbose_name = _("TTV forecast")
        verbose_name_plural = _("TTV forecasts")
        indexes = [models.Index(fields=["kind", "-fitted_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.fitted_at:%Y-%m-%d %H:%M}"


class TtvPrediction(models.Model):
    """When an open journey will probably reach value, as its kind's newest shipping forecast says."""

    forecast = models.ForeignKey(
        TtvForecast, verbose_name=_("forecast"), on_delete=models.CASCADE, related_name="predictions"
    )
    journey = models.ForeignKey(
        "journeys.Journey", verbose_name=_("journey"), on_delete=models.CASCADE, related_name="predictions"
    )
    account = models.ForeignKey(
        "portal.Account", verbose_name=_("account"), on_delete=models.CASCADE, related_name="ttv_predictions"
    )
    waited_days = models.FloatField(_("days waited"))
    median_at = models.DateTimeField(_("probably by"), null=True, blank=True)
    low_at = models.DateTimeField(_("earliest likely date"), null=True, blank=True)
    high_at = models.DateTimeField(_("latest likely date"), null=True, blank=True)
    within_target = models.FloatField(_("chance within target"), null=True, blank=True)
    by_day = models.JSONField(_("chance by day"), default=dict)
    drivers = models.JSONField(_("drivers"), default=list)

    class Meta:
        verbose_name = _("TTV prediction")
        verbose_name_plural = _("TTV predictions")
        constraints = [models.UniqueConstraint(fields=["forecast", "journey"], name="ttv_prediction_unique")]

    def __str__(self) -> str:
        return f"{self.journey_id}: {self.median_at}"
