"""The Django admin of every concept of the app: Django looks for it here."""

from journeys.automation import admin as automation_admin
from journeys.events import admin as events_admin
from journeys.onboarding import admin as onboarding_admin
from journeys.reports import admin as reports_admin
from journeys.workspace import admin as workspace_admin

__all__ = ["automation_admin", "events_admin", "onboarding_admin", "reports_admin", "workspace_admin"]
