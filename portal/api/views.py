from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import selectors
from portal.api import accounts
from portal.api.pagination import ShallowPage
from portal.api.parsers import JSONParser
from portal.api.serializers import AccountQuery, AccountSerializer, MeSerializer
from portal.models import ApiScope
from portal.tenancy import get_visible_account


class AccountListView(generics.ListAPIView):
    """The accounts the caller may see: their own (customer), assigned (CS manager) or all (admin)."""

    serializer_class = AccountSerializer
    pagination_class = ShallowPage
    permission_classes = [*generics.ListAPIView.permission_classes, accounts.AccountWriters]
    scopes = {"GET": ApiScope.ACCOUNTS_READ, "POST": ApiScope.ACCOUNTS_WRITE}
    parser_classes = [JSONParser]

    @extend_schema(parameters=[AccountQuery])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=accounts.AccountInputSerializer,
        responses={201: AccountSerializer},
    )
    def post(self, request: Request) -> Response:
        """Create an account (admins; not with a token restricted to one account). The slug is made
        from the name (or domain, external ID) when left out; a name without ASCII letters gives
        ``account``, ``account-2``…"""
        return accounts.account_create(request)

    def get_queryset(self):
        query = AccountQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        return selectors.account_list(
            user=self.request.user,
            search=params.get("q", "").strip(),
            segment=params.get("segment", ""),
            status=params.get("status", ""),
        )


class AccountDetailView(APIView):
    permission_classes = [*APIView.permission_classes, accounts.AccountWriters]
    scopes = {"GET": ApiScope.ACCOUNTS_READ, "PATCH": ApiScope.ACCOUNTS_WRITE}
    parser_classes = [JSONParser]

    @extend_schema(responses=AccountSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(AccountSerializer(get_visible_account(user=request.user, slug=slug)).data)

    @extend_schema(
        request=accounts.AccountInputSerializer(partial=True),
        responses={200: AccountSerializer, 404: accounts.ACCOUNT_MISSING},
    )
    def patch(self, request: Request, slug: str) -> Response:
        """Change some fields of an account: an admin any account, a CS manager their own (another's
        answers as a missing one), a token restricted to one account only that one. A CS manager
        cannot hand an account to another CS manager, nor leave it with none (a field error on
        ``csm``): that is an admin's call. Status churned without ``churned_at`` churns it now;
        leaving churned clears the date."""
        return accounts.account_change(request, slug)


class MeView(APIView):
    scopes = {"GET": ApiScope.PROFILE_READ}

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)
