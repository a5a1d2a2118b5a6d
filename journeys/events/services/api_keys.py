"""API keys for the usage-event API: issue, revoke, authenticate.

A raw key is ``kachi_<prefix>_<secret>``. It is shown once, when issued; only
its prefix (to recognise it in lists) and its SHA-256 hash are stored.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from journeys.events.models import ApiKey
from portal.models import Account, User

KEY_SCHEME = "kachi"
# Longer than any key we issue; anything longer is rejected before hashing.
RAW_KEY_MAX_LENGTH = 128
logger = logging.getLogger(__name__)
# last_used_at is a hint for admins, not an audit trail: one write a minute per key is plenty.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def api_key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, account: Account | None, by: User | None) -> tuple[ApiKey, str]:
    """Issue a key for one account (or a global key when ``account`` is None).

    Returns the key and its raw value, which is never stored and cannot be shown again.
    """
    prefix = secrets.token_hex(4)  # 8 characters, never "_", so the raw key splits unambiguously
    raw = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        name=name, account=account, prefix=prefix, key_hash=api_key_hash(raw), created_by=by
    )
    return api_key, raw


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, by: User | None) -> ApiKey:
    """Revoke a key: it authenticates nothing from now on. Revoking a revoked key keeps its first date."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        # ApiKey has no "revoked by" column; the log keeps who did it.
        logger.info("API key %s (%s…) revoked by user %s", api_key.pk, api_key.prefix, by.pk if by else None)
    return api_key


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key whose raw value this is (with its account), or None."""
    if not raw or len(raw) > RAW_KEY_MAX_LENGTH or not raw.startswith(f"{KEY_SCHEME}_"):
        return None
    api_key = (
        ApiKey.objects.select_related("account").filter(key_hash=api_key_hash(raw), revoked_at__isnull=True).first()
    )
    if api_key is None:
        return None
    now = timezone.now()
    stale = now - LAST_USED_RESOLUTION
    if api_key.last_used_at is None or api_key.last_used_at < stale:
        # The WHERE makes concurrent requests write at most once between them; the check above
        # spares the write (and, on SQLite, the write lock) on every other request.
        ApiKey.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=api_key.pk).update(
            last_used_at=now
        )
        api_key.last_used_at = now
    return api_key
