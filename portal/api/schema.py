"""The OpenAPI schema says what the API answers, errors included.

Every operation documents, besides its own responses, the errors the project's exception handler
gives (``portal.api.exceptions``), from what the view is:

- 400 with field errors, when the operation reads query parameters or a body;
- 401 when the caller must authenticate (no or wrong credentials);
- 403 when, authenticated, the caller's role may still be refused (a permission beyond "signed in"),
  and for a write with the session (its CSRF check);
- 404 when the path names an object (another tenant's answers like a missing one) or the list is
  paginated (a page past the end);
- 413 and 415 when the operation takes a body (larger than the server accepts; not JSON);
- 500 for an unexpected error (logged), and 503 with ``Retry-After`` when the database or the
  broker cannot be reached (``portal.outages``): any operation may give them.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import authentication, permissions, serializers
from rest_framework.permissions import SAFE_METHODS

from portal.api.idempotency import KEY_REGEX

SIGNED_IN_ONLY = (permissions.IsAuthenticated, permissions.AllowAny)


def refuses_roles(permission: permissions.BasePermission) -> bool:
    """Whether a permission may refuse an authenticated caller (403), rather than only ask who they
    are. A permission that only checks credentials says so with ``authentication_only = True``."""
    return not isinstance(permission, SIGNED_IN_ONLY) and not getattr(permission, "authentication_only", False)


class ErrorSerializer(serializers.Serializer):
    """The body of every error that is not a field error."""

    detail = serializers.CharField(help_text="A sentence for a person, in the caller's language.")
    code = serializers.CharField(help_text="Stable, for programs: e.g. `not_authenticated`, `not_found`.")


FIELD_ERRORS = {
    "type": "object",
    "description": "Each field in error (or `non_field_errors`) with its messages.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
RESPONSES: dict[str, OpenApiResponse] = {
    "400": OpenApiResponse(
        {"anyOf": [FIELD_ERRORS, {"$ref": "#/components/schemas/Error"}]},
        description='Field errors, e.g. `{"start_to": ["…"]}`, or a body that is not JSON (`parse_error`).',
    ),
    "401": OpenApiResponse(ErrorSerializer, description="No credentials, or wrong ones."),
    "403": OpenApiResponse(ErrorSerializer, description="Authenticated, but the caller's role may not do this."),
    "403-csrf": OpenApiResponse(
        ErrorSerializer,
        description="Signed in with the session, the CSRF check failed (`csrf_failed`): send the `csrftoken` "
        "cookie's value in the `X-CSRFToken` header.",
    ),
    "403-role-csrf": OpenApiResponse(
        ErrorSerializer,
        description="Authenticated, but the caller's role may not do this (`permission_denied`); or, signed in "
        "with the session, the CSRF check failed (`csrf_failed`): send the `csrftoken` cookie's value in the "
        "`X-CSRFToken` header.",
    ),
    "404": OpenApiResponse(
        ErrorSerializer, description="No such object (or one the caller may not see), or no such page."
    ),
    "409": OpenApiResponse(
        ErrorSerializer,
        description="A request with the same `Idempotency-Key` is still being processed (`idempotency_key_in_use`): "
        "retry after `Retry-After` seconds.",
    ),
    "413": OpenApiResponse(ErrorSerializer, description="The body is larger than the server accepts."),
    "422": OpenApiResponse(
        ErrorSerializer,
        description="The `Idempotency-Key` was used for a different request (`idempotency_key_reused`).",
    ),
    "415": OpenApiResponse(ErrorSerializer, description="The body is not JSON."),
    "500": OpenApiResponse(ErrorSerializer, description="An unexpected error on the server (`server_error`)."),
    "503": OpenApiResponse(
        ErrorSerializer,
        description="The service is briefly unavailable (`service_unavailable`): retry after `Retry-After` seconds.",
    ),
}
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "required": True,
        "description": "Seconds to wait before retrying.",
    }
}


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_REGEX},
    OpenApiParameter.HEADER,
    description="With an API token: a unique string of the caller's (1 to 255 printable ASCII characters). "
    "The same request sent again with it within 24 hours gets the first answer back "
    "(header `Idempotent-Replayed: true`) instead of being done twice.",
)


class KachiAutoSchema(AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        parameters: list[Any] = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, documented in self._error_codes():
            if code not in responses or not responses[code].get("content"):
                description = responses.get(code, {}).get("description") or RESPONSES[documented].description
                responses[code] = self._get_response_for_code(RESPONSES[documented], code, direction=direction)
                responses[code]["description"] = description
        responses["503"].setdefault("headers", RETRY_AFTER)
        return dict(sorted(responses.items()))

    def _error_codes(self) -> list[tuple[str, str]]:
        """Each error status the operation may answer, with the key of its entry in ``RESPONSES``."""
        codes = []
        has_body = self.method in ("POST", "PUT", "PATCH")
        has_query = any(p.get("in") == "query" for p in self._get_parameters())
        if has_body or has_query:
            codes.append("400")
        view_permissions = self.view.get_permissions()
        refused = ""
        if not all(isinstance(p, permissions.AllowAny) for p in view_permissions):
            codes.append("401")
            refused = "403" if any(refuses_roles(p) for p in view_permissions) else ""
        # DRF checks the CSRF token of a write only for a caller signed in with the session.
        csrf = self.method not in SAFE_METHODS and any(
            isinstance(a, authentication.SessionAuthentication) for a in self.view.get_authenticators()
        )
        if csrf:
            refused = "403-role-csrf" if refused else "403-csrf"
        if refused:
            codes.append(refused)
        if "{" in self.path or self._is_paginated():
            codes.append("404")
        if has_body:
            codes += ["413", "415"]
        if self.method == "POST":
            codes += ["409", "422"]
        return [(code.split("-")[0], code) for code in [*codes, "500", "503"]]

    def _is_paginated(self) -> bool:
        return getattr(self.view, "pagination_class", None) is not None and self._is_list_view()


class KachiSessionScheme(SessionScheme):
    """The session scheme in the schema for ``portal.api.authentication.SessionAuthentication``."""

    target_class = "portal.api.authentication.SessionAuthentication"
