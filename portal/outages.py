"""What an outage of the database or the broker answers: 503 with ``Retry-After``, JSON under the
API and the site's page elsewhere, never a 500.

An outage is an error of reaching a service (refused or dropped connection, a locked or unopenable
SQLite file, a statement cancelled by the server), not a mistake of ours such as bad SQL: that
stays a 500, so that it is noticed. ``/healthz`` says which service is down.
"""

from __future__ import annotations

import logging
import sqlite3

import kombu.exceptions
import redis.exceptions
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils import translation

from portal.api.exceptions import ServiceUnavailable, api_error, retry_after

logger = logging.getLogger(__name__)

BROKER_ERRORS: tuple[type[Exception], ...] = (
    kombu.exceptions.OperationalError,  # what Celery raises when a publish cannot reach the broker
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
# SQLite reports a missing table or a syntax error as an OperationalError too (SQLITE_ERROR): those
# are mistakes, not outages. These result codes are about the file being out of reach.
SQLITE_OUTAGES = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_PROTOCOL")


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means the database or the broker cannot be reached right now."""
    if isinstance(exc, (*BROKER_ERRORS, InterfaceError)):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, sqlite3.Error):
        return (getattr(cause, "sqlite_errorname", "") or "").startswith(SQLITE_OUTAGES)
    return True


def outage_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 for ``exc`` (an outage). Touches neither the database nor the broker: the page is
    rendered without the request's context (no signed-in person, no navigation)."""
    logger.error("Service unavailable: %s", request.path, exc_info=exc)
    response: HttpResponse | None = api_error(request, ServiceUnavailable())
    if response is None:
        # The person's language if the request got as far as choosing it, else the switcher's cookie.
        language = getattr(request, "LANGUAGE_CODE", "") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        other = next(code for code, _name in settings.LANGUAGES if code != language)
        with translation.override(language):
            content = loader.render_to_string("503.html", {"other_language": other})
        response = HttpResponse(content, status=503)
        response.headers["Content-Language"] = language
        response.headers["Retry-After"] = retry_after()
    response.headers["Cache-Control"] = "no-store"
    return response
