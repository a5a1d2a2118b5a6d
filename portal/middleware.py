from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from portal.outages import is_outage, outage_response


def request_language(request: HttpRequest) -> str:
    """The signed-in person's language, else the switcher's cookie, else Japanese.

    API callers without a session choose with Accept-Language (Japanese by default too).
    """
    supported = dict(settings.LANGUAGES)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in supported:
        return user.language
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie in supported:
        return cookie
    if request.path.startswith("/api/") and "HTTP_ACCEPT_LANGUAGE" in request.META:
        return translation.get_language_from_request(request)
    return settings.LANGUAGE_CODE


class UserPreferencesMiddleware:
    """Activates the person's language and time zone for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        user = getattr(request, "user", None)
        tz_name = user.time_zone if user is not None and user.is_authenticated else settings.TIME_ZONE
        try:
            timezone.activate(zoneinfo.ZoneInfo(tz_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        timezone.deactivate()
        return response


class OutageMiddleware:
    """A view that cannot reach the database or the broker answers 503 with ``Retry-After``, never
    a 500 (``portal.outages``). What fails before a view (a middleware reading the signed-in person)
    reaches the site's 500 handler, which answers the same (``portal.views.server_error``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return outage_response(request, exception) if is_outage(exception) else None
