"""How callers authenticate to the API: with the session the pages use, or with an API token."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import authentication, exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from portal.models import ApiToken, User
from portal.tokens import token_authenticate


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


class TokenAuthentication(BaseAuthentication):
    """An API token: ``Authorization: Bearer kachi_…``. The request acts as the token's owner
    (``request.user``), with the token as ``request.auth``: the owner's role decides what may be
    done, the token's scopes (``TokenScopes``) and account narrow it."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # no token: a session, or nobody
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header: use “Bearer <API token>”."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raw = ""
        token = token_authenticate(raw)
        if token is None:
            # One answer for unknown, malformed, expired and revoked tokens.
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked API token."))
        owner = token.owner
        owner.api_token = token  # type: ignore[attr-defined]  # what tenancy narrows to the token's account
        return owner, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """The bearer scheme in the OpenAPI schema."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Bearer",  # noqa: S106 (the scheme's name) bearer_format="kachi_<prefix>_<secret>"
        )
