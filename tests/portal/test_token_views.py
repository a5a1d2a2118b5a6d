"""A person's API tokens page: issue one (shown once, with only the scopes the role allows), list
one's own with when each was last used, revoke; nobody else's tokens are seen or revoked."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from portal.models import ApiToken
from portal.tokens import token_authenticate, token_create
from tests.conftest import World, signed_in
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db
RAW = re.compile(r"kachi_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


def test_a_token_is_issued_shown_once_and_works(world: World) -> None:
    client = signed_in(world.csm_a)

    response = client.post(
        "/settings/tokens/",
        {"name": "Billing", "scopes": ["accounts:read", "events:write"], "account": world.account_a.pk, "days": 30},
    )

    assert response.status_code == 201
    raw = RAW.search(response.content.decode()).group()
    token = token_authenticate(raw)
    assert (token.owner, token.name, token.scopes, token.account) == (
        world.csm_a, "Billing", ["accounts:read", "events:write"], world.account_a
    )  # fmt: skip
    assert raw not in client.get("/settings/tokens/").content.decode()  # shown once
    accounts = Client().get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Bearer {raw}").json()["results"]
    assert [account["slug"] for account in accounts] == ["alpha"]


def test_a_role_is_offered_only_its_scopes_and_refused_others(world: World) -> None:
    client = signed_in(world.customer_a)

    page = client.get("/settings/tokens/").content.decode()
    refused = client.post("/settings/tokens/", {"name": "x", "scopes": ["reports:read"], "days": 30})

    assert 'value="inquiries:write"' in page and 'value="reports:read"' not in page
    assert refused.status_code == 400
    assert refused.context["form"].errors["scopes"]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "scopes": ["profile:read"], "days": 30}, "name"),
        ({"name": "x", "scopes": [], "days": 30}, "scopes"),
        ({"name": "x", "scopes": ["profile:read"], "days": 366}, "days"),
        ({"name": "x", "scopes": ["profile:read"], "days": 30, "account": "999999"}, "account"),
    ],
)
def test_bad_input_is_explained_and_issues_nothing(world: World, data: dict, field: str) -> None:
    response = signed_in(world.csm_a).post("/settings/tokens/", data)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_a_cs_manager_cannot_restrict_a_token_to_another_managers_account(world: World) -> None:
    response = signed_in(world.csm_a).post(
        "/settings/tokens/", {"name": "x", "scopes": ["accounts:read"], "days": 30, "account": world.account_b.pk}
    )
    assert response.status_code == 400 and "account" in response.context["form"].errors


def test_only_ones_own_tokens_are_listed_and_revoked(world: World) -> None:
    mine = token_create(owner=world.csm_a, name="Mine", scopes=["profile:read"])[0]
    theirs = token_create(owner=world.csm_b, name="Theirs", scopes=["profile:read"])[0]
    client = signed_in(world.csm_a)

    page = client.get("/settings/tokens/").content.decode()
    other = client.post(f"/settings/tokens/{theirs.pk}/revoke/")
    own = client.post(f"/settings/tokens/{mine.pk}/revoke/")

    assert "Mine" in page and "Theirs" not in page
    assert other.status_code == 404
    assert own.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None
    assert "Revoked" in client.get("/settings/tokens/").content.decode()


def test_the_page_takes_the_same_queries_for_one_and_many(world: World) -> None:
    client = signed_in(world.csm_a)
    token_create(owner=world.csm_a, name="One", scopes=["profile:read"], account=world.account_a)
    with capture_queries() as few:
        assert client.get("/settings/tokens/").status_code == 200
    for n in range(8):
        token_create(owner=world.csm_a, name=f"More {n}", scopes=["profile:read"], account=world.account_a)
    with capture_queries() as many:
        assert len(client.get("/settings/tokens/").context["tokens"]) == 9
    assert_same_queries(few, many)
