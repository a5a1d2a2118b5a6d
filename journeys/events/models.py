"""Usage events in: raw events (kept for the retention period),
their counts per account, name, property filter and day, and the event criterion rules share."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Account, ApiToken


class EventCriterion(models.Model):
    """ "At least N events named X (matching a property filter), optionally on at
    least D distinct days within a W-day window." Shared by steps and milestones."""

    event_name = models.CharField(_("event name"), max_length=100, blank=True, db_index=True)
    event_min_count = models.PositiveIntegerField(
        _("at least this many events"), default=1, validators=[MinValueValidator(1)]
    )
    event_min_days = models.PositiveIntegerField(
        _("on at least this many distinct days"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    event_window_days = models.PositiveIntegerField(
        _("within a window of days"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Leave empty to count over the whole journey."),
    )
    event_properties = models.JSONField(
        _("property filter"),
        default=dict,
        blank=True,
        help_text=_('Events count only when their properties contain these values, e.g. {"channel": "email"}.'),
    )

    class Meta:
        abstract = True

    @property
    def has_event_rule(self) -> bool:
        return bool(self.event_name)


class UsageEvent(models.Model):
    """A raw product event, kept for the retention period. Idempotent on (key, external id) through
    its ``UsageEventKey``.

    On PostgreSQL the table is partitioned by month of ``received_at`` (``journeys/events/partitions.py``):
    its primary key there is (id, received_at), as PostgreSQL requires of a partitioned table, while
    Django keeps ``id`` as the primary key it knows (ids come from one sequence, so ``id`` alone stays
    unique; a CompositePrimaryKey would bar the model from the admin and from being the target of a
    ForeignKey). Nothing points at this table by foreign key.

    An append-only log written 100 to 1,000 rows a statement: its references are not checked by the
    database (``db_constraint=False``; the checks were a third of the insert), but by the one service
    that writes it, in the same transaction as the token and account it read; deleting a token or an
    account still deletes its events (Django's cascade). The account has no index of its own: the
    (account, name, occurred_at) index begins with it.
    """

    api_key = models.ForeignKey(
        ApiToken, verbose_name=_("API token"), on_delete=models.CASCADE, related_name="events", db_constraint=False
    )
    external_id = models.CharField(_("event id"), max_length=200)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="usage_events",
        db_constraint=False,
        db_index=False,
    )
    user_ref = models.CharField(_("user"), max_length=200, blank=True)
    name = models.CharField(_("name"), max_length=100)
    occurred_at = models.DateTimeField(_("occurred"))
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("usage event")
        verbose_name_plural = _("usage events")
        indexes = [
            models.Index(fields=["account", "name", "occurred_at"]),
            models.Index(fields=["received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class UsageEventKey(models.Model):
    """The (token, event id) of every raw event kept: its unique constraint is what makes ingestion
    idempotent, also between concurrent requests. A table of its own because a partitioned table can
    hold a unique constraint only with the partition key in it, and (token, event id, month) would let
    a replay in another month in. Narrow rows, pruned with the raw events, received before the same
    moment. Like the events, its token is checked by the service that writes it, not by the database,
    and has no index of its own: the unique (token, event id) begins with it."""

    api_key = models.ForeignKey(
        ApiToken,
        verbose_name=_("API token"),
        on_delete=models.CASCADE,
        related_name="event_keys",
        db_constraint=False,
        db_index=False,
    )
    external_id = models.CharField(_("event id"), max_length=200)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("usage event key")
        verbose_name_plural = _("usage event keys")
        constraints = [models.UniqueConstraint(fields=["api_key", "external_id"], name="usage_event_key_unique")]

    def __str__(self) -> str:
        return f"{self.api_key_id}: {self.external_id}"


class DailyEventCount(models.Model):
    """Events per account, name, property filter and day (in TIME_ZONE): what rules evaluate on.

    ``filter_key`` is "" for all events of the name, or the canonical JSON of a
    property filter some rule uses. Kept after raw events are pruned.
    """

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="daily_event_counts"
    )
    name = models.CharField(_("name"), max_length=100)
    filter_key = models.CharField(_("property filter"), max_length=500, blank=True, default="")
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("count"), default=0)
    first_at = models.DateTimeField(_("first event"))
    last_at = models.DateTimeField(_("last event"))

    class Meta:
        verbose_name = _("daily event count")
        verbose_name_plural = _("daily event counts")
        ordering = ["account", "name", "day"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name", "filter_key", "day"], name="daily_event_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.name} {self.day}: {self.count}"


class UsageMark(models.Model):
    """Per account: how many changes of its usage were received, and up to which the evaluation of its
    journeys has caught up. ``received`` counts up with every batch of new events (and a journey
    started); an evaluation that covered them moves ``evaluated`` up. An account whose evaluation is
    behind for more than a few minutes, whatever happened to its task, is evaluated again by the sweep."""

    account = models.OneToOneField(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, primary_key=True, related_name="usage_mark"
    )
    received = models.PositiveBigIntegerField(_("changes received"), default=0)
    evaluated = models.PositiveBigIntegerField(_("changes evaluated"), default=0)
    due_since = models.DateTimeField(_("waiting since"), default=timezone.now)
    received_at = models.DateTimeField(_("last received"), default=timezone.now)
    queued_at = models.DateTimeField(_("catch-up queued"), null=True, blank=True)

    class Meta:
        verbose_name = _("usage mark")
        verbose_name_plural = _("usage marks")
        indexes = [
            # Only the accounts whose evaluation is behind: the sweep's one query reads this, however many accounts.
            models.Index(fields=["due_since"], condition=Q(received__gt=F("evaluated")), name="usage_mark_due"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.evaluated}/{self.received}"
