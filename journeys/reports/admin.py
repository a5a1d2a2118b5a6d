"""Admin for the kept report figures (read-only)."""

from __future__ import annotations

from django.contrib import admin

from journeys.reports.models import ReportSnapshot, TtvForecast
from portal.admin_tools import ReadOnlyAdmin


@admin.register(ReportSnapshot)
class ReportSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["key", "computed_at", "seconds"]
    search_fields = ["key"]
    exclude = ["payload"]


@admin.register(TtvForecast)
class TtvForecastAdmin(ReadOnlyAdmin):
    """Each nightly fit of the forecast: whether it beat the segments' curves, by how much, and its
    C-index and calibration, for admins to judge it by."""

    list_display = ["fitted_at", "kind", "ships", "reason", "ibs_model", "ibs_baseline", "c_index", "journeys"]
    list_filter = ["kind", "ships"]
    date_hierarchy = "fitted_at"
