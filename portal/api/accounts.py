"""The write side of the accounts API, for a CRM or billing system calling with a scoped token:
create, change and upsert (by the CRM's external ID) accounts, and list, add, re-role and remove
their contacts. Every write goes through ``portal.services``; tenancy through ``portal.tenancy``."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import selectors, services
from portal.api.pagination import CursorPage
from portal.api.parsers import JSONParser
from portal.api.schema import ErrorSerializer
from portal.api.serializers import AccountSerializer
from portal.models import Account, ApiScope, Invitation, Membership, User
from portal.tenancy import get_visible_account, token_account_id

DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
# Years a contract or a churn may have: outside them a time zone's offset could carry the value past
# what the database stores.
YEARS = range(1900, 3000)
PK_MAX = 2**63 - 1
INVESTMENT_MAX = 10**14 - 1  # the column's 14 digits


class InstantField(serializers.DateTimeField):
    """An ISO 8601 date and time with its offset (without one, in the current time zone); a date
    alone is the start of that day in the current time zone."""

    default_error_messages = {"out_of_range": _("Give a year between 1900 and 2999.")}

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str) and DATE_ONLY.fullmatch(value.strip()):
            try:
                day = date.fromisoformat(value.strip())
            except ValueError:
                self.fail("invalid", format="YYYY-MM-DD")
            instant = timezone.make_aware(datetime.combine(day, time.min))
        else:
            instant = super().to_internal_value(value)
        if instant.year not in YEARS:
            self.fail("out_of_range")
        return instant


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"^[^\x00]*\S[^\x00]*$"})
class NameField(serializers.CharField):
    """A name: not blank (spaces are trimmed), no NUL characters, up to 200 characters."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=200, **kwargs)


class AccountInputSerializer(serializers.Serializer):
    """An account's fields as an integration sends them; references by key (segment slug, CS
    manager's e-mail address)."""

    name = NameField()
    slug = serializers.SlugField(
        max_length=80, required=False, help_text="ASCII; generated from the name (or domain, external ID) if absent."
    )
    external_id = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="The account's ID in the CRM; unique."
    )
    domain = serializers.CharField(max_length=253, required=False, allow_blank=True)
    segment = serializers.SlugField(max_length=80, help_text="A segment's slug.")
    plan = serializers.ChoiceField(choices=Account.Plan.choices, required=False)
    contract_start = InstantField(
        required=False, help_text="ISO 8601 with offset (a date alone: that day's start); now if absent."
    )
    investment_amount = serializers.IntegerField(
        min_value=0, max_value=INVESTMENT_MAX, required=False, help_text="Yen, whole, 0 or more."
    )
    csm = serializers.EmailField(
        required=False, allow_null=True, help_text="The e-mail address of an active CS manager; null for none."
    )
    status = serializers.ChoiceField(choices=Account.Status.choices, required=False)
    churned_at = InstantField(
        required=False, allow_null=True, help_text="Set with status churned (now if left out), and only then."
    )

    def validate_investment_amount(self, value: int) -> Decimal:
        return Decimal(value)

    def validate_slug(self, value: str) -> str:
        if value in services.RESERVED_SLUGS:
            raise serializers.ValidationError(_("This slug is reserved; choose another."))
        return value

    def validate_segment(self, value: str) -> Any:
        segment = selectors.segment_by_slug(slug=value)
        if segment is None:
            raise serializers.ValidationError(_("No segment has this slug."))
        return segment

    def validate_csm(self, value: str | None) -> User | None:
        if value is None:
            return None
        csm = selectors.active_csm_by_email(email=value)
        if csm is None:
            raise serializers.ValidationError(_("No active CS manager has this e-mail address."))
        return csm


class AccountUpsertSerializer(AccountInputSerializer):
    """The fields of an upsert: the external ID comes from the path."""

    external_id = None  # type: ignore[assignment]  # DRF's way to leave out an inherited field


class ExternalIdSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100, trim_whitespace=False)


def _valid(serializer: serializers.Serializer) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class AccountWriters(permissions.BasePermission):
    """Reads for anyone signed in (tenancy narrows what they see); creating and upserting accounts
    for admins, with a token for every account; changing one for admins and CS managers."""

    def has_permission(self, request: Request, view: object) -> bool:
        user = request.user
        if request.method in SAFE_METHODS:
            return True
        if not (user and user.is_authenticated):
            return False
        if request.method == "POST":
            return user.is_admin and token_account_id(user) is None
        if request.method == "PUT":
            return user.is_admin
        return user.is_admin or user.is_csm


ACCOUNT_MISSING = OpenApiResponse(ErrorSerializer, description="No such account, or one the caller may not see.")


def account_create(request: Request) -> Response:
    """``POST /api/v1/accounts/`` (see ``AccountListView.post``)."""
    data = _valid(AccountInputSerializer(data=request.data))
    account = services.account_create_from_api(changes=data, by=_user(request))
    return Response(AccountSerializer(account).data, status=status.HTTP_201_CREATED)


def account_change(request: Request, slug: str) -> Response:
    """``PATCH /api/v1/accounts/<slug>/`` (see ``AccountDetailView.patch``)."""
    account = get_visible_account(user=request.user, slug=slug)
    data = _valid(AccountInputSerializer(data=request.data, partial=True))
    account = services.account_change(account=account, changes=data, by=_user(request))
    return Response(AccountSerializer(account).data)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "external_id",
            OpenApiTypes.STR,
            OpenApiParameter.PATH,
            description="The CRM's ID (e.g. `001xx000003DGb2AAG`, `12345`, `acme-01.eu`): up to 100 characters.",
            pattern=r"^[A-Za-z0-9._~-]{1,100}$",
        )
    ]
)
class AccountByExternalIdView(APIView):
    permission_classes = [*APIView.permission_classes, AccountWriters]
    scopes = {"PUT": ApiScope.ACCOUNTS_WRITE}
    parser_classes = [JSONParser]

    @extend_schema(
        request=AccountUpsertSerializer,
        responses={200: AccountSerializer, 201: AccountSerializer, 404: ACCOUNT_MISSING},
    )
    def put(self, request: Request, external_id: str) -> Response:
        """Create (201) or update (200) the account with this external ID, with the fields of a
        create; the same call again changes nothing and answers 200 with the same body. Admins only;
        a token restricted to one account updates only that one and creates none (404)."""
        external_id = _valid(ExternalIdSerializer(data={"external_id": external_id}))["external_id"]
        data = _valid(AccountUpsertSerializer(data=request.data))
        try:
            account, created = services.account_upsert_by_external_id(
                external_id=external_id, changes=data, by=_user(request), only_account_id=token_account_id(request.user)
            )
        except Account.DoesNotExist:
            raise Http404 from None
        status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(AccountSerializer(account).data, status=status_code)


# --- Contacts ------------------------------------------------------------------------------------

MEMBER, INVITATION = "member", "invitation"


class ContactSerializer(serializers.Serializer):
    """A member of the account, or a person invited who has not answered yet."""

    id = serializers.IntegerField(help_text="The membership's id (for a member) or the invitation's.")
    kind = serializers.ChoiceField(choices=[MEMBER, INVITATION])
    name = serializers.CharField(help_text="Empty for an invitation: the person gives it on accepting.")
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    joined = serializers.DateTimeField(allow_null=True, help_text="When the member joined; null for an invitation.")
    invited_at = serializers.DateTimeField(allow_null=True, help_text="Null for a member.")
    invitation_sent = serializers.BooleanField(
        allow_null=True, help_text="Whether the invitation e-mail went out; null for a member."
    )


def member_contact(membership: Membership) -> dict[str, Any]:
    return {
        "id": membership.pk,
        "kind": MEMBER,
        "name": membership.user.name,
        "email": membership.user.email,
        "role": membership.role,
        "joined": serializers.DateTimeField().to_representation(membership.created_at),
        "invited_at": None,
        "invitation_sent": None,
    }


def invitation_contact(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.pk,
        "kind": INVITATION,
        "name": "",
        "email": invitation.email,
        "role": invitation.role,
        "joined": None,
        "invited_at": serializers.DateTimeField().to_representation(invitation.created_at),
        "invitation_sent": invitation.email_sent_at is not None,
    }


class ContactQuery(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[MEMBER, INVITATION], required=False, help_text="`member` (the default) or `invitation` (waiting)."
    )


class ContactAddSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Membership.Role.choices, required=False, default=Membership.Role.MEMBER)
    send_invitation = serializers.BooleanField(
        required=False, default=True, help_text="E-mail the invitation now (default), or only record it."
    )


class ContactRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class AccountContactsView(APIView):
    """The contacts of an account the caller may see: its members, or (``?kind=invitation``) the
    invitations waiting for an answer, newest first by cursor."""

    scopes = {"GET": ApiScope.ACCOUNTS_READ, "POST": ApiScope.ACCOUNTS_WRITE}
    pagination_class = CursorPage
    parser_classes = [JSONParser]

    @extend_schema(parameters=[ContactQuery], responses={200: ContactSerializer(many=True), 404: ACCOUNT_MISSING})
    def get(self, request: Request, slug: str) -> Response:
        account = get_visible_account(user=request.user, slug=slug)
        kind = _valid(ContactQuery(data=request.query_params)).get("kind") or MEMBER
        paginator = CursorPage()
        if kind == INVITATION:
            invitations = paginator.paginate_queryset(
                selectors.account_contact_invitations(account=account), request, view=self
            )
            assert invitations is not None  # a page size is set: there is always a page
            return paginator.get_paginated_response([invitation_contact(i) for i in invitations])
        members = paginator.paginate_queryset(selectors.account_contact_members(account=account), request, view=self)
        assert members is not None
        return paginator.get_paginated_response([member_contact(m) for m in members])

    @extend_schema(request=ContactAddSerializer, responses={201: ContactSerializer, 404: ACCOUNT_MISSING})
    def post(self, request: Request, slug: str) -> Response:
        """Add a contact by e-mail with a customer role: an invitation, e-mailed now when
        ``send_invitation`` (the default), or only recorded (``invitation_sent`` false; "send again" on
        the account's team page mails it). The person becomes a member on accepting it, with the name
        they give then: a name sent here is not kept. For the account's admins (staff, its CS manager,
        its customer admins)."""
        account = get_visible_account(user=request.user, slug=slug)
        data = _valid(ContactAddSerializer(data=request.data))
        invitation = services.contact_add(
            account=account,
            email=data["email"],
            role=data["role"],
            by=_user(request),
            send_invitation=data["send_invitation"],
        )
        return Response(invitation_contact(invitation), status=status.HTTP_201_CREATED)


class LastAdmin(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "last_admin"


LAST_ADMIN = OpenApiResponse(ErrorSerializer, description="The account's only customer admin (`last_admin`).")


def _member(request: Request, slug: str, pk: int) -> Membership:
    account = get_visible_account(user=request.user, slug=slug)
    membership = selectors.account_member(account=account, pk=pk) if pk <= PK_MAX else None
    if membership is None:
        raise Http404
    return membership


class AccountContactView(APIView):
    """One member of an account (``pk`` is the membership's id): change the role, or remove them.
    For the account's admins (staff, its CS manager, its customer admins)."""

    scopes = {"PATCH": ApiScope.ACCOUNTS_WRITE, "DELETE": ApiScope.ACCOUNTS_WRITE}
    parser_classes = [JSONParser]

    @extend_schema(
        request=ContactRoleSerializer, responses={200: ContactSerializer, 404: ACCOUNT_MISSING, 409: LAST_ADMIN}
    )
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        """Make the member a customer admin or a customer member; the only customer admin cannot step
        down (409 ``last_admin``)."""
        membership = _member(request, slug, pk)
        role = _valid(ContactRoleSerializer(data=request.data))["role"]
        try:
            services.membership_set_role(membership=membership, role=role, by=_user(request))
        except services.LastAdminError as error:
            raise LastAdmin(error.messages[0]) from None
        return Response(member_contact(membership))

    @extend_schema(responses={204: None, 404: ACCOUNT_MISSING, 409: LAST_ADMIN})
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        """Remove the member: their login is switched off, what they did stays. The only customer
        admin cannot be removed (409 ``last_admin``)."""
        membership = _member(request, slug, pk)
        try:
            services.membership_remove(membership=membership, by=_user(request))
        except services.LastAdminError as error:
            raise LastAdmin(error.messages[0]) from None
        return Response(status=status.HTTP_204_NO_CONTENT)
