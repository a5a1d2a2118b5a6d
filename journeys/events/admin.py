"""Django admin for raw usage events and their daily counts (read-only); the tokens products post
with are the portal's API tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from journeys.events.models import DailyEventCount, UsageEvent
from portal.admin_tools import ReadOnlyAdmin

if TYPE_CHECKING:
    pass


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
