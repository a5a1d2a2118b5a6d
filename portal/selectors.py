"""Reads for people and tenants, each scoped to the person asking."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from portal.models import Account, Invitation, Membership, MembershipEvent, Segment, User
from portal.tenancy import visible_accounts


def account_list(
    *,
    user: User | AnonymousUser,
    search: str = "",
    segment: str = "",
    status: str = "",
    csm_id: int | None = None,
    member_count: bool = False,
) -> QuerySet[Account]:
    """Accounts ``user`` may see, filtered, by name, with everything a list row shows loaded up front;
    ``member_count`` adds each row's number of members.

    Each filter and the order are read from an index (``portal.migrations.0019_account_list_indexes``),
    so a page of the list reads its rows and stops. The member count is a subquery per row, not a
    join grouped over every account the filter matches: PostgreSQL runs it for the rows of the page
    only, after the LIMIT."""
    accounts = visible_accounts(user=user).select_related("segment", "csm")
    if search:
        accounts = accounts.filter(Q(name__icontains=search) | Q(slug__icontains=search))
    if segment:
        # The segment's id first (one row), so the filter and the order come from one index.
        accounts = accounts.filter(segment_id=Subquery(Segment.objects.filter(slug=segment).values("pk")[:1]))
    if status:
        accounts = accounts.filter(status=status)
    if csm_id is not None:
        accounts = accounts.filter(csm_id=csm_id)
    if member_count:
        members = Membership.objects.filter(account=OuterRef("pk")).order_by().values("account").annotate(n=Count("pk"))
        accounts = accounts.annotate(member_count=Coalesce(Subquery(members.values("n")), 0))
    return accounts.order_by("name", "pk")


def account_members(*, account: Account) -> QuerySet[Membership]:
    return Membership.objects.filter(account=account).select_related("user").order_by("-role", "user__email")


def account_open_invitations(*, account: Account) -> QuerySet[Invitation]:
    """Invitations still waiting for an answer, the expired ones too (they can be sent again) until
    the daily clean-up deletes them."""
    return (
        Invitation.objects.filter(account=account, accepted_at=None, revoked_at=None)
        .select_related("invited_by")
        .order_by("-created_at")
    )


TEAM_HISTORY_LIMIT = 50


def account_team_history(*, account: Account, limit: int = TEAM_HISTORY_LIMIT) -> list[MembershipEvent]:
    """The latest changes to the account's team, newest first (names are kept on the rows)."""
    return list(MembershipEvent.objects.filter(account=account).order_by("-occurred_at", "-id")[:limit])


def csm_list() -> QuerySet[User]:
    return User.objects.filter(role=User.Role.CSM, is_active=True).order_by("name", "email")


def segment_by_slug(*, slug: str) -> Segment | None:
    return Segment.objects.filter(slug=slug).first()


def active_csm_by_email(*, email: str) -> User | None:
    """The active CS manager with this e-mail address (in any case), if there is one."""
    return User.objects.filter(role=User.Role.CSM, is_active=True, email__iexact=email.strip()).first()


def account_contact_members(*, account: Account) -> QuerySet[Membership]:
    """The account's members with their logins, for a list by cursor (its own order)."""
    return Membership.objects.filter(account=account).select_related("user")


def account_contact_invitations(*, account: Account) -> QuerySet[Invitation]:
    """The account's invitations still waiting for an answer, for a list by cursor (its own order)."""
    return Invitation.objects.filter(account=account, accepted_at=None, revoked_at=None)


def account_member(*, account: Account, pk: int) -> Membership | None:
    return Membership.objects.filter(account=account, pk=pk).select_related("user", "account").first()
