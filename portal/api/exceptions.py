"""JSON errors with a stable code, and domain validation errors as 400s (never a 500)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

API_PREFIX = "/api/"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):  # e.g. an unknown ?format=: DRF's own handler would leave out the code
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and isinstance(exc, exceptions.APIException)
        and isinstance(response.data, dict)
        and "detail" in response.data
    ):
        response.data.setdefault("code", getattr(exc.detail, "code", exc.default_code))
    return response


def api_not_found(request: HttpRequest) -> JsonResponse | None:
    """The 404 of a path under the API that no view answers (a slug with a space, say): JSON like
    every other API error, not the pages' HTML. None outside the API."""
    if not request.path.startswith(API_PREFIX):
        return None
    error = exceptions.NotFound()
    return JsonResponse({"detail": str(error.detail), "code": error.default_code}, status=404)
