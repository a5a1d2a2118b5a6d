"""The public help centre answers conditional requests, with headers a CDN can cache by."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from faq import caching
from faq.models import Article, ArticleView
from tests.conftest import World
from tests.factories import ArticleFactory, CategoryFactory
from tests.queries import capture_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def public() -> Article:
    category = CategoryFactory(slug="start", name="はじめに", name_en="Start")
    return ArticleFactory(category=category, slug="hello", title="こんにちは", visibility="public")


def pages(article: Article) -> list[str]:
    return [reverse("faq:home"), reverse("faq:category", args=["start"]), article.get_absolute_url()]


def test_anonymous_pages_carry_validators_and_a_public_cache_control(public: Article) -> None:
    for url in pages(public):
        response = Client().get(url)
        assert response.status_code == 200, url
        assert response["ETag"].startswith('"'), url
        assert response["Last-Modified"].endswith("GMT"), url
        control = response["Cache-Control"]
        assert "public" in control and "s-maxage=300" in control and "max-age=60" in control, url
        # Nothing of the reader's own: no cookie set and no token in the page, so one copy serves all.
        assert response.cookies == {}, url
        assert b"csrfmiddlewaretoken" not in response.content, url
        assert b"X-CSRFToken" not in response.content, url


def test_a_reader_with_the_page_gets_304_without_it_being_rendered(public: Article) -> None:
    for url in pages(public):
        cache.clear()  # the first reader's page is rendered; the next ones' come from the cache
        with capture_queries() as rendered:
            first = Client().get(url)
        with capture_queries() as captured:
            again = Client().get(url, headers={"If-None-Match": first["ETag"]})
        assert again.status_code == 304, url
        assert again.content == b"", url
        assert again["ETag"] == first["ETag"], url
        # Only what decides the answer (the category or the article, and the article's view): no
        # part of the page is built, not even from what the cache keeps for it.
        assert first.templates and not again.templates, url
        assert len(captured) <= len(rendered), url
        assert not [q for q in captured.captured_queries if "faq_articlevote" in q["sql"]], url
        since = Client().get(url, headers={"If-Modified-Since": first["Last-Modified"]})
        assert since.status_code == 304, url


def test_a_view_is_counted_even_when_answered_304(public: Article) -> None:
    first = Client(HTTP_USER_AGENT="one").get(public.get_absolute_url())
    Client(HTTP_USER_AGENT="two").get(public.get_absolute_url(), headers={"If-None-Match": first["ETag"]})
    assert ArticleView.objects.filter(article=public).count() == 2


def test_an_edit_changes_the_validator(public: Article) -> None:
    before = {url: Client().get(url)["ETag"] for url in pages(public)}
    public.body = "新しい本文"
    public.save()
    for url, etag in before.items():
        response = Client().get(url, headers={"If-None-Match": etag})
        assert response.status_code == 200, url
        assert response["ETag"] != etag, url
    assert "新しい本文" in Client().get(public.get_absolute_url()).content.decode()


def test_a_new_or_removed_article_changes_the_validator(public: Article) -> None:
    home = reverse("faq:home")
    etag = Client().get(home)["ETag"]
    other = ArticleFactory(category=public.category, slug="other", visibility="public")
    added = Client().get(home)["ETag"]
    assert added != etag
    other.delete()
    assert Client().get(home)["ETag"] != added


def test_each_language_has_its_own_validator(public: Article) -> None:
    home = reverse("faq:home")
    ja = Client().get(home)["ETag"]
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert english.get(home)["ETag"] != ja


def test_signed_in_readers_get_their_own_page_uncached(world: World, public: Article) -> None:
    client = Client()
    client.force_login(world.customer_a)
    for url in pages(public):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "ETag" not in response, url
        assert "public" not in response.get("Cache-Control", ""), url
        assert b"X-CSRFToken" in response.content, url


def test_missing_and_private_articles_are_not_cached(public: Article) -> None:
    private = ArticleFactory(category=public.category, slug="members")  # for signed-in customers only
    for url in (private.get_absolute_url(), reverse("faq:article", args=["ja", "missing"])):
        response = Client().get(url)
        assert response.status_code == 404, url
        assert "ETag" not in response, url


def test_anonymous_forms_on_public_pages_need_no_token(public: Article) -> None:
    client = Client(enforce_csrf_checks=True)
    voted = client.post(reverse("faq:vote", args=[public.language, public.slug]), {"helpful": "yes"})
    assert voted.status_code == 302
    assert public.votes.count() == 1
    switched = client.post(reverse("set_language"), {"language": "en", "next": "/help/"})
    assert switched.status_code == 302
    assert switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_signed_in_forms_still_need_the_token(world: World, public: Article) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.customer_a)
    assert client.post(reverse("faq:vote", args=[public.language, public.slug]), {"helpful": "yes"}).status_code == 403
    assert client.post(reverse("set_language"), {"language": "en"}).status_code == 403
    assert public.votes.count() == 0
    world.customer_a.refresh_from_db()
    assert world.customer_a.language != "en"


def test_an_anonymous_page_is_rendered_once_for_every_reader(public: Article) -> None:
    for url in pages(public):
        cache.clear()
        first = Client(HTTP_USER_AGENT="first").get(url)
        assert first.templates, url
        with capture_queries() as captured:
            again = Client(HTTP_USER_AGENT="second").get(url)
        assert again.status_code == 200, url
        assert not again.templates, url
        assert again.content == first.content, url
        assert again["Content-Type"] == first["Content-Type"], url
        assert again["ETag"] == first["ETag"], url
        # Nothing is read from the database: the article page only writes its view.
        sql = [q["sql"] for q in captured.captured_queries]
        assert not [q for q in sql if q.lstrip().upper().startswith("SELECT")], (url, sql)


def test_views_are_counted_for_pages_read_from_the_cache(public: Article) -> None:
    for agent in ("one", "two", "three"):
        assert Client(HTTP_USER_AGENT=agent).get(public.get_absolute_url()).status_code == 200
    Client(HTTP_USER_AGENT="one").get(public.get_absolute_url())  # the same reader the same day
    assert ArticleView.objects.filter(article=public).count() == 3
    public.refresh_from_db()
    assert public.view_count == 3


def test_a_reader_with_a_session_gets_their_own_page(public: Article) -> None:
    url = public.get_absolute_url()
    generic = Client().get(url).content
    voter = Client()
    assert voter.post(reverse("faq:vote", args=[public.language, public.slug]), {"helpful": "no"}).status_code == 302
    theirs = voter.get(url)
    assert theirs.templates  # rendered for them, with their answer in it
    assert theirs.content != generic
    assert Client().get(url).content == generic


def test_an_article_missing_then_published_is_found(public: Article) -> None:
    url = reverse("faq:article", args=["ja", "later"])
    assert Client().get(url).status_code == 404
    assert Client().get(url).status_code == 404
    ArticleFactory(category=public.category, slug="later", title="後で書いた記事", visibility="public")
    found = Client().get(url)
    assert found.status_code == 200
    assert "後で書いた記事" in found.content.decode()


def test_an_unpublished_article_is_gone_for_anonymous_readers_at_once(public: Article) -> None:
    url = public.get_absolute_url()
    assert Client().get(url).status_code == 200
    public.status = Article.Status.DRAFT
    public.save()
    assert Client().get(url).status_code == 404


def test_a_category_emptied_of_public_articles_is_gone_at_once(public: Article) -> None:
    url = reverse("faq:category", args=["start"])
    assert Client().get(url).status_code == 200
    public.visibility = Article.Visibility.CUSTOMERS
    public.save()
    assert Client().get(url).status_code == 404
    assert Client().get(reverse("faq:category", args=["nowhere"])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_kept_page_of_an_article_deleted_meanwhile_is_gone() -> None:
    """Another process may read the old version of the help centre for a second after a delete: its
    kept page then names an article that is no more, and the answer is 404, not an error."""
    public = ArticleFactory(slug="short-lived", visibility="public")
    url = public.get_absolute_url()
    assert Client().get(url).status_code == 200
    old = caching.help_version()
    public.delete()
    caching._local[caching.VERSION_KEY] = (old, time.monotonic() + 60)  # that process's copy
    assert Client(HTTP_USER_AGENT="late").get(url).status_code == 404
