"""The support desk: its settings — business calendars (time zone, opening hours a day, Japanese
public holidays and extra closed days), reply-time targets per segment, plan and priority, inquiry
categories — and the inquiries, their threads and their history."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from functools import cached_property, lru_cache

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from faq.models import Article
from portal.models import Account, Segment
from portal.translated import in_language
from support.clock import MINUTES_A_DAY, Calendar, japan_business_hours

# Japanese public holidays are known this far around today (the ``holidays`` package computes them).
HOLIDAY_YEARS_AROUND = 3


@lru_cache(maxsize=8)
def japanese_holidays_around(year: int) -> frozenset[dt.date]:
    """Japanese public holidays (substitute ones included) of the years around ``year``: worked out
    once per process and year, not on every page that shows a deadline."""
    years = range(year - HOLIDAY_YEARS_AROUND, year + HOLIDAY_YEARS_AROUND + 1)
    return frozenset(holidays.country_holidays("JP", years=years))


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(_("Choose a time zone such as Asia/Tokyo."), code="time_zone") from error


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class BusinessCalendar(models.Model):
    """When the desk is open: hours per weekday in one time zone, Japanese public holidays if chosen,
    and extra closed days (a company holiday, the new-year break)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Tokyo", validators=[validate_time_zone])
    japanese_holidays = models.BooleanField(
        _("closed on Japanese public holidays"), default=True, help_text=_("Substitute holidays included.")
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clock(self, *, around: dt.date | None = None) -> Calendar:
        """The calendar to count with: its hours and closed days (holidays of the years around ``around``,
        today by default). Reads its hours and closed days unless prefetched."""
        around = around or timezone.localdate()
        hours: dict[int, list[tuple[int, int]]] = {}
        for interval in self.hours.all():
            hours.setdefault(interval.weekday, []).append((interval.opens_minute, interval.closes_minute))
        closed = {day.day for day in self.closed_days.all()}
        if self.japanese_holidays:
            closed |= japanese_holidays_around(around.year)
        return Calendar(
            time_zone=zoneinfo.ZoneInfo(self.time_zone),
            hours={weekday: tuple(sorted(intervals)) for weekday, intervals in hours.items()},
            closed=frozenset(closed),
        )


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessHours(models.Model):
    """One opening interval of a weekday; a lunch break is two intervals."""

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["calendar", "weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    @property
    def opens_minute(self) -> int:
        return self.opens.hour * 60 + self.opens.minute

    @property
    def closes_minute(self) -> int:
        minute = self.closes.hour * 60 + self.closes.minute
        return minute or MINUTES_A_DAY

    def clean(self) -> None:
        if self.opens is None or self.closes is None:
            return
        if self.closes_minute <= self.opens_minute:
            raise ValidationError({"closes": _("Closing comes after opening.")})
        if self.calendar_id is None:
            return
        others = BusinessHours.objects.filter(calendar_id=self.calendar_id, weekday=self.weekday).exclude(pk=self.pk)
        for other in others:
            if other.opens_minute < self.closes_minute and self.opens_minute < other.closes_minute:
                raise ValidationError(_("These hours overlap %(other)s.") % {"other": other})


class ClosedDay(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="closed_days"
    )
    day = models.DateField(_("day"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        ordering = ["calendar", "day"]
        constraints = [models.UniqueConstraint(fields=["calendar", "day"], name="closed_day_once_per_calendar")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name}".strip()


class ReplyTarget(models.Model):
    """How fast the desk answers inquiries it matches: the most specific target (segment, then plan,
    then priority) applies; empty fields match everything. A reply within the *fast* time counts in
    the calendar's business hours; within the *target* time on the calendar, every hour counting."""

    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    plan = models.CharField(_("plan"), max_length=16, choices=Account.Plan.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("business calendar"), on_delete=models.PROTECT, related_name="targets"
    )
    fast_minutes = models.PositiveIntegerField(
        _("fast reply (business minutes)"), default=60, help_text=_("A first reply within this feels fast.")
    )
    first_reply_minutes = models.PositiveIntegerField(
        _("first reply target (minutes)"), default=24 * 60, help_text=_("On the calendar: every hour counts.")
    )
    next_reply_minutes = models.PositiveIntegerField(
        _("next reply target (minutes)"),
        default=24 * 60,
        help_text=_("After each customer reply, on the calendar."),
    )

    class Meta:
        verbose_name = _("reply-time target")
        verbose_name_plural = _("reply-time targets")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fast_minutes__gt=0, first_reply_minutes__gt=0, next_reply_minutes__gt=0),
                name="reply_target_minutes_positive",
            ),
        ]

    def __str__(self) -> str:
        parts = [
            str(self.segment) if self.segment_id else "",
            self.get_plan_display() if self.plan else "",
            self.get_priority_display() if self.priority else "",
        ]
        return " · ".join(part for part in parts if part) or str(_("Every inquiry"))

    @cached_property
    def specificity(self) -> tuple[bool, bool, bool]:
        return (self.segment_id is not None, bool(self.plan), bool(self.priority))

    def matches(self, *, account: Account, priority: str) -> bool:
        return (
            (self.segment_id is None or self.segment_id == account.segment_id)
            and (not self.plan or self.plan == account.plan)
            and (not self.priority or self.priority == priority)
        )


def default_business_clock(*, around: dt.date | None = None) -> Calendar:
    """Business hours where no calendar is set: 09:00-18:00 Tokyo time on weekdays, Japanese public
    holidays closed."""
    around = around or timezone.localdate()
    return japan_business_hours(closed=japanese_holidays_around(around.year))


class Category(models.Model):
    """What an inquiry is about, as the customer chooses it."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("inquiry category")
        verbose_name_plural = _("inquiry categories")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return in_language(self.name, self.name_en)


class Inquiry(models.Model):
    """A customer's question to the desk, with the reply clock it runs.

    The clock says what the desk owes: a first reply, or the next one after a customer replied. It
    runs from when it starts, pauses while the inquiry waits on the customer and resumes when they
    answer; the deadlines are stored whenever it starts or resumes. The targets are copied in when the
    inquiry comes in and the first reply's outcome is kept when it happens, so a later change of
    targets or calendars rewrites nothing."""

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("inquiry", "New")
        OPEN = "open", pgettext_lazy("inquiry", "Open")
        WAITING = "waiting", _("Waiting on the customer")
        SOLVED = "solved", pgettext_lazy("inquiry", "Solved")
        CLOSED = "closed", pgettext_lazy("inquiry", "Closed")

    class Clock(models.TextChoices):
        NONE = "", _("Nothing owed")
        FIRST = "first", _("First reply")
        NEXT = "next", _("Next reply")

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="inquiries")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("question"), max_length=20000, help_text=_("Markdown."))
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_inquiries",
    )
    # The onboarding step it is about, by key (the layer above knows the steps).
    playbook_key = models.SlugField(_("playbook key"), max_length=80, blank=True)
    step_key = models.SlugField(_("step key"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)

    # The targets it came in with.
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("business calendar"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text=_("Empty: weekdays 09:00-18:00 Tokyo time, Japanese public holidays closed."),
    )  # fmt: skip
    fast_minutes = models.PositiveIntegerField(_("fast reply (business minutes)"))
    first_reply_minutes = models.PositiveIntegerField(_("first reply target (minutes)"))
    next_reply_minutes = models.PositiveIntegerField(_("next reply target (minutes)"))

    # The reply clock.
    clock = models.CharField(_("reply owed"), max_length=8, choices=Clock.choices, blank=True)
    clock_running_since = models.DateTimeField(_("clock running since"), null=True, blank=True)
    clock_used_seconds = models.FloatField(_("clock time used"), default=0.0)
    clock_used_business_seconds = models.FloatField(_("clock business time used"), default=0.0)
    fast_due_at = models.DateTimeField(_("fast reply by"), null=True, blank=True)
    due_at = models.DateTimeField(_("reply due"), null=True, blank=True)
    # When three quarters of each target are used up: the queue warns from then on.
    fast_warn_at = models.DateTimeField(_("fast reply warning"), null=True, blank=True)
    warn_at = models.DateTimeField(_("reply warning"), null=True, blank=True)

    # The deadline the desk last escalated for (a breach is told once per deadline), and those it
    # last warned of (each warning is told once per deadline).
    escalated_for = models.DateTimeField(_("escalated for the deadline"), null=True, blank=True)
    fast_warned_for = models.DateTimeField(_("warned for the fast reply"), null=True, blank=True)
    warned_for = models.DateTimeField(_("warned for the deadline"), null=True, blank=True)

    # The first reply, as it happened.
    first_replied_at = models.DateTimeField(_("first reply"), null=True, blank=True)
    first_reply_seconds = models.FloatField(_("time to first reply"), null=True, blank=True)
    first_reply_business_seconds = models.FloatField(_("business time to first reply"), null=True, blank=True)
    first_reply_fast = models.BooleanField(_("first reply fast"), null=True, blank=True)
    first_reply_in_target = models.BooleanField(_("first reply within target"), null=True, blank=True)

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"]),
            models.Index(fields=["clock", "due_at"]),
            models.Index(fields=["playbook_key", "step_key"]),
            # The warnings' scan reads only running clocks, not every inquiry there ever was.
            models.Index(
                fields=["fast_warn_at"], condition=Q(fast_warn_at__isnull=False), name="inquiry_fast_warn_running"
            ),
            models.Index(fields=["warn_at"], condition=Q(warn_at__isnull=False), name="inquiry_warn_running"),
            # The queue counts its filter's inquiries (owed, waiting, done) from this index alone. Its
            # order (nearest deadline first) has an index of its own on PostgreSQL: migration 0008.
            models.Index(fields=["status"], name="support_inquiry_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(clock="") | Q(clock_running_since__isnull=False) | Q(status="waiting"),
                name="inquiry_clock_runs_unless_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def is_paused(self) -> bool:
        return bool(self.clock) and self.clock_running_since is None

    def business_clock(self) -> Calendar:
        return self.calendar.clock() if self.calendar is not None else default_business_clock()


class Escalation(models.Model):
    """An inquiry's reply deadline told to one person: a *warning* to whoever answers it once three
    quarters of the target are used up (its assignee; else the support agents), a *breach* to its
    account's CS manager and the admins once the target passed. Claimed once per kind, deadline and
    person, then e-mailed once."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("Deadline near")
        BREACH = "breach", _("Deadline missed")

    inquiry = models.ForeignKey(
        Inquiry, verbose_name=_("inquiry"), on_delete=models.CASCADE, related_name="escalations"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.BREACH)
    due_at = models.DateTimeField(_("deadline"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("told"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("claimed"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["inquiry", "kind", "due_at", "recipient"], name="escalation_once_per_kind_and_deadline"
            )
        ]

    def __str__(self) -> str:
        return f"{self.inquiry_id} {self.kind} {self.due_at:%Y-%m-%d %H:%M} → {self.recipient_id}"


class Message(models.Model):
    """One message of an inquiry's thread. Internal notes are the desk's own: never shown to customers."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("From the customer")
        REPLY = "reply", _("Reply")
        NOTE = "note", _("Internal note")

    inquiry = models.ForeignKey(Inquiry, verbose_name=_("inquiry"), on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    automatic = models.BooleanField(
        _("sent automatically"), default=False, help_text=_("Only a person's reply counts as a reply.")
    )
    body = models.TextField(_("message"), max_length=20000, help_text=_("Markdown."))
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    emailed_at = models.DateTimeField(
        _("e-mailed"), null=True, blank=True, help_text=_("When the other side was told by e-mail (never for notes).")
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["inquiry", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.inquiry_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_public(self) -> bool:
        return self.kind != self.Kind.NOTE


class InquiryChange(models.Model):
    """Append-only history of an inquiry: status, assignee and priority changes, who and when."""

    class Field(models.TextChoices):
        STATUS = "status", _("Status")
        ASSIGNEE = "assignee", _("Assignee")
        PRIORITY = "priority", _("Priority")

    inquiry = models.ForeignKey(Inquiry, verbose_name=_("inquiry"), on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(_("field"), max_length=16, choices=Field.choices)
    old = models.CharField(_("before"), max_length=200, blank=True)
    new = models.CharField(_("after"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("inquiry change")
        verbose_name_plural = _("inquiry changes")
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.inquiry_id} {self.field}: {self.old} → {self.new}"

    def _shown(self, value: str) -> str:
        """A status or priority as its label in the reader's language; anything else as kept."""
        if self.field == self.Field.STATUS:
            return str(dict(Inquiry.Status.choices).get(value, value))
        if self.field == self.Field.PRIORITY:
            return str(dict(Priority.choices).get(value, value))
        return value

    @property
    def old_shown(self) -> str:
        return self._shown(self.old)

    @property
    def new_shown(self) -> str:
        return self._shown(self.new)


def _support_storage() -> Storage:
    return storages["support"]


def _attachment_path(instance: Attachment, filename: str) -> str:
    # Named by a random key, never by what the customer called it (that is kept in ``name``).
    return f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file attached to a message, on the private support storage; its type was judged by its bytes."""

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), storage=_support_storage, upload_to=_attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class AskAttempt(models.Model):
    """A customer opened the form to ask: the articles suggested to them and those they opened, and
    how it ended — solved by an article before asking, or sent as an inquiry (or neither)."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    playbook_key = models.SlugField(_("playbook key"), max_length=80, blank=True)
    step_key = models.SlugField(_("step key"), max_length=80, blank=True)
    query = models.CharField(_("search words"), max_length=200, blank=True)
    shown = models.JSONField(_("articles suggested"), default=list, blank=True)
    opened = models.JSONField(_("articles opened"), default=list, blank=True)
    solved_by = models.ForeignKey(
        Article, verbose_name=_("solved by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    inquiry = models.OneToOneField(
        Inquiry, verbose_name=_("inquiry"), on_delete=models.SET_NULL, null=True, blank=True, related_name="attempt"
    )

    class Meta:
        verbose_name = _("ask attempt")
        verbose_name_plural = _("ask attempts")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["started_at"]), models.Index(fields=["playbook_key", "step_key"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_over(self) -> bool:
        return self.solved_at is not None or self.inquiry_id is not None
