"""The Celery tasks of every concept of the app, for the worker's autodiscovery: each is defined in
``journeys/<concept>/tasks.py`` and enqueued through ``journeys.queue``."""

from journeys.automation import tasks as automation_tasks
from journeys.events import tasks as events_tasks
from journeys.onboarding import tasks as onboarding_tasks
from journeys.reports import tasks as reports_tasks

__all__ = ["automation_tasks", "events_tasks", "onboarding_tasks", "reports_tasks"]
