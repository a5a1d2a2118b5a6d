from typing import Any

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from portal import services, tokens, webhooks
from portal.admin_tools import ReadOnlyAdmin, admin_user
from portal.models import (
    Account,
    ApiScope,
    ApiToken,
    Invitation,
    Membership,
    MembershipEvent,
    NotificationPreferences,
    Segment,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


class KachiUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class KachiUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = KachiUserChangeForm
    add_form = KachiUserCreationForm
    ordering = ["email"]
    list_display = ["email", "name", "role", "account_name", "language", "is_active", "last_login"]
    list_filter = ["role", "is_active", "language", "is_superuser"]
    search_fields = ["email", "name", "membership__account__name"]
    list_select_related = ["membership__account"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["name", "role", "language", "time_zone"]}),
        (_("Access"), {"fields": ["is_active", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "role", "password1", "password2"]})]
    filter_horizontal = ["groups", "user_permissions"]

    @admin.display(description=_("account"), ordering="membership__account__name")
    def account_name(self, user: User) -> str:
        membership = getattr(user, "membership", None)
        return membership.account.name if membership else "—"


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "position",
        "account_count",
        "target_first_action_days",
        "target_first_value_days",
        "target_full_value_days",
        "target_adoption_days",
        "target_roi_days",
        "reference_low_days",
        "reference_high_days",
    ]
    list_editable = ["position", "reference_low_days", "reference_high_days"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Segment]:
        return super().get_queryset(request).annotate(account_count=Count("accounts"))

    @admin.display(description=_("accounts"), ordering="account_count")
    def account_count(self, segment: Segment) -> int:
        return segment.account_count


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "segment", "plan", "status", "contract_start", "csm", "investment_amount"]
    list_filter = ["status", "segment", "plan", "csm"]
    search_fields = ["name", "slug"]
    list_select_related = ["segment", "csm"]
    date_hierarchy = "contract_start"
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["csm"]
    inlines = [MembershipInline]

    def save_model(self, request: HttpRequest, obj: Account, form: forms.ModelForm, change: bool) -> None:
        if change:
            services.account_update(account=obj, changed=list(form.changed_data))
        else:
            services.account_create(account=obj)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "role", "title", "created_at"]
    list_filter = ["role", "account__segment"]
    search_fields = ["user__email", "user__name", "account__name"]
    list_select_related = ["user", "account"]
    autocomplete_fields = ["user", "account"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "account", "role", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role", "account__segment"]
    search_fields = ["email", "account__name"]
    list_select_related = ["account", "invited_by"]
    readonly_fields = ["token_hash", "created_at", "email_sent_at", "accepted_at"]
    autocomplete_fields = ["account", "invited_by"]

    def has_add_permission(self, request) -> bool:
        # Invitations are sent from the account page, which e-mails the one-time link.
        return False


@admin.register(MembershipEvent)
class MembershipEventAdmin(ReadOnlyAdmin):
    """The record of team changes made on the team page: read here, written only by the services."""

    list_display = ["occurred_at", "account", "kind", "email", "from_role", "to_role", "actor_name"]
    list_filter = ["kind"]
    search_fields = ["email", "name", "account__name", "actor_name"]
    list_select_related = ["account"]
    date_hierarchy = "occurred_at"


@admin.register(NotificationPreferences)
class NotificationPreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "nudges", "milestones", "account_alerts", "digest", "digest_weekday", "updated_at"]
    list_filter = ["nudges", "milestones", "account_alerts", "digest", "digest_weekday"]
    search_fields = ["user__email", "user__name"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["updated_at"]


# django-axes and django-celery-beat register their own admins; these are theirs with a label for
# each column they leave unnamed, which Django would head with the attribute's name in English
# ("Status", "Scheduler", "Human readable") whatever the language. Their other strings are
# translated in our catalogue (portal/third_party_messages.py).


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    @admin.display(description=_("status"))
    def status(self, obj: AccessAttempt) -> str:
        return super().status(obj)


class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    @admin.display(description=_("Schedule"))
    def scheduler(self, task: PeriodicTask) -> object:
        return task.scheduler

    @admin.display(description=_("human-readable"))
    def crontab_translation(self, task: PeriodicTask) -> str:
        return super().crontab_translation(task)


class CrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin):
    @admin.display(description=_("human-readable"))
    def human_readable(self, crontab: CrontabSchedule) -> str:
        return crontab.human_readable


for _model, _model_admin in (
    (AccessAttempt, AccessAttemptAdmin),
    (PeriodicTask, PeriodicTaskAdmin),
    (CrontabSchedule, CrontabScheduleAdmin),
):
    if admin.site.is_registered(_model):  # axes registers nothing when AXES_ENABLE_ADMIN is off
        admin.site.unregister(_model)
        admin.site.register(_model, _model_admin)


class ApiTokenAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple, required=True
    )
    days = forms.IntegerField(
        label=_("valid for (days)"), min_value=1, max_value=tokens.MAX_DAYS, initial=tokens.DEFAULT_DAYS
    )

    class Meta:
        model = ApiToken
        fields = ["name", "owner", "scopes", "account"]


class TokenStateFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [("active", _("Active")), ("expired", _("Expired")), ("revoked", _("Revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued here (shown once) and revoked, never deleted: the usage events a token
    posted would go with it."""

    list_display = ["name", "owner", "account", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = [TokenStateFilter, ("account", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "prefix", "owner__email", "account__name", "account__slug"]
    list_select_related = ["owner", "account"]
    autocomplete_fields = ["owner", "account"]
    actions = ["revoke"]
    readonly_fields = [
        "owner", "scopes", "account", "prefix", "created_at", "created_by", "expires_at", "last_used_at", "revoked_at"
    ]  # fmt: skip

    def get_form(
        self, request: HttpRequest, obj: ApiToken | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        if obj is None:
            return ["name", "owner", "scopes", "account", "days"]
        return ["name", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        # What a token may do is fixed once issued; only its name may change.
        return [] if obj is None else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        assert isinstance(request.user, User)  # the admin site lets only staff in
        token, raw = tokens.token_create(
            owner=data["owner"], name=data["name"], scopes=data["scopes"], account=data["account"],
            days=data["days"], by=request.user,
        )  # fmt: skip
        # The admin goes on with `obj` (history entry, redirect): make it the token just issued.
        for name in ("id", "prefix", "key_hash", "created_at", "created_by_id", "expires_at", "scopes"):
            setattr(obj, name, getattr(token, name))
        obj._state.adding = False
        obj._state.db = token._state.db
        request._issued_token = raw  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None) -> HttpResponse:
        response = super().response_add(request, obj, post_url_continue)
        raw = getattr(request, "_issued_token", None)
        if raw:
            messages.success(
                request,
                _("The new API token is %(key)s — copy it now: it is stored only as a hash and cannot be shown again.")
                % {"key": raw},
            )
        return response

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        assert isinstance(request.user, User)
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            tokens.token_revoke(token=token, by=request.user)
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked) % {"count": revoked},
            messages.SUCCESS,
        )


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple, required=True
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "event_types", "enabled"]

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        try:
            webhooks.url_check(url)
        except ValidationError as error:
            raise ValidationError(error.message_dict["url"]) from error
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Endpoints are made here (their secret shown once), changed, tested and their secret rotated."""

    form = WebhookEndpointForm
    list_display = ["url", "description", "enabled", "disabled_reason", "failing_since", "created_at"]
    list_filter = ["enabled", "disabled_reason"]
    search_fields = ["url", "description"]
    actions = ["send_test_event", "rotate_secret"]
    readonly_fields = ["disabled_reason", "disabled_at", "failing_since", "previous_secret_expires_at", "created_at",
                       "created_by"]  # fmt: skip

    def get_fields(self, request: HttpRequest, obj: WebhookEndpoint | None = None) -> Any:
        if obj is None:
            return ["url", "description", "event_types"]
        return ["url", "description", "event_types", "enabled", *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            saved = webhooks.endpoint_update(
                endpoint=WebhookEndpoint.objects.get(pk=obj.pk), url=data["url"], event_types=data["event_types"],
                description=data["description"], enabled=data["enabled"],
            )  # fmt: skip
        else:
            saved = webhooks.endpoint_create(
                url=data["url"], event_types=data["event_types"], description=data["description"],
                by=admin_user(request),
            )  # fmt: skip
            request._webhook_secret = saved.secret  # type: ignore[attr-defined]
        # The admin goes on with `obj` (history entry, redirect): make it the endpoint saved.
        obj.pk = saved.pk
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k != "_state"})
        obj._state.adding = False
        obj._state.db = saved._state.db

    def response_add(
        self, request: HttpRequest, obj: WebhookEndpoint, post_url_continue: str | None = None
    ) -> HttpResponse:
        response = super().response_add(request, obj, post_url_continue)
        secret = getattr(request, "_webhook_secret", None)
        if secret:
            messages.success(
                request,
                _("The signing secret is %(secret)s — copy it now to the receiver: it is not shown again.")
                % {"secret": secret},
            )
        return response

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        sent = 0
        for endpoint in queryset:
            webhooks.test_event_send(endpoint=endpoint)
            sent += 1
        self.message_user(
            request,
            ngettext("%(count)d test event queued.", "%(count)d test events queued.", sent) % {"count": sent},
            messages.SUCCESS,
        )

    @admin.action(description=_("Rotate the signing secret"), permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            secret = webhooks.endpoint_rotate_secret(endpoint=endpoint)
            self.message_user(
                request,
                _(
                    "New signing secret of %(endpoint)s: %(secret)s — copy it now, it is not shown again. "
                    "The previous one keeps signing for 24 hours."
                )
                % {"endpoint": endpoint, "secret": secret},
                messages.SUCCESS,
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """The log of webhook deliveries (kept 30 days), written only by the delivery service."""

    list_display = ["created_at", "endpoint", "event_type", "status", "attempts", "last_status_code",
                    "last_duration_ms", "next_attempt_at", "delivered_at"]  # fmt: skip
    list_filter = ["status", "endpoint", "event_type", "created_at"]
    search_fields = ["msg_id", "endpoint__url"]
    list_select_related = ["endpoint"]
    date_hierarchy = "created_at"
    actions = ["redeliver"]
    readonly_fields = ["endpoint", "event_type", "msg_id", "payload", "status", "attempts", "next_attempt_at",
                       "last_attempt_at", "last_status_code", "last_response_headers", "last_response_body",
                       "last_duration_ms", "last_error", "created_at", "delivered_at"]  # fmt: skip

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("portal.change_webhookendpoint")

    @admin.action(description=_("Redeliver (same message id)"), permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = webhooks.delivery_redeliver(deliveries=queryset)
        self.message_user(
            request,
            ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
