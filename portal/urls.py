from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path

from faq import views as faq_views
from faq.sitemaps import PublicArticleSitemap
from journeys.onboarding import views as journey_views
from journeys.reports import views as report_views
from journeys.workspace import views as workspace_views
from portal import import_views, preference_views, token_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Sign-in, sign-out, password reset, invitations, profile
    path("login/", views.KachiLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("profile/", views.profile, name="profile"),
    path("settings/notifications/", preference_views.notification_settings, name="notification_settings"),
    path("settings/tokens/", token_views.token_list, name="token_list"),
    path("settings/tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
    path("settings/imports/", import_views.import_list, name="import_list"),
    path("settings/imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("settings/imports/<int:pk>/run/", import_views.import_run, name="import_run"),
    path("settings/imports/<int:pk>/errors.csv", import_views.import_errors, name="import_errors"),
    path("settings/imports/<int:pk>/rollback/", import_views.import_rollback, name="import_rollback"),
    path("unsubscribe/<str:token>/", preference_views.unsubscribe_link, name="unsubscribe"),
    path("language/", views.set_language, name="set_language"),
    # Customers
    path("app/", journey_views.checklist, name="customer_home"),
    path("app/team/", views.team, name="team"),
    path("app/team/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("app/team/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("app/value/", journey_views.value, name="value"),
    path("app/value/<int:pk>/", journey_views.value_record, name="value_record"),
    path("app/value/<int:pk>/delete/", journey_views.value_record_delete, name="value_record_delete"),
    # Journey actions (customers and staff, scoped to their accounts)
    path("steps/<int:pk>/status/", journey_views.step_status, name="step_status"),
    path("steps/<int:pk>/assign/", journey_views.step_assign, name="step_assign"),
    path("steps/<int:pk>/reschedule/", journey_views.step_reschedule, name="step_reschedule"),
    path("achievements/<int:pk>/feedback/", journey_views.feedback, name="milestone_feedback"),
    # CS managers and admins
    path("portfolio/", workspace_views.portfolio, name="portfolio"),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<slug:slug>/", workspace_views.account_detail, name="account_detail"),
    *[
        path(
            f"accounts/<slug:slug>/panels/{panel}/",
            workspace_views.account_panel,
            {"panel": panel},
            name=f"account_panel_{panel}",
        )
        for panel in workspace_views.ACCOUNT_PANELS
    ],
    path("accounts/<slug:slug>/value/", journey_views.account_value_create, name="account_value_create"),
    path("accounts/<slug:slug>/value/<int:pk>/", journey_views.account_value_record, name="account_value_record"),
    path(
        "accounts/<slug:slug>/value/<int:pk>/delete/",
        journey_views.account_value_record_delete,
        name="account_value_record_delete",
    ),
    path("accounts/<slug:slug>/journeys/start/", journey_views.journey_start, name="journey_start"),
    path("accounts/<slug:slug>/notes/", workspace_views.note_add, name="account_note_add"),
    path("notes/<int:pk>/edit/", workspace_views.note_edit, name="account_note_edit"),
    path("accounts/<slug:slug>/goals/", workspace_views.goal_add, name="success_goal_add"),
    path("goals/<int:pk>/status/", workspace_views.goal_status, name="success_goal_status"),
    path("reports/", report_views.overview, name="admin_home"),
    path("reports/refresh/", report_views.refresh, name="report_refresh"),
    path("reports/cohorts/", report_views.cohorts, name="report_cohorts"),
    path("reports/funnel/", report_views.funnel, name="report_funnel"),
    path("reports/at-risk/", report_views.at_risk, name="report_at_risk"),
    path("reports/bottlenecks/", report_views.bottlenecks, name="report_bottlenecks"),
    path("reports/distribution/", report_views.distribution, name="report_distribution"),
    path("reports/support/", report_views.support, name="report_support"),
    path("reports/export/table.csv", report_views.export_table, name="report_export_table"),
    path("reports/export/rows.csv", report_views.export_rows, name="report_export_rows"),
    path("reports/export/funnel.csv", report_views.export_funnel, name="report_export_funnel"),
    path("reports/export/at-risk.csv", report_views.export_at_risk, name="report_export_at_risk"),
    path("reports/export/support.csv", report_views.export_support, name="report_export_support"),
    path("reports/export/bottlenecks.csv", report_views.export_bottlenecks, name="report_export_bottlenecks"),
    path("reports/export/distribution.csv", report_views.export_distribution, name="report_export_distribution"),
    path("help/analytics/", report_views.help_analytics, name="help_analytics"),
    path("help/analytics/<slug:table>.csv", report_views.export_help_analytics, name="help_analytics_export"),
    # Support desk
    path("support/", include("support.urls")),
    # Help centre (public articles need no sign-in)
    path("", include("faq.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": {"articles": PublicArticleSitemap}}, name="sitemap"),
    re_path(r"^media/(?P<path>.+)$", faq_views.media, name="media"),
    # API and Django admin
    path("api/v1/", include("portal.api.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
