from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import selectors
from portal.api.serializers import AccountQuery, AccountSerializer, MeSerializer
from portal.models import ApiScope
from portal.tenancy import get_visible_account


@extend_schema(parameters=[AccountQuery])
class AccountListView(generics.ListAPIView):
    """The accounts the caller may see: their own (customer), assigned (CS manager) or all (admin)."""

    serializer_class = AccountSerializer
    scopes = {"GET": ApiScope.ACCOUNTS_READ}

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
    scopes = {"GET": ApiScope.ACCOUNTS_READ}

    @extend_schema(responses=AccountSerializer)
    def get(self, request: Request, slug: str) -> Response:
        return Response(AccountSerializer(get_visible_account(user=request.user, slug=slug)).data)


class MeView(APIView):
    scopes = {"GET": ApiScope.PROFILE_READ}

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)
