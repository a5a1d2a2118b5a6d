"""The admin's TTV report pages and their CSV exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from journeys.onboarding.models import Playbook
from journeys.onboarding.services.journeys import journey_start
from portal.models import MilestoneKind
from tests.conftest import World
from tests.factories import (
    AccountFactory,
    ArticleStepFactory,
    MilestoneFactory,
    PlaybookFactory,
    SegmentFactory,
    StepFactory,
)
from tests.queries import assert_same_queries, capture_queries, numbered_sql

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


def test_a_row_of_different_targets_shows_their_range(mixed_targets: World) -> None:
    client = admin(mixed_targets)
    page = client.get("/reports/cohorts/", {"kind": "first_value", "cohort": "cohort_month"})
    (month,) = page.context["report"].groups
    assert (month.estimate.targets_differ, month.estimate.target_days) == (True, None)
    cells = re.findall(r'<td class="num">(.*?)</td>', page.content.decode(), re.S)
    assert any("21–45" in cell and "(differs)" in cell for cell in cells)  # noqa: RUF001
    table = client.get("/reports/export/table.csv", {"kind": "first_value", "group_by": "cohort_month"})
    records = list(csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert [(r["target_days"], r["targets_differ"], r["target_days_min"], r["target_days_max"]) for r in records] == [
        ("", "1", "21.0", "45.0"),
        ("", "1", "21.0", "45.0"),
    ]  # the month, then the total
    assert records[0]["within_target_share"] == "0.333"


def test_funnel_counts_journeys_per_milestone(measured: World) -> None:
    response = admin(measured).get("/reports/funnel/", {"playbook": "pb"})
    assert response.context["total"] == 2
    (stage,) = response.context["stages"]
    assert (stage.key, stage.reached, stage.share) == ("fv", 1, 0.5)
    assert "<svg" in response.content.decode()


@pytest.mark.parametrize("url", ["/reports/funnel/", "/reports/bottlenecks/"])
def test_the_playbook_picker_keeps_the_filters_and_nothing_else(measured: World, url: str) -> None:
    # A parameter named "items" once hid the query string's items() from the template: 500.
    response = admin(measured).get(url, {"kind": "roi", "items": "x", "playbook": "pb"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<input type="hidden" name="kind" value="roi">' in html
    assert 'name="items"' not in html


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


def test_expected_reach_is_the_median_of_the_remaining_time() -> None:
    from journeys.reports.measurement import expected_reach_days

    curve = [(0.0, 0.0), (2.0, 0.25), (5.0, 0.5), (9.0, 0.75), (12.0, 0.75)]
    assert expected_reach_days(curve, 0) == 5.0  # half of everyone by day 5
    assert expected_reach_days(curve, 3) == 9.0  # of the 75% still out at day 3, half are in by day 9
    assert expected_reach_days(curve, 10) is None  # 25% never arrived in the data


def test_at_risk_lists_overdue_and_likely_late_accounts(measured: World) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from portal.models import Account

    # beta has waited 30 days for a 21-day target: past it.
    Account.objects.filter(pk=measured.account_b.pk).update(contract_start=timezone.now() - timedelta(days=30))
    measured.account_b.journeys.update(started_at=timezone.now() - timedelta(days=30))
    gamma = AccountFactory(name="Gamma KK", slug="gamma", segment=measured.account_a.segment)
    journey_start(account=gamma, playbook=Playbook.objects.get(), started_at=timezone.now() - timedelta(days=10))
    response = admin(measured).get("/reports/at-risk/", {"kind": "first_value"})
    items = {i.row.account_slug: i for i in response.context["page"].object_list}
    assert items["beta"].status == "overdue" and items["beta"].days_late == pytest.approx(9, abs=0.01)
    assert "alpha" not in items  # reached
    # gamma waited 10 days; in this data half of those still out after 10 days never arrive: likely late.
    assert items["gamma"].status == "likely_late"
    only_overdue = admin(measured).get("/reports/at-risk/", {"kind": "first_value", "status": "overdue"})
    assert [i.row.account_slug for i in only_overdue.context["page"].object_list] == ["beta"]
    assert 'href="/accounts/beta/"' in response.content.decode()


def test_churned_accounts_are_not_at_risk(measured: World) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from portal.models import Account

    Account.objects.filter(pk=measured.account_b.pk).update(
        status="churned", churned_at=timezone.now() - timedelta(days=1)
    )
    measured.account_b.journeys.update(started_at=timezone.now() - timedelta(days=60))
    response = admin(measured).get("/reports/at-risk/", {"kind": "first_value"})
    assert response.context["page"].paginator.count == 0
    assert 'class="empty"' in response.content.decode()


def test_bottlenecks_show_kaplan_meier_time_on_each_step_longest_first(world: World) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from journeys.onboarding.services.steps import step_set_status

    playbook = PlaybookFactory(key="flow", name="Flow", status=Playbook.Status.PUBLISHED)
    StepFactory(playbook=playbook, key="a", position=1, title="Step A", due_offset_days=2)
    StepFactory(playbook=playbook, key="b", position=2, title="Step B", due_offset_days=5)
    StepFactory(playbook=playbook, key="c", position=3, title="Step C", due_offset_days=30)
    start = timezone.now() - timedelta(days=20)
    journeys = [
        journey_start(account=account, playbook=playbook, started_at=start)
        for account in [world.account_a, world.account_b, *AccountFactory.create_batch(4)]
    ]
    # A: a day each. B: done after 2 days by two journeys, four still on it after 19 days. C: two reached it.
    for n, journey in enumerate(journeys):
        done = [("a", 1), ("b", 3)] if n < 2 else [("a", 1)]
        for key, day in done:
            step_set_status(state=journey.step_states.get(step_key=key), status="done", by=world.admin,
                            at=start + timedelta(days=day))  # fmt: skip
    response = admin(world).get("/reports/bottlenecks/", {"playbook": "flow"})
    steps = response.context["steps"]
    by_key = {s.key: s for s in steps}
    assert response.context["journeys"] == 6
    assert (by_key["a"].reached, by_key["a"].done, by_key["a"].median_days) == (6, 6, pytest.approx(1.0))
    # Those who did B took 2 days; the survivors' median hid the four still on it after 19 days.
    assert (by_key["b"].reached, by_key["b"].done, by_key["b"].median_days) == (6, 2, None)
    assert by_key["b"].median_beyond_days == pytest.approx(19.0, abs=0.01)
    assert (by_key["b"].stalled, by_key["b"].stalled_share) == (4, 4 / 6)
    assert (by_key["c"].reached, by_key["c"].measured, by_key["c"].median_days) == (2, False, None)
    # The chart's order ("longest first") is the table's: B (beyond 19 days), A (1 day), then C (too few).
    assert [s.key for s in steps] == ["b", "a", "c"]
    assert [s.key for s in steps if s.worst] == ["b", "a"]
    content = response.content.decode()
    assert "Days journeys spend on each step, longest first" in content
    assert "&gt; 19.0" in content and "too few" in content
    assert "A step fewer than 5 journeys have reached has no median and no bar" in content
    assert "row-worst" in content
    assert "No tutorial helps with this step yet." in content

    from faq.models import Article
    from tests.factories import ArticleFactory

    tutorial = ArticleFactory(kind=Article.Kind.TUTORIAL, language="en", title="Finishing step B")
    ArticleStepFactory(article=tutorial, playbook_key="flow", step_key="b")
    hidden = ArticleFactory(kind=Article.Kind.TUTORIAL, language="ja", title="ステップBの手順", translation_of=tutorial)
    ArticleStepFactory(article=hidden, playbook_key="flow", step_key="b")
    page = admin(world).get("/reports/bottlenecks/", {"playbook": "flow"}, HTTP_ACCEPT_LANGUAGE="en")
    content = page.content.decode()
    assert f'href="{tutorial.get_absolute_url()}"' in content and "Finishing step B" in content
    assert "ステップBの手順" not in content  # its translation, in the reader's language, stands for it


@pytest.mark.parametrize(
    "url",
    [
        "/reports/",
        "/reports/cohorts/",
        "/reports/funnel/?playbook=pb",
        "/reports/distribution/?kind=first_value",
        "/reports/at-risk/?kind=first_value",
        "/reports/bottlenecks/?playbook=pb",
    ],
)
def test_report_pages_query_count_does_not_grow(measured: World, url: str) -> None:
    client = admin(measured)
    with capture_queries() as few:
        client.get(url)
    playbook = Playbook.objects.get()
    for account in AccountFactory.create_batch(20, segment=measured.account_a.segment):
        journey_start(account=account, playbook=playbook)
    with capture_queries() as many:
        client.get(url)
    assert_same_queries(few, many)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"business_days": "on"},
        {"kind": "roi"},
        {"start_from": "2020-01-01", "start_to": "2030-12-31", "kind": "first_action"},
    ],
)
def test_the_overview_computed_live_is_within_the_budget_whatever_the_accounts(measured: World, query: dict) -> None:
    """No kept figures: every kind over the period and the one before, and the chosen kind per
    segment, computed from a few queries, as many for two accounts as for many in three segments."""
    playbook = Playbook.objects.get()
    for position, kind in enumerate(MilestoneKind.values, start=1):
        if kind != MilestoneKind.FIRST_VALUE:
            MilestoneFactory(playbook=playbook, key=f"m-{kind}", position=position, kind=kind)
    client = admin(measured)
    client.get("/reports/", query)  # the business days' calendar filled once
    with capture_queries() as few:
        small = client.get("/reports/", query)
    now = timezone.now()
    segments = [
        measured.account_a.segment,
        SegmentFactory(name="Mid", slug="mid"),
        SegmentFactory(name="Ent", slug="ent"),
    ]
    for i, account in enumerate(AccountFactory.create_batch(30, segment=segments[0])):
        account.segment = segments[i % 3]
        account.save(update_fields=["segment"])
        # Some started in the period, some in the one before.
        journey_start(account=account, playbook=playbook, started_at=now - timedelta(days=20 + 25 * i))
    client.get("/reports/", query)  # the calendar filled for the earlier starts
    with capture_queries() as many:
        large = client.get("/reports/", query)
    assert small.context["figures"].cached is large.context["figures"].cached is False
    kind = query.get("kind", "first_value")
    assert large.context["figures"].current[kind].n + large.context["figures"].previous[kind].n > (
        small.context["figures"].current[kind].n + small.context["figures"].previous[kind].n
    )
    assert_same_queries(few, many)
    assert len(many) <= 8, numbered_sql(many)


@pytest.mark.parametrize(
    "url",
    ["/reports/", "/reports/cohorts/", "/reports/funnel/", "/reports/at-risk/", "/reports/bottlenecks/",
     "/reports/distribution/", "/reports/export/table.csv", "/reports/export/rows.csv"],
)  # fmt: skip
def test_far_past_and_future_dates_are_field_errors_not_server_errors(measured: World, url: str) -> None:
    client = admin(measured)
    client.raise_request_exception = False
    response = client.get(url, {"start_from": "0001-01-01", "start_to": "9999-12-31"})
    assert response.status_code in (200, 400), (url, response.status_code)
    if response.status_code == 200 and not url.endswith(".csv"):
        form = response.context["form"]
        assert set(form.errors) == {"start_from", "start_to"}, url
