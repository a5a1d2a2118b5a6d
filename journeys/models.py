"""Onboarding journeys: playbooks (versioned templates), steps, milestones and their
rules, each account's journey through a playbook version, achievements, value
records, API keys and usage events (raw and counted per day)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Account, MilestoneKind, Segment


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


class Playbook(models.Model):
    """One version of an onboarding checklist template.

    Versions of the same playbook share ``key``. A published version is never
    edited: editing starts a new draft version, and journeys keep the version
    they started on until an admin moves them.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    key = models.SlugField(_("key"), max_length=80, help_text=_("The same for every version of this playbook."))
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    segments = models.ManyToManyField(Segment, verbose_name=_("segments"), related_name="playbooks", blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="playbook_key_version_unique"),
            models.UniqueConstraint(
                fields=["key"], condition=Q(status="published"), name="playbook_one_published_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Step(EventCriterion):
    """An item of a playbook's checklist."""

    class Owner(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        CSM = "csm", _("CS manager")

    playbook = models.ForeignKey(Playbook, verbose_name=_("playbook"), on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(_("key"), max_length=80, help_text=_("Identifies the step across playbook versions."))
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    guidance = models.TextField(_("guidance"), blank=True, help_text=_("Markdown."))
    owner = models.CharField(_("owner"), max_length=16, choices=Owner.choices, default=Owner.CUSTOMER)
    due_offset_days = models.PositiveIntegerField(_("due (days from start)"), default=7)
    required = models.BooleanField(_("required for full value"), default=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["playbook", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["playbook", "key"], name="step_key_unique_in_playbook")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_customer_side(self) -> bool:
        return self.owner == self.Owner.CUSTOMER


class Milestone(EventCriterion):
    """A value marker of a playbook: what reaching it means, and by when."""

    class Rule(models.TextChoices):
        STEPS = "steps", _("Steps done")
        EVENT = "event", _("Usage events")
        ROI = "roi", _("Recorded value reaches the investment")

    playbook = models.ForeignKey(
        Playbook, verbose_name=_("playbook"), on_delete=models.CASCADE, related_name="milestones"
    )
    key = models.SlugField(_("key"), max_length=80, help_text=_("Identifies the milestone across playbook versions."))
    position = models.PositiveIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=MilestoneKind.choices)
    target_days = models.PositiveIntegerField(
        _("target (days from start)"),
        null=True,
        blank=True,
        help_text=_("Leave empty to use the segment's target for this kind."),
    )
    rule = models.CharField(_("rule"), max_length=16, choices=Rule.choices, default=Rule.STEPS)
    steps = models.ManyToManyField(
        Step,
        verbose_name=_("steps"),
        blank=True,
        related_name="milestones",
        help_text=_("For the steps rule: these steps done. None chosen means every required step."),
    )

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["playbook", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["playbook", "key"], name="milestone_key_unique_in_playbook"),
            models.CheckConstraint(
                condition=~Q(rule="event") | ~Q(event_name=""), name="milestone_event_rule_has_event_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def target_for(self, segment: Segment) -> int | None:
        return self.target_days if self.target_days is not None else segment.target_days(self.kind)


class Journey(models.Model):
    """One account's run of one playbook version."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="journeys")
    playbook = models.ForeignKey(
        Playbook, verbose_name=_("playbook"), on_delete=models.PROTECT, related_name="journeys"
    )
    playbook_key = models.SlugField(_("playbook key"), max_length=80, editable=False)
    started_at = models.DateTimeField(_("started"), help_text=_("The TTV clock start; the contract start by default."))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["account", "playbook_key"], name="journey_one_per_account_and_playbook")
        ]

    def __str__(self) -> str:
        return f"{self.account} · {self.playbook}"


class StepState(models.Model):
    """Where one step of one journey stands. Every change also appends a StepEvent."""

    class Status(models.TextChoices):
        TODO = "todo", _("To do")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")
        BLOCKED = "blocked", _("Blocked")

    CLOSED = (Status.DONE, Status.SKIPPED)

    journey = models.ForeignKey(
        Journey, verbose_name=_("journey"), on_delete=models.CASCADE, related_name="step_states"
    )
    step = models.ForeignKey(Step, verbose_name=_("step"), on_delete=models.PROTECT, related_name="states")
    step_key = models.SlugField(_("step key"), max_length=80, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.TODO)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_steps",
    )
    due_at = models.DateTimeField(_("due"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("step state")
        verbose_name_plural = _("step states")
        ordering = ["journey", "step__position"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "step_key"], name="step_state_one_per_journey_step"),
            models.CheckConstraint(
                condition=Q(status__in=["done", "skipped"], completed_at__isnull=False)
                | (~Q(status__in=["done", "skipped"]) & Q(completed_at__isnull=True)),
                name="step_state_completed_iff_closed",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.step} ({self.get_status_display()})"

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED

    @property
    def is_overdue(self) -> bool:
        return not self.is_closed and self.due_at < timezone.now()


class Source(models.TextChoices):
    MANUAL = "manual", _("By hand")
    EVENT = "event", _("Usage event")
    RULE = "rule", _("Rule")
    IMPORT = "import", _("Import")
    MIGRATION = "migration", _("Moved to a new version")


class StepEvent(models.Model):
    """Append-only history of a step state: nothing here is ever updated or deleted."""

    step_state = models.ForeignKey(
        StepState, verbose_name=_("step state"), on_delete=models.CASCADE, related_name="history"
    )
    journey = models.ForeignKey(
        Journey, verbose_name=_("journey"), on_delete=models.CASCADE, related_name="step_history"
    )
    from_status = models.CharField(_("from"), max_length=16, choices=StepState.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=StepState.Status.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.MANUAL)
    occurred_at = models.DateTimeField(_("when"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("step change")
        verbose_name_plural = _("step changes")
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["journey", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class Achievement(models.Model):
    """A journey reached a milestone, at the time of whatever satisfied its rule. Recorded once."""

    journey = models.ForeignKey(
        Journey, verbose_name=_("journey"), on_delete=models.CASCADE, related_name="achievements"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="achievements"
    )
    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), on_delete=models.PROTECT, related_name="achievements"
    )
    milestone_key = models.SlugField(_("milestone key"), max_length=80, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=MilestoneKind.choices, editable=False)
    achieved_at = models.DateTimeField(_("reached"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("achievement")
        verbose_name_plural = _("achievements")
        ordering = ["achieved_at"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "milestone_key"], name="achievement_once_per_journey_milestone")
        ]
        indexes = [models.Index(fields=["kind", "achieved_at"]), models.Index(fields=["account", "kind"])]

    def __str__(self) -> str:
        return f"{self.account} · {self.milestone}"


class MilestoneFeedback(models.Model):
    """What a customer said when reaching a milestone: a score from 1 to 5 and a comment."""

    achievement = models.ForeignKey(
        Achievement, verbose_name=_("achievement"), on_delete=models.CASCADE, related_name="feedback"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="milestone_feedback"
    )
    score = models.PositiveSmallIntegerField(_("score"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("given"), default=timezone.now)

    class Meta:
        verbose_name = _("milestone feedback")
        verbose_name_plural = _("milestone feedback")
        constraints = [
            models.UniqueConstraint(fields=["achievement", "user"], name="feedback_once_per_person"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="feedback_score_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.achievement}: {self.score}"


class ValueRecord(models.Model):
    """Business value a customer got (for ROI time to value)."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="value_records"
    )
    amount = models.DecimalField(_("amount (yen)"), max_digits=14, decimal_places=0, validators=[MinValueValidator(1)])
    occurred_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("value record")
        verbose_name_plural = _("value records")
        ordering = ["occurred_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="value_record_amount_positive")]

    def __str__(self) -> str:
        return f"{self.account}: ¥{self.amount}"


class ApiKey(models.Model):
    """A key for posting usage events: for one account, or global (any account). Only its hash is kept."""

    name = models.CharField(_("name"), max_length=120)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_keys",
        help_text=_("Empty for a global key that may post for any account."),
    )
    prefix = models.CharField(_("prefix"), max_length=16, editable=False, db_index=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class UsageEvent(models.Model):
    """A raw product event, kept for the retention period. Idempotent on (key, external id)."""

    api_key = models.ForeignKey(ApiKey, verbose_name=_("API key"), on_delete=models.CASCADE, related_name="events")
    external_id = models.CharField(_("event id"), max_length=200)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="usage_events"
    )
    user_ref = models.CharField(_("user"), max_length=200, blank=True)
    name = models.CharField(_("name"), max_length=100)
    occurred_at = models.DateTimeField(_("occurred"))
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("usage event")
        verbose_name_plural = _("usage events")
        constraints = [models.UniqueConstraint(fields=["api_key", "external_id"], name="usage_event_id_unique_per_key")]
        indexes = [
            models.Index(fields=["account", "name", "occurred_at"]),
            models.Index(fields=["received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.occurred_at:%Y-%m-%d %H:%M}"


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


# --- Automation: nudges, notifications, digests --------------------------------


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

    class Risk(models.TextChoices):
        ON_TRACK = "on_track", _("On track")
        BEHIND = "behind", _("Behind")
        STUCK = "stuck", _("Stuck")
        REACHED = "reached", _("All reached")
        CHURNED = "churned", _("Churned")
        NO_JOURNEY = "no_journey", _("No journey")

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


class AccountNote(models.Model):
    """A CS manager's note on an account (a call, an agreement, a concern); shown on the timeline."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("note"), max_length=4000)
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "created_at"])]

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
