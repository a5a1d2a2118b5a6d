"""Admin for the kept report figures (read-only)."""

from __future__ import annotations

from django.contrib import admin

from journeys.reports.models import ReportSnapshot
from portal.admin_tools import ReadOnlyAdmin


@admin.register(ReportSnapshot)
class ReportSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["key", "computed_at", "seconds"]
    search_fields = ["key"]
    exclude = ["payload"]
