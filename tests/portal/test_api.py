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
    assert response.status_code == 401  # "who are you?"; 403 is for a role that may not
    assert response["WWW-Authenticate"] == 'Session realm="Kachi"'
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


def test_a_path_no_view_answers_is_a_json_404_under_the_api(client: Client, world: World) -> None:
    client.force_login(world.admin)
    for path in ("/api/v1/accounts/two words/", "/api/v1/articles/null,null/", "/api/v1/nothing-here/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json", path
        assert response.json()["code"] == "not_found", path
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")  # people get the page


def test_an_unknown_format_is_a_404_with_its_code(client: Client, world: World) -> None:
    client.force_login(world.admin)
    response = client.get("/api/v1/reports/ttv/rows/", {"format": "xls"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_search_words_drop_nul_characters(client: Client, world: World) -> None:
    client.force_login(world.admin)
    assert client.get("/api/v1/accounts/", {"q": "al\x00p"}).json()["count"] == 1
    assert client.get("/api/v1/articles/", {"q": "\x00"}).status_code == 200


def test_bad_account_filters_are_field_errors(client: Client, world: World) -> None:
    client.force_login(world.admin)
    response = client.get("/api/v1/accounts/", {"status": "asleep", "segment": "not a slug"})
    assert response.status_code == 400
    assert set(response.json()) == {"status", "segment"}


def test_the_schema_documents_pages_and_errors(client: Client) -> None:
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    at_risk = schema["paths"]["/api/v1/reports/at-risk/"]["get"]["responses"]
    assert at_risk["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedAtRiskList"
    }
    assert set(at_risk) == {"200", "400", "401", "403", "404", "500", "503"}
    me = schema["paths"]["/api/v1/me/"]["get"]["responses"]
    # Anyone signed in may; 403 only for a token without profile:read.
    assert set(me) == {"200", "401", "403", "500", "503"}
    assert me["503"]["headers"]["Retry-After"]["required"] is True
    assert me["401"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
