"""The API of the app under /api/v1/: usage events in, and the reports."""

from django.urls import path

from journeys.events.api import views
from journeys.reports import api as reports

urlpatterns = [
    path("events/", views.EventIngestView.as_view(), name="api_events"),
    path("reports/ttv/", reports.TTVReportView.as_view(), name="api_ttv_report"),
    path("reports/ttv/rows/", reports.TTVRowsView.as_view(), name="api_ttv_rows"),
    path("reports/funnel/", reports.FunnelView.as_view(), name="api_report_funnel"),
    path("reports/bottlenecks/", reports.BottlenecksView.as_view(), name="api_report_bottlenecks"),
    path("reports/at-risk/", reports.AtRiskView.as_view(), name="api_report_at_risk"),
    path("reports/distribution/", reports.DistributionView.as_view(), name="api_report_distribution"),
    path("reports/ttv/support/", reports.SupportTTVView.as_view(), name="api_report_support_ttv"),
]
