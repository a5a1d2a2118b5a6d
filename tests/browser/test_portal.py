"""People click through the portal in a real Chromium."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

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


@pytest.mark.parametrize(
    ("email", "path", "japanese", "english"),
    [
        ("admin@kachi.example", "/reports/", "価値実現までの時間", "Time to Value"),
        ("sato@kachi.example", "/portfolio/", "あなたのポートフォリオ", "Your portfolio"),
        ("admin@sakura-foods.example", "/app/", "ようこそ", "Welcome"),
        ("user1@sakura-foods.example", "/app/", "ようこそ", "Welcome"),
    ],
)
def test_each_demo_role_signs_in_and_switches_language(
    page: Page, demo: str, email: str, path: str, japanese: str, english: str
) -> None:
    sign_in(page, demo, email)
    expect(page).to_have_url(f"{demo}{path}")
    heading = page.locator("h1").first
    expect(heading).to_contain_text(japanese)
    expect(page.locator("html")).to_have_attribute("lang", "ja")

    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(f"{demo}{path}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1").first).to_contain_text(english)

    # The choice is remembered: a new page stays in English.
    page.goto(f"{demo}/profile/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")


def test_wrong_password_is_explained_on_the_page(page: Page, demo: str) -> None:
    page.goto(f"{demo}/login/")
    page.get_by_label(re.compile("メールアドレス")).fill("sato@kachi.example")
    page.get_by_label(re.compile("パスワード")).fill("nope-nope-nope")
    page.locator("form button[type=submit].btn").click()
    expect(page.get_by_role("alert")).to_contain_text("正しくありません")


def test_account_search_filters_as_you_type(page: Page, demo: str) -> None:
    sign_in(page, demo, "admin@kachi.example")
    page.goto(f"{demo}/accounts/")
    rows = page.locator("#account-results tbody tr")
    expect(rows).to_have_count(25)
    page.get_by_label("検索").press_sequentially("sakura", delay=30)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("さくらフーズ")
    expect(page).to_have_url(re.compile(r"q=sakura"))


def test_customer_admin_invites_a_colleague_who_joins(page: Page, demo: str, browser) -> None:
    sign_in(page, demo, "admin@sakura-foods.example")
    page.get_by_role("link", name="チーム", exact=True).click()
    page.get_by_label("メールアドレス").fill("newcomer@sakura-foods.example")
    page.get_by_role("button", name="招待を送信").click()
    expect(page.get_by_role("status")).to_contain_text("newcomer@sakura-foods.example")
    expect(page.locator("table").last).to_contain_text("newcomer@sakura-foods.example")

    link = re.search(r"https?://\S+/invite/\S+/", mail.outbox[-1].body).group(0)
    path = link.split("/invite/", 1)[1]
    other = browser.new_context(locale="ja-JP").new_page()
    other.goto(f"{demo}/invite/{path}")
    other.get_by_label("お名前").fill("新人 花子")
    other.locator("#id_password1").fill("a-long-new-password")
    other.locator("#id_password2").fill("a-long-new-password")
    other.get_by_role("button", name="登録する").click()
    expect(other).to_have_url(f"{demo}/app/")
    expect(other.get_by_role("status")).to_contain_text("新人 花子")


def test_pages_fit_a_phone(page: Page, demo: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, demo, "sato@kachi.example")
    for path in ["/portfolio/", "/accounts/", "/accounts/sakura-foods/", "/profile/"]:
        page.goto(f"{demo}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
