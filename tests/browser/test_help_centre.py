"""The help centre in a real Chromium: reading on a phone, rating with and without script, the admin preview."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from faq.models import ArticleVote
from tests.demo_world import demo_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "kachi-demo"


@pytest.fixture
def demo(live_server) -> str:
    demo_world()
    return live_server.url


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label(re.compile("メールアドレス|E-mail address")).fill(email)
    page.get_by_label(re.compile("パスワード|Password")).fill(DEMO_PASSWORD)
    page.locator("form button[type=submit].btn").click()


def test_help_pages_fit_a_phone_and_a_laptop(page: Page, demo: str) -> None:
    for size in [{"width": 390, "height": 844}, {"width": 1366, "height": 800}]:
        page.set_viewport_size(size)
        for path in ["/help/", "/help/category/sending/", "/help/ja/sender-domain-setup/", "/help/search/?q=DNS"]:
            page.goto(f"{demo}{path}")
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways at {size['width']}px by {overflow}px"


def test_searching_from_the_help_home_finds_the_tutorial(page: Page, demo: str) -> None:
    page.goto(f"{demo}/help/")
    page.get_by_role("searchbox").fill("SPF")
    page.get_by_role("searchbox").press("Enter")
    expect(page).to_have_url(re.compile(r"/help/search/\?q=SPF$"))
    page.get_by_role("link", name="送信ドメイン認証 (SPF/DKIM) を設定する").click()
    expect(page.locator("nav.toc")).to_contain_text("SPF レコードを追加する")


def test_rating_an_article_updates_in_place_and_can_be_changed(page: Page, demo: str) -> None:
    sign_in(page, demo, "user1@sakura-foods.example")
    page.goto(f"{demo}/help/ja/first-campaign/")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    page.get_by_role("button", name=re.compile("はい")).click()
    expect(page.get_by_role("button", name=re.compile("はい"))).to_have_attribute("aria-pressed", "true")
    page.get_by_label(re.compile("追加や修正")).fill("手順3の画面が古いです")
    page.get_by_role("button", name=re.compile("いいえ")).click()
    expect(page.get_by_role("button", name=re.compile("いいえ"))).to_have_attribute("aria-pressed", "true")

    assert navigations == [], "rating must not reload the page"
    vote = ArticleVote.objects.get()
    assert (vote.helpful, vote.comment) == (False, "手順3の画面が古いです")


def test_rating_works_without_javascript(browser, demo: str) -> None:
    context = browser.new_context(java_script_enabled=False, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{demo}/help/ja/forgot-password/")
    page.get_by_role("button", name=re.compile("はい")).click()
    expect(page).to_have_url(re.compile(r"/help/ja/forgot-password/\?rated=1#feedback$"))
    expect(page.get_by_role("status")).to_contain_text("フィードバック")
    assert ArticleVote.objects.filter(user__isnull=True, helpful=True).count() == 1
    context.close()


def test_the_admin_previews_the_body_while_typing(page: Page, demo: str) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, demo, "admin@kachi.example")
    page.goto(f"{demo}/admin/faq/article/add/")
    page.locator("#id_body").fill("## 手順\n\n**太字** <script>alert(1)</script>")
    preview = page.locator(".faq-preview-body")
    expect(preview.locator("h2#s-手順")).to_have_text("手順")
    expect(preview.locator("strong")).to_have_text("太字")
    expect(preview.locator("script")).to_have_count(0)
    assert not [e for e in errors if "Content Security Policy" in e], errors
