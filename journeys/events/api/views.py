"""The usage-event API: products post batches of events with an API key."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from journeys.events.services.ingest import events_ingest
from portal.api.authentication import TokenAuthentication
from portal.api.exceptions import PayloadTooLarge
from portal.api.parsers import JSONParser
from portal.api.permissions import HasToken, TokenScopes
from portal.api.schema import ErrorSerializer
from portal.models import ApiScope, ApiToken


class BatchTooLarge(PayloadTooLarge):
    default_detail = _("The request body is too large: post fewer events per batch.")


# Serializers below describe the API in the OpenAPI schema only: items are validated
# by hand in the service (a serializer per item would cost more than the insert).


class EventSerializer(serializers.Serializer):
    id = serializers.CharField(
        max_length=200, help_text="Your id of the event. Posting the same id again with the same key is ignored."
    )
    account = serializers.SlugField(
        required=False,
        help_text="The account's slug. Required with a global key; with an account's key it may be left out.",
    )
    user = serializers.CharField(
        required=False, max_length=200, help_text="Your id of the person who did it (optional)."
    )
    name = serializers.CharField(max_length=100, help_text="What happened, e.g. campaign_sent.")
    occurred_at = serializers.DateTimeField(
        help_text="ISO 8601 with a time zone (Z or ±hh:mm); at most 24 hours in the future."
    )
    properties = serializers.DictField(
        required=False, help_text="A JSON object of at most 8 KB. Rules may match on its values."
    )


class ItemErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the rejected event in the batch (from 0).")
    # A declared field, not the ``errors`` property: DRF's metaclass takes fields out of the class body.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), help_text="Messages by field."
    )


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="New events stored.")
    duplicates = serializers.IntegerField(help_text="Valid events whose id this key had already posted.")
    # A declared field, not the ``errors`` property (see above).
    errors = ItemErrorSerializer(  # type: ignore[assignment]
        many=True, help_text="Rejected events; every other event of the batch was kept."
    )


class EventIngestView(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [HasToken, TokenScopes]
    scopes = {"POST": ApiScope.EVENTS_WRITE}
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="events_ingest",
        summary="Post a batch of usage events",
        description=(
            'Up to 1,000 events per request, as a JSON array (or `{"events": [...]}`). '
            "Idempotent: an event id already posted with the same key counts as a duplicate and is not stored "
            "again, so a failed request can simply be retried. An invalid event is reported with its index and "
            "never rejects the others. Authenticate with `Authorization: Bearer <API key>`."
        ),
        tags=["events"],
        request=EventSerializer(many=True),
        responses={
            200: IngestResultSerializer,
            400: OpenApiResponse(description="Not JSON, not a list of events, or more than 1,000 of them."),
            401: OpenApiResponse(ErrorSerializer, description="Missing, unknown or revoked API key."),
            413: OpenApiResponse(ErrorSerializer, description="The body is larger than the server accepts (10 MB)."),
        },
        examples=[
            OpenApiExample(
                "Two events",
                request_only=True,
                value=[
                    {
                        "id": "evt_0001",
                        "account": "sakura-foods",
                        "user": "u-42",
                        "name": "campaign_sent",
                        "occurred_at": "2025-04-01T09:30:00+09:00",
                        "properties": {"channel": "email"},
                    },
                    {
                        "id": "evt_0002",
                        "account": "sakura-foods",
                        "name": "login",
                        "occurred_at": "2025-04-01T00:31:00Z",
                    },
                ],
            ),
            OpenApiExample(
                "One event rejected",
                response_only=True,
                status_codes=["200"],
                value={
                    "accepted": 1,
                    "duplicates": 0,
                    "errors": [{"index": 1, "errors": {"occurred_at": ["A time zone is required, e.g. …"]}}],
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        try:
            items = request.data
        except RequestDataTooBig as exc:  # DATA_UPLOAD_MAX_MEMORY_SIZE; Django alone would answer an HTML 400
            raise BatchTooLarge() from exc
        api_key = request.auth
        assert isinstance(api_key, ApiToken)  # HasToken let the request in
        result = events_ingest(api_key=api_key, items=items)
        return Response({"accepted": result.accepted, "duplicates": result.duplicates, "errors": result.errors})
