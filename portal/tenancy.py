"""Tenant scoping: the one place that decides which accounts a person may see.

A customer sees only their own account, a CS manager the accounts assigned to
them, an admin all of them. Every view and API endpoint that serves account
data goes through these helpers, so another tenant's object is simply not in
the queryset and answers exactly like a missing one (404).
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet
from django.http import Http404

from portal.models import Account, Membership, User

M = TypeVar("M", bound=Model)


def token_account_id(user: User | AnonymousUser) -> int | None:
    """The one account the API token a request came with is restricted to, if it is (the token
    authentication hangs the token on the user it acts as; a signed-in session has none)."""
    token = getattr(user, "api_token", None)
    return getattr(token, "account_id", None)


def visible_accounts(*, user: User | AnonymousUser) -> QuerySet[Account]:
    accounts = Account.objects.all()
    if not user.is_authenticated or not user.is_active:
        return accounts.none()
    if (only := token_account_id(user)) is not None:
        accounts = accounts.filter(pk=only)
    if user.is_admin:
        return accounts
    if user.is_csm:
        return accounts.filter(csm=user)
    return accounts.filter(memberships__user=user)


def scope_to_user(queryset: QuerySet[M], *, user: User | AnonymousUser, account_field: str = "account") -> QuerySet[M]:
    """Restrict any queryset with a path to ``Account`` to what ``user`` may see."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if (only := token_account_id(user)) is not None:
        queryset = queryset.filter(**{f"{account_field}_id": only})
    if user.is_admin:
        return queryset
    if user.is_csm:
        return queryset.filter(**{f"{account_field}__csm": user})
    return queryset.filter(**{f"{account_field}__memberships__user": user})


def get_visible_account(*, user: User | AnonymousUser, slug: str) -> Account:
    """The account ``slug`` if ``user`` may see it; otherwise the same 404 as a missing one."""
    try:
        return visible_accounts(user=user).select_related("segment", "csm").get(slug=slug)
    except Account.DoesNotExist:
        raise Http404("No such account.") from None


def customer_account(*, user: User | AnonymousUser) -> Account | None:
    """The account of a customer user (None for staff or a customer without one). Their membership
    comes with it, in the same query, and stays on ``user`` (``user.membership``)."""
    if not user.is_authenticated or not user.is_customer:
        return None
    membership: Membership | None
    if User.membership.is_cached(user):  # read with the person (portal.auth_backends)
        membership = getattr(user, "membership", None)
    else:
        membership = Membership.objects.select_related("account__segment", "account__csm").filter(user=user).first()
    if membership is None:
        return None
    user.membership = membership
    return membership.account


def is_account_staff(*, user: User, account: Account) -> bool:
    """An admin, or the CS manager the account is assigned to."""
    return user.is_admin or (user.is_csm and account.csm_id == user.pk)


def is_account_member(*, user: User, account: Account) -> bool:
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    return membership is not None and membership.account_id == account.pk


def is_account_admin(*, user: User, account: Account) -> bool:
    """The account's own lead (customer admin), or its staff: who may invite, assign and record value."""
    if is_account_staff(user=user, account=account):
        return True
    return is_account_member(user=user, account=account) and user.membership.is_admin
