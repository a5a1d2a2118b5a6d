"""JSON errors with a stable code, and domain validation errors as 400s (never a 500).

Inside a DRF view the exception handler below answers; what Django itself refuses before or
around a view under the API (a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, an unknown path, a
failed CSRF check, an unexpected exception) answers through ``api_error`` from the site's error
views (``portal.views``), with the same body: ``{"detail": "…", "code": "…"}``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

API_PREFIX = "/api/"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "payload_too_large"


class ServiceUnavailable(exceptions.APIException):
    """The database or the broker cannot be reached: nothing the caller did, worth a retry."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The service is briefly unavailable. Please try again in a moment.")
    default_code = "service_unavailable"


class ServerError(exceptions.APIException):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = _("Something went wrong on our side. It has been logged.")
    default_code = "server_error"


class CsrfFailed(exceptions.PermissionDenied):
    default_detail = _("The request was refused: its CSRF check failed.")
    default_code = "csrf_failed"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def retry_after() -> str:
    """Seconds a caller should wait after a 503, for the ``Retry-After`` header."""
    return str(settings.OUTAGE_RETRY_AFTER_SECONDS)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):  # e.g. an unknown ?format=: DRF's own handler would leave out the code
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):  # DATA_UPLOAD_MAX_MEMORY_SIZE; Django alone would answer a 400
        exc = PayloadTooLarge()
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and isinstance(exc, exceptions.APIException)
        and isinstance(response.data, dict)
        and "detail" in response.data
    ):
        response.data.setdefault("code", getattr(exc.detail, "code", exc.default_code))
    request = context.get("request")
    if response is not None and request is not None:
        # An error is JSON whatever the caller accepts: the browsable API's HTML is for answers.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return response


def api_error(request: HttpRequest, error: exceptions.APIException) -> JsonResponse | None:
    """The JSON answer of ``error`` for a request under the API; None outside the API (the caller
    answers with a page)."""
    if not is_api(request):
        return None
    response = JsonResponse({"detail": str(error.detail), "code": error.get_codes()}, status=error.status_code)
    if isinstance(error, ServiceUnavailable):
        response.headers["Retry-After"] = retry_after()
    return response


def api_not_found(request: HttpRequest) -> JsonResponse | None:
    """The 404 of a path under the API that no view answers (a slug with a space, say): JSON like
    every other API error, not the pages' HTML. None outside the API."""
    return api_error(request, exceptions.NotFound())
