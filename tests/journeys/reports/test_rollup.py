"""The kept overview: Celery computes it, the page reads it, other periods are computed on the fly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from journeys.reports.models import ReportSnapshot
from journeys.reports.rollup import default_period, overview_compute, overview_for, overview_refresh
from journeys.reports.tasks import journeys_refresh_reports
from tests.conftest import World
from tests.queries import assert_fewer_queries, capture_queries

pytestmark = pytest.mark.django_db


def figures(estimates: dict) -> dict:
    return {
        kind: (e.n, e.reached, e.censored, e.median_days, e.median_ci, e.p75_days, e.p90_days, e.within_target_share)
        for kind, e in estimates.items()
    }


def admin_client(world: World) -> Client:
    client = Client()
    client.force_login(world.admin)
    return client


def test_the_kept_overview_equals_the_computed_one(measured: World) -> None:
    overview_refresh()
    start_from, start_to = default_period()
    kept = overview_for(start_from=start_from, start_to=start_to, business_days=False, kind="first_value")
    fresh = overview_compute(start_from=start_from, start_to=start_to)
    assert kept.cached and not fresh.cached
    # Equal but for the censoring time of open journeys ("now" moved on between the two computations).
    assert figures(kept.current) == figures(fresh.current)
    assert figures(kept.previous) == figures(fresh.previous)
    assert {
        kind: [(k, label, figures({k: e})) for k, label, e in groups] for kind, groups in kept.by_segment.items()
    } == {kind: [(k, label, figures({k: e})) for k, label, e in groups] for kind, groups in fresh.by_segment.items()}
    assert kept.current["first_value"].median_days == pytest.approx(4.0)


def test_the_page_reads_the_kept_figures_in_one_query(measured: World) -> None:
    client = admin_client(measured)
    with capture_queries() as live:
        page = client.get("/reports/")
    assert page.context["figures"].cached is False
    journeys_refresh_reports.delay()
    with capture_queries() as kept:
        page = client.get("/reports/")
    assert page.context["figures"].cached is True
    assert_fewer_queries(kept, live)
    assert "15" in page.content.decode()  # says how old the figures are and how often they refresh


def test_another_period_is_computed_on_the_fly(measured: World) -> None:
    overview_refresh()
    start_from, start_to = default_period()
    other = overview_for(
        start_from=start_from + timedelta(days=1), start_to=start_to, business_days=False, kind="first_value"
    )
    assert other.cached is False
    assert list(other.by_segment) == ["first_value"]


def test_an_admin_refreshes_the_figures(measured: World, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client(measured).post("/reports/refresh/")
    assert response.status_code == 302
    assert len(callbacks) == 1
    assert ReportSnapshot.objects.get(key="overview").payload["current"]["first_value"]["reached"] == 1


def test_the_kept_cohort_reports_equal_the_computed_ones(measured: World) -> None:
    client = admin_client(measured)
    with capture_queries() as live:
        page = client.get("/reports/cohorts/", {"kind": "first_value", "cohort": "cohort_quarter"})
    assert page.context["kept"].cached is False
    fresh = page.context["report"]
    overview_refresh()
    with capture_queries() as kept:
        page = client.get("/reports/cohorts/", {"kind": "first_value", "cohort": "cohort_quarter"})
    assert page.context["kept"].cached is True
    assert_fewer_queries(kept, live)
    report = page.context["report"]
    assert [(g.key, g.label) for g in report.groups] == [(g.key, g.label) for g in fresh.groups]
    assert [figures({g.key: g.estimate}) for g in report.groups] == [figures({g.key: g.estimate}) for g in fresh.groups]
    assert figures({"all": report.total.estimate}) == figures({"all": fresh.total.estimate})
    assert "15" in page.content.decode()
    # Another period, or business days, is computed on the fly.
    other = client.get("/reports/cohorts/", {"kind": "first_value", "business_days": "on"})
    assert other.context["kept"].cached is False


def test_refreshing_returns_to_the_report_and_never_elsewhere(measured: World) -> None:
    client = admin_client(measured)
    back = client.post("/reports/refresh/", {"next": "/reports/cohorts/?kind=roi"})
    assert back["Location"] == "/reports/cohorts/?kind=roi"
    away = client.post("/reports/refresh/", {"next": "https://evil.example/"})
    assert away["Location"] == "/reports/"
