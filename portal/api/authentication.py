"""How people authenticate to the API: with the session the pages use."""

from __future__ import annotations

from rest_framework import authentication
from rest_framework.request import Request


class SessionAuthentication(authentication.SessionAuthentication):
    """A signed-in session; without one the API answers 401, not 403.

    DRF answers 403 to a request without credentials when the first authentication class names
    no scheme for the ``WWW-Authenticate`` header. Naming one makes "who are you?" (401) and
    "you may not" (403) two answers."""

    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="Kachi"'
