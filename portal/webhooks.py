"""Outgoing webhooks, signed by the Standard Webhooks scheme (https://www.standardwebhooks.com/).

A service that changes something calls ``event_emit`` (or ``events_emit``) inside its transaction:
one ``WebhookDelivery`` row per subscribed endpoint commits with the change (or goes with its
rollback), and its first attempt is queued through the outbox. Each attempt is claimed under a row
lock and leased until its next try, so two workers never send the same attempt; a failed one is tried
again on ``RETRY_SCHEDULE`` (about three days in all) by ``webhooks_deliver_due``, every minute.

Every request carries ``webhook-id`` (the same on every attempt: receivers deduplicate on it),
``webhook-timestamp`` and ``webhook-signature`` (``v1,<base64>`` for the current secret and, for a
day after a rotation, the previous one). Redirects are not followed; any 2xx is delivered; 410 turns
the endpoint off; an endpoint failing for ``DISABLE_AFTER`` is turned off and the admins are told.

Only public addresses are called: the host is resolved and every address checked when the endpoint
is saved and again on each attempt, and the request goes to the address that was checked (the Host
header and TLS server name stay the endpoint's).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import secrets
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from portal import outbox
from portal.models import User, WebhookDelivery, WebhookEndpoint, WebhookEvent

logger = logging.getLogger(__name__)

WEBHOOK_DELIVER = "portal.tasks.webhook_deliver"
TEST_EVENT = "webhook.test"
SECRET_PREFIX = "whsec_"  # noqa: S105 (the scheme's prefix, not a secret)
SECRET_BYTES = 32
PREVIOUS_SECRET_VALID = timedelta(hours=24)
TIMEOUT_SECONDS = 10.0
# The wait after each failed attempt; after the last one the delivery is given up (about 3 days in all).
RETRY_SCHEDULE = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    *[timedelta(hours=10)] * 6,
]
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
# An attempt is leased at least this long (longer than its request may take) before another may start.
ATTEMPT_LEASE = timedelta(minutes=2)
RETRY_AFTER_MAX = timedelta(hours=24)
DISABLE_AFTER = timedelta(days=5)
RETENTION = timedelta(days=30)
BODY_MAX = 2000
HEADERS_MAX = 40
DUE_BATCH = 200
PRUNE_CHUNK = 5000
RETRIED_STATUSES = {408, 425, 429}


class UnsafeDestination(Exception):
    """The URL's host is, or resolves to, an address webhooks never call."""


# --- Secrets ----------------------------------------------------------------------------------


def secret_generate() -> str:
    """A new signing secret: ``whsec_`` and 32 random bytes in base64, as the scheme has it."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> list[str]:
    """The secrets that sign now: the current one, and the previous one for a day after a rotation."""
    now = now or timezone.now()
    found = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        found.append(endpoint.previous_secret)
    return found


def sign(*, secrets_: Sequence[str], msg_id: str, timestamp: datetime, body: str) -> str:
    """The ``webhook-signature`` header: one ``v1,<signature>`` per secret, space-separated."""
    return " ".join(Webhook(secret).sign(msg_id, timestamp, body) for secret in secrets_)


# --- Where webhooks may go --------------------------------------------------------------------


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_HOSTS", False))


def address_is_public(address: str) -> bool:
    """False for loopback, private, link-local (cloud metadata), multicast, reserved, shared and
    unspecified addresses, IPv4 ones written as IPv6 included."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def resolve_public(host: str, port: int) -> str:
    """The address to connect to for ``host``: every address it resolves to must be public (one
    private answer among public ones is refused too). Raises ``UnsafeDestination``."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeDestination(_("The host %(host)s cannot be resolved.") % {"host": host}) from error
    addresses = [str(info[4][0]) for info in answers]
    if not addresses:
        raise UnsafeDestination(_("The host %(host)s cannot be resolved.") % {"host": host})
    if not _allow_private():
        for address in addresses:
            if not address_is_public(address):
                raise UnsafeDestination(
                    _("%(host)s resolves to %(address)s, an address webhooks are not sent to.")
                    % {"host": host, "address": address}
                )
    return addresses[0]


def _url_parts(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeDestination(_("Enter an http(s) URL with a host."))
    if scheme != "https" and not settings.DEBUG:
        raise UnsafeDestination(_("Webhook URLs must use HTTPS."))
    if parts.username or parts.password:
        raise UnsafeDestination(_("Webhook URLs cannot contain a user name or password."))
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as error:
        raise UnsafeDestination(_("Enter a valid port.")) from error
    return scheme, parts.hostname, port


def url_check(url: str) -> None:
    """Refuse a URL webhooks may not call (not HTTPS, or a host that is not public): a form error."""
    try:
        _scheme, host, port = _url_parts(url)
        resolve_public(host, port)
    except UnsafeDestination as error:
        raise ValidationError({"url": str(error)}) from error


class PinnedTransport(httpx.HTTPTransport):
    """Connects to the address it checked, not to whatever the host resolves to a moment later: the
    request's URL gets that address while its Host header and TLS server name stay the host's."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        address = resolve_public(host, port)
        if address != host:
            request.url = request.url.copy_with(host=address)
            request.extensions = {**request.extensions, "sni_hostname": host}
        return super().handle_request(request)


# --- Endpoints --------------------------------------------------------------------------------


def _event_types_check(event_types: Iterable[str]) -> list[str]:
    chosen = sorted(set(event_types))
    unknown = [name for name in chosen if name not in WebhookEvent.values]
    if unknown or not chosen:
        raise ValidationError({"event_types": _("Choose at least one of the events listed.")})
    return chosen


@transaction.atomic
def endpoint_create(*, url: str, event_types: Iterable[str], description: str = "", by: User | None) -> WebhookEndpoint:
    """A new endpoint with a new secret (shown once to the person who made it)."""
    url_check(url)
    return WebhookEndpoint.objects.create(
        url=url,
        description=description.strip(),
        event_types=_event_types_check(event_types),
        secret=secret_generate(),
        created_by=by,
    )


@transaction.atomic
def endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, event_types: Iterable[str], description: str, enabled: bool
) -> WebhookEndpoint:
    """Change an endpoint. Turning one back on forgets why it was off and that it was failing. A new
    URL is checked; the one it has is checked on each attempt anyway, so an endpoint whose host stopped
    resolving can still be turned off or renamed."""
    if url != endpoint.url:
        url_check(url)
    endpoint.url = url
    endpoint.description = description.strip()
    endpoint.event_types = _event_types_check(event_types)
    if enabled and not endpoint.enabled:
        endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since = "", None, None
    elif not enabled and endpoint.enabled:
        endpoint.disabled_reason, endpoint.disabled_at = WebhookEndpoint.DisabledReason.BY_ADMIN, timezone.now()
    endpoint.enabled = enabled
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, now: datetime | None = None) -> str:
    """A new secret; the one it replaces keeps signing for ``PREVIOUS_SECRET_VALID``. Returns the new one."""
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + PREVIOUS_SECRET_VALID
    endpoint.secret = secret_generate()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint.secret


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its deliveries: nothing more is sent to it."""
    endpoint.delete()


def endpoint_get(*, pk: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(pk=pk).first()


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("-pk")


def endpoint_deliveries(
    *,
    endpoint: WebhookEndpoint,
    status: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    ids: Sequence[int] | None = None,
) -> QuerySet[WebhookDelivery]:
    """The deliveries to an endpoint, newest first: of a status, made in ``[since, until)``, among ``ids``."""
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-pk")
    if status:
        deliveries = deliveries.filter(status=status)
    if since is not None:
        deliveries = deliveries.filter(created_at__gte=since)
    if until is not None:
        deliveries = deliveries.filter(created_at__lt=until)
    if ids is not None:
        deliveries = deliveries.filter(pk__in=list(ids))
    return deliveries


# --- Emitting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, Any]


def _msg_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def _payload(event: Event, now: datetime) -> dict[str, Any]:
    return {"type": event.type, "timestamp": now.astimezone(UTC).isoformat(), "data": event.data}


def _queue(deliveries: list[WebhookDelivery]) -> list[WebhookDelivery]:
    created = WebhookDelivery.objects.bulk_create(deliveries, batch_size=500)
    outbox.enqueue_many(WEBHOOK_DELIVER, [[delivery.pk] for delivery in created])
    return created


def events_emit(events: Sequence[Event]) -> list[WebhookDelivery]:
    """Record these events for every enabled endpoint subscribed to them, in the current
    transaction, and queue their delivery once it commits. The same three statements for any number
    of events and endpoints."""
    if not events:
        return []
    endpoints = list(WebhookEndpoint.objects.filter(enabled=True).only("pk", "event_types"))
    if not endpoints:
        return []
    now = timezone.now()
    deliveries = [
        WebhookDelivery(
            endpoint=endpoint,
            event_type=event.type,
            msg_id=_msg_id(),
            payload=_payload(event, now),
            next_attempt_at=now,
            created_at=now,
        )
        for event in events
        for endpoint in endpoints
        if event.type in endpoint.event_types
    ]
    return _queue(deliveries) if deliveries else []


def event_emit(event_type: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """``events_emit`` for one event."""
    return events_emit([Event(event_type, data)])


def test_event_send(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A ``webhook.test`` event to this endpoint, whatever it subscribed to."""
    now = timezone.now()
    event = Event(TEST_EVENT, {"endpoint": endpoint.pk, "message": "Kachi test event"})
    with transaction.atomic():
        return _queue(
            [
                WebhookDelivery(
                    endpoint=endpoint,
                    event_type=TEST_EVENT,
                    msg_id=_msg_id(),
                    payload=_payload(event, now),
                    next_attempt_at=now,
                    created_at=now,
                )
            ]
        )[0]


@transaction.atomic
def delivery_redeliver(*, deliveries: Iterable[WebhookDelivery]) -> int:
    """Send these deliveries again, with their message ids, on a fresh retry schedule."""
    ids = [delivery.pk for delivery in deliveries]
    now = timezone.now()
    count = WebhookDelivery.objects.filter(pk__in=ids).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=now, delivered_at=None
    )
    outbox.enqueue_many(WEBHOOK_DELIVER, [[pk] for pk in ids])
    return count


# --- Delivering -------------------------------------------------------------------------------


@dataclass
class Outcome:
    status_code: int | None = None
    headers: dict[str, str] | None = None
    body: str = ""
    duration_ms: int = 0
    error: str = ""
    retry_after: timedelta | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retried(self) -> bool:
        if self.status_code is None:
            return True  # timeout, connection refused, unsafe address
        return 300 <= self.status_code < 400 or self.status_code >= 500 or self.status_code in RETRIED_STATUSES


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            wait = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return max(timedelta(0), min(wait, RETRY_AFTER_MAX))


def _post(url: str, *, body: str, headers: dict[str, str]) -> Outcome:
    started = time.monotonic()
    try:
        _url_parts(url)
        with httpx.Client(
            transport=PinnedTransport(), timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
        ) as client:
            response = client.post(url, content=body.encode(), headers=headers)
            text = response.read()[: BODY_MAX * 4].decode("utf-8", "replace")
    except UnsafeDestination as error:
        return Outcome(error=str(error), duration_ms=_ms(started))
    except httpx.HTTPError as error:
        return Outcome(error=f"{type(error).__name__}: {error}"[:BODY_MAX], duration_ms=_ms(started))
    return Outcome(
        status_code=response.status_code,
        headers=dict(list(response.headers.items())[:HEADERS_MAX]),
        body=text[:BODY_MAX],
        duration_ms=_ms(started),
        retry_after=_retry_after(response.headers.get("retry-after"), timezone.now()),
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Take the attempt that is due, if nobody has: under a row lock where the database has them,
    and by a conditional update everywhere (the attempt count it read must still be the row's);
    leased until the next try."""
    with transaction.atomic():
        due = WebhookDelivery.objects.select_related("endpoint").filter(
            pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        delivery = due.first()
        if delivery is None:
            return None
        attempts = delivery.attempts + 1
        lease = now + max(_wait(attempts), ATTEMPT_LEASE)
        claimed = WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.PENDING, attempts=delivery.attempts, next_attempt_at__lte=now
        ).update(attempts=attempts, last_attempt_at=now, next_attempt_at=lease)
        if not claimed:
            return None
        delivery.attempts, delivery.last_attempt_at, delivery.next_attempt_at = attempts, now, lease
        return delivery


def _wait(attempts: int) -> timedelta:
    return RETRY_SCHEDULE[min(attempts, len(RETRY_SCHEDULE)) - 1]


def delivery_attempt(*, delivery_id: int) -> str | None:
    """Make the attempt of this delivery that is due, if it is and nobody else is making it; record
    how it went. Returns the delivery's status after it, None when there was nothing to do."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        _record(delivery, Outcome(error=_("The endpoint is turned off.")), status=WebhookDelivery.Status.FAILED)
        return WebhookDelivery.Status.FAILED
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    sent_at = timezone.now()
    headers = {
        "webhook-id": delivery.msg_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": sign(
            secrets_=signing_secrets(endpoint, now=sent_at), msg_id=delivery.msg_id, timestamp=sent_at, body=body
        ),
        "content-type": "application/json",
        "user-agent": "Kachi-Webhooks/1.0",
    }
    outcome = _post(endpoint.url, body=body, headers=headers)
    if outcome.delivered:
        status = WebhookDelivery.Status.DELIVERED
    elif outcome.retried and delivery.attempts < MAX_ATTEMPTS:
        status = WebhookDelivery.Status.PENDING
    elif outcome.retried:
        status = WebhookDelivery.Status.GAVE_UP
    else:
        status = WebhookDelivery.Status.FAILED
    _record(delivery, outcome, status=status)
    _endpoint_after(endpoint, outcome)
    return status


def _record(delivery: WebhookDelivery, outcome: Outcome, *, status: str) -> None:
    now = timezone.now()
    delivery.status = status
    delivery.last_status_code = outcome.status_code
    delivery.last_response_headers = outcome.headers or {}
    delivery.last_response_body = outcome.body
    delivery.last_duration_ms = outcome.duration_ms
    delivery.last_error = outcome.error
    if status == WebhookDelivery.Status.DELIVERED:
        delivery.delivered_at, delivery.next_attempt_at = now, None
    elif status == WebhookDelivery.Status.PENDING:
        wait = _wait(delivery.attempts)
        if outcome.retry_after is not None:
            wait = max(wait, outcome.retry_after)
        delivery.next_attempt_at = now + wait
    else:
        delivery.next_attempt_at = None
    delivery.save(
        update_fields=[
            "status", "last_status_code", "last_response_headers", "last_response_body", "last_duration_ms",
            "last_error", "delivered_at", "next_attempt_at",
        ]
    )  # fmt: skip


def _endpoint_after(endpoint: WebhookEndpoint, outcome: Outcome) -> None:
    """A success ends a failing streak; 410 turns the endpoint off; five days of failures too."""
    now = timezone.now()
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if outcome.delivered:
        endpoints.exclude(failing_since=None).update(failing_since=None)
        return
    endpoints.filter(failing_since=None).update(failing_since=now)
    if outcome.status_code == 410:
        _disable(endpoint, reason=WebhookEndpoint.DisabledReason.GONE, now=now)
    elif endpoints.filter(failing_since__lte=now - DISABLE_AFTER).exists():
        _disable(endpoint, reason=WebhookEndpoint.DisabledReason.FAILING, now=now)


def _disable(endpoint: WebhookEndpoint, *, reason: str, now: datetime) -> None:
    turned_off = WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
        enabled=False, disabled_reason=reason, disabled_at=now
    )
    if turned_off:
        endpoint.refresh_from_db()
        logger.warning("webhooks: endpoint %s turned off (%s)", endpoint.pk, reason)
        _tell_admins(endpoint)


def _tell_admins(endpoint: WebhookEndpoint) -> None:
    """E-mail each admin, in their language, that an endpoint was turned off and why."""
    admins = User.objects.filter(is_active=True).filter(Q(role=User.Role.ADMIN) | Q(is_superuser=True))
    for admin in admins.exclude(email="").only("email", "language"):
        with translation.override(admin.language or settings.LANGUAGE_CODE):
            context = {
                "endpoint": endpoint,
                "reason": endpoint.get_disabled_reason_display(),
                "site_url": settings.SITE_URL,
            }
            subject = render_to_string("emails/webhook_disabled_subject.txt", context).strip()
            body = render_to_string("emails/webhook_disabled.txt", context)
        send_mail(subject, body, None, [admin.email])


def deliveries_due(*, now: datetime | None = None, batch: int = DUE_BATCH) -> int:
    """Make the attempts that are due (retries, and first attempts whose task was lost). Returns how many were made."""
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(1 for pk in ids if delivery_attempt(delivery_id=pk) is not None)


def deliveries_prune(*, now: datetime | None = None) -> int:
    """Forget deliveries made more than ``RETENTION`` ago (pending ones stay), a chunk per statement."""
    before = (now or timezone.now()) - RETENTION
    deleted = 0
    while True:
        chunk = (
            WebhookDelivery.objects.filter(created_at__lt=before)
            .exclude(status=WebhookDelivery.Status.PENDING)
            .order_by()
            .values("pk")[:PRUNE_CHUNK]
        )
        count, _by_model = WebhookDelivery.objects.filter(pk__in=chunk).delete()
        deleted += count
        if count < PRUNE_CHUNK:
            return deleted
