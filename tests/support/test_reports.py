"""The desk's reports: first-reply times by Kaplan-Meier (open inquiries censored, as lifelines
computes it) in business and calendar hours, per agent, account, segment, category and week;
deflection per category and the articles that answered most; the page and its CSVs, each reader
seeing only the inquiries they answer."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from lifelines import KaplanMeierFitter

from support import reports
from support.models import Inquiry
from support.services import (
    attempt_shown,
    attempt_solved,
    attempt_start,
    inquiry_create,
    inquiry_reply,
    inquiry_set_status,
)
from tests.conftest import World, signed_in
from tests.factories import AgentFactory, ArticleFactory, InquiryCategoryFactory
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
WEDNESDAY = datetime(2026, 12, 2, 10, 0, tzinfo=TOKYO)
FRIDAY_EVENING = datetime(2026, 12, 4, 17, 30, tzinfo=TOKYO)
NOW = datetime(2026, 12, 9, 12, 0, tzinfo=TOKYO)


def ask(world: World, at: datetime, *, account=None, author=None, **kwargs) -> Inquiry:
    return inquiry_create(
        account=account or world.account_a, author=author or world.customer_a, subject="Import fails",
        body="The CSV import stops at row 2.", at=at, **kwargs,
    )  # fmt: skip


def reply(inquiry: Inquiry, by, at: datetime) -> None:
    inquiry_reply(inquiry=inquiry, by=by, body="Here is how.", at=at)


def test_first_reply_times_are_kaplan_meier_with_open_inquiries_censored_as_lifelines_has_them(
    world: World,
) -> None:
    # Answered after 0.5, 2, 3 and 30 hours; one still waiting after 40 hours, one closed unanswered after 1 hour.
    start = NOW - timedelta(days=5)
    for hours in (0.5, 2, 3, 30):
        reply(ask(world, start), world.csm_a, start + timedelta(hours=hours))
    waiting_since = NOW - timedelta(hours=40)
    ask(world, waiting_since)
    closed = ask(world, start)
    inquiry_set_status(inquiry=closed, status="closed", by=world.admin, at=start + timedelta(hours=1))

    report = reports.first_reply_report(now=NOW)

    durations, answered = [0.5, 2, 3, 30, 40, 1], [True, True, True, True, False, False]
    fitter = KaplanMeierFitter().fit(durations, answered)
    total = report.total
    assert (total.n, total.answered, total.waiting) == (6, 4, 2)
    assert total.calendar.median_days == pytest.approx(fitter.median_survival_time_)
    # A fifth still waits past the last reply: the 90th percentile is not known yet (lifelines: inf).
    assert fitter.percentile(0.1) == float("inf")
    assert total.calendar.p90_days is None
    assert total.calendar.p75_days == pytest.approx(fitter.percentile(0.25))
    assert total.within_day_share == pytest.approx(1 - fitter.survival_function_at_times(24).iloc[0])
    # Leaving out the open ones would have flattered the desk: the naive median is 2.5 hours.
    assert total.calendar.naive_median_days == pytest.approx(2.5)
    assert total.calendar.median_days == pytest.approx(3.0)


def test_business_hours_leave_out_nights_and_weekends(world: World) -> None:
    # Asked at 17:30 on Friday, answered at 9:30 on Monday: one business hour, 64 on the calendar.
    late = ask(world, FRIDAY_EVENING)
    reply(late, world.csm_a, datetime(2026, 12, 7, 9, 30, tzinfo=TOKYO))
    # Asked at 11:40 on Wednesday, answered at 12:30.
    quick = ask(world, WEDNESDAY.replace(hour=11, minute=40))
    reply(quick, world.csm_a, WEDNESDAY.replace(hour=12, minute=30))

    report = reports.first_reply_report(group_by="week", now=NOW)

    weeks = {group.key: group for group in report.groups}
    assert list(weeks) == ["2026-11-30"]  # both in the week starting Monday 30 November
    total = report.total
    assert sorted([total.business.median_days, total.business.p90_days]) == pytest.approx([50 / 60, 1.0])
    assert total.within_hour_share == pytest.approx(1.0)  # both within an hour of business time
    assert total.within_day_share == pytest.approx(0.5)  # Friday's waited 64 hours on the calendar


def test_only_a_persons_public_reply_ends_the_wait(world: World) -> None:
    inquiry = ask(world, WEDNESDAY)
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Note", internal=True, at=WEDNESDAY + timedelta(minutes=5))
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Got it", automatic=True, at=WEDNESDAY + timedelta(minutes=5))

    total = reports.first_reply_report(now=WEDNESDAY + timedelta(hours=3)).total

    assert (total.answered, total.waiting) == (0, 1)
    assert total.calendar.curve[-1] == (3.0, 0.0)


def test_per_agent_counts_who_gave_the_first_reply_and_the_assignee_while_none_was_given(world: World) -> None:
    agent = AgentFactory(name="Aoi Tanaka")
    other = AgentFactory(name="Ben Lee")
    answered = ask(world, WEDNESDAY)
    answered.assignee = other
    answered.save()
    reply(answered, agent, WEDNESDAY + timedelta(minutes=20))
    reply(answered, other, WEDNESDAY + timedelta(minutes=50))  # a second reply is not the first
    waiting = ask(world, WEDNESDAY)
    waiting.assignee = other
    waiting.save()
    ask(world, WEDNESDAY)

    with translation.override("en"):
        groups = {g.label: g for g in reports.first_reply_report(group_by="agent", now=NOW).groups}

    assert {label: (g.n, g.answered) for label, g in groups.items()} == {
        "Aoi Tanaka": (1, 1), "Ben Lee": (1, 0), "Nobody yet": (1, 0)
    }  # fmt: skip
    assert groups["Aoi Tanaka"].calendar.median_days == pytest.approx(20 / 60)


def test_per_account_segment_and_category(world: World) -> None:
    billing = InquiryCategoryFactory(slug="billing", name="請求", name_en="Billing")
    reply(ask(world, WEDNESDAY, category=billing), world.csm_a, WEDNESDAY + timedelta(hours=2))
    ask(world, WEDNESDAY, account=world.account_b, author=world.customer_b)

    by_account = reports.first_reply_report(group_by="account", now=NOW).groups
    by_segment = reports.first_reply_report(group_by="segment", now=NOW).groups
    by_category = reports.first_reply_report(group_by="category", now=NOW).groups

    assert [(g.key, g.n, g.answered) for g in by_account] == [("alpha", 1, 1), ("beta", 1, 0)]
    assert [(g.key, g.n) for g in by_segment] == [("smb", 2)]
    assert [(g.key, g.n, g.answered) for g in by_category] == [("billing", 1, 1), ("none", 1, 0)]


def test_the_period_counts_inquiries_by_the_day_they_were_asked(world: World) -> None:
    ask(world, datetime(2026, 11, 30, 23, 30, tzinfo=TOKYO))  # Monday in Tokyo, still Sunday... in UTC: Monday 14:30
    ask(world, datetime(2026, 11, 29, 23, 30, tzinfo=TOKYO))

    report = reports.first_reply_report(start_from=date(2026, 11, 30), start_to=date(2026, 11, 30), now=NOW)

    assert report.total.n == 1


def test_deflection_per_category_and_the_articles_that_answered_most(world: World) -> None:
    billing = InquiryCategoryFactory(slug="billing", name="請求", name_en="Billing")
    invoices = ArticleFactory(title="Download invoices")
    plans = ArticleFactory(title="Change plans")
    for n in range(3):
        attempt = attempt_start(account=world.account_a, user=world.customer_a, category=billing)
        attempt_shown(attempt=attempt, article_ids=[invoices.pk, plans.pk])
        if n < 2:
            attempt_solved(attempt=attempt, article=invoices)
    solved_by_plans = attempt_start(account=world.account_b, user=world.customer_b)
    attempt_solved(attempt=solved_by_plans, article=plans)
    sent = attempt_start(account=world.account_b, user=world.customer_b)
    inquiry_create(account=world.account_b, author=world.customer_b, subject="Help", body="Please", attempt=sent)

    report = reports.deflection_report()

    assert (report.total.started, report.total.solved, report.total.sent) == (5, 3, 1)
    assert report.total.rate == pytest.approx(3 / 5)
    assert [(row.key, row.started, row.solved, row.sent) for row in report.categories] == [
        ("billing", 3, 2, 0), ("none", 2, 1, 1)
    ]  # fmt: skip
    assert [(a.title, a.solved) for a in report.articles] == [("Download invoices", 2), ("Change plans", 1)]
    only_b = reports.deflection_report(accounts=world.account_b.__class__.objects.filter(pk=world.account_b.pk))
    assert (only_b.total.started, only_b.total.solved) == (2, 1)


def test_per_step_counts_inquiries_and_deflection_of_a_playbook(world: World) -> None:
    for step_key in ("import", "import", "invite"):
        ask(world, WEDNESDAY, playbook_key="onboarding", step_key=step_key)
    ask(world, WEDNESDAY, playbook_key="other", step_key="import")
    solved = attempt_start(account=world.account_a, user=world.customer_a, playbook_key="onboarding", step_key="invite")
    attempt_solved(attempt=solved, article=ArticleFactory())

    steps = reports.per_step(playbook_key="onboarding")

    assert {key: (s.inquiries, s.started, s.solved) for key, s in steps.items()} == {
        "import": (2, 0, 0), "invite": (1, 1, 1)
    }  # fmt: skip
    assert steps["invite"].deflection_rate == 1.0


# --- The page and its downloads ---------------------------------------------------------------------


def recent(world: World, **kwargs) -> Inquiry:
    return ask(world, timezone.now() - timedelta(hours=2), **kwargs)


def test_the_page_shows_the_shares_and_the_groups(world: World) -> None:
    answered = recent(world)
    reply(answered, world.csm_a, timezone.now() - timedelta(hours=1, minutes=50))
    recent(world, account=world.account_b, author=world.customer_b)
    client = signed_in(AgentFactory())

    response = client.get("/support/reports/?group_by=account")

    assert response.status_code == 200
    text = response.content.decode()
    assert "First reply within 24 hours" in text
    assert [(g.key, g.n) for g in response.context["replies"].groups] == [("alpha", 1), ("beta", 1)]
    assert "<svg" in text


def test_the_page_says_what_to_do_when_nothing_was_asked(world: World) -> None:
    response = signed_in(world.admin).get("/support/reports/")

    assert response.status_code == 200
    assert "No inquiries in this period" in response.content.decode()


def test_a_cs_manager_counts_only_their_accounts(world: World) -> None:
    recent(world)
    recent(world, account=world.account_b, author=world.customer_b)
    attempt_start(account=world.account_b, user=world.customer_b)

    response = signed_in(world.csm_a).get("/support/reports/?group_by=account")
    download = signed_in(world.csm_a).get("/support/reports/first-replies.csv?group_by=account")
    deflection = signed_in(world.csm_a).get("/support/reports/deflection.csv")

    assert [g.key for g in response.context["replies"].groups] == ["alpha"]
    assert response.context["deflection"].total.started == 0
    assert "Beta KK" not in download.content.decode("utf-8-sig")
    assert "Alpha KK" in download.content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(deflection.content.decode("utf-8-sig"))))[-1][:2] == ["All", "0"]


@pytest.mark.parametrize(
    "path", ["/support/reports/", "/support/reports/first-replies.csv", "/support/reports/deflection.csv"]
)
def test_customers_may_not_read_the_desks_reports(world: World, path: str) -> None:
    assert signed_in(world.customer_admin_a).get(path).status_code == 403


def test_the_first_replies_download_has_the_pages_figures(world: World) -> None:
    reply(recent(world), world.csm_a, timezone.now() - timedelta(hours=1, minutes=30))

    response = signed_in(world.admin).get("/support/reports/first-replies.csv?group_by=category")

    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:5] == ["Category", "Inquiries", "Answered", "Waiting", "Within 1 business hour"]
    assert lines[-1][:4] == ["All", "1", "1", "0"]
    assert lines[-1][8] == "0.50"  # half an hour on the calendar


@pytest.mark.parametrize(
    "query", ["start_from=2026-13-01", "start_from=2026-12-02&start_to=2026-12-01", "group_by=x", "start_to=0001-01-01"]
)
def test_bad_filters_are_explained(world: World, query: str) -> None:
    client = signed_in(world.admin)

    page = client.get(f"/support/reports/?{query}")
    download = client.get(f"/support/reports/first-replies.csv?{query}")

    assert page.status_code == 200
    assert page.context["form"].errors
    assert download.status_code == 400


def test_the_page_takes_the_same_queries_for_one_and_many(world: World) -> None:
    client = signed_in(world.admin)
    billing = InquiryCategoryFactory(slug="billing")
    reply(recent(world, category=billing), world.csm_a, timezone.now() - timedelta(hours=1))
    attempt_solved(attempt=attempt_start(account=world.account_a, user=world.customer_a), article=ArticleFactory())
    for group_by in ("agent", "category", "week"):
        with capture_queries() as few:
            assert client.get(f"/support/reports/?group_by={group_by}").status_code == 200
        for n in range(8):
            category = InquiryCategoryFactory(slug=f"c{group_by}{n}")
            inquiry = recent(world, account=world.account_b, author=world.customer_b, category=category)
            reply(inquiry, AgentFactory(), timezone.now() - timedelta(minutes=30))
            attempt = attempt_start(account=world.account_b, user=world.customer_b, category=category)
            attempt_solved(attempt=attempt, article=ArticleFactory())
        with capture_queries() as many:
            assert client.get(f"/support/reports/?group_by={group_by}").status_code == 200
        assert_same_queries(few, many)
