"""Django admin for the CS managers' workspace: notes and success plans."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from journeys.workspace.models import AccountNote, AccountNoteRevision, SuccessGoal
from portal.admin_tools import ReadOnlyInline


class AccountNoteRevisionInline(ReadOnlyInline):
    model = AccountNoteRevision
    fields = ["written_at", "replaced_at", "body"]
    readonly_fields = ["written_at", "replaced_at", "body"]


@admin.register(AccountNote)
class AccountNoteAdmin(admin.ModelAdmin):
    """Notes are their authors' words: here an admin reads them and may delete one (say, personal data
    written by mistake), but never rewrites one; its author corrects it on the account page."""

    list_display = ["account", "author", "created_at", "edited_at", "body"]
    list_filter = ["author"]
    search_fields = ["account__name", "body"]
    list_select_related = ["account", "author"]
    fields = ["account", "author", "created_at", "edited_at", "body"]
    readonly_fields = ["account", "author", "created_at", "edited_at", "body"]
    inlines = [AccountNoteRevisionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SuccessGoal)
class SuccessGoalAdmin(admin.ModelAdmin):
    list_display = ["title", "account", "target_on", "status", "closed_at"]
    list_filter = ["status", "account__segment"]
    search_fields = ["title", "account__name"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]
    readonly_fields = ["created_by", "created_at", "closed_at"]
