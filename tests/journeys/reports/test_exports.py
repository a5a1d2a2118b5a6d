"""The CSV downloads of the funnel, distribution, at-risk, bottlenecks and help-centre analytics pages:
the rows of the page, read with the page's filters, behind the page's check."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from faq.services import view_record, visitor_key
from journeys.onboarding.models import Milestone, Playbook, Step
from journeys.onboarding.services.journeys import journey_start
from journeys.onboarding.services.steps import step_set_status
from portal.exports import BOM
from portal.models import Account
from tests.conftest import World, signed_in
from tests.factories import (
    AccountFactory,
    ArticleFactory,
    ArticleStepFactory,
    ArticleVoteFactory,
    MembershipFactory,
    PlaybookFactory,
    SearchLogFactory,
    SegmentFactory,
    StepFactory,
)
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("https://evil.example","x")'
REPORT_DOWNLOADS = [
    ("/reports/funnel/", "/reports/export/funnel.csv"),
    ("/reports/distribution/", "/reports/export/distribution.csv"),
    ("/reports/at-risk/", "/reports/export/at-risk.csv"),
    ("/reports/bottlenecks/", "/reports/export/bottlenecks.csv"),
]
HELP_DOWNLOADS = [
    "/help/analytics/stalled.csv",
    "/help/analytics/gaps.csv",
    "/help/analytics/most-read.csv",
    "/help/analytics/least-helpful.csv",
]


def lines(response: HttpResponse) -> list[list[str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = response.content.decode("utf-8")
    assert content.startswith(BOM)
    return list(csv.reader(io.StringIO(content.removeprefix(BOM))))


def overdue(world: World, account: Account, *, days: int = 30) -> None:
    """The account's journey started ``days`` ago: past the 21-day target of ``measured``."""
    Account.objects.filter(pk=account.pk).update(contract_start=timezone.now() - dt.timedelta(days=days))
    account.journeys.update(started_at=timezone.now() - dt.timedelta(days=days))


def read(article, user) -> None:
    view_record(article=article, visitor=visitor_key(user=user, session_key=None), day=timezone.now().date())


def stall(world: World) -> None:
    """Account A's journey on "help" has step "import" open past its due date; B's is on time."""
    playbook = PlaybookFactory(key="help", name="Help", status=Playbook.Status.PUBLISHED)
    StepFactory(playbook=playbook, key="import", title="Import contacts", due_offset_days=3)
    journey_start(account=world.account_a, playbook=playbook, started_at=timezone.now() - dt.timedelta(days=10))
    journey_start(account=world.account_b, playbook=playbook, started_at=timezone.now())


def test_funnel_lists_each_milestone_of_the_chosen_playbook_with_the_pages_figures(measured: World) -> None:
    client = signed_in(measured.admin)
    response = client.get("/reports/export/funnel.csv", {"playbook": "pb"})
    assert response["Content-Disposition"] == 'attachment; filename="kachi-funnel-pb.csv"'
    assert lines(response) == [
        ["Milestone", "Kind", "Reached", "Journeys", "Share"],
        ["First value", "First value", "1", "2", "0.500"],
    ]
    # The page's period: no journey started in 2020.
    earlier = client.get("/reports/export/funnel.csv", {"playbook": "pb", "start_from": "2020-01-01",
                                                        "start_to": "2020-12-31"})  # fmt: skip
    assert lines(earlier)[1] == ["First value", "First value", "0", "0", "0.000"]


def test_headers_are_in_the_readers_language(measured: World) -> None:
    response = signed_in(measured.admin, language="ja").get("/reports/export/funnel.csv", {"playbook": "pb"})
    assert lines(response)[0] == ["マイルストーン", "種類", "達成", "ジャーニー数", "割合"]


def test_distribution_counts_those_who_reached_it_per_bin(measured: World) -> None:
    response = signed_in(measured.admin).get("/reports/export/distribution.csv", {"kind": "first_value"})
    assert response["Content-Disposition"] == 'attachment; filename="kachi-distribution-first_value.csv"'
    assert lines(response) == [
        ["From (days)", "Until (days)", "Accounts"],
        ["0", "1", "0"], ["1", "3", "0"], ["3", "7", "1"], ["7", "14", "0"], ["14", "30", "0"],
        ["30", "60", "0"], ["60", "90", "0"], ["90", "180", "0"], ["180", "365", "0"], ["365", "", "0"],
    ]  # fmt: skip


def test_at_risk_lists_every_account_the_filters_choose_not_only_one_page(measured: World) -> None:
    overdue(measured, measured.account_b)
    mid = SegmentFactory(name="Mid", slug="mid")
    for account in AccountFactory.create_batch(30, segment=mid):
        journey_start(
            account=account, playbook=Playbook.objects.get(), started_at=timezone.now() - dt.timedelta(days=25)
        )
    client = signed_in(measured.admin)
    page = client.get("/reports/at-risk/", {"kind": "first_value"})
    response = client.get("/reports/export/at-risk.csv", {"kind": "first_value"})
    header, *rows = lines(response)
    assert header == ["Account", "Segment", "Started", "Days waited", "Target", "Expected", "Days past the target",
                      "Status"]  # fmt: skip
    assert len(rows) == page.context["page"].paginator.count == 31 > len(page.context["page"].object_list)
    started = timezone.localdate(measured.account_b.journeys.get().started_at).isoformat()
    assert rows[0] == ["Beta KK", "SMB", started, "30.0", "21", "", "9.0", "Past the target"]  # most late first
    only_beta = client.get("/reports/export/at-risk.csv", {"kind": "first_value", "sort": "account",
                                                           "segment": "smb", "status": "overdue"})  # fmt: skip
    assert [row[0] for row in lines(only_beta)[1:]] == ["Beta KK"]
    assert lines(client.get("/reports/export/at-risk.csv", {"kind": "first_value", "segment": "none"})) == [header]


def test_bottlenecks_lists_each_step_longest_first_with_its_tutorials(world: World) -> None:
    playbook = PlaybookFactory(key="flow", name="Flow", status=Playbook.Status.PUBLISHED)
    StepFactory(playbook=playbook, key="a", position=1, title="Step A", due_offset_days=2)
    StepFactory(playbook=playbook, key="b", position=2, title="Step B", due_offset_days=5)
    start = timezone.now() - dt.timedelta(days=20)
    journeys = [
        journey_start(account=account, playbook=playbook, started_at=start)
        for account in [world.account_a, world.account_b, *AccountFactory.create_batch(3)]
    ]
    # A: 1, 3, 1, 2, 2 days. B: 6, 10, 4 days; two journeys still on it after 18 days (and past due).
    for n, (a_day, b_day) in enumerate([(1, 7), (3, 13), (1, 5), (2, None), (2, None)]):
        for key, day in (("a", a_day), ("b", b_day)):
            if day is not None:
                step_set_status(state=journeys[n].step_states.get(step_key=key), status="done", by=world.admin,
                                at=start + dt.timedelta(days=day))  # fmt: skip
    tutorial = ArticleFactory(language="en", kind="tutorial", title="Finishing step B")
    ArticleStepFactory(article=tutorial, playbook_key="flow", step_key="b")
    response = signed_in(world.admin).get("/reports/export/bottlenecks.csv", {"playbook": "flow"})
    assert response["Content-Disposition"] == 'attachment; filename="kachi-bottlenecks-flow.csv"'
    # B: 4, 6, 10 done, 18 and 18 still on it: Kaplan-Meier S(10) = 4/5 * 3/4 * 2/3 = 2/5, the median.
    assert lines(response) == [
        ["Step", "Reached it", "Done", "Journeys", "Median days on the step", "Fewer than half done: at least (days)",
         "Stalled now", "Share stalled now", "Share of the time", "Bottleneck", "Tutorials", "Support questions",
         "Forms to ask started", "Answered by an article first"],
        ["Step B", "5", "3", "5", "10.0", "", "2", "0.400", "0.862", "1", "Finishing step B", "0", "0", "0"],
        ["Step A", "5", "5", "5", "2.0", "", "0", "0.000", "0.138", "1", "", "0", "0", "0"],
    ]  # fmt: skip
    page = signed_in(world.admin).get("/reports/bottlenecks/", {"playbook": "flow"})
    assert [(s.title, s.median_days, s.stalled) for s in page.context["steps"]] == [
        (row[0], float(row[4]), int(row[6])) for row in lines(response)[1:]
    ]


def test_help_analytics_tables(world: World) -> None:
    stall(world)
    linked = ArticleFactory(title="Importing contacts")
    ArticleStepFactory(article=linked, playbook_key="help", step_key="import")
    other = ArticleFactory(title="Billing")
    read(linked, world.customer_a)
    read(linked, world.customer_admin_a)
    read(other, world.customer_b)  # account B is not stalled
    for n, helpful in enumerate([True, False, False]):
        ArticleVoteFactory(article=other, helpful=helpful, session_key=f"voter-{n}")
    SearchLogFactory(query="invoice again", results=0, language="en", user=world.customer_a)
    SearchLogFactory(query="invoice again", results=0, language="en")
    client = signed_in(world.admin)
    stalled = client.get("/help/analytics/stalled.csv")
    assert stalled["Content-Disposition"] == 'attachment; filename="kachi-help-stalled.csv"'
    assert lines(stalled) == [
        ["Article", "Readers", "Accounts", "Views", "Helps with their step"],
        ["Importing contacts", "2", "1", "2", "1"],
    ]
    (header, gap) = lines(client.get("/help/analytics/gaps.csv"))
    assert header == ["Query", "Searches", "Signed-in people", "Last searched"]
    assert gap[:3] == ["invoice again", "2", "1"] and dt.datetime.fromisoformat(gap[3]).tzinfo is not None
    assert lines(client.get("/help/analytics/most-read.csv")) == [
        ["Article", "Views", "Readers", "Helpful votes", "Votes", "Found it helpful"],
        ["Importing contacts", "2", "2", "0", "0", ""],
        ["Billing", "1", "1", "1", "3", "0.333"],
    ]
    assert lines(client.get("/help/analytics/least-helpful.csv")) == [
        ["Article", "Helpful votes", "Votes", "Found it helpful"],
        ["Billing", "1", "3", "0.333"],
    ]
    assert client.get("/help/analytics/everything.csv").status_code == 404


def test_cells_that_begin_like_a_formula_arrive_as_text(measured: World) -> None:
    Account.objects.filter(pk=measured.account_b.pk).update(name=FORMULA)
    overdue(measured, measured.account_b)
    Milestone.objects.filter(key="fv").update(name=FORMULA)
    Step.objects.filter(key="send").update(title=FORMULA)
    article = ArticleFactory(title=FORMULA)
    read(article, measured.customer_a)
    SearchLogFactory(query=FORMULA, results=0)
    client = signed_in(measured.admin)
    cells = {
        "funnel": lines(client.get("/reports/export/funnel.csv", {"playbook": "pb"}))[1][0],
        "at risk": lines(client.get("/reports/export/at-risk.csv", {"kind": "first_value"}))[1][0],
        "bottlenecks": lines(client.get("/reports/export/bottlenecks.csv", {"playbook": "pb"}))[1][0],
        "most read": lines(client.get("/help/analytics/most-read.csv"))[1][0],
        "gaps": lines(client.get("/help/analytics/gaps.csv"))[1][0],
    }
    assert cells == dict.fromkeys(cells, "'" + FORMULA)


@pytest.mark.parametrize(("page_path", "download"), [*REPORT_DOWNLOADS, ("/help/analytics/", HELP_DOWNLOADS[0])])
def test_a_download_answers_everyone_but_an_admin_as_its_page_does(
    measured: World, page_path: str, download: str
) -> None:
    overdue(measured, measured.account_b)  # account B (CS manager B's) is at risk
    for user in [measured.csm_a, measured.csm_b, measured.customer_a, measured.customer_admin_a]:
        client = signed_in(user)
        assert client.get(page_path).status_code == client.get(download).status_code == 403, (user, download)
    anonymous = Client()
    assert anonymous.get(download)["Location"] == anonymous.get(page_path)["Location"].replace(page_path, download)


@pytest.mark.parametrize(
    "download",
    [*(download for _page, download in REPORT_DOWNLOADS), "/reports/export/table.csv", "/reports/export/rows.csv"],
)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start_from": "0001-01-01"}, "Started from"),
        ({"start_to": "9999-12-31"}, "Started until"),
        ({"start_from": "not a date"}, "Started from"),
        ({"start_from": "2026-06-01", "start_to": "2026-01-01"}, "Started until"),
        ({"kind": "everything"}, "Milestone"),
        ({"start_from": "2026-01-01\x00"}, "Started from"),
    ],
)
def test_bad_filters_answer_400_with_what_is_wrong(measured: World, download: str, query: dict, field: str) -> None:
    client = signed_in(measured.admin)
    client.raise_request_exception = False
    response = client.get(download, {"playbook": "pb", **query})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{field}: ")


@pytest.mark.parametrize("download", [download for _page, download in REPORT_DOWNLOADS])
def test_report_downloads_query_count_does_not_grow(measured: World, download: str) -> None:
    overdue(measured, measured.account_b)
    client = signed_in(measured.admin)
    query = {"playbook": "pb", "kind": "first_value"}
    with capture_queries() as few:
        one = client.get(download, query)
    playbook = Playbook.objects.get()
    start = timezone.now() - dt.timedelta(days=30)
    journeys = [
        journey_start(account=account, playbook=playbook, started_at=start)
        for account in AccountFactory.create_batch(20, segment=measured.account_a.segment)
    ]
    for journey in journeys[::2]:  # half reached first value after 10 days, half are at risk
        step_set_status(state=journey.step_states.get(), status="done", by=measured.admin,
                        at=start + dt.timedelta(days=10))  # fmt: skip
    with capture_queries() as many:
        more = client.get(download, query)
    assert lines(one) != lines(more)
    assert_same_queries(few, many)


@pytest.mark.parametrize("download", HELP_DOWNLOADS)
def test_help_downloads_query_count_does_not_grow(world: World, download: str) -> None:
    stall(world)
    client = signed_in(world.admin)

    def add(count: int) -> None:
        for article in ArticleFactory.create_batch(count):
            ArticleStepFactory(article=article, playbook_key="help", step_key="import")
            read(article, MembershipFactory(account=world.account_a).user)
            for voter in range(3):
                ArticleVoteFactory(article=article, helpful=bool(voter), session_key=f"{article.pk}-{voter}")
            SearchLogFactory(query=f"missing {article.pk}", results=0)

    add(1)
    with capture_queries() as few:
        one = client.get(download)
    add(8)
    with capture_queries() as many:
        more = client.get(download)
    assert len(lines(one)) == 2 and len(lines(more)) == 10
    assert_same_queries(few, many)


def test_each_page_links_its_download_with_the_filters_it_shows(measured: World) -> None:
    overdue(measured, measured.account_b)
    client = signed_in(measured.admin)
    query = "kind=first_value&start_from=2025-01-01&playbook=pb&segment=smb"
    for page, download in REPORT_DOWNLOADS:
        html = client.get(f"{page}?{query}").content.decode()
        assert f'href="{download}?{query.replace("&", "&amp;")}">Download CSV</a>' in html, page
    stall(measured)
    read(ArticleFactory(title="Billing"), measured.customer_a)
    SearchLogFactory(query="invoice", results=0)
    html = client.get("/help/analytics/").content.decode()
    # No article has three votes yet: no "least helpful" table, and no download of it.
    assert [f'href="{download}">Download CSV</a>' in html for download in HELP_DOWNLOADS] == [True, True, True, False]
