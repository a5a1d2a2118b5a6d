"""The CS manager's account page and the panels it loads on its own; correcting a note, which only its
author may do, on their own accounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from journeys.onboarding.services.journeys import value_record_create
from support.services import inquiry_create
from tests.conftest import World, signed_in
from tests.factories import (
    AccountNoteFactory,
    InvitationFactory,
    MembershipEventFactory,
    MembershipFactory,
    SuccessGoalFactory,
)
from tests.portal.test_tenancy import page_text
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


def test_the_author_corrects_a_note_from_the_timeline_and_everyone_sees_it_was_edited(world: World) -> None:
    note = AccountNoteFactory(account=world.account_a, author=world.csm_a, body="Budget is 2M yen")
    author = signed_in(world.csm_a)
    timeline = author.get("/accounts/alpha/panels/timeline/").content.decode()
    assert f'href="/notes/{note.pk}/edit/"' in timeline

    form = author.get(f"/notes/{note.pk}/edit/")
    assert form.status_code == 200 and form.context["form"].initial["body"] == "Budget is 2M yen"
    response = author.post(f"/notes/{note.pk}/edit/", {"body": "Budget is 3M yen"})
    assert response.status_code == 302 and response["Location"] == f"/accounts/alpha/#note-{note.pk}"

    # The admin reads the corrected note with its earlier wording, and has no link to rewrite it.
    admin_page = signed_in(world.admin).get("/accounts/alpha/panels/timeline/").content.decode()
    assert "Budget is 3M yen" in admin_page and "Budget is 2M yen" in admin_page and "edited " in admin_page
    assert f"/notes/{note.pk}/edit/" not in admin_page
    again = author.get(f"/notes/{note.pk}/edit/").content.decode()
    assert "Earlier wordings" in again and "Budget is 2M yen" in again


def test_an_empty_correction_is_shown_on_the_form(world: World) -> None:
    note = AccountNoteFactory(account=world.account_a, author=world.csm_a, body="Keep")
    response = signed_in(world.csm_a).post(f"/notes/{note.pk}/edit/", {"body": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["body"]
    assert 'role="alert"' in response.content.decode()
    note.refresh_from_db()
    assert note.body == "Keep"


def test_another_persons_note_is_403_and_another_accounts_note_is_missing(world: World) -> None:
    mine = AccountNoteFactory(account=world.account_a, author=world.csm_a, body="A's words")
    theirs = AccountNoteFactory(account=world.account_b, author=world.csm_b, body="B's words")
    assert signed_in(world.admin).post(f"/notes/{mine.pk}/edit/", {"body": "rewritten"}).status_code == 403
    assert signed_in(world.customer_admin_a).get(f"/notes/{mine.pk}/edit/").status_code == 403
    csm_a = signed_in(world.csm_a)
    foreign = csm_a.post(f"/notes/{theirs.pk}/edit/", {"body": "rewritten"})
    missing = csm_a.post("/notes/999999/edit/", {"body": "rewritten"})
    assert foreign.status_code == missing.status_code == 404
    assert page_text(foreign) == page_text(missing)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.body, theirs.body) == ("A's words", "B's words")


PANELS = ["timeline", "plan", "support", "contacts", "value"]


def test_the_account_page_loads_each_panel_on_its_own_with_a_link_to_it(world: World) -> None:
    page = signed_in(world.csm_a).get("/accounts/alpha/").content.decode()
    for panel in PANELS:
        url = f"/accounts/alpha/panels/{panel}/"
        assert f'hx-get="{url}" hx-trigger="load" hx-swap="outerHTML"' in page, panel
        assert f'<a href="{url}">' in page, panel
    for anchor in ("timeline", "success-plan", "support", "contacts", "value", "notes"):
        assert f'id="{anchor}"' in page, anchor
    assert "Loading…" in page
    assert "Save the note" in page  # the note form stays on the page


def test_a_panel_answers_htmx_alone_and_a_plain_visit_with_the_page_around_it(world: World) -> None:
    client = signed_in(world.csm_a)
    part = client.get("/accounts/alpha/panels/contacts/", HTTP_HX_REQUEST="true").content.decode()
    assert part.lstrip().startswith('<section class="card" id="contacts">') and "<html" not in part
    assert world.customer_a.email in part and 'action="/accounts/alpha/#invite"' in part
    whole = client.get("/accounts/alpha/panels/contacts/")
    assert whole["Vary"].count("HX-Request") == 1
    html = whole.content.decode()
    assert "<html" in html and world.customer_a.email in html and 'href="/accounts/alpha/"' in html
    assert client.post("/accounts/alpha/panels/contacts/").status_code == 405


def test_a_refused_invitation_shows_the_contacts_on_the_page_with_its_errors(world: World) -> None:
    client = signed_in(world.csm_a)
    refused = client.post("/accounts/alpha/", {"email": world.customer_a.email, "role": "customer_member"})
    assert refused.status_code == 200 and refused.context["form"].errors["email"]
    html = refused.content.decode()
    assert 'id="invite"' in html and 'role="alert"' in html and world.customer_a.email in html
    assert 'hx-get="/accounts/alpha/panels/contacts/"' not in html
    sent = client.post("/accounts/alpha/", {"email": "lead@alpha.example", "role": "customer_admin"})
    assert sent.status_code == 302 and sent["Location"] == "/accounts/alpha/"
    assert "lead@alpha.example" in client.get("/accounts/alpha/panels/contacts/").content.decode()


def grow(world: World, n: int) -> None:
    """Rows of every kind the panels list, ``n`` of each, on account A."""
    for i in range(n):
        AccountNoteFactory(account=world.account_a, author=world.csm_a if i % 2 else world.admin)
        SuccessGoalFactory(account=world.account_a, created_by=world.csm_a)
        MembershipFactory(account=world.account_a)
        InvitationFactory(account=world.account_a, invited_by=world.csm_a)
        MembershipEventFactory(account=world.account_a)
        value_record_create(
            account=world.account_a, amount=Decimal(1000 + i), occurred_on=timezone.localdate(), note=f"n{i}",
            by=world.csm_a,
        )  # fmt: skip
        inquiry_create(account=world.account_a, author=world.customer_a, subject=f"Question {i}", body="Help")


@pytest.mark.parametrize("panel", PANELS)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
def test_each_panel_takes_the_same_queries_for_one_and_many_rows(world: World, panel: str, htmx: bool) -> None:
    client = signed_in(world.csm_a)
    url = f"/accounts/alpha/panels/{panel}/"
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    grow(world, 1)
    client.get(url, **headers)
    with capture_queries() as few:
        assert client.get(url, **headers).status_code == 200
    grow(world, 12)
    with capture_queries() as many:
        assert client.get(url, **headers).status_code == 200
    assert_same_queries(few, many, label=url)


def test_the_account_page_takes_the_same_queries_for_one_and_many_rows(measured: World) -> None:
    client = signed_in(measured.csm_a)
    grow(measured, 1)
    client.get("/accounts/alpha/")
    with capture_queries() as few:
        assert client.get("/accounts/alpha/").status_code == 200
    grow(measured, 12)
    with capture_queries() as many:
        assert client.get("/accounts/alpha/").status_code == 200
    assert_same_queries(few, many)
