"""Help-centre analytics joined with onboarding: what people of stalled accounts read, and the admins' page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from faq.analytics import content_analytics
from faq.models import Article, ArticleView
from faq.services import view_record, visitor_key
from journeys.onboarding.models import Playbook, Step
from journeys.onboarding.services.journeys import journey_start
from journeys.reports.help import stalled_reading
from tests.conftest import World
from tests.factories import (
    AccountFactory,
    ArticleFactory,
    ArticleStepFactory,
    ArticleVoteFactory,
    MembershipFactory,
    PlaybookFactory,
    SearchLogFactory,
    StepFactory,
)
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


def read(article: Article, user, *, days_ago: int = 0) -> None:
    day = timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=days_ago)
    view_record(article=article, visitor=visitor_key(user=user, session_key=None), day=day)


def stall(world: World) -> Step:
    """Account A's journey has step "import" open past its due date."""
    playbook = PlaybookFactory(key="pb", name="Onboarding", status=Playbook.Status.PUBLISHED)
    step = StepFactory(playbook=playbook, key="import", title="Import contacts", due_offset_days=3)
    StepFactory(playbook=playbook, key="later", title="Later", due_offset_days=90)
    journey_start(account=world.account_a, playbook=playbook, started_at=timezone.now() - dt.timedelta(days=10))
    journey_start(account=world.account_b, playbook=playbook, started_at=timezone.now())
    return step


def admin(world: World) -> Client:
    world.admin.language = "en"
    world.admin.save(update_fields=["language"])
    client = Client()
    client.force_login(world.admin)
    return client


def test_articles_read_by_stalled_accounts(world: World) -> None:
    stall(world)
    linked = ArticleFactory(title="Importing contacts")
    ArticleStepFactory(article=linked, playbook_key="pb", step_key="import")
    unrelated = ArticleFactory(title="Billing")
    read(linked, world.customer_a)
    read(linked, world.customer_admin_a)
    read(unrelated, world.customer_a)
    read(unrelated, world.customer_b)  # account B is not stalled
    rows = stalled_reading(since=content_analytics().since)
    assert [(r.article, r.readers, r.accounts, r.helps_with_stalled_step) for r in rows] == [
        (linked, 2, 1, True),
        (unrelated, 1, 1, False),
    ]


def test_the_page_is_for_admins_and_its_query_count_does_not_grow(world: World) -> None:
    stall(world)
    client = admin(world)
    page = client.get("/help/analytics/")
    assert page.status_code == 200 and "Nobody stalled has read an article yet" in page.content.decode()

    def add(count: int, offset: int) -> None:
        people = [MembershipFactory(account=world.account_a).user for _ in range(count)]
        people += [MembershipFactory(account=AccountFactory()).user for _ in range(count)]
        for i, article in enumerate(ArticleFactory.create_batch(count), start=offset):
            ArticleStepFactory(article=article, playbook_key="pb", step_key="import")
            for person in people[: i % (2 * count) + 1]:
                read(article, person, days_ago=i % 20)
            for voter in range(3):
                ArticleVoteFactory(article=article, helpful=bool(i % 2), session_key=f"visitor-{i}-{voter}")

    add(1, 0)
    with capture_queries() as one:
        client.get("/help/analytics/")
    add(12, 1)
    with capture_queries() as many:
        page = client.get("/help/analytics/")
    content = page.content.decode()
    assert "Helps with their step" in content and "<svg" in content
    assert "Every search of this period found at least one article." in content
    assert ArticleView.objects.count() > 40
    # The user, three of views and votes, the most read, the least helpful, the searches, the stalled.
    assert_same_queries(one, many, expected=8)
    customer = Client()
    customer.force_login(world.customer_a)
    assert customer.get("/help/analytics/").status_code == 403


def test_searches_that_found_nothing_are_listed(world: World) -> None:
    for _ in range(3):
        SearchLogFactory(query="請求書 再発行", results=0, language="ja")
    SearchLogFactory(query="found", results=2, language="en")
    page = admin(world).get("/help/analytics/").content.decode()
    assert "請求書 再発行" in page and ">found<" not in page


def test_a_content_gap_links_to_a_new_article_titled_with_the_query(world: World) -> None:
    SearchLogFactory(query="請求書 再発行 & PDF", results=0, language="ja")
    client = admin(world)
    page = client.get("/help/analytics/").content.decode()

    link = "/admin/faq/article/add/?title=%E8%AB%8B%E6%B1%82%E6%9B%B8%20%E5%86%8D%E7%99%BA%E8%A1%8C%20%26%20PDF"
    assert f'href="{link}">Write an article</a>' in page
    form = client.get(link)
    assert form.status_code == 200
    assert form.context["adminform"].form.initial["title"] == "請求書 再発行 & PDF"
