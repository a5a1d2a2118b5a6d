"""People and tenants: users, roles, customer accounts, segments, memberships, invitations."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MilestoneKind(models.TextChoices):
    """The six ways of measuring Time to Value."""

    FIRST_ACTION = "first_action", _("First action")
    FIRST_VALUE = "first_value", _("First value")
    FULL_VALUE = "full_value", _("Full value")
    MILESTONE = "milestone", _("Key milestone")
    ROI = "roi", _("ROI")
    ADOPTION = "adoption", _("User adoption")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra["is_superuser"] = True
        extra["role"] = User.Role.ADMIN
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address.

    ``role`` says which side the person is on: a customer (whose account and
    customer role come from their membership), or our staff (CS manager, admin).
    """

    class Role(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        CSM = "csm", _("CS manager")
        ADMIN = "admin", _("Admin")
        AGENT = "agent", _("Support agent")

    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="ja")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Tokyo")
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            # Sign-in matches the address whatever its case: two users whose addresses differ only in
            # case would make it ambiguous.
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ignoring_case",
                violation_error_message=_("A user with this e-mail address already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    @property
    def is_staff(self) -> bool:
        """Only admins (and superusers) may use the Django admin."""
        return self.is_active and (self.role == self.Role.ADMIN or self.is_superuser)

    @property
    def is_admin(self) -> bool:
        return self.is_active and (self.role == self.Role.ADMIN or self.is_superuser)

    @property
    def is_csm(self) -> bool:
        return self.is_active and self.role == self.Role.CSM

    @property
    def is_agent(self) -> bool:
        """Support agents answer the inquiries of every account, and see nothing else of them."""
        return self.is_active and self.role == self.Role.AGENT

    @property
    def is_customer(self) -> bool:
        return self.role == self.Role.CUSTOMER and not self.is_superuser

    def has_perm(self, perm: str, obj: models.Model | None = None) -> bool:
        return self.is_admin or super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_admin or super().has_module_perms(app_label)

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email.split("@")[0]


class Segment(models.Model):
    """A group of accounts with its own Time-to-Value targets (days from start)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    target_first_action_days = models.PositiveIntegerField(_("first action target (days)"), null=True, blank=True)
    target_first_value_days = models.PositiveIntegerField(_("first value target (days)"), null=True, blank=True)
    target_full_value_days = models.PositiveIntegerField(_("full value target (days)"), null=True, blank=True)
    target_milestone_days = models.PositiveIntegerField(_("key milestone target (days)"), null=True, blank=True)
    target_roi_days = models.PositiveIntegerField(_("ROI target (days)"), null=True, blank=True)
    target_adoption_days = models.PositiveIntegerField(_("adoption target (days)"), null=True, blank=True)
    # What is reasonable for first value in this kind of segment, drawn beside its TTV curve.
    reference_low_days = models.PositiveIntegerField(
        _("reference band from (days)"),
        null=True,
        blank=True,
        help_text=_("Typical first value for this kind of customer, e.g. 7 to 21 days for SMB."),
    )
    reference_high_days = models.PositiveIntegerField(_("reference band to (days)"), null=True, blank=True)

    # Set on rows by some queries (annotations) and views; not columns.
    account_count: int

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reference_low_days__isnull=True)
                | Q(reference_high_days__isnull=True)
                | Q(reference_low_days__lte=models.F("reference_high_days")),
                name="segment_reference_band_ordered",
                violation_error_message=_("The reference band must start before it ends."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def target_days(self, kind: str) -> int | None:
        return getattr(self, f"target_{MilestoneKind(kind).value}_days")


class Account(models.Model):
    """A customer company: one tenant."""

    class Plan(models.TextChoices):
        STARTER = "starter", _("Starter")
        GROWTH = "growth", _("Growth")
        BUSINESS = "business", _("Business")
        ENTERPRISE = "enterprise", _("Enterprise")

    class Status(models.TextChoices):
        ONBOARDING = "onboarding", _("Onboarding")
        ACTIVE = "active", _("Active")
        CHURNED = "churned", _("Churned")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    segment = models.ForeignKey(Segment, verbose_name=_("segment"), on_delete=models.PROTECT, related_name="accounts")
    plan = models.CharField(_("plan"), max_length=16, choices=Plan.choices, default=Plan.STARTER)
    contract_start = models.DateTimeField(_("contract start"), help_text=_("Starts the Time-to-Value clock."))
    investment_amount = models.DecimalField(
        _("investment"),
        max_digits=14,
        decimal_places=0,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("What the customer invested (yen); ROI is reached when recorded value matches it."),
    )
    csm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("CS manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_accounts",
        limit_choices_to={"role": User.Role.CSM},
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ONBOARDING)
    churned_at = models.DateTimeField(_("churned at"), null=True, blank=True)
    external_id = models.CharField(
        _("external ID"), max_length=100, blank=True, help_text=_("The account's ID in the CRM it was imported from.")
    )
    domain = models.CharField(_("domain"), max_length=253, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="churned", churned_at__isnull=False)
                | (~Q(status="churned") & Q(churned_at__isnull=True)),
                name="account_churn_date_iff_churned",
                violation_error_message=_("A churned account needs a churn date, and only a churned account has one."),
            ),
            models.CheckConstraint(condition=Q(investment_amount__gte=0), name="account_investment_not_negative"),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="account_external_id_unique",
                violation_error_message=_("Another account has this external ID."),
            ),
        ]
        indexes = [
            models.Index(fields=["csm", "status"]),
            models.Index(fields=["contract_start"]),
            # The account lists (page and API) in their order, whole or by each filter they offer: a page
            # reads its rows from the index and stops (the text search: a trigram index, PostgreSQL only,
            # in the migration).
            models.Index(fields=["name", "id"], name="account_name"),
            models.Index(fields=["csm", "name", "id"], name="account_csm_name"),
            models.Index(fields=["segment", "name", "id"], name="account_segment_name"),
            models.Index(fields=["status", "name", "id"], name="account_status_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("account_detail", kwargs={"slug": self.slug})


class Membership(models.Model):
    """A customer user's place in their account. One account per person."""

    class Role(models.TextChoices):
        ADMIN = "customer_admin", _("Customer admin")
        MEMBER = "customer_member", _("Customer member")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="membership"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["account", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account}"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class Invitation(models.Model):
    """An e-mailed link that lets a person join an account. Only a hash of the token is stored."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="invitations_sent",
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    email_sent_at = models.DateTimeField(_("e-mail sent"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class MembershipEvent(models.Model):
    """A change to an account's team: who did what to whom, and when.

    Kept after the membership or invitation it is about is gone; the person's name and address are
    copied so the record still reads the same if their login is later deleted.
    """

    class Kind(models.TextChoices):
        REMOVED = "removed", _("Removed from the account")
        ROLE_CHANGED = "role_changed", _("Role changed")
        INVITATION_RESENT = "invitation_resent", _("Invitation sent again")
        INVITATION_WITHDRAWN = "invitation_withdrawn", _("Invitation withdrawn")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="membership_events"
    )
    kind = models.CharField(_("change"), max_length=24, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The member it is about; empty for an invitation."),
    )
    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail address"))
    from_role = models.CharField(_("role before"), max_length=20, choices=Membership.Role.choices, blank=True)
    to_role = models.CharField(_("role after"), max_length=20, choices=Membership.Role.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    actor_name = models.CharField(_("changed by (name)"), max_length=150, blank=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("team change")
        verbose_name_plural = _("team changes")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["account", "-occurred_at"], name="membership_event_account_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.email}"

    @property
    def who(self) -> str:
        """The person it is about, as they were called then."""
        return self.name or self.email


class NotificationPreferences(models.Model):
    """Which automatic e-mails a person gets. Created the first time it is needed; no row means all of them."""

    class Category(models.TextChoices):
        NUDGES = "nudges", _("Reminders about overdue steps")
        MILESTONES = "milestones", _("Milestones reached and congratulations")
        ACCOUNT_ALERTS = "account_alerts", _("Accounts that fall behind or get stuck")
        DIGEST = "digest", _("Weekly digest of my accounts")

    WEEKDAYS = [
        (0, _("Monday")),
        (1, _("Tuesday")),
        (2, _("Wednesday")),
        (3, _("Thursday")),
        (4, _("Friday")),
        (5, _("Saturday")),
        (6, _("Sunday")),
    ]

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    nudges = models.BooleanField(_("reminders about overdue steps"), default=True)
    milestones = models.BooleanField(_("milestones reached and congratulations"), default=True)
    account_alerts = models.BooleanField(_("accounts that fall behind or get stuck"), default=True)
    digest = models.BooleanField(_("weekly digest of my accounts"), default=True)
    digest_weekday = models.PositiveSmallIntegerField(_("digest day"), choices=WEEKDAYS, default=0)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(digest_weekday__gte=0, digest_weekday__lte=6), name="notification_digest_weekday_0_to_6"
            )
        ]

    def __str__(self) -> str:
        return str(self.user)

    def wants(self, category: str) -> bool:
        return bool(getattr(self, self.Category(category).value))


class OutboxMessage(models.Model):
    """A task to run once the change that asked for it has committed: written in the same transaction
    as that change, published to the broker after it (``portal/outbox.py``). ``task`` is a Celery task
    name (a webhook delivery is a task like any other, given the id of its delivery row)."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    available_at = models.DateTimeField(_("next try"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    deliveries = models.PositiveIntegerField(_("times published"), default=0)
    done_at = models.DateTimeField(
        _("done"), null=True, blank=True, help_text=_("When a worker finished the task (or gave up on it).")
    )
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # What the sweep reads: unpublished rows by their next try; published rows by age, to prune.
            models.Index(fields=["available_at"], condition=Q(published_at=None), name="outbox_pending"),
            models.Index(fields=["published_at"], condition=Q(published_at__isnull=False), name="outbox_published"),
            # Published but never reported done: the broker may have lost them.
            models.Index(
                fields=["published_at"], condition=Q(published_at__isnull=False, done_at=None), name="outbox_undone"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"


class ApiScope(models.TextChoices):
    """What an API token may do, as ``resource:action``. A token's rights are these scopes within what
    its owner's role allows: a customer's token with ``reports:read`` still reads no report."""

    ACCOUNTS_READ = "accounts:read", _("Read accounts")
    ACCOUNTS_WRITE = "accounts:write", _("Create and update accounts")
    EVENTS_WRITE = "events:write", _("Post usage events")
    JOURNEYS_READ = "journeys:read", _("Read onboarding journeys, steps, value and milestones")
    JOURNEYS_WRITE = "journeys:write", _("Start journeys, update steps and import past milestones")
    VALUE_WRITE = "value:write", _("Record, correct and delete value")
    REPORTS_READ = "reports:read", _("Read reports")
    HELP_READ = "help:read", _("Read the help centre")
    INQUIRIES_READ = "inquiries:read", _("Read support questions")
    INQUIRIES_WRITE = "inquiries:write", _("Ask and answer support questions")
    PROFILE_READ = "profile:read", _("Read who the token belongs to")
    WEBHOOKS_MANAGE = "webhooks:manage", _("Manage webhooks")


class ApiToken(models.Model):
    """A token for calling the API as its owner, limited to its scopes (and to one account, if set).
    Only its prefix (to recognise it in lists; raw tokens start ``kachi_`` so leaked ones can be
    scanned for) and its SHA-256 hash are kept: the token itself is shown once, when issued."""

    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text=_("The token acts as this person, within its scopes."),
    )
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    account = models.ForeignKey(
        Account,
        verbose_name=_("only for the account"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
        help_text=_("Empty: every account its owner may see."),
    )
    prefix = models.CharField(_("prefix"), max_length=16, editable=False, db_index=True)
    key_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        # The table of the usage-event API keys that tokens replaced: their hashes, and the events
        # posted with them (idempotent per key), carried over unchanged.
        db_table = "journeys_apikey"

    def __str__(self) -> str:
        return f"{self.name} (kachi_{self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


class WebhookEvent(models.TextChoices):
    """What an endpoint may subscribe to: ``<entity>.<what happened>``."""

    ACCOUNT_CREATED = "account.created", _("Account created")
    ACCOUNT_UPDATED = "account.updated", _("Account updated")
    JOURNEY_STARTED = "journey.started", _("Journey started")
    STEP_COMPLETED = "step.completed", _("Step completed")
    MILESTONE_REACHED = "milestone.reached", _("Milestone reached")
    ACCOUNT_RISK_CHANGED = "account.risk_changed", _("Account risk changed")
    INQUIRY_CREATED = "inquiry.created", _("Inquiry created")
    INQUIRY_REPLIED = "inquiry.replied", _("Inquiry replied to")
    INQUIRY_STATUS_CHANGED = "inquiry.status_changed", _("Inquiry status changed")
    INQUIRY_SOLVED = "inquiry.solved", _("Inquiry solved")


class WebhookEndpoint(models.Model):
    """A URL that receives the events it subscribed to, signed with its secret (the Standard Webhooks
    scheme). After a rotation the previous secret signs too, until ``previous_secret_expires_at``, so
    the receiver can switch without losing a message."""

    class DisabledReason(models.TextChoices):
        BY_ADMIN = "by_admin", _("Turned off by an admin")
        GONE = "gone", _("The receiver answered 410 Gone")
        FAILING = "failing", _("Every delivery failed for five days")

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("events"), default=list, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    previous_secret = models.CharField(_("previous signing secret"), max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(_("previous secret valid until"), null=True, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_reason = models.CharField(_("why it is off"), max_length=16, choices=DisabledReason.choices, blank=True)
    disabled_at = models.DateTimeField(_("turned off"), null=True, blank=True)
    failing_since = models.DateTimeField(
        _("failing since"), null=True, blank=True, help_text=_("The first failure after its last success.")
    )
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
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["url", "pk"]

    def __str__(self) -> str:
        return self.description or self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: its message id (``webhook-id``, the same on every attempt), its
    payload, and how the last attempt went."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        GAVE_UP = "gave_up", _("Gave up")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(_("event"), max_length=40)
    msg_id = models.CharField(_("message id"), max_length=40, unique=True)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("last response status"), null=True, blank=True)
    last_response_headers = models.JSONField(_("last response headers"), default=dict, blank=True)
    last_response_body = models.TextField(_("last response body"), blank=True)
    last_duration_ms = models.PositiveIntegerField(_("last duration (ms)"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # What the retry sweep reads: pending deliveries by their next attempt.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due"),
            models.Index(fields=["created_at"], name="webhook_delivery_created"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.msg_id}"


class AccountImport(models.Model):
    """A CSV file (a CRM export) on its way in: accounts, contacts, value records or past milestones;
    the file, how its columns map to fields, the dry run's counts, then the run's progress and result
    (``portal/imports.py``)."""

    class Kind(models.TextChoices):
        ACCOUNTS = "accounts", _("Accounts")
        CONTACTS = "contacts", _("Contacts")
        VALUE_RECORDS = "value_records", _("Value records")
        ACHIEVEMENTS = "achievements", _("Past milestones")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKING = "checking", _("Dry run under way")
        CHECKED = "checked", _("Checked")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        ROLLING_BACK = "rolling_back", _("Rolling back")
        ROLLED_BACK = "rolled_back", _("Rolled back")

    kind = models.CharField(_("what is imported"), max_length=16, choices=Kind.choices, default=Kind.ACCOUNTS)
    file_name = models.CharField(_("file name"), max_length=255)
    data = models.BinaryField(_("file"), editable=False)
    encoding = models.CharField(_("encoding"), max_length=32)
    delimiter = models.CharField(_("delimiter"), max_length=1, default=",")
    headers = models.JSONField(_("headers"), default=list)
    mapping = models.JSONField(_("mapping"), default=list, help_text=_("The account field of each column, in order."))
    rules = models.JSONField(_("update rules"), default=dict, help_text=_("Per field: always, if_empty or never."))
    options = models.JSONField(_("options"), default=dict, blank=True, help_text=_("Contacts: send_invitations."))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    checked = models.JSONField(_("dry run"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    errors_csv = models.TextField(_("rows with errors"), blank=True)
    failure = models.TextField(_("failure"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rolled_back_at = models.DateTimeField(_("rolled back"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


class ImportChange(models.Model):
    """What one import did to one row: created it, or changed these fields from ``before`` to
    ``after`` (the values as JSON text). Kept so the import can be rolled back. ``account`` is the
    account (created or changed, or the one the row belongs to); ``object_id`` the contact's
    invitation or membership, the value record or the achievement for the other kinds."""

    account_import = models.ForeignKey(
        AccountImport, verbose_name=_("import"), on_delete=models.CASCADE, related_name="changes"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("row"), null=True, blank=True)
    created = models.BooleanField(_("created"), default=False)
    before = models.JSONField(_("before"), default=dict)
    after = models.JSONField(_("after"), default=dict)

    class Meta:
        verbose_name = _("import change")
        verbose_name_plural = _("import changes")

    def __str__(self) -> str:
        return f"{self.account_import_id}: {self.account_id}"


class IdempotencyKey(models.Model):
    """A POST to the API made with an ``Idempotency-Key`` header, and its answer: the same key
    again (a client retrying after a timeout) gets that answer back instead of doing the work twice.
    Keys are the caller's own (``principal``: its API token) and kept for ``IDEMPOTENCY_TTL``."""

    principal = models.CharField(_("caller"), max_length=80)
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=120, blank=True)
    location = models.CharField(_("location"), max_length=2000, blank=True)
    body = models.BinaryField(_("response body"), default=bytes)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="idempotency_key_once_per_caller")]

    def __str__(self) -> str:
        return self.key
