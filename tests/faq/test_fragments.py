"""What the article page keeps for many readers: the body's HTML, its related articles and its
translations, per kind of reader, and what drops them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.test import Client

from faq.caching import for_readers, reader_scope, rendered, rendered_key
from faq.markdown import RenderedArticle, render_article
from faq.models import Article
from tests.conftest import World
from tests.factories import ArticleFactory, CategoryFactory, SegmentFactory
from tests.queries import capture_queries

pytestmark = pytest.mark.django_db


def reader(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def related_titles(page) -> list[str]:
    return [a.title for a in page.context["related"]]


def test_a_body_is_rendered_once_and_then_read_back() -> None:
    text = "## 設定\n\n手順は**三つ**です。"
    first = rendered(text)
    assert first == render_article(text)
    assert cache.get(rendered_key(text)) == first
    # What the cache holds is what is answered: the body is not rendered again.
    cache.set(rendered_key(text), RenderedArticle(html="<p>kept</p>", toc=[]))
    assert rendered(text).html == "<p>kept</p>"
    assert rendered(text + " ").html != "<p>kept</p>"  # another body, another key


def test_a_warm_article_page_reads_no_related_articles_or_translations(world: World) -> None:
    top = CategoryFactory(slug="top")
    article = ArticleFactory(category=top, slug="main")
    ArticleFactory(category=top, title="Neighbour")
    client = reader(world.customer_a)
    cold = client.get(article.get_absolute_url())
    assert related_titles(cold) == ["Neighbour"]
    with capture_queries() as warm:
        again = client.get(article.get_absolute_url())
    assert related_titles(again) == ["Neighbour"]
    assert not [q for q in warm.captured_queries if "DISTINCT" in q["sql"] and "faq_article" in q["sql"]]


def test_a_new_related_article_shows_at_once(world: World) -> None:
    top = CategoryFactory(slug="top")
    article = ArticleFactory(category=top, slug="main")
    client = reader(world.customer_a)
    assert related_titles(client.get(article.get_absolute_url())) == []
    ArticleFactory(category=top, title="Just written")
    assert related_titles(client.get(article.get_absolute_url())) == ["Just written"]
    Article.objects.get(title="Just written").delete()
    assert related_titles(client.get(article.get_absolute_url())) == []


def test_what_is_kept_for_one_segment_is_not_shown_to_another(world: World) -> None:
    world.account_b.segment = SegmentFactory(slug="enterprise", name="Enterprise")
    world.account_b.save()
    top = CategoryFactory(slug="top")
    article = ArticleFactory(category=top, slug="main")
    ArticleFactory(category=top, title="For SMB only", visibility=Article.Visibility.SEGMENTS,
                   segments=[world.account_a.segment])  # fmt: skip
    smb, enterprise = reader(world.customer_a), reader(world.customer_b)
    assert related_titles(smb.get(article.get_absolute_url())) == ["For SMB only"]
    assert related_titles(enterprise.get(article.get_absolute_url())) == []
    assert related_titles(smb.get(article.get_absolute_url())) == ["For SMB only"]
    anonymous = Client().get(article.get_absolute_url())
    assert anonymous.status_code in (302, 404)  # a customers' article: not for anonymous readers


def test_readers_are_told_apart_as_the_articles_they_may_see(world: World) -> None:
    assert reader_scope(AnonymousUser()) == "public"
    assert reader_scope(world.admin) == reader_scope(world.csm_a) == "staff"
    customer = reader(world.customer_a).get("/app/").wsgi_request.user
    assert reader_scope(customer) == f"segment:{world.account_a.segment_id}"


def test_a_change_to_who_may_read_an_article_drops_what_was_kept(world: World) -> None:
    top = CategoryFactory(slug="top")
    article = ArticleFactory(category=top, slug="main")
    other = ArticleFactory(category=top, title="Soon for enterprise only")
    client = reader(world.customer_a)
    assert related_titles(client.get(article.get_absolute_url())) == ["Soon for enterprise only"]
    Article.objects.filter(pk=other.pk).update(visibility=Article.Visibility.SEGMENTS)  # no signal
    other.segments.set([SegmentFactory(slug="enterprise")])  # the m2m change drops the version
    assert related_titles(client.get(article.get_absolute_url())) == []


def test_for_readers_keeps_an_empty_answer_too(world: World) -> None:
    article = ArticleFactory()
    calls: list[int] = []

    def compute() -> list[str]:
        calls.append(1)
        return []

    assert for_readers("test", article, world.customer_a, compute) == []
    assert for_readers("test", article, world.customer_a, compute) == []
    assert calls == [1]


def tree_counts(page) -> dict[str, int]:
    return {node.category.slug: node.article_count for node in page.context["categories"]}


def test_the_help_home_keeps_its_lists_per_kind_of_reader(world: World) -> None:
    world.account_b.segment = SegmentFactory(slug="enterprise", name="Enterprise")
    world.account_b.save()
    top = CategoryFactory(slug="top")
    ArticleFactory(category=top, title="For everyone", visibility=Article.Visibility.PUBLIC)
    ArticleFactory(category=top, title="For SMB only", visibility=Article.Visibility.SEGMENTS,
                   segments=[world.account_a.segment])  # fmt: skip
    smb, enterprise = reader(world.customer_a), reader(world.customer_b)
    assert tree_counts(smb.get("/help/")) == {"top": 2}
    with capture_queries() as warm:
        again = smb.get("/help/")
    assert tree_counts(again) == {"top": 2}
    assert {a.title for a in again.context["recent"]} == {"For everyone", "For SMB only"}
    # The tree and both lists come from the cache: nothing about categories or articles is read.
    assert not [q for q in warm.captured_queries if "faq_category" in q["sql"] or "faq_article" in q["sql"]]
    seen_by_enterprise = enterprise.get("/help/")
    assert tree_counts(seen_by_enterprise) == {"top": 1}
    assert {a.title for a in seen_by_enterprise.context["recent"]} == {"For everyone"}
    ArticleFactory(category=CategoryFactory(slug="new"), title="Just published", visibility=Article.Visibility.PUBLIC)
    assert tree_counts(smb.get("/help/")) == {"top": 2, "new": 1}


def test_the_api_category_tree_is_kept_per_kind_of_reader(world: World) -> None:
    world.account_b.segment = SegmentFactory(slug="enterprise", name="Enterprise")
    world.account_b.save()
    top = CategoryFactory(slug="top")
    ArticleFactory(category=top, visibility=Article.Visibility.PUBLIC)
    ArticleFactory(category=top, visibility=Article.Visibility.SEGMENTS, segments=[world.account_a.segment])
    counts = {}
    for name, client in [("smb", reader(world.customer_a)), ("enterprise", reader(world.customer_b)),
                         ("anonymous", Client()), ("smb again", reader(world.customer_a))]:  # fmt: skip
        counts[name] = [node["article_count"] for node in client.get("/api/v1/categories/").json()]
    assert counts == {"smb": [2], "enterprise": [1], "anonymous": [1], "smb again": [2]}
