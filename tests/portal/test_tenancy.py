"""Another tenant's object answers exactly like a missing one, on every door."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from journeys.workspace.views import ACCOUNT_PANELS
from portal.models import Account, Invitation
from portal.tenancy import get_visible_account, scope_to_user, visible_accounts
from tests.conftest import World
from tests.factories import AccountFactory, InvitationFactory

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    """The body with what differs by request alone masked: the CSRF token and the page's own path."""
    text = response.content.decode().replace(response.request["PATH_INFO"], "<path>")
    return re.sub(r"[A-Za-z0-9]{64}", "<csrf>", text)


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_visible_accounts_per_role(world: World) -> None:
    extra = AccountFactory(csm=world.csm_a)
    assert set(visible_accounts(user=world.customer_a)) == {world.account_a}
    assert set(visible_accounts(user=world.customer_b)) == {world.account_b}
    assert set(visible_accounts(user=world.csm_a)) == {world.account_a, extra}
    assert set(visible_accounts(user=world.csm_b)) == {world.account_b}
    assert set(visible_accounts(user=world.admin)) == set(Account.objects.all())


def test_inactive_people_see_nothing(world: World) -> None:
    world.admin.is_active = False
    world.admin.save(update_fields=["is_active"])
    assert list(visible_accounts(user=world.admin)) == []


def test_scope_to_user_filters_related_objects(world: World) -> None:
    mine = InvitationFactory(account=world.account_a)
    theirs = InvitationFactory(account=world.account_b)
    assert list(scope_to_user(Invitation.objects.all(), user=world.customer_a)) == [mine]
    assert list(scope_to_user(Invitation.objects.all(), user=world.csm_b)) == [theirs]
    assert set(scope_to_user(Invitation.objects.all(), user=world.admin)) == {mine, theirs}


def test_get_visible_account_raises_the_same_404(world: World) -> None:
    from django.http import Http404

    with pytest.raises(Http404) as foreign:
        get_visible_account(user=world.csm_b, slug="alpha")
    with pytest.raises(Http404) as missing:
        get_visible_account(user=world.csm_b, slug="no-such-account")
    assert str(foreign.value) == str(missing.value)


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/{slug}/",
        *[f"/accounts/{{slug}}/panels/{panel}/" for panel in ACCOUNT_PANELS],
        "/api/v1/accounts/{slug}/",
    ],
)
def test_foreign_account_answers_like_a_missing_one_for_a_csm(world: World, url: str) -> None:
    client = as_user(world.csm_b)
    foreign = client.get(url.format(slug="alpha"))
    missing = client.get(url.format(slug="no-such-account"))
    assert foreign.status_code == missing.status_code == 404
    assert page_text(foreign) == page_text(missing)
    assert "Alpha" not in page_text(foreign)


def test_foreign_account_answers_like_a_missing_one_for_a_customer(world: World) -> None:
    client = as_user(world.customer_b)
    foreign = client.get("/api/v1/accounts/alpha/")
    missing = client.get("/api/v1/accounts/no-such-account/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_foreign_invitation_withdrawal_answers_like_a_missing_one(world: World) -> None:
    theirs = InvitationFactory(account=world.account_b)
    client = as_user(world.csm_a)
    foreign = client.post(f"/invitations/{theirs.pk}/revoke/")
    missing = client.post("/invitations/987654/revoke/")
    assert foreign.status_code == missing.status_code == 404
    assert page_text(foreign) == page_text(missing)


def test_lists_show_only_the_tenants_accounts(world: World) -> None:
    AccountFactory(name="Gamma KK", csm=world.csm_b)
    page = as_user(world.csm_a).get("/accounts/").content.decode()
    assert "Alpha KK" in page
    assert "Beta KK" not in page
    assert "Gamma KK" not in page
    api = as_user(world.customer_b).get("/api/v1/accounts/").json()
    assert [a["slug"] for a in api["results"]] == ["beta"]
    assert as_user(world.admin).get("/api/v1/accounts/").json()["count"] == 3


def test_team_page_shows_only_own_members(world: World) -> None:
    page = as_user(world.customer_admin_a).get("/app/team/").content.decode()
    assert world.customer_a.email in page
    assert world.customer_b.email not in page


def test_customer_home_is_their_own_account(world: World) -> None:
    assert as_user(world.customer_b).get("/app/").context["account"] == world.account_b


def test_search_does_not_reach_other_tenants(world: World) -> None:
    page = as_user(world.csm_a).get("/accounts/", {"q": "Beta"})
    assert page.context["page"].paginator.count == 0
