"""Help-centre search in a real Chromium: results follow as you type, without a page load."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import ArticleFactory, CategoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_results_follow_as_you_type_and_the_address_keeps_the_query(page: Page, live_server) -> None:
    category = CategoryFactory(slug="mail")
    ArticleFactory(category=category, slug="invoice", title="請求書をダウンロードする", visibility="public")
    ArticleFactory(category=category, slug="plan", title="料金プランを変更する", visibility="public")
    page.goto(f"{live_server.url}/help/search/")
    loads: list[str] = []
    page.on("load", lambda _page: loads.append("load"))

    page.get_by_role("searchbox").press_sequentially("請求書", delay=50)

    results = page.locator("#search-results")
    expect(results.locator("mark").first).to_have_text("請求書")
    expect(results.get_by_role("link")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/help/search/\?q=%E8%AB%8B%E6%B1%82%E6%9B%B8$"))
    page.get_by_role("searchbox").fill("量子コンピュータ")
    expect(results).to_contain_text("見つかりませんでした")
    assert loads == []  # swapped in place, never a page load
