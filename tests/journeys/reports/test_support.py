"""Support beside onboarding: Time to Value of accounts that asked on the way against those that did
not, and the questions asked about each step on the bottleneck report (page, CSV, API)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from journeys.reports.selectors import ttv_by_asking
from support.services import attempt_solved, attempt_start, inquiry_create
from tests.conftest import World, signed_in
from tests.factories import ArticleFactory
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


def ask(world: World, account, author, at, **kwargs):
    return inquiry_create(account=account, author=author, subject="Stuck", body="Help", at=at, **kwargs)


def test_accounts_that_asked_on_the_way_are_measured_apart(measured: World) -> None:
    journey_a = measured.account_a.journeys.get()
    journey_b = measured.account_b.journeys.get()
    now = journey_a.started_at + timedelta(days=30)
    # A reached first value on day 4 and asked only after it; B asked on day 2 and has not reached it.
    ask(measured, measured.account_a, measured.customer_a, journey_a.started_at + timedelta(days=10))
    ask(measured, measured.account_b, measured.customer_b, journey_b.started_at + timedelta(days=2))

    asked, not_asked = ttv_by_asking(kind="first_value", now=now)

    assert (asked.key, asked.estimate.n, asked.estimate.reached) == ("asked", 1, 0)
    assert (not_asked.key, not_asked.estimate.n, not_asked.estimate.reached) == ("not_asked", 1, 1)
    assert not_asked.estimate.median_days == pytest.approx(4.0)


def test_the_support_report_page_api_and_csv(measured: World) -> None:
    journey_b = measured.account_b.journeys.get()
    ask(measured, measured.account_b, measured.customer_b, journey_b.started_at + timedelta(hours=1))
    article = ArticleFactory(title="Send a campaign", language="en")
    attempt_solved(attempt=attempt_start(account=measured.account_a, user=measured.customer_a), article=article)
    admin = signed_in(measured.admin)

    page = admin.get("/reports/support/")
    body = admin.get("/api/v1/reports/ttv/support/").json()
    download = admin.get("/reports/export/support.csv")

    assert page.status_code == 200
    text = page.content.decode()
    assert "Asked support on the way" in text and "Send a campaign" in text
    assert [(g["key"], g["n"]) for g in body["groups"]] == [("asked", 1), ("not_asked", 1)]
    assert [(a["title"], a["solved"]) for a in body["articles"]] == [("Send a campaign", 1)]
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [line[:3] for line in lines[1:]] == [["Asked support on the way", "1", "0"], ["Did not ask", "1", "1"]]
    # A CS manager's API figures count their accounts only.
    mine = signed_in(measured.csm_a).get("/api/v1/reports/ttv/support/").json()
    assert [(g["key"], g["n"]) for g in mine["groups"]] == [("asked", 0), ("not_asked", 1)]
    assert mine["articles"][0]["solved"] == 1  # account A's question, answered by the article
    assert signed_in(measured.csm_b).get("/api/v1/reports/ttv/support/").json()["articles"] == []


def test_the_support_report_says_what_to_do_without_journeys(world: World) -> None:
    page = signed_in(world.admin).get("/reports/support/")

    assert page.status_code == 200
    assert "No journeys in this period" in page.content.decode()
    assert "No question answered by an article yet" in page.content.decode()


def test_the_bottleneck_report_counts_the_questions_about_each_step(measured: World) -> None:
    started = measured.account_b.journeys.get().started_at
    for _n in range(2):
        ask(measured, measured.account_b, measured.customer_b, started, playbook_key="pb", step_key="send")
    attempt = attempt_start(account=measured.account_a, user=measured.customer_a, playbook_key="pb", step_key="send")
    attempt_solved(attempt=attempt, article=ArticleFactory())
    admin = signed_in(measured.admin)

    page = admin.get("/reports/bottlenecks/", {"playbook": "pb"})
    body = admin.get("/api/v1/reports/bottlenecks/", {"playbook": "pb"}).json()
    download = admin.get("/reports/export/bottlenecks.csv", {"playbook": "pb"})

    ((_step, _tutorials, asked),) = page.context["rows"]
    assert (asked.inquiries, asked.started, asked.solved) == (2, 1, 1)
    assert "+ 1 answered by an article" in page.content.decode()
    (step,) = body["steps"]
    assert (step["inquiries"], step["ask_forms"], step["deflected"]) == (2, 1, 1)
    header, line = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert header[-3:] == ["Support questions", "Forms to ask started", "Answered by an article first"]
    assert line[-3:] == ["2", "1", "1"]
    # Another playbook's questions are not this one's.
    assert (
        signed_in(measured.csm_b)
        .get("/api/v1/reports/bottlenecks/", {"playbook": "pb"})
        .json()["steps"][0]["inquiries"]
        == 2
    )


def test_the_support_report_takes_the_same_queries_for_one_and_many(measured: World) -> None:
    admin = signed_in(measured.admin)
    started = measured.account_b.journeys.get().started_at
    ask(measured, measured.account_b, measured.customer_b, started)
    attempt_solved(
        attempt=attempt_start(account=measured.account_b, user=measured.customer_b), article=ArticleFactory()
    )
    with capture_queries() as few:
        assert admin.get("/reports/support/").status_code == 200
    for n in range(6):
        ask(measured, measured.account_a, measured.customer_a, started + timedelta(hours=n))
        attempt_solved(
            attempt=attempt_start(account=measured.account_a, user=measured.customer_a), article=ArticleFactory()
        )
    with capture_queries() as many:
        assert admin.get("/reports/support/").status_code == 200
    assert_same_queries(few, many)
