"""TTV report JSON and per-account rows (JSON, CSV) as staff read them through the API."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework import serializers

from journeys.onboarding.models import Playbook
from journeys.onboarding.services.journeys import journey_start
from journeys.reports import measurement
from tests.conftest import World, signed_in
from tests.factories import AccountFactory, ArticleStepFactory
from tests.queries import CaptureQueriesContext, assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


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


def test_a_group_of_different_targets_says_so(mixed_targets: World) -> None:
    client = signed_in(mixed_targets.admin)
    body = client.get("/api/v1/reports/ttv/", {"kind": "first_value", "group_by": "segment"}).json()
    groups = {group["key"]: group for group in body["groups"]}
    smb, enterprise = groups["smb"], groups["enterprise"]
    assert (smb["target_days"], smb["targets_differ"], smb["target_days_min"]) == (21, False, None)
    assert (enterprise["target_days"], enterprise["targets_differ"]) == (45, False)  # the segment's: pb2 has none
    total = body["total"]
    assert (total["target_days"], total["targets_differ"]) == (None, True)
    assert (total["target_days_min"], total["target_days_max"]) == (21, 45)
    # alpha reached within its 21 days, beta not yet, gamma not yet: (2 * 1/2 + 1 * 0) / 3.
    assert total["within_target_share"] == pytest.approx(1 / 3, abs=0.001)
    rows = client.get("/api/v1/reports/ttv/rows/", {"kind": "first_value"}).json()["results"]
    assert {row["account_slug"]: row["target_days"] for row in rows} == {"alpha": 21, "beta": 21, "gamma": 45}


def test_a_csm_measures_only_their_accounts(measured: World) -> None:
    body = signed_in(measured.csm_b).get("/api/v1/reports/ttv/", {"kind": "first_value"}).json()
    assert body["total"]["n"] == 1 and body["total"]["reached"] == 0


def test_customers_and_visitors_cannot_read_reports(measured: World) -> None:
    assert signed_in(measured.customer_a).get("/api/v1/reports/ttv/", {"kind": "first_value"}).status_code == 403
    assert Client().get("/api/v1/reports/ttv/rows/", {"kind": "first_value"}).status_code == 401


def test_bad_parameters_are_field_errors(measured: World) -> None:
    client = signed_in(measured.admin)
    response = client.get("/api/v1/reports/ttv/", {"kind": "nope", "group_by": "weather", "start_from": "soon"})
    assert response.status_code == 400
    assert set(response.json()) >= {"kind", "group_by", "start_from"}
    # Neither kind nor milestone: first value, as on the page.
    assert client.get("/api/v1/reports/ttv/").json()["kind"] == "first_value"
    flipped = client.get(
        "/api/v1/reports/ttv/", {"kind": "first_value", "start_from": "2026-05-01", "start_to": "2026-04-01"}
    )
    assert flipped.json() == {"start_to": ["The end of the range is before its start."]}


def test_rows_as_json_and_as_streamed_csv(measured: World) -> None:
    client = signed_in(measured.admin)
    page = client.get("/api/v1/reports/ttv/rows/", {"kind": "first_value"}).json()
    assert (len(page["results"]), page["next"], page["previous"]) == (2, None, None)  # one page holds both
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


def test_rows_come_a_page_at_a_time_by_cursor_in_start_order_ties_included(measured: World) -> None:
    playbook = Playbook.objects.get()
    same_start = timezone.now() - timedelta(days=3)
    for account in AccountFactory.create_batch(7, segment=measured.account_a.segment):
        journey_start(account=account, playbook=playbook, started_at=same_start)  # seven started at once
    client = signed_in(measured.admin)
    everything = measurement.ttv_rows(kind="first_value")
    assert len(everything) == 9
    expected = [(row.account_slug, row.started_at.isoformat()) for row in everything]
    assert [started for _slug, started in expected] == sorted(started for _slug, started in expected)

    def walk(url: str | None, link: str) -> tuple[list[tuple[str, str]], int]:
        seen: list[tuple[str, str]] = []
        pages = 0
        while url is not None:
            page = client.get(url).json()
            rows = [(row["account_slug"], row["started_at"]) for row in page["results"]]
            seen = [*seen, *rows] if link == "next" else [*rows, *seen]
            url, pages = page[link], pages + 1
        return seen, pages

    forwards, pages = walk("/api/v1/reports/ttv/rows/?kind=first_value&page_size=2", "next")
    assert (forwards, pages) == ([(slug, client_time(started)) for slug, started in expected], 5)
    last = client.get("/api/v1/reports/ttv/rows/", {"kind": "first_value", "page_size": 8}).json()["next"]
    last_page = client.get(last).json()
    assert (len(last_page["results"]), last_page["next"]) == (1, None)
    backwards, _pages = walk(last_page["previous"].replace("page_size=8", "page_size=3"), "previous")
    assert [*backwards, *[(r["account_slug"], r["started_at"]) for r in last_page["results"]]] == forwards
    assert client.get("/api/v1/reports/ttv/rows/", {"kind": "first_value", "cursor": "cD1zb29ufDE="}).status_code == 404
    # In business days, the same pages of the same rows.
    in_business_days, pages = walk("/api/v1/reports/ttv/rows/?kind=first_value&business_days=true&page_size=2", "next")
    assert (in_business_days, pages) == (forwards, 5)
    last = client.get(
        "/api/v1/reports/ttv/rows/", {"kind": "first_value", "business_days": "true", "page_size": 8}
    ).json()["next"]
    backwards, _pages = walk(client.get(last).json()["previous"], "previous")
    assert backwards == forwards[:8]


def client_time(started: str) -> str:
    """A start as the API writes it (DRF's ISO 8601, in the server's time zone)."""
    return serializers.DateTimeField().to_representation(datetime.fromisoformat(started))


def test_report_query_count_does_not_grow_with_accounts(measured: World) -> None:
    client = signed_in(measured.admin)
    params = {"kind": "first_value", "group_by": "segment"}
    with capture_queries() as few:
        client.get("/api/v1/reports/ttv/", params)
    playbook = Playbook.objects.get()
    for account in AccountFactory.create_batch(25, segment=measured.account_a.segment):
        journey_start(account=account, playbook=playbook)
    with capture_queries() as many:
        body = client.get("/api/v1/reports/ttv/", params).json()
    assert body["groups"][0]["n"] == 27
    assert_same_queries(few, many)


# --- Funnel, bottlenecks, at-risk and distribution ------------------------------------------------


def test_funnel_bottlenecks_and_distribution_as_json(measured: World) -> None:
    client = signed_in(measured.admin)
    funnel = client.get("/api/v1/reports/funnel/", {"playbook": "pb"}).json()
    assert funnel == {
        "playbook": "pb",
        "journeys": 2,
        "stages": [{"key": "fv", "name": "First value", "kind": "first_value", "reached": 1, "share": 0.5}],
    }
    bottlenecks = client.get("/api/v1/reports/bottlenecks/", {"playbook": "pb"}).json()
    assert (bottlenecks["journeys"], bottlenecks["min_journeys"]) == (2, 5)
    (send,) = bottlenecks["steps"]
    # Two journeys reached it, one has done it: too few for a median.
    assert (send["key"], send["reached"], send["done"], send["ttv_share"]) == ("send", 2, 1, 1.0)
    assert (send["median_days"], send["median_beyond_days"]) == (None, None)
    assert send["tutorials"] == []
    distribution = client.get("/api/v1/reports/distribution/", {"kind": "first_value"}).json()
    assert (distribution["reached"], distribution["open"]) == (1, 1)
    assert [b["count"] for b in distribution["bins"] if b["count"]] == [1]
    assert next(b for b in distribution["bins"] if b["count"])["low"] == 3  # 4 days: the 3-7 bin


def test_bottlenecks_link_the_steps_tutorials(measured: World) -> None:
    from faq.models import Article
    from tests.factories import ArticleFactory

    tutorial = ArticleFactory(kind=Article.Kind.TUTORIAL, language="en", title="Sending your first campaign")
    ArticleStepFactory(article=tutorial, playbook_key="pb", step_key="send")
    measured.admin.language = "en"
    measured.admin.save()
    body = signed_in(measured.admin).get("/api/v1/reports/bottlenecks/", {"playbook": "pb"}).json()
    (link,) = body["steps"][0]["tutorials"]
    assert link["title"] == "Sending your first campaign" and link["url"].endswith(tutorial.get_absolute_url())


def test_at_risk_as_json(measured: World) -> None:
    account_b = measured.account_b
    journey = account_b.journeys.get()
    journey.started_at = timezone.now() - timedelta(days=30)  # past the 21-day target without first value
    journey.save(update_fields=["started_at"])
    body = signed_in(measured.admin).get("/api/v1/reports/at-risk/", {"kind": "first_value"}).json()
    assert body["count"] == 1
    (item,) = body["results"]
    assert (item["account_slug"], item["status"], item["target_days"]) == ("beta", "overdue", 21)
    assert item["waited_days"] == pytest.approx(30, abs=0.1) and item["days_late"] == pytest.approx(9, abs=0.1)
    assert item["account_url"].endswith("/accounts/beta/")
    none = signed_in(measured.admin).get("/api/v1/reports/at-risk/", {"kind": "first_value", "status": "likely_late"})
    assert none.json()["count"] == 0


def test_a_csm_sees_only_their_accounts_in_every_report(measured: World) -> None:
    journey = measured.account_b.journeys.get()
    journey.started_at = timezone.now() - timedelta(days=30)
    journey.save(update_fields=["started_at"])
    csm_a, csm_b = signed_in(measured.csm_a), signed_in(measured.csm_b)
    assert csm_a.get("/api/v1/reports/funnel/", {"playbook": "pb"}).json()["journeys"] == 1
    assert csm_a.get("/api/v1/reports/funnel/", {"playbook": "pb"}).json()["stages"][0]["reached"] == 1
    assert csm_b.get("/api/v1/reports/funnel/", {"playbook": "pb"}).json()["stages"][0]["reached"] == 0
    assert csm_b.get("/api/v1/reports/bottlenecks/", {"playbook": "pb"}).json()["steps"][0]["done"] == 0
    assert csm_a.get("/api/v1/reports/at-risk/", {"kind": "first_value"}).json()["count"] == 0  # beta is B's
    assert csm_b.get("/api/v1/reports/at-risk/", {"kind": "first_value"}).json()["count"] == 1
    assert csm_b.get("/api/v1/reports/distribution/", {"kind": "first_value"}).json()["reached"] == 0
    for path, params in REPORTS:
        assert signed_in(measured.customer_a).get(path, params).status_code == 403
        assert Client().get(path, params).status_code == 401


REPORTS = [
    ("/api/v1/reports/ttv/rows/", {"kind": "first_value"}),
    ("/api/v1/reports/funnel/", {"playbook": "pb"}),
    ("/api/v1/reports/bottlenecks/", {"playbook": "pb"}),
    ("/api/v1/reports/at-risk/", {"kind": "first_value"}),
    ("/api/v1/reports/distribution/", {"kind": "first_value"}),
]


def test_bad_report_parameters_are_field_errors(measured: World) -> None:
    client = signed_in(measured.admin)
    unknown = client.get("/api/v1/reports/funnel/", {"playbook": "nope", "start_from": "soon"})
    assert unknown.status_code == 400 and set(unknown.json()) == {"start_from"}
    for path in ("/api/v1/reports/funnel/", "/api/v1/reports/bottlenecks/"):
        missing = client.get(path, {"playbook": "nope"})  # a playbook's report, of no playbook
        assert missing.status_code == 404 and missing.json()["code"] == "not_found", path
        assert set(client.get(path).json()) == {"playbook"}, path
    default = client.get("/api/v1/reports/at-risk/").json()  # first value unless told
    assert default == client.get("/api/v1/reports/at-risk/", {"kind": "first_value"}).json()
    assert default != client.get("/api/v1/reports/at-risk/", {"kind": "roi"}).json()
    risk = client.get("/api/v1/reports/at-risk/", {"kind": "first_value", "status": "doomed", "sort": "random"})
    assert risk.status_code == 400 and set(risk.json()) == {"status", "sort"}
    flipped = client.get(
        "/api/v1/reports/distribution/", {"kind": "first_value", "start_from": "2026-05-01", "start_to": "2026-04-01"}
    )
    assert flipped.json() == {"start_to": ["The end of the range is before its start."]}


def test_report_endpoints_query_counts_do_not_grow_with_accounts(measured: World) -> None:
    client = signed_in(measured.admin)

    def counts() -> list[CaptureQueriesContext]:
        result = []
        for path, params in REPORTS:
            with capture_queries() as queries:
                assert client.get(path, params).status_code == 200
            result.append(queries)
        return result

    few = counts()
    playbook = Playbook.objects.get()
    for account in AccountFactory.create_batch(25, segment=measured.account_a.segment):
        journey = journey_start(account=account, playbook=playbook)
        journey.started_at = timezone.now() - timedelta(days=40)
        journey.save(update_fields=["started_at"])
    assert client.get("/api/v1/reports/at-risk/", {"kind": "first_value"}).json()["count"] == 26  # and beta
    for (path, _params), before, after in zip(REPORTS, few, counts(), strict=True):
        assert_same_queries(before, after, label=path)


@pytest.mark.parametrize("path", ["ttv/", "ttv/rows/", "funnel/", "bottlenecks/", "distribution/"])
def test_dates_out_of_range_are_field_errors(measured: World, path: str) -> None:
    params = {"kind": "first_value", "playbook": "pb", "start_from": "0001-01-01", "start_to": "9999-12-31"}
    response = signed_in(measured.admin).get(f"/api/v1/reports/{path}", params)
    assert response.status_code == 400, path
    assert {"start_from", "start_to"} <= set(response.json()), path


def test_field_errors_speak_the_callers_language(measured: World) -> None:
    client = signed_in(measured.admin, language="ja")
    flipped = client.get("/api/v1/reports/ttv/", {"start_from": "2026-05-01", "start_to": "2026-04-01"})
    assert flipped.status_code == 400
    assert flipped.json()["start_to"] == ["期間の終わりが始まりより前になっています。"]
    assert client.get("/api/v1/reports/funnel/", {"playbook": "nope"}).json()["detail"] == (
        "このキーの公開中のプレイブックはありません。"
    )
