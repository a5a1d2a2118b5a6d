"""Every error under /api/ is JSON ``{"detail": …, "code": …}`` with a stable code, never a page:
those DRF gives inside a view and those Django gives around it."""

from __future__ import annotations

import json
import logging

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from journeys.events.services.api_keys import api_key_create
from portal import views
from tests.conftest import World

pytestmark = pytest.mark.django_db


def assert_error(response: HttpResponse, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"detail", "code"}
    assert body["code"] == code
    assert body["detail"]
    return body


def test_a_body_that_is_not_json_is_a_400(client: Client, world: World) -> None:
    _key, raw = api_key_create(name="product", account=world.account_a, by=None)
    response = client.post("/api/v1/events/", "[{", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert_error(response, 400, "parse_error")


@override_settings(ALLOWED_HOSTS=["testserver"])
def test_a_request_django_refuses_before_any_view_is_a_json_400(client: Client) -> None:
    response = client.get("/api/v1/me/", HTTP_HOST="evil.example")
    assert_error(response, 400, "bad_request")


def test_a_page_django_refuses_stays_a_page() -> None:
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        response = Client().get("/help/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_no_credentials_is_a_401(client: Client) -> None:
    assert_error(client.get("/api/v1/accounts/"), 401, "not_authenticated")


def test_an_error_is_json_even_for_a_browser(client: Client) -> None:
    response = client.get("/api/v1/accounts/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert_error(response, 401, "not_authenticated")
    assert_error(client.get("/api/v1/accounts/", {"format": "api"}), 401, "not_authenticated")


def test_a_wrong_api_key_is_a_401(client: Client) -> None:
    response = client.post("/api/v1/events/", [], content_type="application/json", HTTP_AUTHORIZATION="Bearer x")
    assert_error(response, 401, "authentication_failed")


def test_a_role_that_may_not_is_a_403(world: World) -> None:
    client = Client()
    client.force_login(world.customer_a)
    assert_error(client.get("/api/v1/reports/ttv/"), 403, "permission_denied")


def test_a_failed_csrf_check_under_the_api_is_a_json_403() -> None:
    # DRF's views check CSRF themselves (a 403 above); this is the answer of Django's check, which a
    # view of the API that is not DRF's would get.
    request = RequestFactory().post("/api/v1/anything/")
    assert_error(views.csrf_failure(request, reason="CSRF cookie not set."), 403, "csrf_failed")


def test_a_failed_csrf_check_of_a_page_stays_a_page(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.customer_a)
    response = client.post("/profile/", {"name": "x"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_an_unknown_path_is_a_404(client: Client) -> None:
    assert_error(client.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_another_tenants_object_is_a_404(world: World) -> None:
    client = Client()
    client.force_login(world.customer_a)
    assert_error(client.get("/api/v1/accounts/beta/"), 404, "not_found")


def test_a_method_the_operation_does_not_have_is_a_405(world: World) -> None:
    client = Client()
    client.force_login(world.customer_a)
    assert_error(client.delete("/api/v1/me/"), 405, "method_not_allowed")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_limit_is_a_413(client: Client, world: World) -> None:
    _key, raw = api_key_create(name="product", account=world.account_a, by=None)
    body = '[{"id": "' + "x" * 2000 + '"}]'
    response = client.post("/api/v1/events/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert_error(response, 413, "payload_too_large")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_form_body_over_the_limit_is_a_413(world: World) -> None:
    # With a session, the CSRF check reads the form: Django's own answer would be an HTML 400.
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
    assert_error(client.post("/api/v1/me/", {"x": "y" * 2000}), 413, "payload_too_large")


def test_a_body_that_is_not_json_by_its_type_is_a_415(client: Client, world: World) -> None:
    _key, raw = api_key_create(name="product", account=world.account_a, by=None)
    response = client.post("/api/v1/events/", "id=1", content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert_error(response, 415, "unsupported_media_type")


@override_settings(ROOT_URLCONF="tests.portal.api.error_urls")
def test_a_throttled_call_is_a_429_with_retry_after(client: Client) -> None:
    response = client.get("/api/v1/test/throttled/")
    assert_error(response, 429, "throttled")
    assert response["Retry-After"] == "42"


def test_a_locked_out_sign_in_under_the_api_is_a_json_429() -> None:
    # The sign-in lockout guards /login/ only (the API takes sessions and API keys, no passwords);
    # its answer is still JSON should a path under the API ever trip it.
    response = views.lockout(RequestFactory().post("/api/v1/anything/"))
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


@override_settings(ROOT_URLCONF="tests.portal.api.error_urls")
def test_an_unexpected_exception_is_a_json_500_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/api/v1/test/broken/")
    assert_error(response, 500, "server_error")
    assert "a bug in a view" not in response.content.decode()
    logged = [record for record in caplog.records if record.name == "django.request"]
    assert logged and logged[0].exc_info is not None
    assert "a bug in a view" in str(logged[0].exc_info[1])


@override_settings(ROOT_URLCONF="tests.portal.api.error_urls")
def test_an_unexpected_exception_of_a_page_is_the_500_page() -> None:
    response = Client(raise_request_exception=False).get("/test/broken/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "Something went wrong" in response.content.decode()
