"""The CS manager's account page: correcting a note, which only its author may do, on their own accounts."""

from __future__ import annotations

import pytest

from tests.conftest import World, signed_in
from tests.factories import AccountNoteFactory
from tests.portal.test_tenancy import page_text

pytestmark = pytest.mark.django_db


def test_the_author_corrects_a_note_from_the_timeline_and_everyone_sees_it_was_edited(world: World) -> None:
    note = AccountNoteFactory(account=world.account_a, author=world.csm_a, body="Budget is 2M yen")
    author = signed_in(world.csm_a)
    page = author.get("/accounts/alpha/").content.decode()
    assert f'href="/notes/{note.pk}/edit/"' in page

    form = author.get(f"/notes/{note.pk}/edit/")
    assert form.status_code == 200 and form.context["form"].initial["body"] == "Budget is 2M yen"
    response = author.post(f"/notes/{note.pk}/edit/", {"body": "Budget is 3M yen"})
    assert response.status_code == 302 and response["Location"] == f"/accounts/alpha/#note-{note.pk}"

    # The admin reads the corrected note with its earlier wording, and has no link to rewrite it.
    admin_page = signed_in(world.admin).get("/accounts/alpha/").content.decode()
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
