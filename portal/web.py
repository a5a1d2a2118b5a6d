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


# A text filter longer than this can only be a mistake: no name or slug it is compared with is
# longer (account names hold 200 characters), and SQLite refuses a LIKE pattern over 50,000 bytes.
QUERY_TEXT_MAX_LENGTH = 200


def query_text(request: HttpRequest, name: str) -> str:
    """A text parameter of the query string, stripped, without NUL characters (no database stores
    them: PostgreSQL refuses the query) and cut to ``QUERY_TEXT_MAX_LENGTH``. Forms refuse such text
    with a field error; a raw filter drops what it cannot use."""
    return request.GET.get(name, "").replace("\x00", "").strip()[:QUERY_TEXT_MAX_LENGTH]
