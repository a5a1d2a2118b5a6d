"""TTV report JSON and per-account rows (JSON, CSV) as staff read them through the API."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from journeys.models import Playbook
from journeys.services.journeys import journey_start
from tests.conftest import World
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_report_shape_and_numbers(measured: World) -> None:
    body = signed_in(measured.admin).get("/api/v1/reports/ttv/", {"kind": "first_value", "group_by": "segment"}).json()
    assert body["kind"] == "first_value" and body["group_by"] == "segment" and body["generated_at"]
    (smb,) = body["groups"]
    assert smb["key"] == "smb"
    assert (smb["n"], smb["reached"], smb["censored"]) == (2, 1, 1)
    assert smb["median_days"] == 4.0
    assert smb["naive_median_days"] == 4.0
    assert smb["p90_days"] is None  # the curve never gets to 90%: one of two has not arrived
    assert smb["target_days"] == 21
    assert smb["within_target_share"] == 0.5
    assert set(smb) >= {"median_ci", "p75_days"}


def test_a_csm_measures_only_their_accounts(measured: World) -> None:
    body = signed_in(measured.csm_b).get("/api/v1/reports/ttv/", {"kind": "first_value"}).json()
    assert body["total"]["n"] == 1 and body["total"]["reached"] == 0


def test_customers_and_visitors_cannot_read_reports(measured: World) -> None:
    assert signed_in(measured.customer_a).get("/api/v1/reports/ttv/", {"kind": "first_value"}).status_code == 403
    assert Client().get("/api/v1/reports/ttv/rows/", {"kind": "first_value"}).status_code == 403


def test_bad_parameters_are_field_errors(measured: World) -> None:
    client = signed_in(measured.admin)
    response = client.get("/api/v1/reports/ttv/", {"kind": "nope", "group_by": "weather", "start_from": "soon"})
    assert response.status_code == 400
    assert set(response.json()) >= {"kind", "group_by", "start_from"}
    assert client.get("/api/v1/reports/ttv/").status_code == 400  # neither kind nor milestone
    flipped = client.get(
        "/api/v1/reports/ttv/", {"kind": "first_value", "start_from": "2026-05-01", "start_to": "2026-04-01"}
    )
    assert flipped.json() == {"start_to": ["The end of the range is before its start."]}


def test_rows_as_json_and_as_streamed_csv(measured: World) -> None:
    client = signed_in(measured.admin)
    page = client.get("/api/v1/reports/ttv/rows/", {"kind": "first_value"}).json()
    assert page["count"] == 2
    by_account = {row["account_slug"]: row for row in page["results"]}
    assert by_account["alpha"]["censored"] is False and by_account["alpha"]["duration_days"] == pytest.approx(4.0)
    assert by_account["beta"]["censored"] is True and by_account["beta"]["achieved_at"] is None

    response = client.get("/api/v1/reports/ttv/rows/", {"kind": "first_value", "format": "csv"})
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["account_slug"] for r in sorted(rows, key=lambda r: r["account_slug"])] == ["alpha", "beta"]
    assert {r["censored"] for r in rows} == {"0", "1"}


def test_report_query_count_does_not_grow_with_accounts(measured: World) -> None:
    client = signed_in(measured.admin)
    params = {"kind": "first_value", "group_by": "segment"}
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/reports/ttv/", params)
    playbook = Playbook.objects.get()
    for account in AccountFactory.create_batch(25, segment=measured.account_a.segment):
        journey_start(account=account, playbook=playbook)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/api/v1/reports/ttv/", params).json()
    assert body["groups"][0]["n"] == 27
    assert len(few) == len(many)
