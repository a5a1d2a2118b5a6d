"""The helpers every app's views share: the ``next`` address and raw query text from a request."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from portal.web import query_text, safe_next_url


@pytest.mark.parametrize(
    ("candidate", "secure", "expected"),
    [
        ("/reports/cohorts/?kind=roi", False, "/reports/cohorts/?kind=roi"),
        ("http://testserver/app/", False, "http://testserver/app/"),
        ("http://testserver/app/", True, "/fallback/"),  # a secure request does not go back to http
        ("https://testserver/app/", True, "https://testserver/app/"),
        ("https://evil.example/", False, "/fallback/"),
        ("//evil.example/", False, "/fallback/"),
        ("javascript:alert(1)", False, "/fallback/"),
        # Not an address from the site's root: redirect() would take it for the name of a view.
        ("a b", False, "/fallback/"),
        ("0001-01-01T00:00", False, "/fallback/"),
        ("app/", False, "/fallback/"),
        ("", False, "/fallback/"),
        (None, False, "/fallback/"),
    ],
)
def test_only_addresses_of_this_site_are_followed(candidate: str | None, secure: bool, expected: str) -> None:
    request = RequestFactory().get("/", secure=secure)
    assert safe_next_url(request, candidate, "/fallback/") == expected


def test_a_query_text_loses_its_nul_characters() -> None:
    request = RequestFactory().get("/", {"q": " sa\x00kura \x00"})
    assert query_text(request, "q") == "sakura"
    assert query_text(request, "missing") == ""


def test_a_query_text_is_cut_to_the_longest_name_it_is_compared_with() -> None:
    request = RequestFactory().get("/", {"q": " " + "x" * 100_000})
    assert query_text(request, "q") == "x" * 200


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["a b", "app", "0001-01-01T00:00"])
def test_a_next_that_is_no_address_goes_to_the_fallback(world, next_url: str) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(world.customer_a)
    response = client.post("/language/", {"language": "en", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/", "/portfolio/"])
def test_a_nul_character_in_a_list_filter_is_no_server_error(world, url: str) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(world.csm_a)
    for name in ("q", "segment", "status"):
        response = client.get(url, {name: "a\x00b"})
        assert response.status_code == 200, (url, name)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/", "/portfolio/"])
def test_a_search_of_100000_characters_is_no_server_error(world, url: str) -> None:
    # SQLite refuses a LIKE pattern over 50,000 bytes.
    client = Client(raise_request_exception=False)
    client.force_login(world.csm_a)
    assert client.get(url, {"q": "x" * 100_000}).status_code == 200
