"""Pages as a phone and a laptop show them: nothing scrolls sideways or hides under something else."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in_demo as sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 700}


def sideways(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_staff_pages_fit_a_phone(page: Page, demo: str) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, demo, "admin@kachi.example")
    for path in ["/portfolio/", "/accounts/", "/accounts/sakura-foods/", "/reports/", "/reports/cohorts/",
                 "/reports/funnel/", "/reports/at-risk/", "/reports/bottlenecks/", "/reports/distribution/",
                 "/help/analytics/"]:  # fmt: skip
        page.goto(f"{demo}{path}")
        assert sideways(page) <= 0, f"{path} scrolls sideways on a phone by {sideways(page)}px"
        # Every entry of the top menu can be seen and reached, none hidden past the edge.
        for link in page.locator("nav.nav a").all():
            box = link.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], path


def test_the_portfolio_is_one_card_per_account_on_a_phone(page: Page, demo: str) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, demo, "sato@kachi.example")
    page.goto(f"{demo}/portfolio/")
    expect(page.locator("table.portfolio thead")).to_be_hidden()
    first = page.locator("table.portfolio tbody tr").first
    chips = first.locator("td.chips .chip")
    assert chips.count() > 1
    for chip in chips.all():  # every milestone chip inside the card, none cut off at its edge
        box = chip.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    page.set_viewport_size(LAPTOP)
    expect(page.locator("table.portfolio thead")).to_be_visible()


def test_the_contents_of_a_tutorial_never_cover_its_related_articles(page: Page, demo: str) -> None:
    page.set_viewport_size(LAPTOP)
    page.goto(f"{demo}/help/en/sender-domain-setup/")
    related = page.locator(".help-aside section a").first
    for _ in range(6):  # scroll down the article: the side column stays in view, contents above related
        page.mouse.wheel(0, 400)
        page.wait_for_timeout(50)
        covered = page.evaluate(
            """(link) => {
                const toc = document.querySelector('.help-aside .toc').getBoundingClientRect();
                const r = link.getBoundingClientRect();
                return r.top < toc.bottom && r.bottom > toc.top;
            }""",
            related.element_handle(),
        )
        assert not covered
    expect(related).to_be_in_viewport()
