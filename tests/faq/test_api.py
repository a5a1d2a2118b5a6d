"""The help centre's read-only API: search and list articles, one article, the category tree."""

from __future__ import annotations

import pytest
from django.test import Client

from faq.models import SearchLog
from tests.conftest import World
from tests.factories import ArticleFactory, CategoryFactory
from tests.faq.conftest import Shelf
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db

CAN_SEE = {
    "anon": {"public"},
    "customer_a": {"public", "customers", "segment_x_only"},
    "customer_b": {"public", "customers", "segment_y_only"},
    "csm_a": {"public", "customers", "segment_x_only", "segment_y_only"},
    "admin": {"public", "customers", "segment_x_only", "segment_y_only"},
}
ARTICLES = ["public", "customers", "segment_x_only", "segment_y_only", "draft"]


def client_for(world: World, role: str) -> Client:
    client = Client()
    if role != "anon":
        client.force_login(getattr(world, role))
    return client


def test_a_search_answers_ranked_articles_with_snippets(help_centre) -> None:
    response = Client().get("/api/v1/articles/", {"q": "メールが届かない", "lang": "ja"})
    data = response.json()
    assert response.status_code == 200
    assert data["count"] == len(data["results"]) > 1
    top = data["results"][0]
    assert set(top) == {"id", "title", "url", "snippet", "kind", "language", "category", "updated_at"}
    assert top["id"] == help_centre["ja-deliverability"].pk
    assert top["url"] == "http://testserver/help/ja/ja-deliverability/"
    assert top["language"] == "ja" and top["kind"] == "faq"
    assert top["category"] == {"id": help_centre["ja-deliverability"].category_id, "slug": "mail", "name": "メール配信"}
    assert "<mark>" in top["snippet"]


def test_a_search_snippet_is_escaped(help_centre) -> None:
    data = Client().get("/api/v1/articles/", {"q": "スクリプト", "lang": "ja"}).json()
    snippet = next(item["snippet"] for item in data["results"] if item["title"].startswith("メールにスクリプト"))
    assert "&lt;script&gt;" in snippet and "<script>" not in snippet
    assert "<mark>スクリプト</mark>" in snippet


def test_an_english_search_and_category_names_in_english(help_centre) -> None:
    data = Client().get("/api/v1/articles/", {"q": "reset password", "lang": "en"}).json()
    assert data["results"][0]["id"] == help_centre["en-password"].pk
    assert data["results"][0]["category"]["name"] == "Email"


def test_without_a_query_articles_are_listed_newest_first_and_paginated(help_centre) -> None:
    first = Client().get("/api/v1/articles/", {"lang": "en", "page_size": 5}).json()
    second = Client().get(first["next"]).json()
    assert first["count"] == len(help_centre) - 12  # English, and Japanese without an English version
    assert len(first["results"]) == 5 and len(second["results"]) == 5
    assert first["previous"] is None and "page=2" in first["next"]
    stamps = [item["updated_at"] for item in first["results"] + second["results"]]
    assert stamps == sorted(stamps, reverse=True)
    assert not {item["id"] for item in first["results"]} & {item["id"] for item in second["results"]}
    assert SearchLog.objects.count() == 0  # a listing is not a search


def test_kind_and_category_narrow_the_list(world: World, shelf: Shelf) -> None:
    other = CategoryFactory(slug="other", parent=shelf.category)
    tutorial = ArticleFactory(category=other, kind="tutorial", visibility="public", title="Tutorial one")
    data = Client().get("/api/v1/articles/", {"kind": "tutorial", "category": "getting-started"}).json()
    assert [item["id"] for item in data["results"]] == [tutorial.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lang": "fr"}, "lang"),
        ({"kind": "video"}, "kind"),
        ({"category": "not a slug"}, "category"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_parameters_are_400_with_field_errors(world: World, params: dict, field: str) -> None:
    response = Client().get("/api/v1/articles/", params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_a_category_the_caller_may_not_read_lists_like_a_missing_one(world: World) -> None:
    hidden = CategoryFactory(slug="members-only")
    ArticleFactory(category=hidden, visibility="customers")
    missing = Client().get("/api/v1/articles/", {"category": "no-such-category"})
    unreadable = Client().get("/api/v1/articles/", {"category": "members-only"})
    assert missing.status_code == unreadable.status_code == 200
    assert missing.json() == unreadable.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert client_for(world, "customer_a").get("/api/v1/articles/", {"category": "members-only"}).json()["count"] == 1


def test_the_category_tree_refuses_an_unknown_language(world: World) -> None:
    response = Client().get("/api/v1/categories/", {"lang": "fr"})
    assert response.status_code == 400
    assert list(response.json()) == ["lang"]


@pytest.mark.parametrize("role", ["anon", "customer_a", "customer_b", "csm_a", "admin"])
def test_the_list_search_and_detail_show_only_visible_articles(world: World, shelf: Shelf, role: str) -> None:
    client = client_for(world, role)
    listed = {item["id"] for item in client.get("/api/v1/articles/").json()["results"]}
    found = {item["id"] for item in client.get("/api/v1/articles/", {"q": "one"}).json()["results"]}
    missing = client.get("/api/v1/articles/999999/")
    assert missing.status_code == 404
    for name in ARTICLES:
        article = getattr(shelf, name)
        visible = name in CAN_SEE[role]
        assert (article.pk in listed) == visible, (role, name)
        assert (article.pk in found) == visible, (role, name)
        detail = client.get(f"/api/v1/articles/{article.pk}/")
        if visible or (name == "draft" and role == "admin"):
            assert detail.status_code == 200, (role, name)
        else:
            assert detail.status_code == 404, (role, name)
            assert detail.content == missing.content, (role, name)


def test_one_article_has_its_body_rendered_as_html(world: World, shelf: Shelf) -> None:
    article = ArticleFactory(
        category=shelf.category, visibility="public", body="## 手順\n\n**太字** <script>alert(1)</script>"
    )
    data = Client().get(f"/api/v1/articles/{article.pk}/").json()
    assert data["id"] == article.pk and data["title"] == article.title
    assert data["url"] == f"http://testserver{article.get_absolute_url()}"
    assert "<strong>太字</strong>" in data["body_html"] and "<h2" in data["body_html"]
    assert "<script>" not in data["body_html"]
    assert data["status"] == "published"


def test_the_category_tree_counts_what_the_caller_may_read(world: World, shelf: Shelf) -> None:
    CategoryFactory(slug="sub", parent=shelf.category, name="サブ", name_en="Sub")
    ArticleFactory(category__slug="sub", visibility="customers")
    anonymous = Client().get("/api/v1/categories/", {"lang": "en"}).json()
    customer = client_for(world, "customer_a").get("/api/v1/categories/").json()
    assert anonymous == [
        {
            "id": shelf.category.pk,
            "slug": "getting-started",
            "name": "Getting started",
            "description": "",
            "url": "http://testserver/help/category/getting-started/",
            "article_count": 1,
            "children": [],
        }
    ]
    assert customer[0]["name"] == "はじめに"
    assert customer[0]["article_count"] == 4  # public, customers, segment X, and the sub-category's
    assert [child["slug"] for child in customer[0]["children"]] == ["sub"]


def test_an_api_search_is_logged_once_not_per_page(world: World, help_centre) -> None:
    client = client_for(world, "customer_a")
    first = client.get("/api/v1/articles/", {"q": "メール", "lang": "ja", "page_size": 2}).json()
    client.get(first["next"])
    rows = list(SearchLog.objects.values("query", "results", "language", "user", "source"))
    assert rows == [
        {"query": "メール", "results": first["count"], "language": "ja", "user": world.customer_a.pk, "source": "api"}
    ]


def test_the_schema_documents_the_help_centre_api(world: World) -> None:
    schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert {"/api/v1/articles/", "/api/v1/articles/{id}/", "/api/v1/categories/"} <= set(schema["paths"])
    parameters = {p["name"] for p in schema["paths"]["/api/v1/articles/"]["get"]["parameters"]}
    assert {"q", "lang", "kind", "category", "page", "page_size"} <= parameters
    assert "400" in schema["paths"]["/api/v1/articles/"]["get"]["responses"]
    assert "404" in schema["paths"]["/api/v1/articles/{id}/"]["get"]["responses"]


@pytest.mark.parametrize("params", [{"q": "Grown"}, {}])
def test_the_list_does_not_grow_with_rows(world: World, params: dict) -> None:
    client = client_for(world, "customer_a")
    top = CategoryFactory(slug="top")
    ArticleFactory(category=top, title="Grown first", body="Grown once")
    with capture_queries() as few:
        assert client.get("/api/v1/articles/", params).json()["count"] == 1
    for i in range(15):
        ArticleFactory(category=CategoryFactory(), title=f"Grown {i}", body="Grown again", visibility="public")
    with capture_queries() as many:
        assert client.get("/api/v1/articles/", params).json()["count"] == 16
    assert_same_queries(few, many)


def test_every_reader_sees_only_their_articles_from_a_warm_cache(world: World, shelf: Shelf) -> None:
    """Readers one after the other in the same slot: each gets what they may see, never what the
    reader before them was given."""
    for role in ["admin", "customer_a", "customer_b", "anon", "csm_a", "customer_a"]:
        client = client_for(world, role)
        for params in ({}, {"q": "one"}):
            listed = {item["id"] for item in client.get("/api/v1/articles/", params).json()["results"]}
            for name in ARTICLES:
                assert (getattr(shelf, name).pk in listed) == (name in CAN_SEE[role]), (role, params, name)


def test_a_repeated_search_reads_no_article_and_is_logged_again(world: World, help_centre) -> None:
    client = client_for(world, "customer_a")
    params = {"q": "メール", "lang": "ja"}
    first = client.get("/api/v1/articles/", params)
    with capture_queries() as again_queries:
        again = client.get("/api/v1/articles/", params)
    assert again.json() == first.json()
    assert not [q for q in again_queries.captured_queries if "faq_article" in q["sql"]]
    assert SearchLog.objects.filter(query="メール", source="api").count() == 2


def test_an_edit_shows_in_the_next_answer(world: World, shelf: Shelf) -> None:
    client = client_for(world, "customer_a")
    before = client.get("/api/v1/articles/").json()
    assert shelf.public.title in {item["title"] for item in before["results"]}
    shelf.public.title = "A new title"
    shelf.public.save()
    after = client.get("/api/v1/articles/").json()
    assert "A new title" in {item["title"] for item in after["results"]}
    shelf.public.status = "draft"
    shelf.public.save()
    assert shelf.public.pk not in {item["id"] for item in client.get("/api/v1/articles/").json()["results"]}
