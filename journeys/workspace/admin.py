"""Django admin for the CS managers' workspace: notes and success plans."""

from __future__ import annotations

from django.contrib import admin

from journeys.workspace.models import AccountNote, SuccessGoal


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
