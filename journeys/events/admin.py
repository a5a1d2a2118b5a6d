"""Django admin for API keys, raw usage events and their daily counts (read-only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from journeys.events.models import ApiKey, DailyEventCount, UsageEvent
from journeys.events.services.api_keys import api_key_create, api_key_revoke
from portal.admin_tools import ReadOnlyAdmin
from portal.models import User

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups
    from django_stubs_ext import StrOrPromise


def _staff_user(request: HttpRequest) -> User:
    """Who is using the admin: always a signed-in staff member (the admin site lets no one else in)."""
    assert isinstance(request.user, User)
    return request.user


class ApiKeyAddForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name", "account"]


class ActiveFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, StrOrPromise]]:
        return [("active", _("Active")), ("revoked", _("Revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> QuerySet[ApiKey]:
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [ActiveFilter, ("account", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "prefix", "account__name", "account__slug"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]
    actions = ["revoke"]
    readonly_fields = ["account", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]

    def get_form(
        self, request: HttpRequest, obj: ApiKey | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> _FieldGroups:
        if obj is None:
            return ["name", "account"]
        return ["name", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        # A key's account is fixed once issued; only its name may change.
        return [] if obj is None else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        # Deleting a key would delete every event posted with it: revoke it instead.
        return False

    def save_model(self, request: HttpRequest, obj: ApiKey, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        api_key, raw = api_key_create(
            name=form.cleaned_data["name"], account=form.cleaned_data["account"], by=_staff_user(request)
        )
        # The admin goes on with `obj` (history entry, redirect): make it the key just issued.
        for name in ("id", "prefix", "key_hash", "created_at", "created_by_id"):
            setattr(obj, name, getattr(api_key, name))
        obj._state.adding = False
        obj._state.db = api_key._state.db
        request._issued_api_key = raw  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None) -> HttpResponse:
        response = super().response_add(request, obj, post_url_continue)
        raw = getattr(request, "_issued_api_key", None)
        if raw:
            messages.success(
                request,
                _("The new API key is %(key)s — copy it now: it is stored only as a hash and cannot be shown again.")
                % {"key": raw},
            )
        return response

    @admin.action(description=_("Revoke selected keys"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key, by=_staff_user(request))
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", revoked) % {"count": revoked},
            messages.SUCCESS,
        )


@admin.register(UsageEvent)
class UsageEventAdmin(ReadOnlyAdmin):
    """Raw events, read-only: they come from the API and are pruned after the retention period."""

    list_display = ["name", "account", "external_id", "user_ref", "occurred_at", "received_at", "api_key"]
    list_filter = ["name"]
    search_fields = ["external_id", "account__name"]
    list_select_related = ["account", "api_key"]
    date_hierarchy = "occurred_at"
    ordering = ["-occurred_at"]
    # The table is large: no COUNT(*) of everything under a filtered list.
    show_full_result_count = False
    readonly_fields = [
        "api_key",
        "external_id",
        "account",
        "user_ref",
        "name",
        "occurred_at",
        "properties",
        "received_at",
    ]


@admin.register(DailyEventCount)
class DailyEventCountAdmin(ReadOnlyAdmin):
    list_display = ["account", "name", "filter_key", "day", "count", "first_at", "last_at"]
    list_filter = ["name", "account__segment"]
    search_fields = ["account__name", "account__slug", "name"]
    list_select_related = ["account"]
    date_hierarchy = "day"
