"""A customer admin corrects their team in a real browser: removes a colleague after confirming, and
the page tells who did it; on a phone the table's rows stay readable."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.models import Membership, MembershipEvent
from tests.browser.conftest import sign_in
from tests.conftest import World
from tests.factories import InvitationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team_world(world: World, live_server) -> str:
    for user, name in ((world.customer_admin_a, "Aiko Boss"), (world.customer_a, "Ken Member")):
        user.name = name
        user.language = "en"
        user.save(update_fields=["name", "language"])
    return live_server.url


def test_a_customer_admin_removes_a_colleague_after_confirming(page: Page, team_world: str, world: World) -> None:
    sign_in(page, team_world, world.customer_admin_a.email)
    page.goto(f"{team_world}/app/team/")
    row = page.locator("tr", has_text="member@alpha.example")
    confirm = row.get_by_role("button", name="Yes, remove Ken Member")
    expect(confirm).to_be_hidden()  # nothing happens on the first click but opening the question
    row.locator("summary", has_text="Remove…").click()
    expect(row).to_contain_text("Ken Member can no longer sign in or see this account.")
    confirm.click()

    expect(page).to_have_url(f"{team_world}/app/team/")
    expect(page.get_by_role("status")).to_contain_text("Ken Member was removed from the team.")
    expect(page.locator("#members")).not_to_contain_text("member@alpha.example")
    expect(page.locator("#team-history")).to_contain_text("Ken Member removed by Aiko Boss on")
    assert not Membership.objects.filter(user=world.customer_a).exists()
    assert MembershipEvent.objects.get().actor == world.customer_admin_a


def test_the_team_table_reads_on_a_phone(page: Page, team_world: str, world: World) -> None:
    InvitationFactory(account=world.account_a, email="hanako.yamamoto.marketing@alpha.example")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, team_world, world.customer_admin_a.email)
    page.goto(f"{team_world}/app/team/")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the team page scrolls sideways on a phone by {overflow}px"
    for card in ("#members", "#invite"):
        table = page.locator(f"{card} table").bounding_box()
        cells = page.locator(f"{card} td").all()
        assert cells, card
        for cell in cells:
            box = cell.bounding_box()
            # Each cell takes the row's width: a name or an address never squeezes into a column one
            # character wide.
            assert box is not None and table is not None and box["width"] > table["width"] * 0.9, cell.inner_text()
        wrapper = page.locator(f"{card} .table-wrap")
        assert wrapper.evaluate("el => el.scrollWidth - el.clientWidth") <= 0, card
