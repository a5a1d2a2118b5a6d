"""Editing the help centre in the Django admin (admins only)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import translation

from faq.models import Article, ArticleImage, ArticleRevision, Synonym
from faq.search import search_articles
from tests.conftest import World
from tests.factories import ArticleFactory, ArticleVoteFactory, CategoryFactory
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(world: World) -> Client:
    world.admin.language = "en"  # the admin is read in English where a test checks its wording
    world.admin.save(update_fields=["language"])
    client = Client()
    client.force_login(world.admin)
    return client


def article_form(category_id: int, **fields: str) -> dict:
    data = {
        "kind": "tutorial",
        "title": "Send your first campaign",
        "slug": "first-campaign",
        "category": str(category_id),
        "summary": "",
        "body": "## Before you start\n\nText.",
        "language": "ja",
        "translation_of": "",
        "status": "draft",
        "visibility": "customers",
        "video_url": "",
        "tags": [],
        "segments": [],
        "position": "0",
        "steps-TOTAL_FORMS": "0",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def test_an_article_links_only_to_a_step_some_playbook_has(world: World, admin_client: Client, journey_a) -> None:
    category = CategoryFactory()
    data = article_form(category.pk, **{"steps-TOTAL_FORMS": "1", "steps-0-step": "basics/nope"})
    response = admin_client.post("/admin/faq/article/add/", data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Article.objects.exists()

    data["steps-0-step"] = "basics/connect"
    assert admin_client.post("/admin/faq/article/add/", data).status_code == 302
    assert list(Article.objects.get().steps.values_list("playbook_key", "step_key")) == [("basics", "connect")]


def test_adding_and_editing_keep_revisions(world: World, admin_client: Client, journey_a) -> None:
    category = CategoryFactory()
    response = admin_client.post("/admin/faq/article/add/", article_form(category.pk))
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get(slug="first-campaign")
    data = article_form(
        category.pk,
        title="Send your first campaign today",
        status="published",
        **{
            "steps-TOTAL_FORMS": "1",
            "steps-0-step": "basics/connect",
            "steps-0-article": str(article.pk),
        },
    )
    assert admin_client.post(f"/admin/faq/article/{article.pk}/change/", data).status_code == 302

    article.refresh_from_db()
    assert article.published_at is not None
    assert article.updated_by == world.admin
    assert list(article.steps.values_list("playbook_key", "step_key")) == [("basics", "connect")]
    revisions = list(article.revisions.order_by("number"))
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].changed_fields == ["title", "status", "published_at", "steps"]
    assert revisions[1].created_by == world.admin
    page = admin_client.get(f"/admin/faq/article/{article.pk}/revisions/").content.decode()
    assert "Changed: title, status, published, onboarding steps." in page
    assert "Restore this revision" in page


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"video_url": "https://evil.example/clip"}, "video_url"),
        ({"visibility": "segments"}, "segments"),
        ({"slug": "not a slug!"}, "slug"),
    ],
)
def test_bad_input_is_a_form_error(admin_client: Client, fields: dict, error_field: str) -> None:
    response = admin_client.post("/admin/faq/article/add/", article_form(CategoryFactory().pk, **fields))
    assert response.status_code == 200
    assert error_field in response.context["adminform"].form.errors
    assert not Article.objects.exists()


def test_an_uploaded_video_must_be_an_mp4(admin_client: Client, tmp_path) -> None:
    fake = SimpleUploadedFile("clip.mp4", b"MZ\x90\x00 not a video", content_type="video/mp4")
    with override_settings(MEDIA_ROOT=tmp_path):
        response = admin_client.post(
            "/admin/faq/article/add/", {**article_form(CategoryFactory().pk), "video_file": fake}
        )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["video_file"] == ["This file is not an MP4 video."]


def test_restoring_from_the_admin(world: World, admin_client: Client) -> None:
    category = CategoryFactory()
    admin_client.post("/admin/faq/article/add/", article_form(category.pk))
    article = Article.objects.get()
    admin_client.post(f"/admin/faq/article/{article.pk}/change/", article_form(category.pk, body="Rewritten."))
    first = article.revisions.get(number=1)

    assert admin_client.get(f"/admin/faq/article/{article.pk}/revisions/{first.pk}/restore/").status_code == 405
    response = admin_client.post(f"/admin/faq/article/{article.pk}/revisions/{first.pk}/restore/")

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == "## Before you start\n\nText."
    assert article.revisions.count() == 3


def test_publish_and_unpublish_actions(world: World, admin_client: Client) -> None:
    drafts = [ArticleFactory(draft=True), ArticleFactory(draft=True)]
    ids = [str(a.pk) for a in drafts]
    admin_client.post("/admin/faq/article/", {"action": "publish", "_selected_action": ids})
    assert set(Article.objects.values_list("status", flat=True)) == {"published"}
    admin_client.post("/admin/faq/article/", {"action": "unpublish", "_selected_action": ids[:1]})
    assert Article.objects.get(pk=drafts[0].pk).status == "draft"
    assert ArticleRevision.objects.filter(article=drafts[0]).count() == 2


def test_the_preview_renders_sanitised_html_for_admins_only(world: World, admin_client: Client) -> None:
    source = "## Title\n\n<script>alert(1)</script> [x](javascript:alert(1))"
    response = admin_client.post("/admin/faq/article/preview/", {"body": source})
    assert response.status_code == 200
    assert response.content.decode() == (
        '<h2 id="s-title">Title</h2>\n<p>&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1))</p>\n'
    )
    assert admin_client.get("/admin/faq/article/preview/").status_code == 405
    customer = Client()
    customer.force_login(world.customer_a)
    refused = customer.post("/admin/faq/article/preview/", {"body": source})
    assert refused.status_code == 302
    assert refused["Location"].startswith("/admin/login/")


def test_the_editor_loads_the_preview_script_from_our_static_files(admin_client: Client) -> None:
    page = admin_client.get("/admin/faq/article/add/").content.decode()
    assert '<script src="/static/js/faq-admin-preview.js" defer></script>' in page
    assert 'data-preview-url="/admin/faq/article/preview/"' in page


def test_the_list_shows_views_and_helpfulness_in_the_same_queries_for_1_and_many(admin_client: Client) -> None:
    article = ArticleFactory(title="Rated")
    ArticleVoteFactory(article=article, helpful=True, session_key="a")
    ArticleVoteFactory(article=article, helpful=True, session_key="b")
    ArticleVoteFactory(article=article, helpful=False, session_key="c")
    with capture_queries() as few:
        page = admin_client.get("/admin/faq/article/").content.decode()
    assert "67% (2/3)" in page
    for _ in range(10):
        ArticleVoteFactory(article=ArticleFactory(), helpful=False, session_key="z")
    with capture_queries() as many:
        admin_client.get("/admin/faq/article/")
    assert_same_queries(few, many)


def test_images_upload_under_media_with_their_type_checked(world: World, admin_client: Client, tmp_path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with override_settings(MEDIA_ROOT=tmp_path):
        ok = admin_client.post(
            "/admin/faq/articleimage/add/", {"alt": "Dashboard", "image": SimpleUploadedFile("d.png", png)}
        )
        bad = admin_client.post(
            "/admin/faq/articleimage/add/",
            {"alt": "Script", "image": SimpleUploadedFile("x.png", b"<svg onload=alert(1)>")},
        )
    assert ok.status_code == 302
    image = ArticleImage.objects.get()
    assert image.uploaded_by == world.admin
    assert (tmp_path / image.image.name).read_bytes() == png
    assert image.markdown == f"![Dashboard](/media/{image.image.name})"
    assert bad.status_code == 200
    with translation.override("en"):
        assert bad.context["adminform"].form.errors["image"] == ["Upload a PNG, JPEG, GIF or WebP image."]


def test_linking_the_same_step_twice_is_a_form_error(admin_client: Client, journey_a) -> None:
    rows = {
        "steps-TOTAL_FORMS": "2",
        "steps-0-step": "basics/connect",
        "steps-1-step": "basics/connect",
    }
    response = admin_client.post("/admin/faq/article/add/", article_form(CategoryFactory().pk, **rows))
    assert response.status_code == 200
    assert "This step is already linked." in response.content.decode()
    assert not Article.objects.exists()


def test_an_admin_adds_changes_and_deletes_synonyms_and_the_search_follows(admin_client: Client) -> None:
    article = ArticleFactory(title="アカウントを解約する", visibility="public")
    ArticleFactory(title="請求書をダウンロードする", visibility="public")

    def found(query: str) -> list[str]:
        return [a.title for a in search_articles(query, user=AnonymousUser(), language="ja")]

    assert found("退会") == []
    added = admin_client.post("/admin/faq/synonym/add/", {"words": "退会, 解約"}, follow=True)
    assert "1 article that uses these words was indexed again for the search." in added.content.decode()
    assert found("退会") == [article.title]

    synonym = Synonym.objects.get()
    admin_client.post(f"/admin/faq/synonym/{synonym.pk}/change/", {"words": "脱退, 解約"})
    assert found("退会") == [] and found("脱退") == [article.title]

    admin_client.post(f"/admin/faq/synonym/{synonym.pk}/delete/", {"post": "yes"})
    assert found("脱退") == [] and found("解約") == [article.title]


@pytest.mark.parametrize(
    ("words", "error"),
    [
        ("解約", "Give at least two different words, separated by commas."),
        ("解約, 解約", "Give at least two different words, separated by commas."),
        ("解約, の, the", "Search ignores these words, so they cannot be synonyms: の, the"),
    ],
)
def test_synonyms_the_search_cannot_use_are_a_form_error(admin_client: Client, words: str, error: str) -> None:
    response = admin_client.post("/admin/faq/synonym/add/", {"words": words})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Synonym.objects.exists()


def test_only_admins_edit_synonyms(world: World) -> None:
    for role in ["customer_a", "csm_a"]:
        client = Client()
        client.force_login(getattr(world, role))
        assert client.get("/admin/faq/synonym/add/").status_code == 302  # to the admin's sign-in
