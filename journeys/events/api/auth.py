"""API-key authentication for server-to-server calls: ``Authorization: Bearer kachi_…``.

The caller is an integration, not a person: ``request.user`` stays anonymous and
``request.auth`` is the ``ApiKey``.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from journeys.events.models import ApiKey
from journeys.events.services.api_keys import api_key_authenticate

KEYWORD = "Bearer"


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # no credentials of ours: HasApiKey answers 401
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header: use “Bearer <API key>”."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raw = ""
        api_key = api_key_authenticate(raw)
        if api_key is None:
            # One answer for unknown, malformed and revoked keys.
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        return AnonymousUser(), api_key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing or wrong.
        return KEYWORD


class HasApiKey(BasePermission):
    """The request carries an active API key."""

    authentication_only = True  # without a key the answer is 401, never 403

    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.auth, ApiKey) and request.auth.is_active


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Shows the bearer scheme in the OpenAPI schema (registered by being imported with the view)."""

    target_class = ApiKeyAuthentication
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=KEYWORD, bearer_format="kachi_<prefix>_<secret>"
        )
