"""Background work of the reports: keeping the overview and cohort figures fresh."""

from __future__ import annotations

from celery import shared_task

from journeys import queue
from journeys.reports.rollup import overview_refresh
from portal.celery import RETRY_POLICY


@shared_task(name=queue.REFRESH_REPORTS, **RETRY_POLICY)
def journeys_refresh_reports() -> float:
    """Recompute the kept overview report. Returns the seconds it took."""
    return overview_refresh().seconds
