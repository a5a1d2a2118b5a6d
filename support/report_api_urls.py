"""The desk's reports in the API under /api/v1/reports/support/."""

from django.urls import path

from support import report_api

urlpatterns = [
    path("first-replies/", report_api.FirstRepliesView.as_view(), name="api_report_support_first_replies"),
    path("deflection/", report_api.DeflectionView.as_view(), name="api_report_support_deflection"),
]
