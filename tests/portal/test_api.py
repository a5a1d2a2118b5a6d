from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_me_describes_the_caller(client: Client, world: World) -> None:
    client.force_login(world.customer_admin_a)
    body = client.get("/api/v1/me/").json()
    assert body["email"] == "boss@alpha.example"
    assert body["account"] == "alpha"
    assert body["customer_role"] == "customer_admin"


def test_anonymous_callers_get_a_json_error_with_a_code(client: Client) -> None:
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"


def test_account_detail_shape(client: Client, world: World) -> None:
    client.force_login(world.csm_a)
    body = client.get("/api/v1/accounts/alpha/").json()
    assert body["slug"] == "alpha"
    assert body["segment"] == {"slug": "smb", "name": "SMB"}
    assert body["csm"]["email"] == "csm-a@kachi.example"


def test_list_filters(client: Client, world: World) -> None:
    client.force_login(world.admin)
    assert client.get("/api/v1/accounts/", {"q": "alp"}).json()["count"] == 1
    assert client.get("/api/v1/accounts/", {"status": "churned"}).json()["count"] == 0
    assert client.get("/api/v1/accounts/", {"segment": "smb"}).json()["count"] == 2


def test_schema_documents_the_endpoints(client: Client) -> None:
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "/api/v1/accounts/" in schema["paths"]
    assert "/api/v1/accounts/{slug}/" in schema["paths"]


def test_docs_page_loads_its_scripts_from_our_own_server(client: Client) -> None:
    page = client.get("/api/v1/docs/").content.decode()
    assert "cdn." not in page
    assert "/static/drf_spectacular_sidecar/" in page
