"""API tokens: issue, revoke, authenticate.

A raw token is ``kachi_<prefix>_<secret>``: the ``kachi_`` start lets secret scanners find a leaked
one. It is shown once, when issued; only its prefix (to recognise it in lists) and its SHA-256 hash
are stored. A token acts as its owner within its scopes (``ApiScope``) and, when it names one, within
one account; it expires (90 days unless asked otherwise, a year at most) and can be revoked.
A token cannot issue tokens: only a signed-in person can.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import Account, ApiScope, ApiToken, User
from portal.tenancy import visible_accounts

TOKEN_SCHEME = "kachi"  # noqa: S105 (what every token starts with, not a secret)
# Longer than any token issued; anything longer is refused before hashing.
RAW_TOKEN_MAX_LENGTH = 128
DEFAULT_DAYS = 90
MAX_DAYS = 365
# last_used_at is a hint for people, not an audit trail: one write a minute per token is plenty.
LAST_USED_RESOLUTION = timedelta(seconds=60)
logger = logging.getLogger(__name__)

# The scopes each role may give its tokens: a token never does more than its owner could.
_READ_HELP_AND_ASK = {ApiScope.HELP_READ, ApiScope.INQUIRIES_READ, ApiScope.INQUIRIES_WRITE, ApiScope.PROFILE_READ}
ROLE_SCOPES: dict[str, frozenset[str]] = {
    User.Role.ADMIN: frozenset(ApiScope.values),
    User.Role.CSM: frozenset(
        {
            *_READ_HELP_AND_ASK,
            ApiScope.ACCOUNTS_READ,
            ApiScope.ACCOUNTS_WRITE,
            ApiScope.EVENTS_WRITE,
            ApiScope.JOURNEYS_READ,
            ApiScope.JOURNEYS_WRITE,
            ApiScope.VALUE_WRITE,
            ApiScope.REPORTS_READ,
        }
    ),
    User.Role.AGENT: frozenset({*_READ_HELP_AND_ASK, ApiScope.REPORTS_READ}),
    User.Role.CUSTOMER: frozenset(
        {
            *_READ_HELP_AND_ASK,
            ApiScope.ACCOUNTS_READ,
            ApiScope.EVENTS_WRITE,
            ApiScope.JOURNEYS_READ,
            ApiScope.JOURNEYS_WRITE,
            ApiScope.VALUE_WRITE,
        }
    ),
}


def scopes_for(user: User) -> frozenset[str]:
    """The scopes ``user`` may give a token."""
    if not user.is_active:
        return frozenset()
    if user.is_admin:
        return ROLE_SCOPES[User.Role.ADMIN]
    return ROLE_SCOPES.get(user.role, frozenset())


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(
    *,
    owner: User,
    name: str,
    scopes: Iterable[str],
    account: Account | None = None,
    days: int = DEFAULT_DAYS,
    by: User | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token acting as ``owner``. Returns the token and its raw value, which is never stored
    and cannot be shown again. Refuses (ValidationError, by field) scopes beyond the owner's role, an
    account the owner cannot see, and an expiry outside 1 to 365 days."""
    chosen = sorted(set(scopes))
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Give the token a name, such as the tool that uses it.")]
    unknown = [scope for scope in chosen if scope not in ApiScope.values]
    beyond = [scope for scope in chosen if scope in ApiScope.values and scope not in scopes_for(owner)]
    if not chosen:
        errors["scopes"] = [_("Choose at least one scope.")]
    elif unknown:
        errors["scopes"] = [_("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)}]
    elif beyond:
        errors["scopes"] = [_("Your role cannot give a token %(scopes)s.") % {"scopes": ", ".join(beyond)}]
    if account is not None and not visible_accounts(user=owner).filter(pk=account.pk).exists():
        errors["account"] = [_("Choose one of your accounts.")]
    if not 1 <= days <= MAX_DAYS:
        errors["days"] = [_("A token lasts between 1 and %(max)s days.") % {"max": MAX_DAYS}]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)  # 8 characters, never "_", so the raw token splits unambiguously
    raw = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        name=name.strip(),
        owner=owner,
        scopes=chosen,
        account=account,
        prefix=prefix,
        key_hash=token_hash(raw),
        created_by=by or owner,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, by: User | None) -> ApiToken:
    """Revoke a token: it authenticates nothing from now on. Revoking twice keeps the first date."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        logger.info("API token %s (%s…) revoked by user %s", token.pk, token.prefix, by.pk if by else None)
    return token


def token_authenticate(raw: str) -> ApiToken | None:
    """The active token whose raw value this is (with its owner and account), or None: unknown,
    malformed, revoked, expired, or owned by someone no longer active."""
    if not raw or len(raw) > RAW_TOKEN_MAX_LENGTH or not raw.startswith(f"{TOKEN_SCHEME}_"):
        return None
    now = timezone.now()
    token = _active_token(token_hash(raw), now)
    if token is None:
        return None
    stale = now - LAST_USED_RESOLUTION
    if token.last_used_at is None or token.last_used_at < stale:
        # The WHERE makes concurrent requests write at most once between them; the check above
        # spares the write (and, on SQLite, the write lock) on every other request.
        ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=token.pk).update(
            last_used_at=now
        )
        token.last_used_at = now
    return token


# One model's part of a row read by hand: the model, its field names, and each column (an ORM
# column expression) with the converters the ORM would apply to it.
_Part = tuple[type[Model], list[str], list[tuple[Any, list[Callable[..., Any]]]]]


@functools.cache
def _token_select(alias: str) -> tuple[str, tuple[_Part, ...]]:
    """The statement that finds an active token with its owner and account, and how to read its row.

    Every API request runs it: written once per database rather than built by the ORM each time
    (building and compiling the select_related query took three times as long as running it). The
    columns are the models' own, converted as the ORM would convert them, so the instances are those
    ``select_related("owner", "account")`` would give."""
    connection = connections[alias]
    qn = connection.ops.quote_name
    columns: list[str] = []
    parts: list[_Part] = []
    for table, model in (("t", ApiToken), ("o", User), ("a", Account)):
        fields = list(model._meta.concrete_fields)
        columns += [f"{table}.{qn(field.column)}" for field in fields]
        converters = []
        for field in fields:
            column = field.get_col(model._meta.db_table)
            converters.append((column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)))
        parts.append((model, [field.attname for field in fields], converters))
    sql = (
        f"SELECT {', '.join(columns)} FROM {qn(ApiToken._meta.db_table)} t "  # noqa: S608 (identifiers only)
        f"JOIN {qn(User._meta.db_table)} o ON o.{qn('id')} = t.{qn('owner_id')} "
        f"LEFT JOIN {qn(Account._meta.db_table)} a ON a.{qn('id')} = t.{qn('account_id')} "
        f"WHERE t.{qn('key_hash')} = %s AND t.{qn('revoked_at')} IS NULL AND t.{qn('expires_at')} > %s "
        f"AND o.{qn('is_active')}"
    )
    return sql, tuple(parts)


def _instance(alias: str, part: _Part, values: Sequence[Any]) -> Model:
    model, names, converters = part
    connection = connections[alias]
    converted = []
    for value, (column, column_converters) in zip(values, converters, strict=True):
        for converter in column_converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(alias, names, converted)


def _active_token(key_hash: str, now: datetime) -> ApiToken | None:
    alias = router.db_for_read(ApiToken)
    sql, parts = _token_select(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [key_hash, now])
        row = cursor.fetchone()
    if row is None:
        return None
    values: list[Sequence[Any]] = []
    start = 0
    for _model, names, _converters in parts:
        values.append(row[start : start + len(names)])
        start += len(names)
    token = _instance(alias, parts[0], values[0])
    assert isinstance(token, ApiToken)
    owner = _instance(alias, parts[1], values[1])
    assert isinstance(owner, User)
    ApiToken.owner.field.set_cached_value(token, owner)
    account = _instance(alias, parts[2], values[2]) if token.account_id is not None else None
    ApiToken.account.field.set_cached_value(token, account)
    return token
