"""Onboarding: playbooks (versioned templates), their steps and milestones with their rules, each
account's journey through a playbook version, its step states and their append-only history,
achievements, milestone feedback and value records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from journeys.events.models import EventCriterion
from portal.models import Account, MilestoneKind, Segment
from portal.translated import in_language

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from faq.models import Article


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
    name = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description (Japanese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
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

    # Set on rows by some queries (annotations) and views; not columns.
    step_count: int
    journey_count: int

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
        return f"{self.display_name} v{self.version}"

    @property
    def display_name(self) -> str:
        """The name in the reader's language."""
        return in_language(self.name, self.name_en)

    @property
    def display_description(self) -> str:
        return in_language(self.description, self.description_en)

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
    title = models.CharField(_("title (Japanese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    guidance = models.TextField(_("guidance (Japanese)"), blank=True, help_text=_("Markdown."))
    guidance_en = models.TextField(
        _("guidance (English)"), blank=True, help_text=_("Markdown. Leave empty to show the Japanese guidance.")
    )
    owner = models.CharField(_("owner"), max_length=16, choices=Owner.choices, default=Owner.CUSTOMER)
    due_offset_days = models.PositiveIntegerField(_("due (days from start)"), default=7)
    required = models.BooleanField(_("required for full value"), default=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["playbook", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["playbook", "key"], name="step_key_unique_in_playbook")]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        """The title in the reader's language."""
        return in_language(self.title, self.title_en)

    @property
    def display_guidance(self) -> str:
        return in_language(self.guidance, self.guidance_en)

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
    name = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.CharField(
        _("meaning for the customer (Japanese)"),
        max_length=300,
        blank=True,
        help_text=_("What reaching it means, in the customer's words; shown on their checklist instead of the rule."),
    )
    description_en = models.CharField(_("meaning for the customer (English)"), max_length=300, blank=True)
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
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the reader's language."""
        return in_language(self.name, self.name_en)

    @property
    def display_description(self) -> str:
        return in_language(self.description, self.description_en)

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

    # Set on rows by some queries (annotations) and views; not columns.
    steps_total: int
    steps_closed: int
    achievements_total: int

    class Meta:
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["account", "playbook_key"], name="journey_one_per_account_and_playbook")
        ]
        # The order of the TTV rows, which the API pages by cursor.
        indexes = [models.Index(fields=["started_at", "id"], name="journey_started_id")]

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

    # Set on rows by the checklist view; not a column.
    help_articles: list[Article]

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
    """Append-only history of a step state: nothing here is ever updated or deleted.

    A change that leaves the status as it is says what it did in ``change`` and ``change_params``,
    put into words in the reader's language when shown (``display_note``); ``note`` holds words that
    were written as they are."""

    class Change(models.TextChoices):
        STARTED = "started", _("Journey started")
        ADDED = "added", _("Added by a new version")
        MOVED = "moved", _("Moved to a new version")
        ASSIGNED = "assigned", _("Assigned")
        UNASSIGNED = "unassigned", _("Unassigned")
        RESCHEDULED = "rescheduled", _("Due date moved")
        RETIMED = "retimed", _("Completion re-timed by late data")

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
    change = models.CharField(_("change"), max_length=16, choices=Change.choices, blank=True)
    change_params = models.JSONField(_("change details"), default=dict, blank=True)
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
        return f"{self.get_from_status_display() or '—'} → {self.get_to_status_display()}"

    @property
    def display_note(self) -> str:
        """What the change did, in the reader's language and time zone, then any words written."""
        parts = [change_words(self.change, self.change_params)] if self.change else []
        return " ".join([*parts, self.note] if self.note else parts)


# The words of each kind of step change; the moments in its details are ISO 8601, shown in the
# reader's time zone with the format given.
CHANGE_WORDS: dict[str, tuple[StrOrPromise, str]] = {
    StepEvent.Change.STARTED: (_("Journey started."), ""),
    StepEvent.Change.ADDED: (_("Added by the new version."), ""),
    StepEvent.Change.MOVED: (_("Moved to version %(version)s."), ""),
    StepEvent.Change.ASSIGNED: (_("Assigned to %(person)s."), ""),
    StepEvent.Change.UNASSIGNED: (_("Unassigned."), ""),
    StepEvent.Change.RESCHEDULED: (_("Due date moved from %(old)s to %(new)s."), "SHORT_DATE_FORMAT"),
    StepEvent.Change.RETIMED: (
        _("Completed earlier than recorded (late data): %(old)s → %(new)s."),
        "SHORT_DATETIME_FORMAT",
    ),
}


def change_words(change: str, params: dict[str, Any]) -> str:
    words, moment_format = CHANGE_WORDS.get(change, ("", ""))
    values = dict(params)
    if moment_format:
        for name in ("old", "new"):
            moment = parse_datetime(str(values.get(name, "")))
            if moment is not None:
                values[name] = date_format(timezone.localtime(moment), moment_format)
    try:
        return str(words) % values
    except (KeyError, TypeError, ValueError):  # details written by an older version of the words
        return str(words)


class CurrentAchievements(models.Manager["Achievement"]):
    """Achievements as they stand: a revoked one stays in the table and its history, out of every count."""

    def get_queryset(self) -> models.QuerySet[Achievement]:
        return super().get_queryset().filter(revoked_at=None)


class Achievement(models.Model):
    """A journey reached a milestone, at the earliest time whatever satisfied its rule was received
    for. One row per journey and milestone: late data moves its time earlier, a correction that
    undoes its rule revokes it (``revoked_at``), reaching it again restores it at the new time; every
    such change is kept in its ``history``. ``objects`` leaves revoked ones out."""

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
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    with_revoked = models.Manager()
    objects = CurrentAchievements()

    class Meta:
        verbose_name = _("achievement")
        default_manager_name = "objects"
        verbose_name_plural = _("achievements")
        ordering = ["achieved_at"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "milestone_key"], name="achievement_once_per_journey_milestone")
        ]
        indexes = [models.Index(fields=["kind", "achieved_at"]), models.Index(fields=["account", "kind"])]

    def __str__(self) -> str:
        return f"{self.account} · {self.milestone}"


class ChangeRecord(models.Model):
    """What every append-only history row carries: who made the change and when, oldest first."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["occurred_at", "id"]


class AchievementChange(ChangeRecord):
    """Append-only history of an achievement: reached, re-timed (by late data or a correction),
    revoked, reached again; with the time before and after, who and why. Never updated or deleted."""

    class Kind(models.TextChoices):
        REACHED = "reached", _("Reached")
        LATE_DATA = "late_data", _("Re-timed by late data")
        CORRECTED = "corrected", _("Re-timed by a correction")
        REVOKED = "revoked", _("Revoked")
        REACHED_AGAIN = "reached_again", _("Reached again")

    achievement = models.ForeignKey(
        Achievement, verbose_name=_("achievement"), on_delete=models.CASCADE, related_name="history"
    )
    kind = models.CharField(_("change"), max_length=16, choices=Kind.choices)
    from_at = models.DateTimeField(_("reached before"), null=True, blank=True)
    to_at = models.DateTimeField(_("reached after"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)

    class Meta(ChangeRecord.Meta):
        verbose_name = _("milestone change")
        verbose_name_plural = _("milestone changes")

    def __str__(self) -> str:
        return f"{self.achievement_id} {self.kind}"


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


class CurrentValueRecords(models.Manager["ValueRecord"]):
    """Value records as they stand: a deleted one stays in the table and its history, out of every sum."""

    def get_queryset(self) -> models.QuerySet[ValueRecord]:
        return super().get_queryset().filter(deleted_at=None)


class ValueRecord(models.Model):
    """Business value a customer got (for ROI time to value). Corrected in place and deleted softly,
    each change kept in its ``history``; ``objects`` leaves deleted ones out."""

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
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)

    with_deleted = models.Manager()
    objects = CurrentValueRecords()

    class Meta:
        verbose_name = _("value record")
        default_manager_name = "objects"
        verbose_name_plural = _("value records")
        ordering = ["occurred_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="value_record_amount_positive")]

    def __str__(self) -> str:
        return f"{self.account}: ¥{self.amount}"


class ValueRecordChange(ChangeRecord):
    """Append-only history of a value record: each correction (what it said before and after) and its
    deletion, with who, when and why. Never updated or deleted."""

    class Kind(models.TextChoices):
        CORRECTED = "corrected", _("Corrected")
        DELETED = "deleted", _("Deleted")

    record = models.ForeignKey(
        ValueRecord, verbose_name=_("value record"), on_delete=models.CASCADE, related_name="history"
    )
    kind = models.CharField(_("change"), max_length=16, choices=Kind.choices)
    old_amount = models.DecimalField(_("amount before"), max_digits=14, decimal_places=0)
    old_occurred_on = models.DateField(_("date before"))
    old_note = models.CharField(_("note before"), max_length=500, blank=True)
    new_amount = models.DecimalField(_("amount after"), max_digits=14, decimal_places=0, null=True, blank=True)
    new_occurred_on = models.DateField(_("date after"), null=True, blank=True)
    new_note = models.CharField(_("note after"), max_length=500, blank=True)
    reason = models.CharField(_("reason"), max_length=500)

    class Meta(ChangeRecord.Meta):
        verbose_name = _("value record change")
        verbose_name_plural = _("value record changes")

    def __str__(self) -> str:
        return f"{self.record_id} {self.kind}"
