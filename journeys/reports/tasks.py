"""Background work of the reports: keeping the overview and cohort figures fresh, the business
calendar ahead, and the forecast of time to value fitted nightly."""

from __future__ import annotations

from celery import shared_task

from journeys import queue
from journeys.reports.calendar import calendar_keep
from journeys.reports.forecasting import forecast_refresh
from journeys.reports.rollup import overview_refresh
from portal.celery import RETRY_POLICY


@shared_task(name=queue.REFRESH_REPORTS, **RETRY_POLICY)
def journeys_refresh_reports() -> float:
    """Recompute the kept overview report. Returns the seconds it took."""
    return overview_refresh().seconds


@shared_task(name=queue.KEEP_CALENDAR, **RETRY_POLICY)
def journeys_keep_calendar() -> int:
    """Keep the business calendar two years ahead (beat, daily). Returns the number of days written."""
    return calendar_keep()


@shared_task(name=queue.FORECAST_TTV, **RETRY_POLICY)
def journeys_forecast_ttv(kind: str = "first_value") -> dict[str, object]:
    """Score and fit the forecast of time to value for ``kind`` (beat, nightly). Returns what it found."""
    forecast = forecast_refresh(kind=kind)
    return {"ships": forecast.ships, "reason": forecast.reason, "predictions": forecast.predictions.count()}
