"""API tokens against every endpoint: each view names the scope of each of its methods; a token
without that scope is refused (403 ``insufficient_scope``), one with only that scope gets past the
check; expired and revoked tokens are no one (401); a token for one account answers for another
account exactly as for a missing one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone
from rest_framework.views import APIView

from portal.api.permissions import TokenScopes
from portal.models import ApiScope, ApiToken
from portal.tokens import ROLE_SCOPES, token_create, token_revoke
from support.services import inquiry_create
from tests.conftest import World
from tests.portal.test_urls import concrete
from tests.routes import all_routes

pytestmark = pytest.mark.django_db

HANDLERS = ("get", "post", "put", "patch", "delete")
# drf-spectacular's own views: the schema and its viewer, public documents of the API itself.
DOCUMENTS = {"api_schema", "api_docs"}


def api_views() -> list[tuple[str, str, type[APIView]]]:
    found = []
    for route in all_routes():
        if not route.route.startswith("api/v1/") or route.name in DOCUMENTS:
            continue
        path = concrete(route.route, {"slug": "alpha", "pk": "1"})
        view = getattr(resolve(path).func, "cls", None)
        assert view is not None and issubclass(view, APIView), f"{route.name} is not an API view"
        found.append((route.name, route.route, view))
    return found


def methods_of(view: type[APIView]) -> list[str]:
    return [name.upper() for name in HANDLERS if hasattr(view, name)]


def test_every_api_view_names_a_scope_for_each_method_and_checks_it() -> None:
    missing = []
    for name, _route, view in api_views():
        if TokenScopes not in view.permission_classes:
            missing.append(f"{name}: TokenScopes is not among its permissions")
        scopes = getattr(view, "scopes", {})
        for method in methods_of(view):
            if scopes.get(method) not in ApiScope.values:
                missing.append(f"{name} {method}: no scope")
    assert missing == []


def token(world: World, scopes, *, account=None) -> str:
    return token_create(owner=world.admin, name="matrix", scopes=scopes, account=account)[1]


def call(client: Client, method: str, path: str, raw: str):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    if method == "GET":
        return client.get(path, **auth)
    return getattr(client, method.lower())(path, "{}", content_type="application/json", **auth)


def refused_for_scope(response) -> bool:
    return response.status_code == 403 and response.json().get("code") == "insufficient_scope"


def test_each_endpoint_refuses_a_token_without_its_scope_and_lets_one_with_it_through(world: World) -> None:
    inquiry = inquiry_create(account=world.account_a, author=world.customer_a, subject="Help", body="Please")
    client = Client()
    wrong, right = [], []
    checked = 0
    for name, route, view in api_views():
        path = concrete(route, {"slug": "alpha", "pk": str(inquiry.pk)})
        for method in methods_of(view):
            needed = view.scopes[method]
            others = [scope for scope in ApiScope.values if scope != needed]
            if refused_for_scope(call(client, method, path, token(world, [needed]))):
                wrong.append(f"{name} {method} refused with {needed}")
            without = call(client, method, path, token(world, others))
            if not refused_for_scope(without):
                right.append(f"{name} {method} answered {without.status_code} without {needed}")
            checked += 1
    assert (wrong, right) == ([], [])
    assert checked >= 20


def test_a_token_gives_no_more_than_its_owners_role(world: World) -> None:
    with pytest.raises(Exception) as refused:
        token_create(owner=world.customer_a, name="x", scopes=[ApiScope.REPORTS_READ])
    assert "scopes" in refused.value.message_dict
    raw = token_create(owner=world.customer_a, name="x", scopes=sorted(ROLE_SCOPES["customer"]))[1]
    client = Client()
    # Every scope a customer may have, and still no report: reports are for staff.
    assert client.get("/api/v1/reports/ttv/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 403
    accounts = client.get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert [a["slug"] for a in accounts["results"]] == ["alpha"]


def test_expired_and_revoked_tokens_are_no_one(world: World) -> None:
    client = Client()
    expired = token_create(owner=world.admin, name="old", scopes=[ApiScope.PROFILE_READ], days=1)
    ApiToken.objects.filter(pk=expired[0].pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked = token_create(owner=world.admin, name="gone", scopes=[ApiScope.PROFILE_READ])
    token_revoke(token=revoked[0], by=world.admin)
    fine = token_create(owner=world.admin, name="ok", scopes=[ApiScope.PROFILE_READ])

    for raw in (expired[1], revoked[1]):
        response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert (response.status_code, response.json()["code"]) == (401, "authentication_failed")
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {fine[1]}").json()["email"] == world.admin.email


def test_a_token_for_one_account_answers_for_another_as_for_a_missing_one(world: World) -> None:
    client = Client()
    raw = token(world, ApiScope.values, account=world.account_a)
    theirs = inquiry_create(account=world.account_b, author=world.customer_b, subject="Beta's", body="Private")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    other = client.get("/api/v1/accounts/beta/", **auth)
    missing = client.get("/api/v1/accounts/no-such/", **auth)
    assert (other.status_code, other.json()) == (missing.status_code, missing.json()) == (404, missing.json())
    assert [a["slug"] for a in client.get("/api/v1/accounts/", **auth).json()["results"]] == ["alpha"]
    assert client.get("/api/v1/accounts/alpha/", **auth).status_code == 200
    desk_other = client.get(f"/api/v1/desk/inquiries/{theirs.pk}/", **auth)
    desk_missing = client.get("/api/v1/desk/inquiries/999999/", **auth)
    assert (desk_other.status_code, desk_other.json()) == (desk_missing.status_code, desk_missing.json())
    assert client.get("/api/v1/reports/ttv/", **auth).json()["total"]["n"] == 0  # beta's journeys are not counted
    assert client.get("/api/v1/reports/support/first-replies/", **auth).json()["total"]["inquiries"] == 0
    refused = client.post(
        "/api/v1/events/",
        [{"id": "e1", "account": "beta", "name": "login", "occurred_at": timezone.now().isoformat()}],
        content_type="application/json",
        **auth,
    )
    assert refused.json()["accepted"] == 0


def test_a_token_cannot_issue_tokens(world: World) -> None:
    raw = token(world, ApiScope.values)
    response = Client().post("/admin/portal/apitoken/add/", {"name": "x"}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert ApiToken.objects.count() == 1
