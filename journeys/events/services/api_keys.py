"""Tokens for the usage-event API: what a product posts its events with is an API token
(``portal.tokens``) with the ``events:write`` scope, for one account or for every account its owner
may see. Issued from the admin, the ``create_api_key`` command and the demo."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from portal.models import Account, ApiScope, ApiToken, User
from portal.tokens import MAX_DAYS, token_create


def api_key_create(
    *, name: str, account: Account | None, by: User | None, days: int = MAX_DAYS
) -> tuple[ApiToken, str]:
    """An ``events:write`` token for one account (or for every account when ``account`` is None),
    owned by ``by`` — or, issued by no one in particular (a command), by the first admin. Returns the
    token and its raw value, shown once."""
    owner = by
    if owner is None:
        admins = User.objects.filter(Q(role=User.Role.ADMIN) | Q(is_superuser=True), is_active=True)
        owner = admins.order_by("pk").first()
    if owner is None:
        raise ValidationError(_("An API key needs an admin to act as: create one first."))
    return token_create(owner=owner, name=name, scopes=[ApiScope.EVENTS_WRITE], account=account, days=days, by=by)
