"""The one check of a ``next`` address taken from a request."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from portal.web import safe_next_url


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
        ("", False, "/fallback/"),
        (None, False, "/fallback/"),
    ],
)
def test_only_addresses_of_this_site_are_followed(candidate: str | None, secure: bool, expected: str) -> None:
    request = RequestFactory().get("/", secure=secure)
    assert safe_next_url(request, candidate, "/fallback/") == expected
