from django.urls import path

from journeys.api import views

urlpatterns = [
    path("events/", views.EventIngestView.as_view(), name="api_events"),
]
