"""Idempotency keys for the API's POSTs, as payment APIs have them.

A client that sends ``Idempotency-Key: <its own unique string>`` with a POST and does not hear back
(a timeout, a dropped connection) sends the same request with the same key again: the first
answer comes back (with ``Idempotent-Replayed: true``), and the work is not done twice. The same
key with a different request is refused (422); while the first request is still running, a second
one with its key waits its turn (409, ``Retry-After``). Answers the caller may want to try again
(a 5xx, a 401/403/429, a 409) are not kept: the key can be used again at once.

Keys belong to the API token that sent them (a request with an unknown, revoked or expired token
goes on to its 401 as if it had none; two tokens may use the same key) and are kept for
``IDEMPOTENCY_TTL``; the daily housekeeping forgets older ones. A signed-in browser's requests
carry the CSRF token and are not retried by machines: the header is honoured for tokens only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.api.exceptions import is_api
from portal.models import IdempotencyKey
from portal.tokens import token_authenticate

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
IDEMPOTENCY_TTL = timedelta(hours=24)
# A request that started this long ago and never finished (its process died) no longer holds its key.
IN_FLIGHT_LIMIT = timedelta(minutes=2)
KEY_MAX_LENGTH = 255
# Printable ASCII, spaces only inside (HTTP trims them at the ends).
KEY_REGEX = r"^[!-~]([ -~]{0,253}[!-~])?$"
KEY_PATTERN = re.compile(KEY_REGEX)
# Answers a retry with the same key should get to try again, rather than be given back.
NOT_KEPT = {401, 403, 408, 409, 423, 425, 429}


def _token_principal(request: HttpRequest) -> str | None:
    """The active token the request is sent with, as the owner of its keys; None for anyone else
    (whose request then goes on to be answered, or refused, as without a key)."""
    scheme, _space, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token_authenticate(raw.strip())
    return None if token is None else f"token:{token.pk}"


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path(), request.content_type or ""):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def _error(status: int, code: str, detail: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"detail": detail, "code": code}, status=status)
    for name, value in headers.items():
        response.headers[name] = value
    return response


def _key_problem(key: str) -> str | None:
    if not KEY_PATTERN.fullmatch(key):
        return _("The Idempotency-Key header must be 1 to 255 printable ASCII characters.")
    return None


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(row.body), status=row.status_code or 200, content_type=row.content_type or None)
    if row.location:
        response.headers["Location"] = row.location
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _claim(principal: str, key: str, fingerprint: str) -> IdempotencyKey | HttpResponse:
    """The new row this request holds the key with, or the answer a request with a used key gets."""
    now = timezone.now()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(principal=principal, key=key, fingerprint=fingerprint, created_at=now)
    except IntegrityError:
        pass
    row = IdempotencyKey.objects.filter(principal=principal, key=key).first()
    if row is None or row.created_at < now - IDEMPOTENCY_TTL:
        # Gone meanwhile, or too old to count: this request takes the key afresh.
        IdempotencyKey.objects.filter(principal=principal, key=key).delete()
        return _claim(principal, key, fingerprint)
    if row.fingerprint != fingerprint:
        return _error(
            422,
            "idempotency_key_reused",
            _("This Idempotency-Key was used for a different request. Use a new key for a new request."),
        )
    if row.completed_at is not None:
        return _replay(row)
    if row.created_at < now - IN_FLIGHT_LIMIT:
        taken = IdempotencyKey.objects.filter(pk=row.pk, completed_at=None, created_at=row.created_at).update(
            created_at=now
        )
        if taken:
            row.created_at = now
            return row
    return _error(
        409,
        "idempotency_key_in_use",
        _("A request with this Idempotency-Key is still being processed. Try again in a moment."),
        **{"Retry-After": "1"},
    )


class IdempotencyMiddleware:
    """Keeps the answers of the API's POSTs sent with an ``Idempotency-Key`` by an API token."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not is_api(request):
            return self.get_response(request)
        principal = _token_principal(request)
        if principal is None:
            return self.get_response(request)
        problem = _key_problem(key)
        if problem is not None:
            return _error(400, "invalid_idempotency_key", problem)
        try:
            fingerprint = _fingerprint(request)
        except RequestDataTooBig:  # the view answers it (413)
            return self.get_response(request)
        claimed = _claim(principal, key, fingerprint)
        if isinstance(claimed, HttpResponse):
            return claimed
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyKey.objects.filter(pk=claimed.pk).delete()
            raise
        if response.status_code >= 500 or response.status_code in NOT_KEPT or response.streaming:
            IdempotencyKey.objects.filter(pk=claimed.pk).delete()
            return response
        IdempotencyKey.objects.filter(pk=claimed.pk).update(
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            location=response.get("Location", "")[:2000],
            body=response.content,
            completed_at=timezone.now(),
        )
        return response


def idempotency_prune(*, now: datetime | None = None) -> int:
    """Forget keys older than ``IDEMPOTENCY_TTL``. Returns how many."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    deleted, _rows = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
