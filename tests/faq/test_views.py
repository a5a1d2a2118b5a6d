"""Help centre pages: who sees what (pages, search, sitemap), votes, views, short links and QR codes."""

from __future__ import annotations

import io
import re

import pytest
import segno
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings

from faq.models import Article, ArticleView, ArticleVote
from tests.conftest import World
from tests.factories import (
    ArticleFactory,
    ArticleStepFactory,
    CategoryFactory,
    PlaybookFactory,
    StepFactory,
    TagFactory,
)
from tests.faq.conftest import Shelf, customer_in

pytestmark = pytest.mark.django_db

ROLES = ["anon", "customer_a", "customer_b", "csm_a", "admin"]
# Customer A's account is in segment X ("SMB"); customer B's in segment Y ("Enterprise").
CAN_SEE = {
    "anon": {"public"},
    "customer_a": {"public", "customers", "segment_x_only"},
    "customer_b": {"public", "customers", "segment_y_only"},
    "csm_a": {"public", "customers", "segment_x_only", "segment_y_only"},
    "admin": {"public", "customers", "segment_x_only", "segment_y_only"},
}
ARTICLES = ["public", "customers", "segment_x_only", "segment_y_only", "draft"]


def body(response) -> str:
    """The page without its per-response CSRF token and its own address (in the language switcher)."""
    text = response.content.decode().replace(response.wsgi_request.get_full_path(), "<path>")
    return re.sub(r"[A-Za-z0-9]{64}", "<csrf>", text)


def client_for(world: World, role: str) -> Client:
    client = Client()
    if role != "anon":
        client.force_login(getattr(world, role))
    return client


@pytest.mark.parametrize("role", ROLES)
def test_article_pages_answer_404_like_a_missing_article_unless_visible(world: World, shelf: Shelf, role: str) -> None:
    client = client_for(world, role)
    missing = client.get("/help/ja/no-such-article/")
    assert missing.status_code == 404
    for name in ARTICLES:
        article = getattr(shelf, name)
        response = client.get(article.get_absolute_url())
        if name in CAN_SEE[role] or (name == "draft" and role == "admin"):
            assert response.status_code == 200, (role, name)
            assert article.title in response.content.decode()
        else:
            assert response.status_code == 404, (role, name)
            assert body(response) == body(missing), (role, name)


@pytest.mark.parametrize("role", ROLES)
def test_a_category_with_nothing_the_reader_may_read_answers_like_a_missing_one(
    world: World, shelf: Shelf, role: str
) -> None:
    hidden = CategoryFactory(slug="enterprise-only", name="エンタープライズ", name_en="Enterprise")
    ArticleFactory(category=hidden, slug="ent-one", title="Enterprise one", visibility="segments",
                   segments=[shelf.segment_y])  # fmt: skip
    CategoryFactory(slug="empty", name="空", name_en="Empty")
    client = client_for(world, role)
    missing = client.get("/help/category/no-such-category/")
    assert missing.status_code == 404
    for slug in ("enterprise-only", "empty"):
        response = client.get(f"/help/category/{slug}/")
        if slug == "enterprise-only" and role in {"customer_b", "csm_a", "admin"}:
            assert response.status_code == 200, (role, slug)
            assert "Enterprise one" in response.content.decode()
        else:
            assert response.status_code == 404, (role, slug)
            assert body(response) == body(missing), (role, slug)
    home = client.get("/help/").content.decode()
    assert ("/help/category/enterprise-only/" in home) == (role in {"customer_b", "csm_a", "admin"})
    assert "/help/category/empty/" not in home


@pytest.mark.parametrize("role", ROLES)
def test_lists_and_search_show_only_visible_articles(world: World, shelf: Shelf, role: str) -> None:
    client = client_for(world, role)
    pages = {
        "home": client.get("/help/").content.decode(),
        "category": client.get("/help/category/getting-started/").content.decode(),
        "search": client.get("/help/search/", {"q": "one"}).content.decode(),
    }
    for page, html in pages.items():
        for name in ARTICLES:
            shown = getattr(shelf, name).get_absolute_url() in html
            assert shown == (name in CAN_SEE[role]), (role, page, name)


def test_the_sitemap_lists_published_public_articles_only(world: World, shelf: Shelf) -> None:
    for role in ROLES:
        xml = client_for(world, role).get("/sitemap.xml").content.decode()
        assert f"http://testserver{shelf.public.get_absolute_url()}</loc>" in xml
        for name in ["customers", "segment_x_only", "segment_y_only", "draft"]:
            assert getattr(shelf, name).get_absolute_url() not in xml, (role, name)


def test_a_customer_of_another_segment_gets_the_same_404_through_the_short_link(world: World, shelf: Shelf) -> None:
    customer = customer_in(shelf.segment_x)
    client = client_for(world, "customer_b")
    client_other = Client()
    client_other.force_login(customer)
    assert client_other.get(f"/h/{shelf.segment_x_only.pk}/")["Location"] == shelf.segment_x_only.get_absolute_url()
    hidden = client.get(f"/h/{shelf.segment_x_only.pk}/")
    assert hidden.status_code == 404
    assert body(hidden) == body(client.get("/h/999999/"))
    assert client.get(f"/help/articles/{shelf.segment_x_only.pk}/qr.svg").status_code == 404


def test_the_short_link_asks_anonymous_visitors_to_sign_in_for_any_hidden_id(shelf: Shelf) -> None:
    client = Client()
    assert client.get(f"/h/{shelf.public.pk}/")["Location"] == "/help/ja/public-one/"
    assert client.get(f"/h/{shelf.customers.pk}/")["Location"] == f"/login/?next=/h/{shelf.customers.pk}/"
    assert client.get("/h/999999/")["Location"] == "/login/?next=/h/999999/"


def test_the_qr_code_is_an_svg_of_the_short_link(world: World, shelf: Shelf) -> None:
    shelf.customers.title = "<script>alert(1)</script>"
    shelf.customers.save()
    response = client_for(world, "admin").get(f"/help/articles/{shelf.customers.pk}/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert f'filename="kachi-help-{shelf.customers.pk}.svg"' in response["Content-Disposition"]
    svg = response.content.decode()
    assert "<svg" in svg
    assert "<script" not in svg
    short_link = segno.make_qr(f"{settings.SITE_URL}/h/{shelf.customers.pk}/", error="m")
    drawn = io.BytesIO()
    short_link.save(drawn, kind="svg", scale=8, border=4)
    assert re.search(r' d="([^"]+)"', drawn.getvalue().decode()).group(1) in svg  # the same modules


def test_a_tutorial_page_has_contents_breadcrumbs_video_related_articles_steps_and_translation(
    world: World, shelf: Shelf, journey_a
) -> None:
    sub = CategoryFactory(slug="connect", name="接続", name_en="Connecting", parent=shelf.category)
    tag = TagFactory(name="data")
    tutorial = ArticleFactory(
        kind=Article.Kind.TUTORIAL,
        category=sub,
        slug="connect-data",
        title="データをつなぐ",
        body="## 準備\n\ntext\n\n### アカウント\n\n## 実行\n",
        video_url="https://youtu.be/dQw4w9WgXcQ",
        tags=[tag],
    )
    ArticleFactory(slug="connect-data", language="en", title="Linking data (English)", translation_of=tutorial,
                   category=sub)  # fmt: skip
    ArticleFactory(slug="same-tag", title="Shares a tag", tags=[tag])
    ArticleStepFactory(article=tutorial, playbook_key="basics", step_key="connect")

    page = client_for(world, "customer_a").get("/help/ja/connect-data/").content.decode()

    assert '<a href="#s-準備">準備</a>' in page
    assert '<li class="toc-3"><a href="#s-アカウント">アカウント</a></li>' in page
    assert '<h2 id="s-実行">実行</h2>' in page
    assert 'href="/help/category/getting-started/">はじめに</a>' in page  # breadcrumbs: parent, then category
    assert 'href="/help/category/connect/">接続</a>' in page
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in page
    assert "Shares a tag" in page
    assert "Linking data (English)" not in page  # the English version is linked, not listed as related
    assert 'href="/help/en/connect-data/" hreflang="en" lang="en">English version</a>' in page
    assert '<a href="/app/">Connect your data</a>' in page  # the onboarding step it helps with
    english = client_for(world, "customer_a").get("/help/en/connect-data/").content.decode()
    assert 'href="/help/ja/connect-data/" hreflang="ja" lang="ja">日本語版</a>' in english


def test_articles_list_in_the_readers_language_with_untranslated_ones_kept(world: World, shelf: Shelf) -> None:
    english = ArticleFactory(category=shelf.category, language="en", slug="public-one", title="Public one in English",
                             translation_of=shelf.public, visibility="public")  # fmt: skip
    only_english = ArticleFactory(category=shelf.category, language="en", slug="only-en", title="Only in English",
                                  visibility="public")  # fmt: skip
    client = Client()
    japanese_page = client.get("/help/category/getting-started/").content.decode()
    client.cookies["kachi_language"] = "en"
    english_page = client.get("/help/category/getting-started/").content.decode()

    assert shelf.public.get_absolute_url() in japanese_page
    assert english.get_absolute_url() not in japanese_page
    assert only_english.get_absolute_url() in japanese_page
    assert english.get_absolute_url() in english_page
    assert shelf.public.get_absolute_url() not in english_page
    assert "Getting started" in english_page
    assert "はじめに" in japanese_page


def test_views_are_counted_once_per_person_per_day(world: World, shelf: Shelf) -> None:
    customer = client_for(world, "customer_a")
    visitor = Client()
    for _ in range(3):
        customer.get(shelf.public.get_absolute_url())
        visitor.get(shelf.public.get_absolute_url())
    client_for(world, "admin").get(shelf.draft.get_absolute_url())  # a draft preview is not a view

    shelf.public.refresh_from_db()
    assert shelf.public.view_count == 2
    assert ArticleView.objects.filter(article=shelf.draft).count() == 0
    assert ArticleView.objects.filter(visitor=f"u:{world.customer_a.pk}").count() == 1


def test_anonymous_readers_are_told_apart_by_address_and_browser_and_never_stored_as_such(shelf: Shelf) -> None:
    url = shelf.public.get_absolute_url()
    for _ in range(2):
        Client(REMOTE_ADDR="192.0.2.1", HTTP_USER_AGENT="Firefox").get(url)
    Client(REMOTE_ADDR="192.0.2.1", HTTP_USER_AGENT="Safari").get(url)
    Client(REMOTE_ADDR="192.0.2.2", HTTP_USER_AGENT="Firefox").get(url)

    visitors = list(ArticleView.objects.filter(article=shelf.public).values_list("visitor", flat=True))
    assert len(visitors) == 3
    assert not [visitor for visitor in visitors if "192.0.2" in visitor or "Firefox" in visitor]
    shelf.public.refresh_from_db()
    assert shelf.public.view_count == 3


def test_an_anonymous_reader_gets_no_session(shelf: Shelf) -> None:
    client = Client()
    responses = [
        client.get(shelf.public.get_absolute_url()),
        client.get(shelf.public.get_absolute_url()),
        client.get("/help/"),
        client.get("/help/category/getting-started/"),
        client.get("/help/search/", {"q": "one"}),
    ]

    assert [response.status_code for response in responses] == [200] * 5
    assert not [response for response in responses if settings.SESSION_COOKIE_NAME in response.cookies]
    assert not Session.objects.exists()
    assert ArticleView.objects.filter(article=shelf.public).count() == 1  # still counted, once


def test_an_anonymous_vote_still_keeps_its_session(shelf: Shelf) -> None:
    client = Client()
    client.get(shelf.public.get_absolute_url())
    client.post(f"{shelf.public.get_absolute_url()}vote/", {"helpful": "yes"})
    page = client.get(shelf.public.get_absolute_url()).content.decode()

    assert Session.objects.count() == 1
    assert 'value="yes" aria-pressed="true"' in page
    assert ArticleView.objects.filter(article=shelf.public).count() == 1  # the same reader after voting


def test_voting_without_script_redirects_back_and_can_change(world: World, shelf: Shelf) -> None:
    client = client_for(world, "customer_a")
    url = f"{shelf.customers.get_absolute_url()}vote/"
    response = client.post(url, {"helpful": "yes", "comment": "Clear"})
    assert response.status_code == 302
    assert response["Location"] == "/help/ja/customers-one/?rated=1#feedback"
    client.post(url, {"helpful": "no", "comment": "Now it is out of date"})
    vote = ArticleVote.objects.get(article=shelf.customers)
    assert (vote.user, vote.helpful, vote.comment) == (world.customer_a, False, "Now it is out of date")
    page = client.get(response["Location"]).content.decode()
    assert 'value="no" aria-pressed="true"' in page


def test_voting_with_htmx_answers_the_feedback_box(world: World, shelf: Shelf) -> None:
    client = client_for(world, "customer_a")
    response = client.post(f"{shelf.customers.get_absolute_url()}vote/", {"helpful": "yes"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="feedback"')
    assert 'value="yes" aria-pressed="true"' in html


@pytest.mark.parametrize("htmx", [False, True])
def test_a_bad_vote_shows_an_error_on_the_page(world: World, shelf: Shelf, htmx: bool) -> None:
    client = client_for(world, "customer_a")
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(f"{shelf.customers.get_absolute_url()}vote/", {"helpful": "maybe"}, **headers)
    assert response.status_code == (200 if htmx else 400)
    assert 'class="errorlist"' in response.content.decode()
    assert not ArticleVote.objects.exists()


def test_a_hidden_or_draft_article_cannot_be_voted_on(world: World, shelf: Shelf) -> None:
    assert (
        client_for(world, "anon").post(f"{shelf.customers.get_absolute_url()}vote/", {"helpful": "yes"}).status_code
        == 404
    )
    assert (
        client_for(world, "customer_b")
        .post(f"{shelf.segment_x_only.get_absolute_url()}vote/", {"helpful": "yes"})
        .status_code
        == 404
    )
    assert (
        client_for(world, "admin").post(f"{shelf.draft.get_absolute_url()}vote/", {"helpful": "yes"}).status_code == 400
    )
    assert not ArticleVote.objects.exists()


@override_settings(FAQ_ANONYMOUS_VOTES_PER_SESSION=1)
def test_anonymous_votes_are_limited_per_session(shelf: Shelf) -> None:
    other = ArticleFactory(category=shelf.category, slug="public-two", visibility="public")
    client = Client()
    assert client.post(f"{shelf.public.get_absolute_url()}vote/", {"helpful": "yes"}).status_code == 302
    assert client.post(f"{shelf.public.get_absolute_url()}vote/", {"helpful": "no"}).status_code == 302
    refused = client.post(f"{other.get_absolute_url()}vote/", {"helpful": "yes"})
    assert refused.status_code == 400
    assert "sign in to rate more" in refused.content.decode() or "サインイン" in refused.content.decode()
    assert list(ArticleVote.objects.values_list("article__slug", "helpful")) == [("public-one", False)]


def test_help_is_in_the_navigation_for_everyone(world: World) -> None:
    for role in ROLES:
        client = client_for(world, role)
        page = client.get("/help/" if role == "anon" else "/profile/").content.decode()
        assert '<a href="/help/"' in page, role


def test_steps_shared_by_several_playbooks_are_listed_once_and_only_to_signed_in_people(
    world: World, shelf: Shelf, journey_a
) -> None:
    from journeys.onboarding.models import Playbook

    other = PlaybookFactory(key="other", name="Other", status=Playbook.Status.PUBLISHED)
    StepFactory(playbook=other, key="connect", title="Connect your data")
    ArticleStepFactory(article=shelf.public, playbook_key="basics", step_key="connect")
    ArticleStepFactory(article=shelf.public, playbook_key="other", step_key="connect")

    signed_in = client_for(world, "customer_a").get(shelf.public.get_absolute_url()).content.decode()
    anonymous = Client().get(shelf.public.get_absolute_url()).content.decode()

    assert signed_in.count("Connect your data") == 1
    assert "Connect your data" not in anonymous


def test_uploads_are_served_by_the_app_only_in_development(tmp_path) -> None:
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "shot.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with override_settings(MEDIA_ROOT=tmp_path, DEBUG=True):
        served = Client().get("/media/faq/shot.png")
        escape = Client().get("/media/../secret.txt")
    with override_settings(MEDIA_ROOT=tmp_path, DEBUG=False):
        hidden = Client().get("/media/faq/shot.png")
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == b"\x89PNG\r\n\x1a\n"
    assert escape.status_code == 400  # a path out of MEDIA_ROOT is refused as suspicious
    assert hidden.status_code == 404


def test_the_feedback_box_reads_in_japanese(world: World, shelf: Shelf) -> None:
    page = client_for(world, "customer_a").get(shelf.customers.get_absolute_url()).content.decode()
    assert "この記事は役に立ちましたか？" in page  # noqa: RUF001
    assert "追加や修正が必要な点があればお知らせください（任意）</label>" in page  # noqa: RUF001
    assert "コメントは回答と一緒に送信されます。" in page


def test_search_ranks_articles_matching_more_words_and_in_the_title_first(world: World, shelf: Shelf) -> None:
    title_hit = ArticleFactory(category=shelf.category, title="送信ドメイン認証を設定する", body="DNS", slug="t1")
    body_hit = ArticleFactory(category=shelf.category, title="到達率", body="送信ドメイン認証 の設定", slug="t2")
    ArticleFactory(category=shelf.category, title="請求書", body="関係なし", slug="t3")

    page = client_for(world, "customer_a").get("/help/search/", {"q": "送信ドメイン認証 の設定"})

    assert [a.slug for a in page.context["results"]] == [title_hit.slug, body_hit.slug]


def test_a_search_too_long_is_a_form_error(world: World, shelf: Shelf) -> None:
    page = client_for(world, "customer_a").get("/help/search/", {"q": "x" * 201})
    assert page.status_code == 200
    assert page.context["results"] == []
    assert page.context["form"].errors["q"]
