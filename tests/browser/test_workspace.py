"""A CS manager in a real browser: sees which account is stuck and why, opens it, blocks a step
with a reason (in place, without a reload), moves a due date, writes a note, and the timeline tells it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from journeys.onboarding.models import Playbook
from journeys.onboarding.services.journeys import journey_start
from portal.models import MilestoneKind
from tests.browser.conftest import sign_in
from tests.conftest import World
from tests.factories import AccountNoteFactory, MilestoneFactory, PlaybookFactory, StepFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portfolio_world(world: World, live_server) -> str:
    playbook = PlaybookFactory(key="pb", name="Onboarding", status=Playbook.Status.PUBLISHED)
    setup = StepFactory(playbook=playbook, key="setup", position=0, title="Import contacts", due_offset_days=5)
    milestone = MilestoneFactory(
        playbook=playbook, key="fv", name="First value", kind=MilestoneKind.FIRST_VALUE, target_days=21
    )
    milestone.steps.add(setup)
    journey_start(account=world.account_a, playbook=playbook, started_at=timezone.now() - timedelta(days=30))
    world.csm_a.language = "en"
    world.csm_a.save(update_fields=["language"])
    return live_server.url


def test_a_csm_finds_the_stuck_account_and_acts_on_it(page: Page, portfolio_world: str) -> None:
    sign_in(page, portfolio_world, "csm-a@kachi.example")
    page.goto(f"{portfolio_world}/portfolio/")
    chip = page.locator(".chip-stuck", has_text="First value")
    expect(chip).to_be_visible()
    expect(chip).to_have_attribute("title", re.compile("Nothing has moved since"))
    page.get_by_role("link", name="Alpha KK").click()

    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.locator("summary", has_text="Manage this step").click()
    page.locator("select[name=status]").select_option("blocked")
    page.locator("input[name=reason]").first.fill("Waiting for the IT team")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("li.step-blocked")).to_contain_text("Waiting for the IT team")
    assert navigations == [], "changing a step must not reload the page"

    page.locator("textarea[name=body]").fill("Call booked with their IT lead for Monday.")
    page.get_by_role("button", name="Save the note").click()
    timeline = page.locator("ol.timeline").first
    expect(timeline).to_contain_text("Call booked with their IT lead for Monday.")
    expect(timeline).to_contain_text("Waiting for the IT team")


def test_the_account_pages_panels_load_and_the_invitation_form_in_them_still_answers(
    page: Page, portfolio_world: str, world: World
) -> None:
    sign_in(page, portfolio_world, "csm-a@kachi.example")
    page.goto(f"{portfolio_world}/accounts/alpha/")
    expect(page.locator(".panel-loading")).to_have_count(0)
    expect(page.locator("#contacts")).to_contain_text(world.customer_a.email)
    expect(page.locator("#timeline")).to_contain_text("Journey started")
    for anchor in ("success-plan", "support", "value"):
        expect(page.locator(f"#{anchor} h2")).to_be_visible()

    invite = page.locator("#invite")
    invite.get_by_label("E-mail address").fill(world.customer_a.email)
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#invite [role=alert]")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/alpha/#invite$"))

    page.locator("#invite").get_by_label("E-mail address").fill("lead@alpha.example")
    page.locator("#invite").get_by_role("button", name="Send invitation").click()
    expect(page.locator("#invite table.invitations")).to_contain_text("lead@alpha.example")


def test_a_link_to_a_note_lands_on_it_once_the_timeline_is_in(page: Page, portfolio_world: str, world: World) -> None:
    notes = [AccountNoteFactory(account=world.account_a, author=world.csm_a, body=f"Note {i}") for i in range(30)]
    page.set_viewport_size({"width": 1366, "height": 700})
    sign_in(page, portfolio_world, "csm-a@kachi.example")
    for note in (notes[20], notes[0]):  # among the latest entries, then among the older ones
        page.goto("about:blank")
        page.goto(f"{portfolio_world}/accounts/alpha/#note-{note.pk}")
        expect(page.locator(f"#note-{note.pk}")).to_be_in_viewport()
