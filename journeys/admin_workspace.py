"""Django admin for the CS managers' workspace: kept risks (read-only), notes, success plans
(imported by journeys/admin.py)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from journeys.models import AccountNote, AccountRisk, SuccessGoal


@admin.register(AccountRisk)
class AccountRiskAdmin(admin.ModelAdmin):
    list_display = ["account", "risk", "since", "reason", "evaluated_at"]
    list_filter = ["risk", "account__segment"]
    search_fields = ["account__name", "account__slug", "reason"]
    list_select_related = ["account"]
    date_hierarchy = "since"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # kept by the nightly evaluation

    def has_change_permission(self, request: HttpRequest, obj: AccountRisk | None = None) -> bool:
        return False


@admin.register(AccountNote)
class AccountNoteAdmin(admin.ModelAdmin):
    list_display = ["account", "author", "created_at", "body"]
    list_filter = ["author"]
    search_fields = ["account__name", "body"]
    list_select_related = ["account", "author"]
    raw_id_fields = ["account"]
    readonly_fields = ["author", "created_at"]


@admin.register(SuccessGoal)
class SuccessGoalAdmin(admin.ModelAdmin):
    list_display = ["title", "account", "target_on", "status", "closed_at"]
    list_filter = ["status", "account__segment"]
    search_fields = ["title", "account__name"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]
    readonly_fields = ["created_by", "created_at", "closed_at"]
