"""The content security policy holds while people use the pages: no action, in place (htmx) or not,
makes the browser refuse a script or a style."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in_demo as sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every refusal the browser reports, kept on the window (it survives htmx swaps, not navigations).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__violations || []")


def test_in_place_actions_keep_to_the_policy(page: Page, demo: str) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    seen: list[str] = []

    sign_in(page, demo, "admin@sakura-foods.example")
    page.goto(f"{demo}/app/")
    for _ in range(2):  # tick, then untick: the checklist is answered in place
        page.locator("form.step-check button.check").nth(3).click()
        page.wait_for_load_state("networkidle")
    seen += violations(page)

    page.goto(f"{demo}/help/ja/first-campaign/")
    page.get_by_role("button", name=re.compile("はい")).click()
    expect(page.get_by_role("button", name=re.compile("はい"))).to_have_attribute("aria-pressed", "true")
    seen += violations(page)

    page.goto(f"{demo}/help/search/?q=DNS")
    page.get_by_role("searchbox").fill("SPF")
    expect(page.locator("#search-results")).to_contain_text("SPF")
    seen += violations(page)

    page.context.clear_cookies()
    sign_in(page, demo, "sato@kachi.example")
    page.goto(f"{demo}/accounts/")
    page.locator("input[name=q]").fill("sak")
    expect(page).to_have_url(re.compile(r"q=sak"))
    seen += violations(page)
    page.goto(f"{demo}/accounts/sakura-foods/")
    page.locator("summary", has_text=re.compile("このステップを管理|Manage this step")).first.click()
    page.locator("select[name=status]").first.select_option("in_progress")
    page.locator("form.form-row button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    seen += violations(page)

    assert seen == []
    assert [e for e in console_errors if "Content Security Policy" in e] == []
