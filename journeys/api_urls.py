"""The API of the app under /api/v1/: usage events in, onboarding (journeys, steps, value, past
milestones) in and out, and the reports."""

from django.urls import path

from journeys.events.api import views
from journeys.onboarding import api as onboarding
from journeys.reports import api as reports

urlpatterns = [
    path("events/", views.EventIngestView.as_view(), name="api_events"),
    path("accounts/<slug:slug>/journeys/", onboarding.AccountJourneysView.as_view(), name="api_account_journeys"),
    path("journeys/<int:pk>/move/", onboarding.JourneyMoveView.as_view(), name="api_journey_move"),
    path("journeys/<int:pk>/steps/<slug:key>/", onboarding.JourneyStepView.as_view(), name="api_journey_step"),
    path("accounts/<slug:slug>/value/", onboarding.AccountValueView.as_view(), name="api_account_value"),
    path("value/<int:pk>/", onboarding.ValueRecordView.as_view(), name="api_value_record"),
    path(
        "accounts/<slug:slug>/achievements/",
        onboarding.AccountAchievementsView.as_view(),
        name="api_account_achievements",
    ),
    path("accounts/<slug:slug>/forecast/", reports.AccountForecastView.as_view(), name="api_account_forecast"),
    path("reports/ttv/", reports.TTVReportView.as_view(), name="api_ttv_report"),
    path("reports/ttv/rows/", reports.TTVRowsView.as_view(), name="api_ttv_rows"),
    path("reports/funnel/", reports.FunnelView.as_view(), name="api_report_funnel"),
    path("reports/bottlenecks/", reports.BottlenecksView.as_view(), name="api_report_bottlenecks"),
    path("reports/at-risk/", reports.AtRiskView.as_view(), name="api_report_at_risk"),
    path("reports/distribution/", reports.DistributionView.as_view(), name="api_report_distribution"),
    path("reports/ttv/support/", reports.SupportTTVView.as_view(), name="api_report_support_ttv"),
]
