from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal.api import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api_me"),
    path("accounts/", views.AccountListView.as_view(), name="api_account_list"),
    path("accounts/<slug:slug>/", views.AccountDetailView.as_view(), name="api_account_detail"),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
]
