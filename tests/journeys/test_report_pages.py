"""The admin's TTV report pages and their CSV exports."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from journeys.models import Playbook
from journeys.services.journeys import journey_start
from tests.conftest import World
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def admin(world: World) -> Client:
    world.admin.language = "en"
    world.admin.save(update_fields=["language"])
    client = Client()
    client.force_login(world.admin)
    return client


def test_overview_shows_every_kind_and_the_curve_under_the_pages_csp(measured: World) -> None:
    response = admin(measured).get("/reports/")
    html = response.content.decode()
    assert response.status_code == 200
    assert len(response.context["summaries"]) == 6
    first_value = next(s for s in response.context["summaries"] if s.kind == "first_value")
    assert first_value.current.median_days == pytest.approx(4.0)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}"' in html
    assert "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "SMB" in html and "Kaplan-Meier" in html


def test_overview_explains_a_bad_range_and_still_answers(measured: World) -> None:
    response = admin(measured).get("/reports/", {"start_from": "2026-06-01", "start_to": "2026-01-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["start_to"]


def test_cohorts_page_groups_by_start_month(measured: World) -> None:
    response = admin(measured).get("/reports/cohorts/", {"kind": "first_value", "cohort": "cohort_quarter"})
    groups = response.context["report"].groups
    assert sum(g.estimate.n for g in groups) == 2
    assert all(re.fullmatch(r"\d{4}-Q[1-4]", g.key) for g in groups)


def test_table_and_rows_export_as_csv(measured: World) -> None:
    client = admin(measured)
    table = client.get("/reports/export/table.csv", {"kind": "first_value", "group_by": "segment"})
    lines = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert lines[0][:4] == ["group", "n", "reached", "censored"]
    assert lines[1][:4] == ["SMB", "2", "1", "1"]
    assert lines[-1][0] in {"All", "すべて", "全体"}
    rows = client.get("/reports/export/rows.csv", {"kind": "first_value"})
    records = list(csv.DictReader(io.StringIO(b"".join(rows.streaming_content).decode("utf-8-sig"))))
    assert {r["account_slug"] for r in records} == {"alpha", "beta"}
    assert set(records[0]) >= {"segment_name", "cohort", "started_at", "achieved_at", "duration_days", "censored"}


@pytest.mark.parametrize("url", ["/reports/", "/reports/cohorts/"])
def test_report_pages_query_count_does_not_grow(measured: World, url: str) -> None:
    client = admin(measured)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    playbook = Playbook.objects.get()
    for account in AccountFactory.create_batch(20, segment=measured.account_a.segment):
        journey_start(account=account, playbook=playbook)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few) == len(many)


def test_funnel_counts_journeys_per_milestone(measured: World) -> None:
    response = admin(measured).get("/reports/funnel/", {"playbook": "pb"})
    assert response.context["total"] == 2
    (stage,) = response.context["stages"]
    assert (stage.key, stage.reached, stage.share) == ("fv", 1, 0.5)
    assert "<svg" in response.content.decode()


def test_distribution_counts_only_those_who_reached(measured: World) -> None:
    response = admin(measured).get("/reports/distribution/", {"kind": "first_value"})
    assert (response.context["reached"], response.context["open"]) == (1, 1)
    counts = {b.label: b.count for b in response.context["bins"]}
    assert counts["3–7"] == 1 and sum(counts.values()) == 1  # noqa: RUF001


def test_empty_reports_say_what_to_do(world: World) -> None:
    client = admin(world)
    for url in ["/reports/", "/reports/cohorts/", "/reports/funnel/", "/reports/distribution/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'class="empty"' in response.content.decode(), url


@pytest.mark.parametrize("url", ["/reports/funnel/?playbook=pb", "/reports/distribution/?kind=first_value"])
def test_funnel_and_distribution_query_counts_do_not_grow(measured: World, url: str) -> None:
    client = admin(measured)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    playbook = Playbook.objects.get()
    for account in AccountFactory.create_batch(20, segment=measured.account_a.segment):
        journey_start(account=account, playbook=playbook)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few) == len(many)
