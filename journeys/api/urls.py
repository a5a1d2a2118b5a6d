from django.urls import path

from journeys.api import reports, views

urlpatterns = [
    path("events/", views.EventIngestView.as_view(), name="api_events"),
    path("reports/ttv/", reports.TTVReportView.as_view(), name="api_ttv_report"),
    path("reports/ttv/rows/", reports.TTVRowsView.as_view(), name="api_ttv_rows"),
]
