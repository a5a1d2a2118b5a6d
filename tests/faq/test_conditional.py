"""The public help centre answers conditional requests, with headers a CDN can cache by."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

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
        Client().get(url)
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
