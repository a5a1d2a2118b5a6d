"""Help centre pages run the same number of queries for 1 row and for many."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from faq.caching import help_changed
from tests.conftest import World
from tests.factories import ArticleFactory, CategoryFactory, TagFactory
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


def text(html: str) -> str:
    """The page's text: search results mark the matched words in titles."""
    return re.sub(r"<[^>]+>", "", html)


def grow(top, n: int = 12) -> None:
    for i in range(n):
        sub = CategoryFactory(parent=top if i % 2 else None)
        for visibility in ["public", "customers", "segments"]:
            ArticleFactory(category=sub, visibility=visibility, tags=[TagFactory()], title=f"Grown {i} {visibility}")
        ArticleFactory(category=top, language="en", visibility="public", title=f"Grown {i} en")


@pytest.mark.parametrize("role", ["anon", "customer_a", "csm_a", "admin"])
@pytest.mark.parametrize("url", ["/help/", "/help/category/top/", "/help/search/?q=Grown"])
def test_help_pages_do_not_grow_with_rows(world: World, role: str, url: str) -> None:
    client = Client()
    if role != "anon":
        client.force_login(getattr(world, role))
    top = CategoryFactory(slug="top")
    ArticleFactory(category=top, visibility="public", title="Grown first")
    with capture_queries() as few:
        first = client.get(url)
    assert first.status_code == 200
    assert "Grown first" in text(first.content.decode())
    grow(top)
    with capture_queries() as many:
        page = client.get(url).content.decode()
    assert page.count("Grown") > first.content.decode().count("Grown")
    assert_same_queries(few, many)


def test_the_article_page_does_not_grow_with_tags_related_articles_or_steps(world: World) -> None:
    client = Client()
    client.force_login(world.customer_a)
    top = CategoryFactory(slug="top")
    article = ArticleFactory(category=top, slug="main", tags=[TagFactory()])
    ArticleFactory(category=top)
    client.get(article.get_absolute_url())  # the reader's view counted already: both reads below repeat it
    help_changed()  # both reads below build the related articles and translations afresh
    with capture_queries() as few:
        assert client.get(article.get_absolute_url()).status_code == 200
    article.tags.add(*[TagFactory() for _ in range(5)])
    for _ in range(8):
        ArticleFactory(category=top, tags=[TagFactory()])
    help_changed()
    with capture_queries() as many:
        assert client.get(article.get_absolute_url()).status_code == 200
    assert_same_queries(few, many)
