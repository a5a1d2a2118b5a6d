"""A customer works through the checklist in a real browser: ticking updates progress and milestones in place."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from journeys.onboarding.models import Playbook
from journeys.onboarding.services.journeys import journey_start
from portal.models import MilestoneKind
from tests.browser.conftest import sign_in
from tests.conftest import World
from tests.factories import MilestoneFactory, PlaybookFactory, StepFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def checklist_world(world: World, live_server) -> str:
    playbook = PlaybookFactory(key="pb", name="SMB オンボーディング", status=Playbook.Status.PUBLISHED)
    for i, title in enumerate(["管理者アカウントの作成", "データ連携の設定", "最初のキャンペーン配信"]):
        StepFactory(playbook=playbook, key=f"s{i}", position=i, title=title, due_offset_days=3 * i + 1)
    milestone = MilestoneFactory(
        playbook=playbook, key="fv", name="ファーストバリュー", kind=MilestoneKind.FIRST_VALUE, target_days=10
    )
    milestone.steps.add(playbook.steps.get(key="s1"))
    journey_start(account=world.account_a, playbook=playbook)
    return live_server.url


def test_ticking_steps_moves_progress_and_reaches_a_milestone(page: Page, checklist_world: str) -> None:
    sign_in(page, checklist_world, "member@alpha.example")
    expect(page.locator(".progress-line")).to_contain_text(re.compile(r"3.*0|0.*3"))
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    page.get_by_role("button", name="管理者アカウントの作成").click()
    expect(page.locator("li.step-done")).to_have_count(1)
    expect(page.locator("svg.bar .bar-fill")).to_have_attribute("width", "33")

    page.get_by_role("button", name="データ連携の設定").click()
    expect(page.locator(".celebrate")).to_contain_text("ファーストバリュー")
    expect(page.locator("svg.bar .bar-fill")).to_have_attribute("width", "67")
    expect(page.locator(".chip-reached").first).to_contain_text("ファーストバリュー")
    assert navigations == [], "ticking a step must not reload the page"

    page.reload()
    expect(page.locator("li.step-done")).to_have_count(2)


def test_the_checklist_works_without_javascript(browser, checklist_world: str) -> None:
    context = browser.new_context(java_script_enabled=False, locale="ja-JP")
    page = context.new_page()
    sign_in(page, checklist_world, "member@alpha.example")
    page.get_by_role("button", name="管理者アカウントの作成").click()
    expect(page).to_have_url(re.compile(rf"{checklist_world}/app/#step-\d+$"))
    expect(page.locator("li.step-done")).to_have_count(1)
    context.close()
