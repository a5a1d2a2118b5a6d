from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal.api import accounts, imports, views, webhooks

urlpatterns = [
    path("", include("journeys.api_urls")),
    path("", include("faq.api.urls")),
    path("reports/support/", include("support.report_api_urls")),
    path("", include("support.api_urls")),
    path("me/", views.MeView.as_view(), name="api_me"),
    path("accounts/", views.AccountListView.as_view(), name="api_account_list"),
    # Before the slug's routes: an account's slug is never ``by-external-id`` (reserved).
    path(
        "accounts/by-external-id/<str:external_id>/",
        accounts.AccountByExternalIdView.as_view(),
        name="api_account_by_external_id",
    ),
    path("accounts/<slug:slug>/", views.AccountDetailView.as_view(), name="api_account_detail"),
    path("accounts/<slug:slug>/contacts/", accounts.AccountContactsView.as_view(), name="api_account_contacts"),
    path("accounts/<slug:slug>/contacts/<int:pk>/", accounts.AccountContactView.as_view(), name="api_account_contact"),
    path("webhooks/endpoints/", webhooks.EndpointListView.as_view(), name="api_webhook_endpoints"),
    path("webhooks/endpoints/<int:pk>/", webhooks.EndpointDetailView.as_view(), name="api_webhook_endpoint"),
    path(
        "webhooks/endpoints/<int:pk>/rotate-secret/",
        webhooks.EndpointRotateSecretView.as_view(),
        name="api_webhook_endpoint_rotate_secret",
    ),
    path("webhooks/endpoints/<int:pk>/test/", webhooks.EndpointTestView.as_view(), name="api_webhook_endpoint_test"),
    path(
        "webhooks/endpoints/<int:pk>/deliveries/",
        webhooks.DeliveryListView.as_view(),
        name="api_webhook_deliveries",
    ),
    path(
        "webhooks/endpoints/<int:pk>/deliveries/redeliver/",
        webhooks.DeliveryRedeliverView.as_view(),
        name="api_webhook_deliveries_redeliver",
    ),
    path("imports/", imports.ImportListView.as_view(), name="api_import_list"),
    path("imports/<int:pk>/", imports.ImportDetailView.as_view(), name="api_import_detail"),
    path("imports/<int:pk>/check/", imports.ImportCheckView.as_view(), name="api_import_check"),
    path("imports/<int:pk>/errors/", imports.ImportErrorsView.as_view(), name="api_import_errors"),
    path("imports/<int:pk>/run/", imports.ImportRunView.as_view(), name="api_import_run"),
    path("imports/<int:pk>/rollback/", imports.ImportRollbackView.as_view(), name="api_import_rollback"),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # Swagger UI sets inline style attributes; its page alone may use them (scripts stay 'self').
    # Replaced, not added to: next to a nonce, browsers ignore 'unsafe-inline'.
    path(
        "docs/",
        csp_replace({"style-src": [SELF, UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="api_schema")),
        name="api_docs",
    ),
]
