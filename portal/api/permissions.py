"""What an API token may do: every API view names the scope each of its methods needs
(``scopes = {"GET": "reports:read"}``); a request with a token passes only with that scope among the
token's. A signed-in session is not limited by scopes: its role decides, as on the pages."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions
from rest_framework.request import Request

from portal.models import ApiToken

SAFE_ALIASES = {"HEAD": "GET", "OPTIONS": "GET"}


def required_scope(view: object, method: str) -> str | None:
    scopes: dict[str, str] = getattr(view, "scopes", {})
    return scopes.get(method) or scopes.get(SAFE_ALIASES.get(method, ""))


class TokenScopes(permissions.BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        method = request.method or "GET"
        if not hasattr(view, method.lower()) and method not in SAFE_ALIASES:
            return True  # a method the view does not have: DRF answers 405
        scope = required_scope(view, method)
        if scope is None or not token.allows(scope):
            raise exceptions.PermissionDenied(
                detail=exceptions.ErrorDetail(
                    _("This token does not have the scope this needs: %(scope)s.") % {"scope": scope or "-"},
                    code="insufficient_scope",
                )
            )
        return True


class HasToken(permissions.BasePermission):
    """Only an API token, never a session (a product posting usage events is not a person)."""

    authentication_only = True

    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.auth, ApiToken) and request.auth.is_active
