"""Small helpers every app's views share."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request: HttpRequest, candidate: str | None, fallback: str) -> str:
    """``candidate`` when it points to this site (and keeps HTTPS on a secure request), else ``fallback``:
    a ``next`` taken from a request never sends anyone to another site.

    Only a path from the site's root or a full URL is followed: ``redirect()`` takes anything else
    ("a b", "0001-01-01T00:00") for the name of a view, and fails on it."""
    if (
        candidate
        and candidate.startswith(("/", "http://", "https://"))
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return fallback


def query_text(request: HttpRequest, name: str) -> str:
    """A text parameter of the query string, stripped, without NUL characters (no database stores
    them: PostgreSQL refuses the query). Forms refuse them with a field error; a raw filter drops them."""
    return request.GET.get(name, "").replace("\x00", "").strip()
