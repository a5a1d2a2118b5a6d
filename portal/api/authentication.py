"""How people authenticate to the API: with the session the pages use."""

from __future__ import annotations

from rest_framework import authentication, exceptions
from rest_framework.request import Request


class SessionAuthentication(authentication.SessionAuthentication):
    """A signed-in session; without one the API answers 401, not 403.

    DRF answers 403 to a request without credentials when the first authentication class names
    no scheme for the ``WWW-Authenticate`` header. Naming one makes "who are you?" (401) and
    "you may not" (403) two answers."""

    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="Kachi"'

    def enforce_csrf(self, request: Request) -> None:
        """A write with the session needs the CSRF token (the ``csrftoken`` cookie's value in the
        ``X-CSRFToken`` header): refused with the same code as Django's own check, ``csrf_failed``."""
        # Imported here: DRF's views import this module (through its settings) before the handler's.
        from portal.api.exceptions import CsrfFailed

        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as error:
            raise CsrfFailed() from error
