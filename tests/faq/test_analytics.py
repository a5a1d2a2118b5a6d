"""Help-centre content analytics: views per person and day, and helpfulness."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from faq.analytics import content_analytics
from faq.models import Article
from faq.services import view_record, visitor_key
from tests.conftest import World
from tests.factories import (
    ArticleFactory,
    ArticleVoteFactory,
)

pytestmark = pytest.mark.django_db


def read(article: Article, user, *, days_ago: int = 0) -> None:
    day = timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=days_ago)
    view_record(article=article, visitor=visitor_key(user=user, session_key=None), day=day)


def test_figures_count_people_once_a_day_and_votes(world: World) -> None:
    guide = ArticleFactory(title="Import guide")
    other = ArticleFactory(title="Other")
    read(guide, world.customer_a)
    read(guide, world.customer_a)  # same person, same day: once
    read(guide, world.customer_b)
    read(guide, world.customer_a, days_ago=3)
    read(other, world.customer_b, days_ago=40)  # outside the 30 days
    for i, helpful in enumerate((True, True, False)):
        ArticleVoteFactory(article=other, helpful=helpful, session_key=f"visitor-{i}")
    figures = content_analytics()
    assert (figures.views, figures.readers) == (3, 2)
    assert [(row.article, row.views, row.readers) for row in figures.top] == [(guide, 3, 2)]
    assert (figures.votes, figures.helpful) == (3, 2)
    assert [(row.article, row.helpful, row.votes) for row in figures.least_helpful] == [(other, 2, 3)]
    assert len(figures.daily) == 30 and figures.daily[-1][1] == 2 and sum(n for _d, n in figures.daily) == 3


def test_a_view_is_counted_once_per_reader_and_day(world: World) -> None:
    article = ArticleFactory()
    visitor = visitor_key(user=world.customer_a, session_key=None)
    today = timezone.now().astimezone(dt.UTC).date()
    assert view_record(article=article, visitor=visitor, day=today) is True
    assert view_record(article=article, visitor=visitor, day=today) is False
    assert view_record(article=article, visitor=visitor, day=today + dt.timedelta(days=1)) is True
    other = visitor_key(user=world.customer_b, session_key=None)
    assert view_record(article=article, visitor=other, day=today) is True
    article.refresh_from_db()
    assert article.view_count == 3
    assert article.views.count() == 3
